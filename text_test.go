package zhengzhao_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

func personType() *zhengzhao.LicenseType {
	return &zhengzhao.LicenseType{Code: "11100000MB0143028R002", Name: "驾驶证", HolderKind: zhengzhao.HolderPerson,
		Level: zhengzhao.LevelNational, Fields: []zhengzhao.FieldSpec{
			{Key: "note", Label: "备注", Type: zhengzhao.FieldString},
			{Key: "first_issued", Label: "初次领证日期", Type: zhengzhao.FieldDate},
		}}
}

func personRequest() *zhengzhao.IssueRequest {
	return &zhengzhao.IssueRequest{Type: "11100000MB0143028R002", Number: "310000000000001",
		Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderPerson, IDType: zhengzhao.IDTypeResident, ID: "11010519491231002X", Name: "张三"},
		IssuedOn: "2024-01-02", ValidFrom: "2024-01-02", Fields: map[string]any{"note": "第一行\n第二行\t完"}}
}

// TestTextAndDateValidation: names with control or bidi-override
// characters, invalid UTF-8 or U+FFFD, face text with them, and dates in
// year 1, 2999 or before the holder's birth were signed; each is refused
// naming its field, and no message repeats the value.
func TestTextAndDateValidation(t *testing.T) {
	if err := personRequest().Validate(personType()); err != nil {
		t.Fatalf("a good request (line breaks in a text field) refused: %v", err)
	}
	for name, c := range map[string]struct {
		edit  func(r *zhengzhao.IssueRequest)
		field string
	}{
		"NUL in name":         {func(r *zhengzhao.IssueRequest) { r.Holder.Name = "张\x00三" }, "holder.name"},
		"newline in name":     {func(r *zhengzhao.IssueRequest) { r.Holder.Name = "张三\n李四" }, "holder.name"},
		"RLO in name":         {func(r *zhengzhao.IssueRequest) { r.Holder.Name = "张\u202e三" }, "holder.name"},
		"isolate in name":     {func(r *zhengzhao.IssueRequest) { r.Holder.Name = "\u2066张三\u2069" }, "holder.name"},
		"invalid UTF-8":       {func(r *zhengzhao.IssueRequest) { r.Holder.Name = "张\xff三" }, "holder.name"},
		"U+FFFD in name":      {func(r *zhengzhao.IssueRequest) { r.Holder.Name = "张\ufffd三" }, "holder.name"},
		"tab in number":       {func(r *zhengzhao.IssueRequest) { r.Number = "3100\t01" }, "number"},
		"RLO in text field":   {func(r *zhengzhao.IssueRequest) { r.Fields["note"] = "a\u202eb" }, "fields.note"},
		"NUL in text field":   {func(r *zhengzhao.IssueRequest) { r.Fields["note"] = "a\x00b" }, "fields.note"},
		"year 1":              {func(r *zhengzhao.IssueRequest) { r.IssuedOn, r.ValidFrom = "0001-01-01", "0001-01-01" }, "issued_on valid_from"},
		"year 2999 until":     {func(r *zhengzhao.IssueRequest) { u := "2999-12-31"; r.ValidUntil = &u }, "valid_until"},
		"year 2999 face date": {func(r *zhengzhao.IssueRequest) { r.Fields["first_issued"] = "2999-01-01" }, "fields.first_issued"},
		"issued before birth": {func(r *zhengzhao.IssueRequest) { r.IssuedOn = "1949-12-30" }, "issued_on"},
		"valid from 1899":     {func(r *zhengzhao.IssueRequest) { r.ValidFrom = "1899-12-31" }, "valid_from"},
	} {
		t.Run(name, func(t *testing.T) {
			r := personRequest()
			c.edit(r)
			err := r.Validate(personType())
			if got := strings.Join(fieldsOf(err), " "); got != c.field {
				t.Fatalf("fields %q, want %q (%v)", got, c.field, err)
			}
			b, _ := json.Marshal(zhengzhao.ErrorFields(err))
			if strings.Contains(string(b), "张") || strings.Contains(err.Error(), "张") {
				t.Fatalf("the error repeats the value: %s", b)
			}
		})
	}
	// Born on 1949-12-31: issued that day is plausible.
	r := personRequest()
	r.IssuedOn = "1949-12-31"
	if err := r.Validate(personType()); err != nil {
		t.Fatalf("issued on the birth date: %v", err)
	}
}

// TestNamesOfOtherEntities: units, license types and matters share the
// name rule.
func TestNamesOfOtherEntities(t *testing.T) {
	u := &zhengzhao.Unit{Code: "91310000MA1FL8XQ30", Name: "上海\u202e局", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer}, Region: "310000"}
	if got := fieldsOf(u.Validate()); !strings.Contains(strings.Join(got, " "), "name") {
		t.Fatalf("unit name with RLO: fields %q", got)
	}
	lt := personType()
	lt.Name = "驾驶\x00证"
	if got := fieldsOf(lt.Validate()); !strings.Contains(strings.Join(got, " "), "name") {
		t.Fatalf("type name with NUL: fields %q", got)
	}
}

// TestProxyAndObjectionText: a proxy's name and an objection's reason and
// attachment names take the same rules.
func TestProxyAndObjectionText(t *testing.T) {
	p := &zhengzhao.ProxyAuthorization{
		Holder:   zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: "11010519491231002X"},
		Proxy:    zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: "310115194803010124"},
		Relation: zhengzhao.RelationFamily, ProxyName: "李\u202e强", Note: "a\x00b",
	}
	got := strings.Join(fieldsOf(p.Validate()), " ")
	if !strings.Contains(got, "proxy_name") || !strings.Contains(got, "note") {
		t.Fatalf("proxy fields %q", got)
	}
	o := &zhengzhao.ObjectionRequest{License: "x", Reason: "姓名错误\u202e", Fields: []string{"holder.name"},
		Attachments: []zhengzhao.Attachment{{Name: "scan\u202efdp.exe", MediaType: "application/pdf"}}}
	got = strings.Join(fieldsOf(o.Validate()), " ")
	if !strings.Contains(got, "reason") || !strings.Contains(got, "attachments[0].name") {
		t.Fatalf("objection fields %q", got)
	}
}
