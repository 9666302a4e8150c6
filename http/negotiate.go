package http

import (
	nethttp "net/http"
	"strconv"
	"strings"
)

// negotiate picks the media type among offers that the request's Accept
// header prefers (RFC 9110 section 12.5.1), comparing quality values, then
// specificity, then the order of offers. Without an Accept header, or when
// nothing offered is acceptable, it returns the first offer: an API answers
// in its default format rather than with 406.
func negotiate(r *nethttp.Request, offers ...string) string {
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return offers[0]
	}
	best, bestQ, bestSpec := offers[0], -1.0, -1
	for _, offer := range offers {
		q, spec := acceptQuality(accept, offer)
		if q > 0 && (q > bestQ || q == bestQ && spec > bestSpec) {
			best, bestQ, bestSpec = offer, q, spec
		}
	}
	return best
}

// acceptQuality returns the quality the Accept header gives to the media
// type offer and the specificity of the range that matched (2 exact, 1
// type/*, 0 */*), or -1 when no range matches.
func acceptQuality(accept, offer string) (float64, int) {
	q, spec := -1.0, -1
	otype, _, _ := strings.Cut(offer, "/")
	for _, part := range strings.Split(accept, ",") {
		params := strings.Split(part, ";")
		mr := strings.ToLower(strings.TrimSpace(params[0]))
		rq := 1.0
		for _, p := range params[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					rq = f
				}
			}
		}
		s := -1
		switch {
		case mr == offer:
			s = 2
		case mr == otype+"/*":
			s = 1
		case mr == "*/*":
			s = 0
		}
		if s > spec {
			q, spec = rq, s
		}
	}
	return q, spec
}
