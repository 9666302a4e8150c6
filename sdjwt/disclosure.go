package sdjwt

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// HashAlg is the _sd_alg value this package produces and accepts.
const HashAlg = "sha-256"

// Disclosure is one salted disclosure: for an object property the JSON array
// [salt, name, value], for an array element [salt, value].
type Disclosure struct {
	Salt string
	// Name is the claim name; empty for an array element.
	Name string
	// Element is true for an array element disclosure (two elements).
	Element bool
	// Value is the disclosed value as JSON decodes it (numbers as
	// json.Number); nested selectively disclosable claims still appear as
	// _sd digests or {"...": digest} elements.
	Value any
	// Encoded is the base64url form as issued. Digests are computed over
	// it, so it is kept verbatim rather than re-encoded.
	Encoded string
}

// Digest returns the base64url sha-256 digest of the encoded disclosure,
// the value that appears in _sd arrays and {"...": digest} elements.
func (d *Disclosure) Digest() string { return digest(d.Encoded) }

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// newDisclosure encodes a disclosure. The JSON has no HTML escaping so that
// other implementations show the same text a person would expect; the
// digest is over the encoded form either way.
func newDisclosure(salt, name string, element bool, value any) (*Disclosure, error) {
	arr := []any{salt, name, value}
	if element {
		arr = []any{salt, value}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(arr); err != nil {
		return nil, fmt.Errorf("encode disclosure: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	encoded := base64.RawURLEncoding.EncodeToString(b)
	switch value.(type) {
	case string, bool, nil, json.Number:
		return &Disclosure{Salt: salt, Name: name, Element: element, Value: value, Encoded: encoded}, nil
	}
	// Anything else (objects, arrays, Go numbers, structs) is kept in its
	// decoded form (numbers as json.Number, "_sd" as []any), as a parsed
	// disclosure has it, so that the processor reads issued and received
	// tokens alike.
	return ParseDisclosure(encoded)
}

// ParseDisclosure decodes one base64url disclosure. It accepts only the
// unpadded base64url alphabet, a JSON array of two (salt, value) or three
// (salt, name, value) elements with string salt and name, and nothing after
// the array.
func ParseDisclosure(s string) (*Disclosure, error) {
	if s == "" {
		return nil, malformed("empty disclosure")
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, malformed("disclosure is not unpadded base64url")
	}
	var arr []any
	if err := decodeJSON(raw, &arr); err != nil {
		return nil, malformed("disclosure is not a json array")
	}
	d := &Disclosure{Encoded: s}
	var ok bool
	switch len(arr) {
	case 2:
		d.Element = true
		d.Value = arr[1]
	case 3:
		if d.Name, ok = arr[1].(string); !ok {
			return nil, malformed("disclosure claim name is not a string")
		}
		d.Value = arr[2]
	default:
		return nil, malformed("disclosure has %d elements, want 2 or 3", len(arr))
	}
	if d.Salt, ok = arr[0].(string); !ok {
		return nil, malformed("disclosure salt is not a string")
	}
	return d, nil
}

// decodeJSON decodes exactly one JSON value with numbers kept as
// json.Number (so that large integers survive) and refuses trailing data.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after json value")
	}
	return nil
}

// decodeSegment decodes a base64url JWT segment holding a JSON object.
func decodeSegment(seg, what string) (map[string]any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, malformed("%s is not unpadded base64url", what)
	}
	var m map[string]any
	if err := decodeJSON(raw, &m); err != nil || m == nil {
		return nil, malformed("%s is not a json object", what)
	}
	return m, nil
}

// splitJWT returns the decoded header and payload of a compact JWS without
// checking its signature.
func splitJWT(jwt, what string) (header, payload map[string]any, err error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || parts[2] == "" {
		return nil, nil, malformed("%s is not a compact jws", what)
	}
	if header, err = decodeSegment(parts[0], what+" header"); err != nil {
		return nil, nil, err
	}
	if payload, err = decodeSegment(parts[1], what+" payload"); err != nil {
		return nil, nil, err
	}
	return header, payload, nil
}
