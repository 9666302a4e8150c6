package zhengzhao

import (
	"encoding/json"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HolderKind is the kind of holder a license type is issued to.
type HolderKind string

// Holder kinds.
const (
	HolderPerson       HolderKind = "person"       // natural person (自然人)
	HolderOrganization HolderKind = "organization" // legal person or other organisation (法人和非法人组织)
)

// Holder ID types (national e-license conventions).
const (
	IDTypeResident = "111" // resident identity card number (居民身份证), GB 11643
	IDTypeUSCC     = "001" // unified social credit code (统一社会信用代码), GB 32100
)

// Standard levels of a license type (标准级别).
const (
	LevelNational  = "national"
	LevelMunicipal = "municipal"
	LevelDistrict  = "district"
)

// Face-field types of a template.
const (
	FieldString = "string"
	FieldDate   = "date"
	FieldNumber = "number"
	FieldEnum   = "enum"
)

// LicenseType is one entry of the catalog (发证目录, Measures art. 7): what a
// license of this type is, who holds it, and its template of face fields
// (照面信息). Its code is the defining authority's unified social credit
// code followed by three digits.
type LicenseType struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Definer is the unified social credit code of the authority that
	// defines the type: the first 18 characters of Code.
	Definer      string      `json:"definer"`
	HolderKind   HolderKind  `json:"holder_kind"`
	Level        string      `json:"level"`
	Public       bool        `json:"public"`
	CollectSince string      `json:"collect_since"`
	Fields       []FieldSpec `json:"fields"`
	// Issuers lists the units that may issue licenses of this type. A type
	// defined by an issuing unit always lists that unit. An empty list means
	// any unit with the issuer role may issue it.
	Issuers []string `json:"issuers"`
	// Owner is the unit that created the entry, or "" for the administrator.
	Owner     string    `json:"owner,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// FieldSpec is one face field of a template.
type FieldSpec struct {
	Key      string   `json:"key"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Required bool     `json:"required"`
	Values   []string `json:"values,omitempty"`
}

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate checks a catalog entry as submitted and derives Definer.
func (t *LicenseType) Validate() error {
	fe := newFieldErrors()
	if len(t.Code) != 21 {
		fe.add("code", "must be 21 characters: the defining authority's unified social credit code and 3 digits")
	} else if err := ValidateUSCC(t.Code[:18]); err != nil {
		fe.add("code", "first 18 characters: %s", ErrorMessage(err))
	} else if !isDigits(t.Code[18:]) {
		fe.add("code", "last 3 characters must be digits")
	} else {
		t.Definer = t.Code[:18]
	}
	if strings.TrimSpace(t.Name) == "" {
		fe.add("name", "required")
	} else if msg := CheckName(t.Name); msg != "" {
		fe.add("name", "%s", msg)
	}
	switch t.HolderKind {
	case HolderPerson, HolderOrganization:
	default:
		fe.add("holder_kind", "must be person or organization")
	}
	switch t.Level {
	case LevelNational, LevelMunicipal, LevelDistrict:
	default:
		fe.add("level", "must be national, municipal or district")
	}
	if _, err := ParseDate(t.CollectSince); err != nil {
		fe.add("collect_since", "must be a date YYYY-MM-DD")
	}
	seen := map[string]bool{}
	for i, f := range t.Fields {
		ff := fe.at("fields[" + itoa(i) + "]")
		if !fieldKeyRE.MatchString(f.Key) {
			ff.add("key", "must match [a-z][a-z0-9_]* (at most 64 characters)")
		} else if seen[f.Key] {
			ff.add("key", "duplicate key %q", f.Key)
		}
		seen[f.Key] = true
		if strings.TrimSpace(f.Label) == "" {
			ff.add("label", "required")
		}
		switch f.Type {
		case FieldString, FieldDate, FieldNumber:
			if len(f.Values) > 0 {
				ff.add("values", "only enum fields have values")
			}
		case FieldEnum:
			if len(f.Values) == 0 {
				ff.add("values", "an enum field needs at least one value")
			}
		default:
			ff.add("type", "must be string, date, number or enum")
		}
	}
	for i, code := range t.Issuers {
		fe.addErr("issuers["+itoa(i)+"]", ValidateUSCC(code))
	}
	return Invalid("invalid license type", fe.errors())
}

// Field returns the template's field with the given key.
func (t *LicenseType) Field(key string) (FieldSpec, bool) {
	i := slices.IndexFunc(t.Fields, func(f FieldSpec) bool { return f.Key == key })
	if i < 0 {
		return FieldSpec{}, false
	}
	return t.Fields[i], true
}

// MayIssue reports whether the unit with the given code may issue licenses
// of this type.
func (t *LicenseType) MayIssue(unit string) bool {
	return len(t.Issuers) == 0 || slices.Contains(t.Issuers, unit)
}

// ValidateFields checks face-field values against the template: every
// required field present, no unknown field, each value of its type, enum
// values among the template's values. Errors are reported under "fields".
func (t *LicenseType) ValidateFields(fields map[string]any) []FieldError {
	fe := newFieldErrors().at("fields")
	t.validateFields(fe, fields)
	return fe.errors()
}

func (t *LicenseType) validateFields(fe fieldErrors, fields map[string]any) {
	for _, f := range t.Fields {
		v, ok := fields[f.Key]
		if !ok || v == nil {
			if f.Required {
				fe.add(f.Key, "required (%s)", f.Label)
			}
			continue
		}
		switch f.Type {
		case FieldString:
			s, ok := v.(string)
			if !ok {
				fe.add(f.Key, "must be a string")
			} else if f.Required && strings.TrimSpace(s) == "" {
				fe.add(f.Key, "required (%s)", f.Label)
			} else if msg := CheckText(s); msg != "" {
				fe.add(f.Key, "%s", msg)
			}
		case FieldDate:
			s, ok := v.(string)
			if !ok {
				fe.add(f.Key, "must be a date YYYY-MM-DD")
			} else if msg := CheckDate(s); msg != "" {
				fe.add(f.Key, "%s", msg)
			}
		case FieldNumber:
			var x float64
			switch n := v.(type) {
			case json.Number:
				var err error
				if x, err = n.Float64(); err != nil {
					fe.add(f.Key, "must be a number")
					continue
				}
				// The signature covers the RFC 8785 form, which writes
				// the nearest IEEE double: refuse a value it would change
				// (9007199254740993 would be signed as ...992), so the
				// stored text and the signed value never differ.
				if signed, exact := exactDouble(string(n), x); !exact {
					fe.add(f.Key, "%s is not exactly an IEEE 754 double; the signed canonical form (RFC 8785) would read %s: send at most 15 significant digits, or use a string field", n, signed)
					continue
				}
			case float64:
				x = n
			case int:
				x = float64(n)
			case int64:
				x = float64(n)
			default:
				fe.add(f.Key, "must be a number")
				continue
			}
			// RFC 8785 canonical JSON reads numbers as IEEE doubles, so
			// digits beyond 2^53 would not be covered by the signature.
			if math.Abs(x) > maxExactNumber {
				fe.add(f.Key, "must be at most 2^53 in magnitude; use a string field for larger numbers")
			}
		case FieldEnum:
			s, ok := v.(string)
			if !ok || !slices.Contains(f.Values, s) {
				fe.add(f.Key, "must be one of %s", strings.Join(f.Values, ", "))
			}
		}
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, ok := t.Field(k); !ok {
			fe.add(k, "not a field of license type %s", t.Code)
		}
	}
}

// maxExactNumber is the largest magnitude up to which every integer is
// exactly representable as an IEEE double (2^53).
const maxExactNumber = 1 << 53

// LicenseTypeFilter selects catalog entries.
type LicenseTypeFilter struct {
	Code *string
	// PublicOnly limits the list to types marked public.
	PublicOnly bool
	// Issuer limits the list to types the unit may issue.
	Issuer *string
	Page
}

// DateLayout is the layout of dates in the API.
const DateLayout = "2006-01-02"

// ParseDate parses a date YYYY-MM-DD, rejecting impossible dates.
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, Errorf(EINVALID, "must be a date YYYY-MM-DD")
	}
	return t, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }

// exactDouble reports whether the decimal text has the same value as the
// IEEE double x parsed from it, written the way RFC 8785 writes it (the
// shortest form that reads back as x), which it returns. 12.50 and 0.1 are
// exact in this sense (they read back as 12.5 and 0.1); 9007199254740993 and
// 0.30000000000000000001 are not.
func exactDouble(text string, x float64) (string, bool) {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return "no number", false
	}
	signed := strconv.FormatFloat(x, 'g', -1, 64)
	if x == math.Trunc(x) && math.Abs(x) < 1e21 {
		signed = strconv.FormatFloat(x, 'f', -1, 64) // as RFC 8785 writes integers
	}
	a, okA := new(big.Rat).SetString(text)
	b, okB := new(big.Rat).SetString(signed)
	return signed, okA && okB && a.Cmp(b) == 0
}
