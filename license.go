package zhengzhao

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// License status values. Expired is derived from the validity dates; the
// others are stored.
const (
	StatusValid      = "valid"      // current and in force
	StatusSuperseded = "superseded" // replaced by a newer version (see SupersededBy)
	StatusRevoked    = "revoked"    // cancelled by its issuer (注销)
	StatusExpired    = "expired"    // valid, but past its valid_until date
	StatusUnknown    = "unknown"    // not known to this library (verify only)
)

// LifecycleFields are the members of a license document that change over
// its life. They, and "proof", are left out of what the issuer signs; a
// verifier checks them online.
var LifecycleFields = []string{"status", "superseded_by", "revoked_at", "revocation_reason"}

// UnsignedFields are the members of a license document outside the signature.
var UnsignedFields = append([]string{"proof"}, LifecycleFields...)

// Party names a unit in a license document.
type Party struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Holder is the holder (持证主体) of a license.
type Holder struct {
	Kind   HolderKind `json:"kind"`
	IDType string     `json:"id_type"`
	ID     string     `json:"id"`
	Name   string     `json:"name"`
}

// Validate checks the holder against the kind the license type requires.
func (h Holder) validate(fe fieldErrors, want HolderKind) {
	switch h.Kind {
	case HolderPerson:
		if h.IDType != IDTypeResident {
			fe.add("id_type", "a person's id type must be %s (resident identity card)", IDTypeResident)
		} else {
			fe.addErr("id", ValidateResidentID(h.ID))
		}
	case HolderOrganization:
		if h.IDType != IDTypeUSCC {
			fe.add("id_type", "an organization's id type must be %s (unified social credit code)", IDTypeUSCC)
		} else {
			fe.addErr("id", ValidateUSCC(h.ID))
		}
	default:
		fe.add("kind", "must be person or organization")
	}
	if want != "" && h.Kind != "" && h.Kind != want {
		fe.add("kind", "this license type is held by a %s", want)
	}
	if strings.TrimSpace(h.Name) == "" {
		fe.add("name", "required")
	} else if len([]rune(h.Name)) > 200 {
		fe.add("name", "at most 200 characters")
	} else if msg := CheckName(h.Name); msg != "" {
		fe.add("name", "%s", msg)
	}
}

// Proof is the issuer's signature over the canonical JSON (RFC 8785) of the
// document without the UnsignedFields.
type Proof struct {
	Alg string `json:"alg"`
	KID string `json:"kid"`
	// Cert is the issuer's signing certificate, base64 DER.
	Cert string `json:"cert,omitempty"`
	// Value is the signature, base64url without padding. SM2 signatures are
	// ASN.1 DER; ES256 signatures are r||s (64 bytes, as in JWS); EdDSA
	// signatures are the 64-byte Ed25519 signature.
	Value string `json:"value"`
}

// License is an electronic license document (电子证照): what issue and get
// return and what verify accepts.
type License struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	TypeName string `json:"type_name"`
	// Version is the 3-digit version of the ID, "001" for the first.
	Version string `json:"version"`
	Serial  string `json:"serial"`
	// Number is the number printed on the paper license (证照编号).
	Number     string         `json:"number"`
	Issuer     Party          `json:"issuer"`
	Holder     Holder         `json:"holder"`
	IssuedOn   string         `json:"issued_on"`
	ValidFrom  string         `json:"valid_from"`
	ValidUntil *string        `json:"valid_until"`
	Fields     map[string]any `json:"fields"`
	// Supersedes is the ID of the version this one replaces.
	Supersedes string `json:"supersedes,omitempty"`
	// SignedAt is when the library signed this version on the issuer's behalf.
	SignedAt time.Time `json:"signed_at"`
	// Provenance says how the record came into being (Provenance…
	// constants); empty means born digital through the library. Signed.
	Provenance string `json:"provenance,omitempty"`
	// Quality lists data-quality findings on a historical record that was
	// accepted anyway (a wrong check character in the issuer's ID). Signed:
	// a holder of the document cannot drop them.
	Quality []QualityFinding `json:"quality,omitempty"`

	Status           string     `json:"status"`
	SupersededBy     string     `json:"superseded_by,omitempty"`
	RevokedAt        *time.Time `json:"revoked_at,omitempty"`
	RevocationReason string     `json:"revocation_reason,omitempty"`

	Proof *Proof `json:"proof,omitempty"`
}

// UnmarshalJSON decodes a license keeping face-field numbers exact
// (json.Number), so that a stored or received document re-encodes to the
// same canonical bytes that were signed.
func (l *License) UnmarshalJSON(b []byte) error {
	type plain License
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode((*plain)(l))
}

// Base returns the ID without version and check character: the identity
// shared by every version of the license.
//
// A historical ID with a wrong check character still has a base.
func (l *License) Base() string {
	id, err := ParseLicenseID(l.ID)
	if err != nil && id.TypeCode == "" {
		return ""
	}
	return id.Base()
}

// StatusAt returns the effective status at time now: a valid license whose
// validity ended before now's date is expired.
func (l *License) StatusAt(now time.Time) string {
	if l.Status != StatusValid {
		return l.Status
	}
	if l.ValidUntil != nil {
		if until, err := ParseDate(*l.ValidUntil); err == nil && dateOf(now).After(until) {
			return StatusExpired
		}
	}
	return StatusValid
}

// InValidityPeriod reports whether now's date lies within valid_from and
// valid_until (inclusive).
func (l *License) InValidityPeriod(now time.Time) bool {
	day := dateOf(now)
	from, err := ParseDate(l.ValidFrom)
	if err != nil || day.Before(from) {
		return false
	}
	if l.ValidUntil != nil {
		until, err := ParseDate(*l.ValidUntil)
		if err != nil || day.After(until) {
			return false
		}
	}
	return true
}

// dateOf returns the calendar date of t in China Standard Time as a UTC
// midnight, comparable with ParseDate results. Validity dates on Chinese
// licenses are Beijing dates.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

var chinaTime = time.FixedZone("CST", 8*3600)

// LicenseFilter selects licenses.
type LicenseFilter struct {
	HolderID *string
	Type     *string
	Issuer   *string
	Status   *string
	// Base selects every version of one license.
	Base *string
	Page
}

// IssueRequest is what an issuing unit submits to issue a license.
type IssueRequest struct {
	Type       string         `json:"type"`
	Serial     string         `json:"serial,omitempty"`
	Number     string         `json:"number"`
	Holder     Holder         `json:"holder"`
	IssuedOn   string         `json:"issued_on"`
	ValidFrom  string         `json:"valid_from"`
	ValidUntil *string        `json:"valid_until,omitempty"`
	Fields     map[string]any `json:"fields"`
}

// UnmarshalJSON keeps face-field numbers exact.
func (r *IssueRequest) UnmarshalJSON(b []byte) error {
	type plain IssueRequest
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode((*plain)(r))
}

// LicenseUpdate is what an issuing unit submits to update a license: the new
// content of the next version. The type, serial and holder ID stay; the
// holder's name may change (a person's name, a company's new name). It has
// the shape of an IssueRequest, so that an integrator can send the issue
// document back with changes: Type and Serial are optional and, when
// given, must be those of the license.
type LicenseUpdate struct {
	Type       string         `json:"type,omitempty"`
	Serial     string         `json:"serial,omitempty"`
	Number     string         `json:"number"`
	Holder     Holder         `json:"holder"`
	IssuedOn   string         `json:"issued_on"`
	ValidFrom  string         `json:"valid_from"`
	ValidUntil *string        `json:"valid_until,omitempty"`
	Fields     map[string]any `json:"fields"`
}

// UnmarshalJSON keeps face-field numbers exact.
func (u *LicenseUpdate) UnmarshalJSON(b []byte) error {
	type plain LicenseUpdate
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	return d.Decode((*plain)(u))
}

// Validate checks an issue request against its license type. t may be nil
// when the type is unknown; the error then names the "type" field.
func (r *IssueRequest) Validate(t *LicenseType) error {
	fe := newFieldErrors()
	if t == nil {
		if r.Type == "" {
			fe.add("type", "required")
		} else {
			fe.add("type", "unknown license type %q", r.Type)
		}
	}
	if r.Serial != "" {
		fe.addErr("serial", ValidateSerial(r.Serial))
	}
	validateContent(fe, t, r.Number, r.Holder, r.IssuedOn, r.ValidFrom, r.ValidUntil, r.Fields)
	return Invalid("invalid license", fe.errors())
}

// Validate checks an update against the license type and the current
// version: the holder stays the same holder.
func (u *LicenseUpdate) Validate(t *LicenseType, current *License) error {
	fe := newFieldErrors()
	validateContent(fe, t, u.Number, u.Holder, u.IssuedOn, u.ValidFrom, u.ValidUntil, u.Fields)
	if current != nil {
		if u.Type != "" && u.Type != current.Type {
			fe.add("type", "the type of a license cannot change (it is %s); omit type or revoke the license and issue one of the new type", current.Type)
		}
		if u.Serial != "" && u.Serial != current.Serial {
			fe.add("serial", "the serial of a license cannot change (it is %s); omit serial", current.Serial)
		}
		if u.Holder.Kind != current.Holder.Kind {
			fe.add("holder.kind", "the holder of a license cannot change")
		}
		if u.Holder.IDType != current.Holder.IDType || u.Holder.ID != current.Holder.ID {
			fe.add("holder.id", "the holder of a license cannot change; revoke it and issue a new one")
		}
	}
	return Invalid("invalid license update", fe.errors())
}

func validateContent(fe fieldErrors, t *LicenseType, number string, h Holder, issuedOn, validFrom string, validUntil *string, fields map[string]any) {
	if strings.TrimSpace(number) == "" {
		fe.add("number", "required")
	} else if len(number) > 100 {
		fe.add("number", "at most 100 characters")
	} else if msg := CheckName(number); msg != "" {
		fe.add("number", "%s", msg)
	}
	var want HolderKind
	if t != nil {
		want = t.HolderKind
	}
	h.validate(fe.at("holder"), want)
	if msg := CheckDate(issuedOn); msg != "" {
		fe.add("issued_on", "%s", msg)
	} else if h.IDType == IDTypeResident {
		if birth, ok := ResidentBirthDate(h.ID); ok {
			if issued, _ := ParseDate(issuedOn); issued.Before(birth) {
				fe.add("issued_on", "must not be before the holder's birth date (from the ID number)")
			}
		}
	}
	from, _ := ParseDate(validFrom)
	fromOK := true
	if msg := CheckDate(validFrom); msg != "" {
		fe.add("valid_from", "%s", msg)
		fromOK = false
	}
	if validUntil != nil {
		until, _ := ParseDate(*validUntil)
		switch msg := CheckDate(*validUntil); {
		case msg != "":
			fe.add("valid_until", "%s", msg)
		case fromOK && until.Before(from):
			fe.add("valid_until", "must not be before valid_from")
		}
	}
	if t != nil {
		t.validateFields(fe.at("fields"), fields)
	}
}

// VerifyChecks are the individual checks of a verification.
type VerifyChecks struct {
	// Signature: the proof is a valid signature over the canonical document.
	Signature bool `json:"signature"`
	// IssuerTrusted: the signing certificate chains to the library CA (or a
	// trusted list) and belongs to the document's issuer.
	IssuerTrusted bool `json:"issuer_trusted"`
	// InValidityPeriod: today lies within valid_from and valid_until.
	InValidityPeriod bool `json:"in_validity_period"`
	// Current: the library knows this version and it is neither revoked nor
	// superseded.
	Current bool `json:"current"`
}

// VerifyResult is the outcome of verifying a license document. An invalid
// document is a result, not an error.
type VerifyResult struct {
	Valid   bool         `json:"valid"`
	Status  string       `json:"status"`
	Checks  VerifyChecks `json:"checks"`
	Reasons []string     `json:"reasons"`
	// ID is the license ID the document claims.
	ID string `json:"id,omitempty"`
	// SupersededBy names the successor of a superseded version.
	SupersededBy string `json:"superseded_by,omitempty"`
	// UnderObjection is true while an objection (异议) to the license is
	// open with its issuer. It says nothing about the objection's content
	// and does not change Valid: the license stands until it is corrected.
	UnderObjection bool `json:"under_objection"`
	// VerifiedAt is when the check was made.
	VerifiedAt time.Time `json:"verified_at"`
	// Components lists, for an industry composite license (composite.go),
	// each bundled permit with its current status.
	Components []ComponentStatus `json:"components,omitempty"`
}
