package sdjwt

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/url"
	"slices"

	"github.com/zhengzhao-project/zhengzhao/internal/jose"
)

// X5C returns a KeyFunc that takes the issuer's key from the x5c header
// (the HAIP way): the chain must verify under opts (its Roots, and
// CurrentTime when set; the x5c certificates after the leaf are the
// intermediates), and the leaf must name the token's iss — a URI SAN equal
// to iss, or, for an https iss, a DNS SAN equal to its host — so that a
// certificate of one issuer cannot vouch for another.
func X5C(opts x509.VerifyOptions) KeyFunc {
	return func(ctx context.Context, header, payload map[string]any) (any, error) {
		certs, err := jose.Chain(header)
		if err != nil {
			return nil, err
		}
		o := opts
		o.Intermediates = x509.NewCertPool()
		for _, c := range certs[1:] {
			o.Intermediates.AddCert(c)
		}
		if len(o.KeyUsages) == 0 {
			o.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
		}
		leaf := certs[0]
		if _, err := leaf.Verify(o); err != nil {
			return nil, fmt.Errorf("x5c chain: %w", err)
		}
		iss, _ := payload["iss"].(string)
		if !names(leaf, iss) {
			return nil, fmt.Errorf("x5c leaf certificate does not name the issuer %q", iss)
		}
		return leaf.PublicKey, nil
	}
}

func names(leaf *x509.Certificate, iss string) bool {
	if iss == "" {
		return false
	}
	for _, u := range leaf.URIs {
		if u.String() == iss {
			return true
		}
	}
	u, err := url.Parse(iss)
	return err == nil && u.Scheme == "https" && u.Hostname() != "" && slices.Contains(leaf.DNSNames, u.Hostname())
}
