package mock

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.UseService = (*UseService)(nil)

// UseService is a mock of zhengzhao.UseService.
type UseService struct {
	CreateMatterFn       func(ctx context.Context, m *zhengzhao.Matter) error
	UpdateMatterFn       func(ctx context.Context, m *zhengzhao.Matter) (*zhengzhao.Matter, error)
	FindMatterByCodeFn   func(ctx context.Context, code string) (*zhengzhao.Matter, error)
	FindMattersFn        func(ctx context.Context, owner string, p zhengzhao.Page) ([]*zhengzhao.Matter, int, string, error)
	PutUsageListFn       func(ctx context.Context, u *zhengzhao.UsageList) (*zhengzhao.UsageList, error)
	DeleteUsageListFn    func(ctx context.Context, unit, matter string) error
	FindUsageListsFn     func(ctx context.Context, unit string) ([]*zhengzhao.UsageList, error)
	ExemptionFn          func(ctx context.Context, r *zhengzhao.ExemptionRequest) (*zhengzhao.Exemption, error)
	FetchLicenseFn       func(ctx context.Context, r *zhengzhao.FetchRequest) (*zhengzhao.License, error)
	FetchUnderScenarioFn func(ctx context.Context, r *zhengzhao.ScenarioFetchRequest) (*zhengzhao.ScenarioDisclosure, error)
	ApplyScenarioFn      func(ctx context.Context, s *zhengzhao.Scenario) error
	DecideScenarioFn     func(ctx context.Context, id string, d *zhengzhao.ScenarioDecision) (*zhengzhao.Scenario, error)
	FindScenarioByIDFn   func(ctx context.Context, id string) (*zhengzhao.Scenario, error)
	FindScenariosFn      func(ctx context.Context, f zhengzhao.ScenarioFilter) ([]*zhengzhao.Scenario, error)
	ScenarioReportFn     func(ctx context.Context) (*zhengzhao.ScenarioReport, error)
	RequestGrantFn       func(ctx context.Context, r *zhengzhao.GrantRequest) (*zhengzhao.Grant, error)
	DecideGrantFn        func(ctx context.Context, id string, d *zhengzhao.GrantDecision) (*zhengzhao.Grant, error)
	WithdrawGrantFn      func(ctx context.Context, id string) (*zhengzhao.Grant, error)
	FindGrantByIDFn      func(ctx context.Context, id string) (*zhengzhao.Grant, error)
	FindGrantsFn         func(ctx context.Context) ([]*zhengzhao.Grant, error)
	UseGrantFn           func(ctx context.Context, id string) (*zhengzhao.GrantDisclosure, error)
	FindGrantUsesFn      func(ctx context.Context, id string) ([]*zhengzhao.AuditEntry, error)
}

// CreateMatter calls CreateMatterFn.
func (mk *UseService) CreateMatter(ctx context.Context, m *zhengzhao.Matter) error {
	return mk.CreateMatterFn(ctx, m)
}

// UpdateMatter calls UpdateMatterFn.
func (mk *UseService) UpdateMatter(ctx context.Context, m *zhengzhao.Matter) (*zhengzhao.Matter, error) {
	return mk.UpdateMatterFn(ctx, m)
}

// FindMatterByCode calls FindMatterByCodeFn.
func (mk *UseService) FindMatterByCode(ctx context.Context, code string) (*zhengzhao.Matter, error) {
	return mk.FindMatterByCodeFn(ctx, code)
}

// FindMatters calls FindMattersFn.
func (mk *UseService) FindMatters(ctx context.Context, owner string, p zhengzhao.Page) ([]*zhengzhao.Matter, int, string, error) {
	return mk.FindMattersFn(ctx, owner, p)
}

// PutUsageList calls PutUsageListFn.
func (mk *UseService) PutUsageList(ctx context.Context, u *zhengzhao.UsageList) (*zhengzhao.UsageList, error) {
	return mk.PutUsageListFn(ctx, u)
}

// DeleteUsageList calls DeleteUsageListFn.
func (mk *UseService) DeleteUsageList(ctx context.Context, unit, matter string) error {
	return mk.DeleteUsageListFn(ctx, unit, matter)
}

// FindUsageLists calls FindUsageListsFn.
func (mk *UseService) FindUsageLists(ctx context.Context, unit string) ([]*zhengzhao.UsageList, error) {
	return mk.FindUsageListsFn(ctx, unit)
}

// Exemption calls ExemptionFn.
func (mk *UseService) Exemption(ctx context.Context, r *zhengzhao.ExemptionRequest) (*zhengzhao.Exemption, error) {
	return mk.ExemptionFn(ctx, r)
}

// FetchLicense calls FetchLicenseFn.
func (mk *UseService) FetchLicense(ctx context.Context, r *zhengzhao.FetchRequest) (*zhengzhao.License, error) {
	return mk.FetchLicenseFn(ctx, r)
}

// FetchUnderScenario calls FetchUnderScenarioFn.
func (mk *UseService) FetchUnderScenario(ctx context.Context, r *zhengzhao.ScenarioFetchRequest) (*zhengzhao.ScenarioDisclosure, error) {
	return mk.FetchUnderScenarioFn(ctx, r)
}

// ApplyScenario calls ApplyScenarioFn.
func (mk *UseService) ApplyScenario(ctx context.Context, s *zhengzhao.Scenario) error {
	return mk.ApplyScenarioFn(ctx, s)
}

// DecideScenario calls DecideScenarioFn.
func (mk *UseService) DecideScenario(ctx context.Context, id string, d *zhengzhao.ScenarioDecision) (*zhengzhao.Scenario, error) {
	return mk.DecideScenarioFn(ctx, id, d)
}

// FindScenarioByID calls FindScenarioByIDFn.
func (mk *UseService) FindScenarioByID(ctx context.Context, id string) (*zhengzhao.Scenario, error) {
	return mk.FindScenarioByIDFn(ctx, id)
}

// FindScenarios calls FindScenariosFn.
func (mk *UseService) FindScenarios(ctx context.Context, f zhengzhao.ScenarioFilter) ([]*zhengzhao.Scenario, error) {
	return mk.FindScenariosFn(ctx, f)
}

// ScenarioReport calls ScenarioReportFn.
func (mk *UseService) ScenarioReport(ctx context.Context) (*zhengzhao.ScenarioReport, error) {
	return mk.ScenarioReportFn(ctx)
}

// RequestGrant calls RequestGrantFn.
func (mk *UseService) RequestGrant(ctx context.Context, r *zhengzhao.GrantRequest) (*zhengzhao.Grant, error) {
	return mk.RequestGrantFn(ctx, r)
}

// DecideGrant calls DecideGrantFn.
func (mk *UseService) DecideGrant(ctx context.Context, id string, d *zhengzhao.GrantDecision) (*zhengzhao.Grant, error) {
	return mk.DecideGrantFn(ctx, id, d)
}

// WithdrawGrant calls WithdrawGrantFn.
func (mk *UseService) WithdrawGrant(ctx context.Context, id string) (*zhengzhao.Grant, error) {
	return mk.WithdrawGrantFn(ctx, id)
}

// FindGrantByID calls FindGrantByIDFn.
func (mk *UseService) FindGrantByID(ctx context.Context, id string) (*zhengzhao.Grant, error) {
	return mk.FindGrantByIDFn(ctx, id)
}

// FindGrants calls FindGrantsFn.
func (mk *UseService) FindGrants(ctx context.Context) ([]*zhengzhao.Grant, error) {
	return mk.FindGrantsFn(ctx)
}

// UseGrant calls UseGrantFn.
func (mk *UseService) UseGrant(ctx context.Context, id string) (*zhengzhao.GrantDisclosure, error) {
	return mk.UseGrantFn(ctx, id)
}

// FindGrantUses calls FindGrantUsesFn.
func (mk *UseService) FindGrantUses(ctx context.Context, id string) ([]*zhengzhao.AuditEntry, error) {
	return mk.FindGrantUsesFn(ctx, id)
}
