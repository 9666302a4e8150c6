package sdjwt

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/zhengzhao-project/zhengzhao"
)

// TypeVC is the typ header of an SD-JWT VC (draft-ietf-oauth-sd-jwt-vc).
const TypeVC = "dc+sd-jwt"

// Always-visible claim names of a Zhengzhao SD-JWT VC besides iss, vct,
// iat, exp, cnf and status: the license ID, the catalog code of its type
// and its validity period (ISO dates as on the license face).
const (
	ClaimLicenseID   = "license_id"
	ClaimLicenseType = "license_type"
	ClaimValidFrom   = "valid_from"
	ClaimValidUntil  = "valid_until"
	// ClaimHolder holds the holder attributes (name, id_type, id), each
	// selectively disclosable.
	ClaimHolder = "holder"
)

// reservedVC are the claim names a face field may not take: the registered
// JWT and SD-JWT VC claims and this profile's always-visible ones.
var reservedVC = map[string]bool{
	"iss": true, "sub": true, "aud": true, "iat": true, "nbf": true, "exp": true, "jti": true,
	"cnf": true, "vct": true, "vct#integrity": true, "status": true,
	"_sd": true, "_sd_alg": true, "...": true,
	ClaimLicenseID: true, ClaimLicenseType: true, ClaimValidFrom: true, ClaimValidUntil: true, ClaimHolder: true,
}

var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// StatusRef points into an IETF Token Status List (the status claim's
// status_list member).
type StatusRef struct {
	Index int    `json:"idx"`
	URI   string `json:"uri"`
}

// Credential is the content of a Zhengzhao SD-JWT VC. Issuer, VCT,
// LicenseID, LicenseType, the validity period, cnf and status are always
// visible; every face field and every holder attribute is selectively
// disclosable.
type Credential struct {
	// Issuer (iss) is the issuing unit's issuer URL.
	Issuer string
	// VCT is the resolvable URL of the license type (its Type Metadata).
	VCT         string
	LicenseID   string
	LicenseType string
	// ValidFrom and ValidUntil are ISO dates (YYYY-MM-DD); ValidUntil is
	// empty for a license without end date.
	ValidFrom, ValidUntil string
	// IssuedAt (iat) and Expires (exp, optional) are the credential's own
	// times.
	IssuedAt, Expires time.Time
	// HolderKey is the wallet's public key for cnf, or nil for a
	// credential without key binding.
	HolderKey jwk.Key
	// Status points into the issuer's status list, or nil.
	Status *StatusRef
	// Fields are the face fields by catalog key.
	Fields map[string]any
	// Holder are the holder attributes (name, id_type, id).
	Holder map[string]any
}

// Claims returns the SD-JWT claims of c with the selectively disclosable
// ones marked, refusing a face field named like a reserved claim or a
// missing always-visible claim (the error names the field).
func (c *Credential) Claims() (map[string]any, error) {
	for name, ok := range map[string]bool{
		"iss": c.Issuer != "", "vct": c.VCT != "", ClaimLicenseID: c.LicenseID != "",
		ClaimLicenseType: c.LicenseType != "", ClaimValidFrom: dateRE.MatchString(c.ValidFrom),
		ClaimValidUntil: c.ValidUntil == "" || dateRE.MatchString(c.ValidUntil),
		"iat":           !c.IssuedAt.IsZero(),
	} {
		if !ok {
			return nil, fail(ErrProfile, "credential claim %s missing or malformed", name)
		}
	}
	m := map[string]any{
		"iss":            c.Issuer,
		"vct":            c.VCT,
		"iat":            c.IssuedAt.Unix(),
		ClaimLicenseID:   c.LicenseID,
		ClaimLicenseType: c.LicenseType,
		ClaimValidFrom:   c.ValidFrom,
	}
	if c.ValidUntil != "" {
		m[ClaimValidUntil] = c.ValidUntil
	}
	if !c.Expires.IsZero() {
		m["exp"] = c.Expires.Unix()
	}
	if c.HolderKey != nil {
		pub, err := c.HolderKey.PublicKey()
		if err != nil {
			return nil, fmt.Errorf("sdjwt credential: holder key: %w", err)
		}
		b, err := json.Marshal(pub)
		if err != nil {
			return nil, fmt.Errorf("sdjwt credential: holder key: %w", err)
		}
		var jm map[string]any
		if err := json.Unmarshal(b, &jm); err != nil {
			return nil, fmt.Errorf("sdjwt credential: holder key: %w", err)
		}
		m["cnf"] = map[string]any{"jwk": jm}
	}
	if c.Status != nil {
		m["status"] = map[string]any{"status_list": map[string]any{"idx": c.Status.Index, "uri": c.Status.URI}}
	}
	for k, v := range c.Fields {
		if reservedVC[k] {
			return nil, fail(ErrProfile, "face field %q is a reserved claim name", k)
		}
		m[k] = SD(v)
	}
	if len(c.Holder) > 0 {
		h := make(map[string]any, len(c.Holder))
		for k, v := range c.Holder {
			if k == "_sd" || k == "..." {
				return nil, fail(ErrProfile, "holder attribute %q is reserved", k)
			}
			h[k] = SD(v)
		}
		m[ClaimHolder] = h
	}
	return m, nil
}

// IssueCredential signs c as an SD-JWT VC (typ dc+sd-jwt).
func IssueCredential(is *Issuer, c *Credential) (*SDJWT, error) {
	claims, err := c.Claims()
	if err != nil {
		return nil, err
	}
	vc := *is
	vc.Header = map[string]any{"typ": TypeVC}
	for k, v := range is.Header {
		if k != "typ" {
			vc.Header[k] = v
		}
	}
	return vc.Issue(claims)
}

// VerifiedCredential is a verified SD-JWT VC: the always-visible claims
// and the disclosed face fields and holder attributes.
type VerifiedCredential struct {
	Credential
	// Result is the underlying SD-JWT verification (header, all claims,
	// disclosed paths, key binding).
	Result *Result
}

// VerifyCredential verifies an SD-JWT VC presentation: everything Verify
// checks, plus typ dc+sd-jwt, iss and vct, and that the license ID, type,
// issuer and validity period are signed in the clear (a credential that
// hides them behind disclosures is refused).
func VerifyCredential(ctx context.Context, s string, opts VerifyOptions) (*VerifiedCredential, error) {
	opts.Typ = TypeVC
	r, signed, err := verify(ctx, s, opts)
	if err != nil {
		return nil, err
	}
	v := &VerifiedCredential{Result: r}
	str := func(name string, required bool) (string, error) {
		x, ok := signed[name].(string)
		if (required && x == "") || (!ok && signed[name] != nil) {
			return "", fail(ErrProfile, "claim %s must be a string signed in the clear", name)
		}
		return x, nil
	}
	for _, f := range []struct {
		name     string
		dst      *string
		required bool
	}{
		{"iss", &v.Issuer, true}, {"vct", &v.VCT, true},
		{ClaimLicenseID, &v.LicenseID, true}, {ClaimLicenseType, &v.LicenseType, true},
		{ClaimValidFrom, &v.ValidFrom, true}, {ClaimValidUntil, &v.ValidUntil, false},
	} {
		if *f.dst, err = str(f.name, f.required); err != nil {
			return nil, err
		}
	}
	if t, ok, _ := numericDate(signed, "iat"); ok {
		v.IssuedAt = t
	}
	if t, ok, _ := numericDate(signed, "exp"); ok {
		v.Expires = t
	}
	if _, ok := signed["cnf"]; ok {
		if v.HolderKey, err = holderKey(signed); err != nil {
			return nil, err
		}
	}
	if st, ok := signed["status"].(map[string]any); ok {
		ref, err := statusRef(st)
		if err != nil {
			return nil, err
		}
		v.Status = ref
	}
	v.Fields = map[string]any{}
	for k, x := range r.Claims {
		if !reservedVC[k] {
			v.Fields[k] = x
		}
	}
	if h, ok := r.Claims[ClaimHolder].(map[string]any); ok {
		v.Holder = h
	}
	return v, nil
}

func statusRef(st map[string]any) (*StatusRef, error) {
	sl, ok := st["status_list"].(map[string]any)
	if !ok {
		return nil, nil // another status mechanism: not ours to read
	}
	uri, _ := sl["uri"].(string)
	n, _ := sl["idx"].(json.Number)
	idx, err := n.Int64()
	if uri == "" || err != nil || idx < 0 || idx > 1<<40 {
		return nil, fail(ErrProfile, "status claim: status_list needs a non-negative idx and a uri")
	}
	return &StatusRef{Index: int(idx), URI: uri}, nil
}

// CredentialFromLicense maps a license to the content of its SD-JWT VC as
// issue 16's interface fixes it: each face field under its catalog key,
// the holder's name, id_type and id under holder, the license ID, type
// code and validity period always visible. issuerURL (iss) and vct are the
// URLs the library publishes for the issuing unit and the license type.
// The caller adds IssuedAt, Expires, HolderKey and Status; whether a
// revoked or superseded license may be exported is the caller's rule.
func CredentialFromLicense(l *zhengzhao.License, issuerURL, vct string) *Credential {
	c := &Credential{
		Issuer: issuerURL, VCT: vct,
		LicenseID: l.ID, LicenseType: l.Type, ValidFrom: l.ValidFrom,
		Fields: make(map[string]any, len(l.Fields)),
		Holder: map[string]any{},
	}
	if l.ValidUntil != nil {
		c.ValidUntil = *l.ValidUntil
	}
	for k, v := range l.Fields {
		c.Fields[k] = v
	}
	for k, v := range map[string]string{"name": l.Holder.Name, "id_type": l.Holder.IDType, "id": l.Holder.ID} {
		if v != "" {
			c.Holder[k] = v
		}
	}
	return c
}
