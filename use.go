package zhengzhao

import (
	"context"
	"encoding/json"
	"time"
)

// Use: using licenses (用证, Measures art. 13–15, 17–20, 26): service
// matters and usage lists, material exemption, access control for using
// units, scenarios, holder-authorised social use with consent grants, and
// composite licenses.

// Audit actions of the use area. A refused use is audited too, in its own
// transaction, so that the refusal stays on record although the request
// changes nothing else.
const (
	ActionMatterCreate    = "matter.create"     // a service matter was defined
	ActionMatterUpdate    = "matter.update"     // a service matter was changed
	ActionUsageListPut    = "usage_list.put"    // a using unit's usage list for a matter was set
	ActionUsageListDelete = "usage_list.delete" // a using unit's usage list for a matter was removed
	ActionUseExemption    = "use.exemption"     // a using unit asked which materials are exempted
	ActionUseFetch        = "use.fetch"         // a using unit fetched a license for a case
	ActionUseRefused      = "use.refused"       // a use was refused (Details["reason"])
	ActionScenarioApply   = "scenario.apply"    // a unit applied for a scenario
	ActionScenarioDecide  = "scenario.decide"   // a scenario was approved, rejected, suspended or resumed
	ActionGrantRequest    = "grant.request"     // a social unit asked a holder for consent
	ActionGrantDecide     = "grant.decide"      // the holder approved or declined a request
	ActionGrantWithdraw   = "grant.withdraw"    // the holder withdrew a grant
	ActionGrantUse        = "grant.use"         // a social unit fetched licenses under a grant
)

// RoleDistrict is the role of a district government (区政府, art. 20): it
// approves and suspends the social scenarios of units in its region and
// reports them to the administrator.
const RoleDistrict Role = "district"

// UseContext is the context every use of a license carries, the five items
// used nationally: the using unit, the operator, the matter's code and
// name, and the case number (办件编号).
type UseContext struct {
	// Unit is the using unit; the library sets it from the authenticated
	// unit.
	Unit       string `json:"unit"`
	Operator   string `json:"operator"`
	MatterCode string `json:"matter_code"`
	MatterName string `json:"matter_name"`
	CaseNumber string `json:"case_number"`
}

// Validate checks that every item is present and of sane length.
func (c *UseContext) Validate() error {
	fe := newFieldErrors().at("context")
	for _, f := range []struct{ name, v string }{
		{"operator", c.Operator}, {"matter_code", c.MatterCode}, {"matter_name", c.MatterName}, {"case_number", c.CaseNumber},
	} {
		switch {
		case f.v == "":
			fe.add(f.name, "required")
		case len([]rune(f.v)) > 200:
			fe.add(f.name, "at most 200 characters")
		}
	}
	return Invalid("invalid use context", fe.errors())
}

// Details returns the context as audit details.
func (c *UseContext) Details() map[string]string {
	return map[string]string{"unit": c.Unit, "operator": c.Operator, "matter_code": c.MatterCode,
		"matter_name": c.MatterName, "case_number": c.CaseNumber}
}

// ExemptionRequest asks which of a matter's required materials an
// applicant need not hand in (art. 14).
type ExemptionRequest struct {
	Matter    string     `json:"matter"`
	Applicant HolderRef  `json:"applicant"`
	Context   UseContext `json:"context"`
}

// Exemption is the answer to an ExemptionRequest.
type Exemption struct {
	Matter    *Matter   `json:"matter"`
	Applicant HolderRef `json:"applicant"`
	// Materials lists every required material in the matter's order.
	Materials []MaterialCoverage `json:"materials"`
}

// MaterialCoverage says whether one material is covered by licenses in
// the library.
type MaterialCoverage struct {
	Material Material `json:"material"`
	// Exempted is true when a current, valid license of one of
	// LicenseTypes covers the material: no paper copy may be asked for.
	Exempted bool `json:"exempted"`
	// LicenseTypes are the types the using unit's usage list accepts.
	LicenseTypes []string `json:"license_types"`
	// Licenses are the covering licenses, to fetch with FetchLicense.
	Licenses []LicenseRef `json:"licenses"`
}

// LicenseRef names a license without its content.
type LicenseRef struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	TypeName string `json:"type_name"`
	Status   string `json:"status"`
}

// FetchRequest is a using unit's fetch of one license for a case.
type FetchRequest struct {
	License string     `json:"license"`
	Context UseContext `json:"context"`
}

// ScenarioFetchRequest is a using unit's fetch of one license for a case
// under one of its approved government scenarios (art. 15: use beyond the
// usage lists through a data-sharing application).
type ScenarioFetchRequest struct {
	Scenario string     `json:"scenario"`
	License  string     `json:"license"`
	Context  UseContext `json:"context"`
}

// ScenarioDisclosure is what a using unit gets under a government
// scenario: the scenario's fields of the license, in a document signed by
// the library's display key (library.VerifyScenarioDisclosure); when the
// scenario allows all fields (ScenarioAllFields), Document is also the
// whole license document signed by its issuer. The signature covers every
// member but "proof".
type ScenarioDisclosure struct {
	// Type is ScenarioDisclosureType.
	Type     string `json:"type"`
	Issuer   Party  `json:"issuer"`
	Scenario string `json:"scenario"`
	Unit     Party  `json:"unit"`
	// Context is the fetch's five items.
	Context UseContext       `json:"context"`
	Holder  HolderRef        `json:"holder"`
	License DisclosedLicense `json:"license"`
	// Document is the issuer-signed license, only under an all-fields
	// item.
	Document    json.RawMessage `json:"document,omitempty"`
	DisclosedAt time.Time       `json:"disclosed_at"`
	Proof       *Proof          `json:"proof,omitempty"`
}

// ScenarioDisclosureType is the Type of a ScenarioDisclosure.
const ScenarioDisclosureType = "zhengzhao.scenario-disclosure.v1"

// UseReadTx reads use state. Stores implement it as part of ReadTx.
type UseReadTx interface {
	// FindMatterByCode returns a service matter. ENOTFOUND.
	FindMatterByCode(code string) (*Matter, error)
	// FindMatters returns the matters (of one owning unit when owner is
	// not empty), by code.
	FindMatters(owner string) ([]*Matter, error)
	// FindUsageList returns a using unit's usage list for a matter.
	// ENOTFOUND.
	FindUsageList(unit, matter string) (*UsageList, error)
	// FindUsageLists returns a unit's usage lists (every unit's when unit
	// is empty), by unit and matter.
	FindUsageLists(unit string) ([]*UsageList, error)
	// FindScenarioByID returns a scenario. ENOTFOUND.
	FindScenarioByID(id string) (*Scenario, error)
	// FindScenarios returns matching scenarios, oldest first.
	FindScenarios(f ScenarioFilter) ([]*Scenario, error)
	// FindGrantByID returns a consent grant. ENOTFOUND.
	FindGrantByID(id string) (*Grant, error)
	// FindGrants returns matching grants, oldest first.
	FindGrants(f GrantFilter) ([]*Grant, error)
}

// UseTx writes use state. Stores implement it as part of Tx.
type UseTx interface {
	// CreateMatter stores a matter. ECONFLICT when its code exists.
	CreateMatter(m *Matter) error
	// UpdateMatter stores a matter's name, owner, materials and UpdatedAt.
	// ENOTFOUND.
	UpdateMatter(m *Matter) error
	// PutUsageList creates or replaces a unit's usage list for a matter.
	PutUsageList(u *UsageList) error
	// DeleteUsageList removes a usage list. ENOTFOUND.
	DeleteUsageList(unit, matter string) error
	// CreateScenario stores a scenario. ECONFLICT when its ID exists.
	CreateScenario(s *Scenario) error
	// UpdateScenario stores a scenario's status and decision. ENOTFOUND.
	UpdateScenario(s *Scenario) error
	// CreateGrant stores a grant. ECONFLICT when its ID exists.
	CreateGrant(g *Grant) error
	// UpdateGrant stores a grant's state. ENOTFOUND.
	UpdateGrant(g *Grant) error
}

// UseService is what the transport calls for using licenses. Each method
// takes the acting party from the context.
type UseService interface {
	// CreateMatter defines a service matter: the administrator for any
	// owning unit, a using unit for itself. EINVALID, EFORBIDDEN,
	// ECONFLICT.
	CreateMatter(ctx context.Context, m *Matter) error
	// UpdateMatter changes a matter's name and materials (the
	// administrator or its owner). EINVALID, ENOTFOUND, EFORBIDDEN.
	UpdateMatter(ctx context.Context, m *Matter) (*Matter, error)
	// FindMatterByCode returns a matter to any authenticated party.
	// ENOTFOUND.
	FindMatterByCode(ctx context.Context, code string) (*Matter, error)
	// FindMatters lists matters, of one owner when owner is set.
	FindMatters(ctx context.Context, owner string, p Page) ([]*Matter, int, string, error)
	// PutUsageList sets a using unit's usage list for a matter (the
	// administrator or the unit). EINVALID, ENOTFOUND, EFORBIDDEN.
	PutUsageList(ctx context.Context, u *UsageList) (*UsageList, error)
	// DeleteUsageList removes one. ENOTFOUND, EFORBIDDEN.
	DeleteUsageList(ctx context.Context, unit, matter string) error
	// FindUsageLists lists a unit's usage lists (the administrator or the
	// unit). EFORBIDDEN.
	FindUsageLists(ctx context.Context, unit string) ([]*UsageList, error)

	// Exemption answers which of a matter's materials the applicant need
	// not hand in (a using unit with the matter on its usage list).
	// EINVALID, ENOTFOUND, EFORBIDDEN; refusals are audited.
	Exemption(ctx context.Context, r *ExemptionRequest) (*Exemption, error)
	// FetchLicense returns a license document to a using unit for a case
	// of a matter on its usage list that accepts the license's type.
	// EINVALID, ENOTFOUND, EFORBIDDEN; refusals are audited.
	FetchLicense(ctx context.Context, r *FetchRequest) (*License, error)
	// FetchUnderScenario returns the scenario's fields of a license to a
	// using unit, for a case, under one of its approved government
	// scenarios that covers the license's type. EINVALID, ENOTFOUND,
	// EFORBIDDEN; refusals are audited.
	FetchUnderScenario(ctx context.Context, r *ScenarioFetchRequest) (*ScenarioDisclosure, error)

	// ApplyScenario records a unit's application for a scenario.
	// EINVALID, EFORBIDDEN.
	ApplyScenario(ctx context.Context, s *Scenario) error
	// DecideScenario approves, rejects, suspends or resumes a scenario:
	// the administrator, or for a social scenario the district of the
	// unit's region. EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT.
	DecideScenario(ctx context.Context, id string, d *ScenarioDecision) (*Scenario, error)
	// FindScenarioByID returns a scenario to its unit, its deciders and
	// the administrator. ENOTFOUND.
	FindScenarioByID(ctx context.Context, id string) (*Scenario, error)
	// FindScenarios lists scenarios: the administrator all, a district
	// its region's, a unit its own.
	FindScenarios(ctx context.Context, f ScenarioFilter) ([]*Scenario, error)
	// ScenarioReport summarises scenarios by region and status for the
	// administrator (art. 20). EFORBIDDEN.
	ScenarioReport(ctx context.Context) (*ScenarioReport, error)

	// RequestGrant records a social unit's request for a holder's
	// consent under an approved scenario. EINVALID, EFORBIDDEN.
	RequestGrant(ctx context.Context, r *GrantRequest) (*Grant, error)
	// DecideGrant approves or declines a request (its holder); an
	// approved grant carries the library-signed consent receipt.
	// EINVALID, ENOTFOUND, ECONFLICT.
	DecideGrant(ctx context.Context, id string, d *GrantDecision) (*Grant, error)
	// WithdrawGrant withdraws a grant (its holder), at once. ENOTFOUND,
	// ECONFLICT.
	WithdrawGrant(ctx context.Context, id string) (*Grant, error)
	// FindGrantByID returns a grant to its holder, its unit or the
	// administrator. ENOTFOUND.
	FindGrantByID(ctx context.Context, id string) (*Grant, error)
	// FindGrants lists the signed-in holder's grants, or the acting
	// unit's.
	FindGrants(ctx context.Context) ([]*Grant, error)
	// UseGrant returns exactly the authorised fields of exactly the
	// authorised licenses to the grant's unit while the grant is in force.
	// EFORBIDDEN (refused and audited), ENOTFOUND.
	UseGrant(ctx context.Context, id string) (*GrantDisclosure, error)
	// FindGrantUses lists the audit entries of a grant for its holder:
	// every request, decision and use, with unit and purpose.
	FindGrantUses(ctx context.Context, id string) ([]*AuditEntry, error)
}
