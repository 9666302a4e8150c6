package zhengzhao

import (
	"strings"
	"time"
)

// Scenarios (用证场景, art. 15, 18, 20): a unit applies for a government or
// social scenario stating its purpose and the license types and fields it
// needs; the administrator approves it, or, for a social scenario, the
// district of the unit's region does. Only an approved scenario works, and
// a suspended one stops working at once.

// Scenario kinds.
const (
	ScenarioGovernment = "government" // use by a public body beyond its usage lists (data-sharing application)
	ScenarioSocial     = "social"     // use by a social unit with the holder's consent
)

// Scenario states.
const (
	ScenarioPending   = "pending"
	ScenarioApproved  = "approved"
	ScenarioRejected  = "rejected"
	ScenarioSuspended = "suspended"
)

// Scenario is an application for, and once approved the permission of, a
// use of licenses.
type Scenario struct {
	ID   string `json:"id"`
	Unit string `json:"unit"`
	// Region is the unit's region; a district approves the social
	// scenarios of its own region.
	Region  string         `json:"region"`
	Kind    string         `json:"kind"`
	Name    string         `json:"name"`
	Purpose string         `json:"purpose"`
	Items   []ScenarioItem `json:"items"`
	Status  string         `json:"status"`
	// DecidedBy is the actor of the last decision ("admin" or
	// "unit:<district code>"), DecidedAt its time, Note its reason.
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	Note      string     `json:"note,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// ScenarioItem is one license type and the face fields a scenario may use.
type ScenarioItem struct {
	LicenseType string   `json:"license_type"`
	Fields      []string `json:"fields"`
}

// ScenarioAllFields, as the only field of an item of a government
// scenario, lets the using unit read the whole license document of that
// type, signed by its issuer. A social scenario always names its fields:
// a holder consents to named fields, never to "everything".
const ScenarioAllFields = "*"

// AllFields reports whether the item discloses the whole license.
func (it ScenarioItem) AllFields() bool {
	return len(it.Fields) == 1 && it.Fields[0] == ScenarioAllFields
}

// InForce returns "" when the scenario may be used, else the reason it
// may not. Only an approved scenario works; a suspended one stops at once
// because every use reads its current status.
func (s *Scenario) InForce() string {
	switch s.Status {
	case ScenarioApproved:
		return ""
	case ScenarioSuspended:
		return "scenario " + s.ID + " is suspended"
	case ScenarioRejected:
		return "scenario " + s.ID + " was rejected"
	}
	return "scenario " + s.ID + " is " + s.Status + ", not approved"
}

// Validate checks a scenario as applied for; typ returns the catalog
// entry of a code or nil.
func (s *Scenario) Validate(typ func(code string) *LicenseType) error {
	fe := newFieldErrors()
	switch s.Kind {
	case ScenarioGovernment, ScenarioSocial:
	default:
		fe.add("kind", "must be government or social")
	}
	validName(fe, "name", s.Name)
	validName(fe, "purpose", s.Purpose)
	validItems(fe, "items", s.Items, typ, s.Kind == ScenarioGovernment)
	return Invalid("invalid scenario", fe.errors())
}

// validItems checks the items of a scenario or grant request; allowAll
// admits an item whose only field is ScenarioAllFields.
func validItems(fe fieldErrors, name string, items []ScenarioItem, typ func(code string) *LicenseType, allowAll bool) {
	if len(items) == 0 || len(items) > 20 {
		fe.add(name, "1 to 20 items")
	}
	seen := map[string]bool{}
	for i, it := range items {
		f := fe.at(name + "[" + itoa(i) + "]")
		t := typ(it.LicenseType)
		if t == nil {
			f.add("license_type", "no license type %s in the catalog", it.LicenseType)
			continue
		}
		if seen[it.LicenseType] {
			f.add("license_type", "duplicate license type")
		}
		seen[it.LicenseType] = true
		if len(it.Fields) == 0 {
			f.add("fields", "at least one field")
		}
		if it.AllFields() {
			if !allowAll {
				f.add("fields[0]", "only a government scenario may disclose all fields (%q); name the fields", ScenarioAllFields)
			}
			continue
		}
		dup := map[string]bool{}
		for j, k := range it.Fields {
			if k == ScenarioAllFields {
				f.add("fields["+itoa(j)+"]", "%q stands alone: it means every field", ScenarioAllFields)
				continue
			}
			if _, ok := t.Field(k); !ok && !isPseudoField(k) {
				f.add("fields["+itoa(j)+"]", "license type %s has no field %q", t.Code, k)
			}
			if dup[k] {
				f.add("fields["+itoa(j)+"]", "duplicate field")
			}
			dup[k] = true
		}
	}
}

// isPseudoField reports whether k names a part of the license other than
// a face field that a scenario or grant may disclose.
func isPseudoField(k string) bool {
	return k == ShowHolderName || k == ShowNumber || k == ShowValidUntil
}

// Item returns the scenario's item for a license type.
func (s *Scenario) Item(licenseType string) (ScenarioItem, bool) {
	for _, it := range s.Items {
		if it.LicenseType == licenseType {
			return it, true
		}
	}
	return ScenarioItem{}, false
}

// ScenarioDecision is a decision on a scenario.
type ScenarioDecision struct {
	// Decision is approve, reject, suspend or resume.
	Decision string `json:"decision"`
	Note     string `json:"note"`
}

// Validate checks the decision.
func (d *ScenarioDecision) Validate() error {
	fe := newFieldErrors()
	switch d.Decision {
	case "approve", "reject", "suspend", "resume":
	default:
		fe.add("decision", "must be approve, reject, suspend or resume")
	}
	if len([]rune(d.Note)) > 500 {
		fe.add("note", "at most 500 characters")
	}
	if (d.Decision == "reject" || d.Decision == "suspend") && strings.TrimSpace(d.Note) == "" {
		fe.add("note", "a reason is required")
	}
	return Invalid("invalid decision", fe.errors())
}

// ScenarioFilter selects scenarios.
type ScenarioFilter struct {
	Unit   *string
	Region *string
	Status *string
	Kind   *string
}

// ScenarioReport is the report of scenarios to the administrator (art. 20).
type ScenarioReport struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Regions summarise the scenarios by region, by code.
	Regions []RegionScenarios `json:"regions"`
}

// RegionScenarios is one region's line of a ScenarioReport.
type RegionScenarios struct {
	Region string `json:"region"`
	// Counts are by status.
	Counts map[string]int `json:"counts"`
	// Scenarios lists the region's social scenarios.
	Scenarios []*Scenario `json:"scenarios"`
}
