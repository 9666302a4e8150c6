package sdjwt

import (
	"github.com/zhengzhao-project/zhengzhao"
)

// TypeMetadata is the SD-JWT VC Type Metadata document that a vct URL
// serves (draft-ietf-oauth-sd-jwt-vc, "Type Metadata"): display names of
// the type and of each claim, and whether a claim is selectively
// disclosable.
type TypeMetadata struct {
	VCT         string          `json:"vct"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Display     []TypeDisplay   `json:"display,omitempty"`
	Claims      []ClaimMetadata `json:"claims,omitempty"`
}

// TypeDisplay is the type's name in one locale (BCP 47, e.g. zh-CN).
type TypeDisplay struct {
	Locale      string `json:"locale"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// ClaimMetadata describes one claim by its path.
type ClaimMetadata struct {
	Path    []string       `json:"path"`
	Display []ClaimDisplay `json:"display,omitempty"`
	// SD is "always" (selectively disclosable), "never" (always visible)
	// or "allowed".
	SD string `json:"sd,omitempty"`
	// Mandatory: the issuer always includes the claim.
	Mandatory bool `json:"mandatory,omitempty"`
}

// ClaimDisplay is a claim's label in one locale.
type ClaimDisplay struct {
	Locale      string `json:"locale"`
	Label       string `json:"label"`
	Description string `json:"description,omitempty"`
}

// English holds the English names that the catalog (Chinese labels only)
// does not have: the type's name and face-field labels by key. A missing
// name leaves that entry Chinese only.
type English struct {
	Name   string
	Fields map[string]string
}

func labels(zh, en string) []ClaimDisplay {
	d := []ClaimDisplay{{Locale: "zh-CN", Label: zh}}
	if en != "" {
		d = append(d, ClaimDisplay{Locale: "en-US", Label: en})
	}
	return d
}

// TypeMetadataOf describes a license type as CredentialFromLicense exports
// it: the always-visible claims (license ID, type, validity) with sd
// "never", every face field of the template with sd "always" and
// mandatory when the template requires it, and the holder attributes
// with sd "always".
func TypeMetadataOf(t *zhengzhao.LicenseType, vct string, en English) *TypeMetadata {
	m := &TypeMetadata{VCT: vct, Name: t.Name, Display: []TypeDisplay{{Locale: "zh-CN", Name: t.Name}}}
	if en.Name != "" {
		m.Display = append(m.Display, TypeDisplay{Locale: "en-US", Name: en.Name})
	}
	for _, c := range []struct{ key, zh, en string }{
		{ClaimLicenseID, "证照标识", "License ID"},
		{ClaimLicenseType, "证照类型", "License type"},
		{ClaimValidFrom, "有效期起始日期", "Valid from"},
		{ClaimValidUntil, "有效期截止日期", "Valid until"},
	} {
		m.Claims = append(m.Claims, ClaimMetadata{Path: []string{c.key}, Display: labels(c.zh, c.en), SD: "never", Mandatory: c.key != ClaimValidUntil})
	}
	for _, f := range t.Fields {
		m.Claims = append(m.Claims, ClaimMetadata{Path: []string{f.Key}, Display: labels(f.Label, en.Fields[f.Key]), SD: "always", Mandatory: f.Required})
	}
	for _, c := range []struct{ key, zh, en string }{
		{"name", "持证主体名称", "Holder name"},
		{"id_type", "持证主体证件类型", "Holder ID type"},
		{"id", "持证主体证件号码", "Holder ID number"},
	} {
		m.Claims = append(m.Claims, ClaimMetadata{Path: []string{ClaimHolder, c.key}, Display: labels(c.zh, c.en), SD: "always", Mandatory: true})
	}
	return m
}
