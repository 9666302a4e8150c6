package http

import (
	nethttp "net/http"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// Media types of GET /v1/keys.
const (
	mediaJSON = "application/json"
	mediaPEM  = "application/x-pem-file"
	mediaText = "text/plain"
)

// keysResponse is the JSON form of GET /v1/keys.
type keysResponse struct {
	CA   caCert       `json:"ca"`
	Keys []signingKey `json:"keys"`
}

type caCert struct {
	Cert string `json:"cert"`
}

// signingKey is the public part of a zhengzhao.SigningKey.
type signingKey struct {
	KID       string    `json:"kid"`
	Alg       string    `json:"alg"`
	Unit      string    `json:"unit"`
	Cert      string    `json:"cert"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Active    bool      `json:"active"`
}

// handleKeys handles GET /v1/keys: the library's CA certificate and every
// issuer's signing certificate, as JSON or, with ?format=pem or an Accept
// header preferring application/x-pem-file, as one PEM bundle with the CA
// certificate first (what `zhengzhao verify --keys` reads).
func (s *Server) handleKeys(w nethttp.ResponseWriter, r *nethttp.Request) {
	format := mediaJSON
	switch f := r.URL.Query().Get("format"); {
	case f == "pem":
		format = mediaPEM
	case f == "json":
	case r.URL.Query().Has("format"):
		s.error(w, r, invalid("invalid query", []zhengzhao.FieldError{{Field: "format", Message: "must be json or pem"}}))
		return
	default:
		w.Header().Add("Vary", "Accept")
		format = negotiate(r, mediaJSON, mediaPEM)
	}
	keys, err := s.keys.FindSigningKeys(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	ca := s.keys.CACertificatePEM()
	if format == mediaPEM {
		var b strings.Builder
		writePEM(&b, ca)
		for _, k := range keys {
			writePEM(&b, k.CertPEM)
		}
		// The library's display-token keys, so that QR tokens verify
		// offline too (zhengzhao verify --token).
		if s.holders != nil {
			dks, err := s.holders.FindDisplayKeys(r.Context())
			if err != nil {
				s.error(w, r, err)
				return
			}
			for _, k := range dks {
				writePEM(&b, k.CertPEM)
			}
		}
		w.Header().Set("Content-Type", mediaPEM)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write([]byte(b.String()))
		return
	}
	res := keysResponse{CA: caCert{Cert: ca}, Keys: make([]signingKey, 0, len(keys))}
	for _, k := range keys {
		res.Keys = append(res.Keys, signingKey{
			KID: k.KID, Alg: k.Alg, Unit: k.Unit, Cert: k.CertPEM,
			NotBefore: k.NotBefore, NotAfter: k.NotAfter, Active: k.Active,
		})
	}
	s.render(w, r, nethttp.StatusOK, res)
}

// writePEM appends a PEM text, making sure it ends with a newline so that
// the next block starts on its own line.
func writePEM(b *strings.Builder, pem string) {
	pem = strings.TrimLeft(pem, "\n")
	if pem == "" {
		return
	}
	b.WriteString(pem)
	if !strings.HasSuffix(pem, "\n") {
		b.WriteByte('\n')
	}
}
