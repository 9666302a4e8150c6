package http

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	nethttp "net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/zhengzhao-project/zhengzhao"
)

// readBody reads the whole request body within the body limit.
func (s *Server) readBody(r *nethttp.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		if _, ok := errors.AsType[*nethttp.MaxBytesError](err); ok {
			return nil, errTooLarge(s.bodyLimit)
		}
		return nil, &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "cannot read the request body", Err: err,
			Fields: []zhengzhao.FieldError{{Field: "", Message: "cannot read the request body"}}}
	}
	return b, nil
}

// decode reads a JSON object from the request body into v, a pointer to a
// struct without its own UnmarshalJSON. Numbers stay exact (json.Number in
// untyped members); an unknown member, a member of the wrong type,
// malformed JSON and data after the object are EINVALID errors naming the
// offending fields by their JSON paths ("holder.id", "roles[1]").
func (s *Server) decode(r *nethttp.Request, v any) error {
	b, err := s.readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(b, v)
}

func decodeJSON(b []byte, v any) error {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 {
		return invalidBody("", "the request body is empty; a JSON object is required")
	}
	if trimmed[0] != '{' {
		return invalidBody("", "the request body must be a JSON object")
	}
	if !utf8.Valid(b) {
		// encoding/json would put U+FFFD in its place and go on: a name
		// would be signed other than it was sent.
		return invalidBody(invalidUTF8Member(b), fmt.Sprintf("the request body is not valid UTF-8 (byte %d)", invalidUTF8At(b)))
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return decodeError(b, v, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return invalidBody("", "unexpected data after the JSON object")
	}
	return nil
}

// invalidUTF8At returns the offset of the first byte of b that is not UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

const badByteMark = "\x00zhengzhao-bad-byte"

// invalidUTF8Member returns the JSON path of the member whose value holds
// the first byte that is not UTF-8 ("" when that cannot be told): the bad
// byte is replaced by a marker and the document walked to find it.
func invalidUTF8Member(b []byte) string {
	const mark = `\u0000zhengzhao-bad-byte` // a JSON escape: decodes to badByteMark
	i := invalidUTF8At(b)
	fixed := append(append(append([]byte{}, b[:i]...), mark...), bytes.ToValidUTF8(b[i+1:], []byte("?"))...)
	var doc any
	if json.Unmarshal(fixed, &doc) != nil {
		return ""
	}
	var find func(path string, v any) (string, bool)
	find = func(path string, v any) (string, bool) {
		switch v := v.(type) {
		case string:
			return path, strings.Contains(v, badByteMark)
		case []any:
			for i, e := range v {
				if p, ok := find(path+"["+strconv.Itoa(i)+"]", e); ok {
					return p, true
				}
			}
		case map[string]any:
			for _, k := range sortedKeys(v) {
				if strings.Contains(k, badByteMark) {
					return joinPath(path, "(member name)"), true
				}
				if p, ok := find(joinPath(path, k), v[k]); ok {
					return p, true
				}
			}
		}
		return "", false
	}
	p, _ := find("", doc)
	return p
}

func invalidBody(field, message string) error {
	return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: "invalid request body",
		Fields: []zhengzhao.FieldError{{Field: field, Message: message}}}
}

func invalid(message string, fields []zhengzhao.FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	slices.SortFunc(fields, func(a, b zhengzhao.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return &zhengzhao.Error{Code: zhengzhao.EINVALID, Message: message, Fields: fields}
}

// decodeError turns a json decoding error into an EINVALID error. For type
// errors and unknown members it walks the document against v's type to
// name every bad member with its full path, which encoding/json does not
// give (it drops array indices and reports only the first problem).
func decodeError(b []byte, v any, err error) error {
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return invalidBody("", fmt.Sprintf("malformed JSON at byte %d: %s", syntax.Offset, syntax.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalidBody("", "malformed JSON: unexpected end of input")
	}
	var doc any
	dd := json.NewDecoder(bytes.NewReader(b))
	dd.UseNumber()
	if dd.Decode(&doc) == nil {
		var fields []zhengzhao.FieldError
		checkValue(&fields, "", doc, reflect.TypeOf(v))
		if len(fields) > 0 {
			return invalid("invalid request body", fields)
		}
	}
	// The walk found nothing: fall back on what encoding/json says.
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return invalidBody(typ.Field, "must be "+jsonKind(typ.Type))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if n, uerr := strconv.Unquote(name); uerr == nil {
			name = n
		}
		return invalidBody(name, "unknown member")
	}
	return invalidBody("", "invalid JSON: "+err.Error())
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	numberType      = reflect.TypeFor[json.Number]()
)

// checkValue appends a FieldError for every member of v, a generic JSON
// value decoded with UseNumber, that encoding/json would reject when
// decoding into t with DisallowUnknownFields.
func checkValue(fields *[]zhengzhao.FieldError, path string, v any, t reflect.Type) {
	add := func(p, msg string) { *fields = append(*fields, zhengzhao.FieldError{Field: p, Message: msg}) }
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return // null leaves the Go value as it is
	}
	if t == numberType {
		if _, ok := v.(json.Number); !ok {
			add(path, "must be a number")
		}
		return
	}
	if reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return // the type decides for itself
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		if _, ok := v.(string); !ok {
			add(path, "must be a string")
		}
		return
	}
	switch t.Kind() {
	case reflect.Interface:
		return
	case reflect.String:
		if _, ok := v.(string); !ok {
			add(path, "must be a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			add(path, "must be a boolean")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			add(path, "must be an integer")
		} else if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			add(path, "must be an integer in range")
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			add(path, "must be a non-negative integer")
		} else if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			add(path, "must be a non-negative integer in range")
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := v.(json.Number); !ok {
			add(path, "must be a number")
		}
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			add(path, "must be an array")
			return
		}
		for i, e := range a {
			checkValue(fields, path+"["+strconv.Itoa(i)+"]", e, t.Elem())
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			add(path, "must be an object")
			return
		}
		for _, k := range sortedKeys(m) {
			checkValue(fields, joinPath(path, k), m[k], t.Elem())
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			add(path, "must be an object")
			return
		}
		members := jsonMembers(t)
		for _, k := range sortedKeys(m) {
			ft, ok := members[k]
			if !ok {
				// encoding/json matches names case-insensitively.
				for name, typ := range members {
					if strings.EqualFold(name, k) {
						ft, ok = typ, true
						break
					}
				}
			}
			if !ok {
				add(joinPath(path, k), "unknown member")
				continue
			}
			checkValue(fields, joinPath(path, k), m[k], ft)
		}
	}
}

// jsonMembers returns the JSON member names of a struct type and their
// types, following encoding/json's tag rules (embedded structs included).
func jsonMembers(t reflect.Type) map[string]reflect.Type {
	members := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		members[name] = f.Type
	}
	return members
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinPath(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a valid value"
}

// render writes v as JSON with the given status.
func (s *Server) render(w nethttp.ResponseWriter, r *nethttp.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.error(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// list is the shape of every list response.
type list[T any] struct {
	Items []T    `json:"items"`
	Total int    `json:"total"`
	Next  string `json:"next,omitempty"`
}

func newList[T any](items []T, total int, next string) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total, Next: next}
}

// page reads the limit and cursor parameters: limit defaults to
// zhengzhao.DefaultPageLimit and must lie in 1..zhengzhao.MaxPageLimit.
func page(r *nethttp.Request, fields *[]zhengzhao.FieldError) zhengzhao.Page {
	q := r.URL.Query()
	p := zhengzhao.Page{Limit: zhengzhao.DefaultPageLimit, Cursor: q.Get("cursor")}
	if s, ok := q["limit"]; ok {
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 || n > zhengzhao.MaxPageLimit {
			*fields = append(*fields, zhengzhao.FieldError{Field: "limit",
				Message: fmt.Sprintf("must be an integer from 1 to %d", zhengzhao.MaxPageLimit)})
		} else {
			p.Limit = n
		}
	}
	return p
}

// optString returns a pointer to the query parameter's value, or nil when
// it is absent. An empty value is an error: it is almost always a client
// bug, and filtering on "" would silently match nothing.
func optString(r *nethttp.Request, name string, fields *[]zhengzhao.FieldError) *string {
	v, ok := r.URL.Query()[name]
	if !ok {
		return nil
	}
	if v[0] == "" {
		*fields = append(*fields, zhengzhao.FieldError{Field: name, Message: "must not be empty"})
		return nil
	}
	return &v[0]
}

// int64Param reads a required non-negative integer query parameter.
func int64Param(r *nethttp.Request, name string, fields *[]zhengzhao.FieldError) int64 {
	v, ok := r.URL.Query()[name]
	if !ok || v[0] == "" {
		*fields = append(*fields, zhengzhao.FieldError{Field: name, Message: "required"})
		return 0
	}
	n, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil || n < 0 {
		*fields = append(*fields, zhengzhao.FieldError{Field: name, Message: "must be a non-negative integer"})
		return 0
	}
	return n
}
