package sign

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/gowebpki/jcs"

	"github.com/zhengzhao-project/zhengzhao"
)

// Canonicalize parses doc, which must be a JSON object, drops the top-level
// members named in omit and returns the RFC 8785 canonical form of the rest.
//
// The canonical form ignores member order, insignificant whitespace and
// string escapes, so a document may be reformatted without breaking its
// signature. Duplicate member names, invalid UTF-8 and numbers outside the
// range of an IEEE double are errors.
//
// As RFC 8785 prescribes, numbers are read as IEEE doubles: an integer beyond
// 2^53, such as 12345678901234567890, is signed as its nearest double
// (12345678901234567000), and a change in its last digits that keeps the
// same double is not detected. Face fields that need more precision must be
// strings.
func Canonicalize(doc []byte, omit []string) ([]byte, error) {
	// jcs checks the whole document strictly (it rejects duplicate names,
	// which encoding/json would silently collapse) and canonicalizes it; the
	// omitted members are then cut out of the canonical text.
	c, err := jcs.Transform(doc)
	if err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	if len(c) == 0 || c[0] != '{' {
		return nil, errors.New("canonicalize: the document is not a JSON object")
	}
	if len(omit) == 0 {
		return c, nil
	}
	if c, err = omitMembers(c, omit); err != nil {
		return nil, fmt.Errorf("canonicalize: %w", err)
	}
	return c, nil
}

// omitMembers drops the top-level members named in omit from the canonical
// object c. What remains is canonical as it stands: members stay in order
// and each member's text does not depend on the others. As c is jcs output
// (valid JSON without whitespace), a member ends at the first comma outside
// strings, objects and arrays, and its name is its first string.
func omitMembers(c []byte, omit []string) ([]byte, error) {
	out := append(make([]byte, 0, len(c)), '{')
	start, nameEnd := 1, 0 // where the current member and its name end
	depth, inString, escaped := 0, false, false
	for i := 1; i < len(c); i++ {
		b := c[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
				if nameEnd < start {
					nameEnd = i + 1
				}
			}
			continue
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth-- // to -1 at the object's closing brace
		}
		if b == ',' && depth == 0 || depth < 0 {
			if nameEnd > start { // not the empty object
				var name string
				if err := json.Unmarshal(c[start:nameEnd], &name); err != nil {
					return nil, err
				}
				if !slices.Contains(omit, name) {
					if len(out) > 1 {
						out = append(out, ',')
					}
					out = append(out, c[start:i]...)
				}
			}
			start = i + 1
		}
	}
	return append(out, '}'), nil
}

// SignDocument signs the canonical form of doc without
// zhengzhao.UnsignedFields and returns the proof to set as the document's
// "proof" member. When the signer has a certificate, the document's
// issuer.code must be the certificate's unit: a document signed with another
// unit's key would never verify as trusted.
func SignDocument(s *Signer, doc []byte) (*zhengzhao.Proof, error) {
	msg, err := Canonicalize(doc, zhengzhao.UnsignedFields)
	if err != nil {
		return nil, fmt.Errorf("sign document: %w", err)
	}
	return SignCanonical(s, msg)
}

// SignCanonical signs a document already in canonical form (the output of
// Canonicalize with zhengzhao.UnsignedFields), for callers that also need
// the canonical bytes, e.g. to record their digest, and should not
// canonicalize twice.
func SignCanonical(s *Signer, msg []byte) (*zhengzhao.Proof, error) {
	if s.cert != nil {
		var d struct {
			Issuer struct {
				Code string `json:"code"`
			} `json:"issuer"`
		}
		if err := json.Unmarshal(msg, &d); err != nil {
			return nil, fmt.Errorf("sign document: %w", err)
		}
		if d.Issuer.Code != s.unit {
			return nil, fmt.Errorf("sign document: the key belongs to unit %q, not to the document's issuer %q", s.unit, d.Issuer.Code)
		}
	}
	sig, err := s.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("sign document: %w", err)
	}
	p := &zhengzhao.Proof{
		Alg:   s.alg,
		KID:   s.kid,
		Value: base64.RawURLEncoding.EncodeToString(sig),
	}
	if s.cert != nil {
		p.Cert = base64.StdEncoding.EncodeToString(s.cert)
	}
	return p, nil
}

// DocumentCheck is the offline verification outcome of a license document.
type DocumentCheck struct {
	// Signature: the proof verifies over the canonical document.
	Signature bool
	// IssuerTrusted: the certificate chains to a root, was valid at the
	// document's signed_at, is a signing certificate, has kid == proof.kid,
	// and its SerialNumber equals the document's issuer.code.
	IssuerTrusted bool
	// Alg and KID are the proof's.
	Alg, KID string
	// IssuerCode is the unit the certificate belongs to.
	IssuerCode string
	// Reasons says, in one sentence each, which checks failed.
	Reasons []string
}

func (c *DocumentCheck) fail(format string, args ...any) {
	c.Reasons = append(c.Reasons, fmt.Sprintf(format, args...))
}
