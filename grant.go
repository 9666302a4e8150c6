package zhengzhao

import (
	"encoding/json"
	"time"
)

// Consent grants (授权, art. 18–19): a social unit asks a holder, under an
// approved social scenario, for specific license types and fields, for a
// stated purpose, until a time, once or repeatedly. The holder approves or
// declines; while the grant is in force the unit gets exactly the
// authorised fields of exactly the authorised licenses. The holder may
// withdraw it at any time.

// Grant states.
const (
	GrantRequested = "requested"
	GrantApproved  = "approved"
	GrantDeclined  = "declined"
	GrantWithdrawn = "withdrawn"
	// GrantUsed is a once-only grant after its use.
	GrantUsed = "used"
)

// MaxGrantLife bounds how long a grant may last.
const MaxGrantLife = 366 * 24 * time.Hour

// GrantRequest is what a social unit submits to ask for consent.
type GrantRequest struct {
	Scenario   string         `json:"scenario"`
	Holder     HolderRef      `json:"holder"`
	Purpose    string         `json:"purpose"`
	Items      []ScenarioItem `json:"items"`
	ValidUntil time.Time      `json:"valid_until"`
	Once       bool           `json:"once"`
}

// Validate checks the request against its scenario at now.
func (r *GrantRequest) Validate(s *Scenario, now time.Time, typ func(code string) *LicenseType) error {
	fe := newFieldErrors()
	if err := ValidateHolderRef(r.Holder); err != nil {
		for _, f := range ErrorFields(err) {
			fe.add(joinPath("holder", f.Field), "%s", f.Message)
		}
	}
	validName(fe, "purpose", r.Purpose)
	switch {
	case r.ValidUntil.IsZero():
		fe.add("valid_until", "required")
	case !r.ValidUntil.After(now):
		fe.add("valid_until", "must be in the future")
	case r.ValidUntil.After(now.Add(MaxGrantLife)):
		fe.add("valid_until", "at most 366 days ahead")
	}
	validItems(fe, "items", r.Items, typ, false)
	for i, it := range r.Items {
		allowed, ok := s.Item(it.LicenseType)
		if !ok {
			fe.add("items["+itoa(i)+"].license_type", "scenario %s does not cover license type %s", s.ID, it.LicenseType)
			continue
		}
		for j, k := range it.Fields {
			if !contains(allowed.Fields, k) {
				fe.add("items["+itoa(i)+"].fields["+itoa(j)+"]", "scenario %s does not allow field %q", s.ID, k)
			}
		}
	}
	return Invalid("invalid grant request", fe.errors())
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Grant is a request for consent and, once approved, the holder's consent.
type Grant struct {
	ID       string    `json:"id"`
	Scenario string    `json:"scenario"`
	Unit     string    `json:"unit"`
	UnitName string    `json:"unit_name"`
	Holder   HolderRef `json:"holder"`
	Purpose  string    `json:"purpose"`
	// Items are the license types and fields asked for, and authorised.
	Items      []ScenarioItem `json:"items"`
	ValidUntil time.Time      `json:"valid_until"`
	Once       bool           `json:"once"`
	Status     string         `json:"status"`
	// Licenses are the bases (ID without version and check character) of
	// the licenses the holder authorised; the unit always gets their
	// current version.
	Licenses    []string   `json:"licenses,omitempty"`
	Uses        int        `json:"uses"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	WithdrawnAt *time.Time `json:"withdrawn_at,omitempty"`
	// Receipt is the consent receipt signed by the library (a JSON
	// document with a "proof" member, verifiable offline like a license
	// with the library's trust bundle); set once approved.
	Receipt json.RawMessage `json:"receipt,omitempty"`
}

// InForce returns "" when the grant may be used at now, else the reason
// it may not.
func (g *Grant) InForce(now time.Time) string {
	switch {
	case g.Status == GrantRequested:
		return "the holder has not approved the grant"
	case g.Status == GrantDeclined:
		return "the holder declined the grant"
	case g.Status == GrantWithdrawn:
		return "the holder withdrew the grant"
	case g.Status == GrantUsed:
		return "the once-only grant has been used"
	case g.Status != GrantApproved:
		return "the grant is " + g.Status
	case !now.Before(g.ValidUntil):
		return "the grant expired at " + g.ValidUntil.UTC().Format(time.RFC3339)
	}
	return ""
}

// GrantDecision is the holder's answer to a request.
type GrantDecision struct {
	// Approve is true to consent, false to decline.
	Approve bool `json:"approve"`
	// Licenses optionally picks which of the holder's licenses (IDs of any
	// version) the grant covers; empty means every current, valid license
	// of the requested types.
	Licenses []string `json:"licenses,omitempty"`
}

// GrantFilter selects grants.
type GrantFilter struct {
	Unit   *string
	Holder *HolderRef
}

// GrantDisclosure is what a unit gets under a grant: for each authorised
// license, exactly the authorised fields. It is a document signed by the
// library's display key (certified by the library CA), like a consent
// receipt: the unit keeps it and proves later, offline, what it received
// (library.VerifyGrantDisclosure). The signature covers every member but
// "proof".
type GrantDisclosure struct {
	// Type is GrantDisclosureType.
	Type string `json:"type"`
	// Issuer is the library as the signer (the display-key subject).
	Issuer   Party     `json:"issuer"`
	Grant    string    `json:"grant"`
	Scenario string    `json:"scenario"`
	Unit     Party     `json:"unit"`
	Holder   HolderRef `json:"holder"`
	Purpose  string    `json:"purpose"`
	// Licenses are the disclosed licenses, each with exactly the
	// authorised fields and their values.
	Licenses []DisclosedLicense `json:"licenses"`
	// FetchedAt is DisclosedAt, kept for clients of the first version.
	FetchedAt   time.Time `json:"fetched_at"`
	DisclosedAt time.Time `json:"disclosed_at"`
	Proof       *Proof    `json:"proof,omitempty"`
}

// GrantDisclosureType is the Type of a GrantDisclosure.
const GrantDisclosureType = "zhengzhao.grant-disclosure.v1"

// DisclosedLicense is one license as disclosed under a grant or a
// government scenario.
type DisclosedLicense struct {
	// ID is the license ID of the disclosed version.
	ID       string         `json:"id"`
	Version  string         `json:"version"`
	Type     string         `json:"type"`
	TypeName string         `json:"type_name"`
	Status   string         `json:"status"`
	Fields   map[string]any `json:"fields"`
}

// ConsentReceipt is the signed record of a holder's consent (the
// "receipt" of a Grant). Issuer is the library's display-key subject, so
// that the trust bundle's display certificate verifies it.
type ConsentReceipt struct {
	Type       string         `json:"type"`
	Issuer     Party          `json:"issuer"`
	Grant      string         `json:"grant"`
	Scenario   string         `json:"scenario"`
	Unit       Party          `json:"unit"`
	Holder     HolderRef      `json:"holder"`
	Purpose    string         `json:"purpose"`
	Items      []ScenarioItem `json:"items"`
	Licenses   []string       `json:"licenses"`
	ValidUntil time.Time      `json:"valid_until"`
	Once       bool           `json:"once"`
	Decision   string         `json:"decision"`
	SignedAt   time.Time      `json:"signed_at"`
	Proof      *Proof         `json:"proof,omitempty"`
}

// ConsentReceiptType is the Type of a consent receipt.
const ConsentReceiptType = "zhengzhao.consent-receipt.v1"
