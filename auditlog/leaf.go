package auditlog

import (
	"bytes"
	"encoding/json"

	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/zhengzhao-project/zhengzhao"
)

// timeLayout is RFC 3339 with exactly nine fractional digits, so that an
// instant has one spelling.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// leaf is the canonical form of an entry. encoding/json writes struct
// members in declaration order and map keys sorted, which is what makes
// LeafData deterministic.
type leaf struct {
	Index       int64             `json:"index"`
	Time        string            `json:"time"`
	Actor       string            `json:"actor"`
	Action      string            `json:"action"`
	License     string            `json:"license,omitempty"`
	LicenseBase string            `json:"license_base,omitempty"`
	Subject     string            `json:"subject,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
}

// LeafData returns the canonical bytes of an entry, the data of its leaf in
// the Merkle tree. The encoding is one JSON object, with no whitespace and no
// trailing newline, whose members appear in this fixed order:
//
//	index         decimal integer
//	time          RFC 3339 in UTC with exactly nine fractional digits
//	              ("2024-03-01T08:00:00.123456000Z")
//	actor         string
//	action        string
//	license       string, omitted when empty
//	license_base  string, omitted when empty
//	subject       string, omitted when empty
//	details       object of strings with keys sorted by byte value,
//	              omitted when empty
//
// Strings are escaped as by encoding/json without HTML escaping: '"', '\\'
// and control characters are escaped, U+2028 and U+2029 become \u2028 and
// \u2029, and everything else is written as UTF-8. Invalid UTF-8 is replaced
// by U+FFFD, so entries must hold valid UTF-8 for every change to show.
// Changing any other member, or the instant of Time, changes the bytes; the
// location of Time and its monotonic clock reading do not matter.
//
// The encoding is pinned by testdata/leaf.golden: never change it, since
// every checkpoint ever signed depends on it.
func LeafData(e *zhengzhao.AuditEntry) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	l := leaf{
		Index:       e.Index,
		Time:        e.Time.UTC().Format(timeLayout),
		Actor:       e.Actor,
		Action:      e.Action,
		License:     e.License,
		LicenseBase: e.LicenseBase,
		Subject:     e.Subject,
		Details:     e.Details,
	}
	if err := enc.Encode(l); err != nil {
		// Strings and a string map always encode.
		panic("auditlog: encode leaf: " + err.Error())
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// LeafHash is the RFC 6962 leaf hash of an entry:
// SHA-256(0x00 || LeafData(e)).
func LeafHash(e *zhengzhao.AuditEntry) []byte {
	return rfc6962.DefaultHasher.HashLeaf(LeafData(e))
}
