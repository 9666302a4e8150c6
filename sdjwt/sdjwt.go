package sdjwt

import (
	"strconv"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// MaxLen is the longest serialized SD-JWT that Parse accepts (1 MiB): a
// license with its face fields is a few kilobytes, and the limit keeps a
// hostile presentation from costing more than a bounded amount of work.
const MaxLen = 1 << 20

// SDJWT is an SD-JWT in its compact serialization's parts: the
// issuer-signed JWT, the disclosures sent with it and, in a presentation
// with key binding, the key-binding JWT.
type SDJWT struct {
	JWT         string
	Disclosures []*Disclosure
	// KeyBinding is the compact KB-JWT, or "" when there is none.
	KeyBinding string
}

// Parse splits a compact SD-JWT (<JWT>~<D1>~…~<Dn>~[<KB-JWT>]) and decodes
// its disclosures. It checks the shape only: call Verify to check
// signatures and digests.
func Parse(s string) (*SDJWT, error) {
	if len(s) > MaxLen {
		return nil, malformed("sd-jwt longer than %d bytes", MaxLen)
	}
	parts := strings.Split(s, "~")
	if len(parts) < 2 {
		return nil, malformed("no ~ separator: not an sd-jwt")
	}
	t := &SDJWT{JWT: parts[0], KeyBinding: parts[len(parts)-1]}
	if _, _, err := splitJWT(t.JWT, "issuer-signed jwt"); err != nil {
		return nil, err
	}
	if t.KeyBinding != "" {
		if _, _, err := splitJWT(t.KeyBinding, "key-binding jwt"); err != nil {
			return nil, err
		}
	}
	for i, p := range parts[1 : len(parts)-1] {
		d, err := ParseDisclosure(p)
		if err != nil {
			return nil, malformed("disclosure %d: %s", i+1, zhengzhao.ErrorMessage(err))
		}
		t.Disclosures = append(t.Disclosures, d)
	}
	return t, nil
}

// String returns the compact serialization. Without a key-binding JWT it
// ends in "~", as RFC 9901 requires.
func (t *SDJWT) String() string {
	var b strings.Builder
	b.WriteString(t.unbound())
	b.WriteString(t.KeyBinding)
	return b.String()
}

// unbound is the serialization without the key-binding JWT, over which the
// KB-JWT's sd_hash is computed.
func (t *SDJWT) unbound() string {
	var b strings.Builder
	b.WriteString(t.JWT)
	b.WriteByte('~')
	for _, d := range t.Disclosures {
		b.WriteString(d.Encoded)
		b.WriteByte('~')
	}
	return b.String()
}

// Paths returns, for each disclosure in order, the dotted path of the claim
// it discloses ("holder.name", "nationalities.1" for the second element of
// an array). It decodes the payload without checking the signature: it is
// the holder's view of what can be presented.
func (t *SDJWT) Paths() ([]string, error) {
	_, payload, err := splitJWT(t.JWT, "issuer-signed jwt")
	if err != nil {
		return nil, err
	}
	p, err := newProcessor(t.Disclosures)
	if err != nil {
		return nil, err
	}
	if _, err := p.top(payload); err != nil {
		return nil, err
	}
	out := make([]string, len(t.Disclosures))
	for i, path := range p.paths {
		out[i] = joinPath(path)
	}
	return out, nil
}

// Present returns a presentation (without key binding) holding only the
// disclosures needed to reveal the claims at paths: a disclosure is kept
// when its claim lies at or under a requested path (asking for "address"
// reveals the address with all its parts) or above one (asking for
// "address.locality" also needs the address disclosure that holds it).
func (t *SDJWT) Present(paths ...string) (*SDJWT, error) {
	all, err := t.Paths()
	if err != nil {
		return nil, err
	}
	out := &SDJWT{JWT: t.JWT}
	for i, dp := range all {
		for _, want := range paths {
			if within(dp, want) || within(want, dp) {
				out.Disclosures = append(out.Disclosures, t.Disclosures[i])
				break
			}
		}
	}
	return out, nil
}

// within reports whether the dotted path p equals or lies under prefix.
func within(p, prefix string) bool {
	return p == prefix || strings.HasPrefix(p, prefix+".")
}

func joinPath(path []any) string {
	var b strings.Builder
	for i, seg := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		switch s := seg.(type) {
		case string:
			b.WriteString(s)
		case int:
			b.WriteString(strconv.Itoa(s))
		}
	}
	return b.String()
}
