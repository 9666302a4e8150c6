package zhengzhao_test

import (
	"encoding/json"
	"go/build"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

func testType() *zhengzhao.LicenseType {
	return &zhengzhao.LicenseType{
		Code: "11100000MB0143028R001", Name: "营业执照", HolderKind: zhengzhao.HolderOrganization,
		Level: zhengzhao.LevelNational, Public: true, CollectSince: "2014-03-01",
		Fields: []zhengzhao.FieldSpec{
			{Key: "legal_representative", Label: "法定代表人", Type: zhengzhao.FieldString, Required: true},
			{Key: "registered_capital", Label: "注册资本", Type: zhengzhao.FieldNumber, Required: true},
			{Key: "established_on", Label: "成立日期", Type: zhengzhao.FieldDate},
			{Key: "entity_type", Label: "类型", Type: zhengzhao.FieldEnum, Required: true, Values: []string{"有限责任公司", "股份有限公司"}},
		},
	}
}

func goodRequest() *zhengzhao.IssueRequest {
	until := "2030-12-31"
	return &zhengzhao.IssueRequest{
		Type: "11100000MB0143028R001", Number: "310000000000001",
		Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: "001", ID: "91350100M000100Y43", Name: "上海示例有限公司"},
		IssuedOn: "2024-01-02", ValidFrom: "2024-01-02", ValidUntil: &until,
		Fields: map[string]any{"legal_representative": "张三", "registered_capital": json.Number("100"), "entity_type": "有限责任公司"},
	}
}

// fieldsOf returns the sorted field paths of a validation error.
func fieldsOf(err error) []string {
	var out []string
	for _, f := range zhengzhao.ErrorFields(err) {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

func TestIssueRequestValidate(t *testing.T) {
	typ := testType()
	if err := typ.Validate(); err != nil {
		t.Fatalf("type: %v", err)
	}
	if typ.Definer != "11100000MB0143028R" {
		t.Fatalf("definer = %q", typ.Definer)
	}
	cases := []struct {
		name   string
		mutate func(r *zhengzhao.IssueRequest)
		want   []string
	}{
		{"ok", func(r *zhengzhao.IssueRequest) {}, nil},
		{"fail/holder check char", func(r *zhengzhao.IssueRequest) { r.Holder.ID = "91350100M000100Y44" }, []string{"holder.id"}},
		{"fail/person on org type", func(r *zhengzhao.IssueRequest) {
			r.Holder = zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: "11010519491231002X", Name: "李四"}
		}, []string{"holder.kind"}},
		{"fail/impossible birth date", func(r *zhengzhao.IssueRequest) {
			r.Holder = zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: "111", ID: "110105194902300021", Name: "李四"}
		}, []string{"holder.id", "holder.kind"}},
		{"fail/missing required field", func(r *zhengzhao.IssueRequest) { delete(r.Fields, "legal_representative") }, []string{"fields.legal_representative"}},
		{"fail/wrong-typed field", func(r *zhengzhao.IssueRequest) { r.Fields["registered_capital"] = "一百万" }, []string{"fields.registered_capital"}},
		{"fail/number beyond 2^53", func(r *zhengzhao.IssueRequest) { r.Fields["registered_capital"] = json.Number("12345678901234567890") }, []string{"fields.registered_capital"}},
		{"fail/number a double cannot hold", func(r *zhengzhao.IssueRequest) { r.Fields["registered_capital"] = json.Number("9007199254740993") }, []string{"fields.registered_capital"}},
		{"fail/too many digits", func(r *zhengzhao.IssueRequest) {
			r.Fields["registered_capital"] = json.Number("0.30000000000000000001")
		}, []string{"fields.registered_capital"}},
		{"fail/overflow", func(r *zhengzhao.IssueRequest) { r.Fields["registered_capital"] = json.Number("1e400") }, []string{"fields.registered_capital"}},
		{"ok/decimal that reads back", func(r *zhengzhao.IssueRequest) { r.Fields["registered_capital"] = json.Number("12.50") }, nil},
		{"ok/2^53", func(r *zhengzhao.IssueRequest) { r.Fields["registered_capital"] = json.Number("9007199254740992") }, nil},
		{"ok/exponent", func(r *zhengzhao.IssueRequest) { r.Fields["registered_capital"] = json.Number("1.5E3") }, nil},
		{"fail/enum outside template", func(r *zhengzhao.IssueRequest) { r.Fields["entity_type"] = "合作社" }, []string{"fields.entity_type"}},
		{"fail/unknown field", func(r *zhengzhao.IssueRequest) { r.Fields["colour"] = "red" }, []string{"fields.colour"}},
		{"fail/bad date field", func(r *zhengzhao.IssueRequest) { r.Fields["established_on"] = "2024-02-30" }, []string{"fields.established_on"}},
		{"fail/validity ends before start", func(r *zhengzhao.IssueRequest) { u := "2023-01-01"; r.ValidUntil = &u }, []string{"valid_until"}},
		{"fail/serial lower-case", func(r *zhengzhao.IssueRequest) { r.Serial = "abc" }, []string{"serial"}},
		{"fail/everything", func(r *zhengzhao.IssueRequest) {
			*r = zhengzhao.IssueRequest{Type: r.Type}
		}, []string{"fields.entity_type", "fields.legal_representative", "fields.registered_capital", "holder.kind", "holder.name", "issued_on", "number", "valid_from"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := goodRequest()
			c.mutate(r)
			err := r.Validate(typ)
			if got := fieldsOf(err); !slices.Equal(got, c.want) {
				t.Fatalf("fields = %v, want %v (err %v)", got, c.want, err)
			}
			if err != nil && zhengzhao.ErrorCode(err) != zhengzhao.EINVALID {
				t.Fatalf("code = %s", zhengzhao.ErrorCode(err))
			}
		})
	}
	t.Run("fail/unknown type", func(t *testing.T) {
		if got := fieldsOf(goodRequest().Validate(nil)); !slices.Contains(got, "type") {
			t.Fatalf("fields = %v, want type", got)
		}
	})
}

func TestLicenseTypeValidate(t *testing.T) {
	typ := testType()
	typ.Code = "11100000MB0143028X001"
	typ.Level = "city"
	typ.Fields = append(typ.Fields, zhengzhao.FieldSpec{Key: "Bad Key", Label: "x", Type: "bool"}, zhengzhao.FieldSpec{Key: "legal_representative", Label: "dup", Type: "string"})
	want := []string{"code", "fields[4].key", "fields[4].type", "fields[5].key", "level"}
	if got := fieldsOf(typ.Validate()); !slices.Equal(got, want) {
		t.Fatalf("fields = %v, want %v", got, want)
	}
}

func TestUnitValidate(t *testing.T) {
	u := &zhengzhao.Unit{Code: "91350100M000100Y43", Name: "x", Roles: []zhengzhao.Role{"issuer"}, Region: "310000"}
	if err := u.Validate(); err != nil {
		t.Fatal(err)
	}
	if u.SigningAlg != zhengzhao.AlgSM2SM3 {
		t.Fatalf("default alg = %q, want SM2-SM3", u.SigningAlg)
	}
	bad := &zhengzhao.Unit{Code: "X", Roles: []zhengzhao.Role{"king"}, Region: "31", SigningAlg: "RSA"}
	want := []string{"code", "name", "region", "roles[0]", "signing_alg"}
	if got := fieldsOf(bad.Validate()); !slices.Equal(got, want) {
		t.Fatalf("fields = %v, want %v", got, want)
	}
}

func TestLicenseStatusAt(t *testing.T) {
	until := "2025-06-30"
	l := &zhengzhao.License{Status: zhengzhao.StatusValid, ValidFrom: "2024-01-01", ValidUntil: &until}
	cst := time.FixedZone("CST", 8*3600)
	cases := []struct {
		at   time.Time
		want string
		in   bool
	}{
		{time.Date(2025, 6, 30, 23, 59, 0, 0, cst), zhengzhao.StatusValid, true},
		// 2025-06-30 16:30 UTC is already 1 July in Beijing.
		{time.Date(2025, 6, 30, 16, 30, 0, 0, time.UTC), zhengzhao.StatusExpired, false},
		{time.Date(2023, 12, 31, 12, 0, 0, 0, cst), zhengzhao.StatusValid, false},
	}
	for _, c := range cases {
		if got := l.StatusAt(c.at); got != c.want {
			t.Errorf("StatusAt(%v) = %s, want %s", c.at, got, c.want)
		}
		if got := l.InValidityPeriod(c.at); got != c.in {
			t.Errorf("InValidityPeriod(%v) = %v, want %v", c.at, got, c.in)
		}
	}
	l.Status = zhengzhao.StatusRevoked
	if got := l.StatusAt(time.Date(2024, 5, 1, 0, 0, 0, 0, cst)); got != zhengzhao.StatusRevoked {
		t.Errorf("revoked license status = %s", got)
	}
}

func TestLicenseKeepsNumbersExact(t *testing.T) {
	in := `{"id":"x","fields":{"capital":12345678901234567890,"ratio":0.1}}`
	var l zhengzhao.License
	if err := json.Unmarshal([]byte(in), &l); err != nil {
		t.Fatal(err)
	}
	if got := l.Fields["capital"]; got != json.Number("12345678901234567890") {
		t.Fatalf("capital = %#v", got)
	}
	out, _ := json.Marshal(l.Fields)
	if !strings.Contains(string(out), "12345678901234567890") {
		t.Fatalf("re-encoded %s", out)
	}
}

func TestErrorMessage(t *testing.T) {
	if got := zhengzhao.ErrorMessage(json.Unmarshal([]byte("{"), new(any))); got != "internal error" {
		t.Fatalf("non-domain error message = %q", got)
	}
	if got := zhengzhao.ErrorCode(zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no")); got != zhengzhao.ENOTFOUND {
		t.Fatalf("code = %q", got)
	}
}

// TestRootImportsOnlyStandardLibrary guards the architecture: the domain
// depends on nothing but the standard library.
func TestRootImportsOnlyStandardLibrary(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		first := strings.SplitN(imp, "/", 2)[0]
		if strings.Contains(first, ".") {
			t.Errorf("root package imports %s; the domain may import only the standard library", imp)
		}
	}
}
