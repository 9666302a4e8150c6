package sdjwt

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/zhengzhao-project/zhengzhao"
)

func testCredential(k keys) *Credential {
	return &Credential{
		Issuer:      "https://zz.example/issuers/310000-scjgj",
		VCT:         "https://zz.example/types/business-license",
		LicenseID:   "ZZ-310000-2026-000042",
		LicenseType: "business-license",
		ValidFrom:   "2026-01-01",
		ValidUntil:  "2036-12-31",
		IssuedAt:    now,
		Expires:     now.Add(365 * 24 * time.Hour),
		HolderKey:   k.holderJWK,
		Status:      &StatusRef{Index: 4711, URI: "https://zz.example/status/1"},
		Fields: map[string]any{
			"name": "上海示例科技有限公司", "credit_code": "91310000MA1FL0000X", "capital": "100万元人民币",
			"address": "上海市浦东新区世纪大道100号", "legal_rep": "张三", "scope": "软件开发",
			"type": "有限责任公司", "established": "2020-05-01", "registrar": "上海市市场监督管理局", "term": "长期",
		},
		Holder: map[string]any{"name": "上海示例科技有限公司", "id_type": "001", "id": "91310000MA1FL0000X"},
	}
}

// TestCredentialRoundTrip issues a license as an SD-JWT VC with ten face
// fields, presents two of them and one holder attribute with key binding,
// and checks what the verifier sees: every always-visible claim, only the
// chosen disclosures.
func TestCredentialRoundTrip(t *testing.T) {
	k := newKeys(t)
	c := testCredential(k)
	tok, err := IssueCredential(&Issuer{Alg: jwa.ES256(), Key: k.issuer, Header: map[string]any{"kid": "unit-1", "typ": "ignored"}}, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok.Disclosures) != 13 {
		t.Errorf("%d disclosures, want 10 face fields + 3 holder attributes", len(tok.Disclosures))
	}
	header, signed, err := splitJWT(tok.JWT, "jwt")
	if err != nil {
		t.Fatal(err)
	}
	if header["typ"] != TypeVC || header["kid"] != "unit-1" {
		t.Errorf("header %v", header)
	}
	for _, name := range []string{"iss", "vct", "iat", "exp", "cnf", "status", ClaimLicenseID, ClaimLicenseType, ClaimValidFrom, ClaimValidUntil} {
		if _, ok := signed[name]; !ok {
			t.Errorf("always-visible claim %s not signed in the clear", name)
		}
	}
	for name := range c.Fields {
		if _, ok := signed[name]; ok {
			t.Errorf("face field %s signed in the clear", name)
		}
	}
	pres, err := tok.Present("name", "credit_code", "holder.name")
	if err != nil {
		t.Fatal(err)
	}
	bound, err := pres.Bind(Binding{Alg: jwa.ES256(), Key: k.holder, Audience: "https://bank.example", Nonce: "abc", IssuedAt: now})
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyCredential(context.Background(), bound.String(), VerifyOptions{
		Key: k.issuerKey, Now: func() time.Time { return now }, KeyBinding: true, Nonce: "abc", Audience: "https://bank.example"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Issuer != c.Issuer || v.VCT != c.VCT || v.LicenseID != c.LicenseID || v.LicenseType != c.LicenseType || v.ValidFrom != c.ValidFrom || v.ValidUntil != c.ValidUntil {
		t.Errorf("always-visible claims: got %+v", v.Credential)
	}
	if !v.IssuedAt.Equal(now) || !v.Expires.Equal(c.Expires) {
		t.Errorf("times %v %v", v.IssuedAt, v.Expires)
	}
	if diff := cmp.Diff(c.Status, v.Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if v.HolderKey == nil {
		t.Error("no holder key")
	}
	if diff := cmp.Diff(map[string]any{"name": c.Fields["name"], "credit_code": c.Fields["credit_code"]}, v.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]any{"name": c.Holder["name"]}, v.Holder); diff != "" {
		t.Errorf("holder (-want +got):\n%s", diff)
	}
	sort.Strings(v.Result.Disclosed)
	if diff := cmp.Diff([]string{"credit_code", "holder.name", "name"}, v.Result.Disclosed); diff != "" {
		t.Errorf("disclosed (-want +got):\n%s", diff)
	}
}

// TestCredentialRefused: the profile refuses face fields named like
// reserved claims, missing always-visible claims, and a token that hides an
// always-visible claim behind a disclosure or lacks the VC typ.
func TestCredentialRefused(t *testing.T) {
	k := newKeys(t)
	for name, mutate := range map[string]func(c *Credential){
		"field named vct":      func(c *Credential) { c.Fields["vct"] = "x" },
		"field named holder":   func(c *Credential) { c.Fields["holder"] = "x" },
		"field named status":   func(c *Credential) { c.Fields["status"] = "x" },
		"no license id":        func(c *Credential) { c.LicenseID = "" },
		"bad valid_from":       func(c *Credential) { c.ValidFrom = "1.1.2026" },
		"no issuer":            func(c *Credential) { c.Issuer = "" },
		"holder attribute _sd": func(c *Credential) { c.Holder["_sd"] = "x" },
	} {
		c := testCredential(k)
		mutate(c)
		if _, err := IssueCredential(&Issuer{Alg: jwa.ES256(), Key: k.issuer}, c); !errors.Is(err, ErrProfile) {
			t.Errorf("%s: got %v, want ErrProfile", name, err)
		}
	}
	opts := VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now }}
	claims, err := testCredential(k).Claims()
	if err != nil {
		t.Fatal(err)
	}
	claims[ClaimLicenseID] = SD("ZZ-1") // hidden: a verifier could not see which license it is
	hidden, err := (&Issuer{Alg: jwa.ES256(), Key: k.issuer, Header: map[string]any{"typ": TypeVC}}).Issue(claims)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCredential(context.Background(), hidden.String(), opts); !errors.Is(err, ErrProfile) {
		t.Errorf("hidden license_id: got %v, want ErrProfile", err)
	}
	plain, err := (&Issuer{Alg: jwa.ES256(), Key: k.issuer}).Issue(map[string]any{"iss": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyCredential(context.Background(), plain.String(), opts); !errors.Is(err, ErrProfile) {
		t.Errorf("no typ: got %v, want ErrProfile", err)
	}
}

// TestCredentialFromLicense: a license's face fields, holder and validity
// land where issue 16's interface puts them, and the result issues and
// verifies.
func TestCredentialFromLicense(t *testing.T) {
	until := "2036-12-31"
	l := &zhengzhao.License{
		ID: "1.2.156.3005.2.11100000000013338W001.11310000MB2F12345C.SH0000001.001.K", Type: "11100000000013338W001",
		Holder:    zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: zhengzhao.IDTypeUSCC, ID: "91310000MA1FL0000X", Name: "上海示例科技有限公司"},
		ValidFrom: "2026-01-01", ValidUntil: &until,
		Fields: map[string]any{"name": "上海示例科技有限公司", "capital": json.Number("1000000")},
	}
	c := CredentialFromLicense(l, "https://zz.example/issuers/11310000MB2F12345C", "https://zz.example/types/11100000000013338W001")
	want := &Credential{
		Issuer: "https://zz.example/issuers/11310000MB2F12345C", VCT: "https://zz.example/types/11100000000013338W001",
		LicenseID: l.ID, LicenseType: l.Type, ValidFrom: "2026-01-01", ValidUntil: "2036-12-31",
		Fields: map[string]any{"name": "上海示例科技有限公司", "capital": json.Number("1000000")},
		Holder: map[string]any{"name": "上海示例科技有限公司", "id_type": "001", "id": "91310000MA1FL0000X"},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("credential (-want +got):\n%s", diff)
	}
	k := newKeys(t)
	c.IssuedAt = now
	tok, err := IssueCredential(&Issuer{Alg: jwa.ES256(), Key: k.issuer}, c)
	if err != nil {
		t.Fatal(err)
	}
	v, err := VerifyCredential(context.Background(), tok.String(), VerifyOptions{Key: k.issuerKey, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.Fields, v.Fields); diff != "" {
		t.Errorf("fields after verification (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(c.Holder, v.Holder); diff != "" {
		t.Errorf("holder after verification (-want +got):\n%s", diff)
	}
}

func TestTypeMetadataOf(t *testing.T) {
	lt := &zhengzhao.LicenseType{Code: "11100000000013338W001", Name: "营业执照", Fields: []zhengzhao.FieldSpec{
		{Key: "name", Label: "名称", Required: true}, {Key: "capital", Label: "注册资本"},
	}}
	m := TypeMetadataOf(lt, "https://zz.example/types/11100000000013338W001", English{Name: "Business licence", Fields: map[string]string{"name": "Name"}})
	if m.VCT != "https://zz.example/types/11100000000013338W001" || len(m.Display) != 2 || m.Display[1].Name != "Business licence" {
		t.Errorf("type display %+v", m.Display)
	}
	byPath := map[string]ClaimMetadata{}
	for _, c := range m.Claims {
		byPath[joinPath(func() []any {
			var p []any
			for _, s := range c.Path {
				p = append(p, s)
			}
			return p
		}())] = c
	}
	for path, want := range map[string]string{"license_id": "never", "valid_until": "never", "name": "always", "capital": "always", "holder.id": "always"} {
		if byPath[path].SD != want {
			t.Errorf("%s: sd %q, want %q", path, byPath[path].SD, want)
		}
	}
	if !byPath["name"].Mandatory || byPath["capital"].Mandatory {
		t.Error("mandatory does not follow the template's required")
	}
	if len(byPath["capital"].Display) != 1 || len(byPath["name"].Display) != 2 {
		t.Error("English label only where given")
	}
}
