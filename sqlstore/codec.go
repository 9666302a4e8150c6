package sqlstore

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// EncodeDocument returns the stored form of a license: its JSON document
// with the lifecycle fields cleared, which the store keeps in columns.
// Both stores keep the same bytes: no HTML escaping (<, >, & stay as they
// are), face-field numbers (json.Number) digit for digit.
func EncodeDocument(l *zhengzhao.License) (string, error) {
	doc := *l
	doc.Status, doc.SupersededBy, doc.RevokedAt, doc.RevocationReason = "", "", nil, ""
	return encodeJSON(&doc)
}

// encodeJSON encodes v without HTML escaping.
func encodeJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// decodeDocument reads a stored license document.
func decodeDocument(doc []byte) (*zhengzhao.License, error) {
	var l zhengzhao.License
	if err := json.Unmarshal(doc, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// jsonArg encodes v as the text of a JSON column, EINVALID when it holds
// what no store can keep.
func (t *Tx) jsonArg(op string, v any) (string, error) {
	s, err := encodeJSON(v)
	if err != nil {
		return "", &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "a value cannot be encoded as JSON", Op: t.d.Name + "." + op, Err: err}
	}
	if err := t.checkJSON(op, []byte(s)); err != nil {
		return "", err
	}
	return s, nil
}

// strs returns a non-nil copy of ss as strings (a list column is never
// NULL).
func strs[S ~string](ss []S) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}

// nonNil returns s, or an empty slice for nil.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
