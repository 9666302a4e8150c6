package mock

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.SupervisionService = (*SupervisionService)(nil)

// SupervisionService is a mock of zhengzhao.SupervisionService.
type SupervisionService struct {
	FileObjectionFn            func(ctx context.Context, r *zhengzhao.ObjectionRequest) (*zhengzhao.Objection, error)
	FindObjectionByIDFn        func(ctx context.Context, id string) (*zhengzhao.Objection, error)
	FindObjectionsFn           func(ctx context.Context, f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error)
	AnswerObjectionFn          func(ctx context.Context, id string, a *zhengzhao.ObjectionAnswer) (*zhengzhao.Objection, error)
	FindNoticesFn              func(ctx context.Context, f zhengzhao.NoticeFilter) ([]*zhengzhao.Notice, int, string, error)
	MarkNoticeReadFn           func(ctx context.Context, id string) (*zhengzhao.Notice, error)
	CreateUnitContactFn        func(ctx context.Context, c *zhengzhao.UnitContact) error
	FindUnitContactsFn         func(ctx context.Context, unit string) ([]*zhengzhao.UnitContact, error)
	DeleteUnitContactFn        func(ctx context.Context, unit, id string) error
	FindUnitsWithoutContactsFn func(ctx context.Context, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error)
	PublicCatalogFn            func(ctx context.Context) (*zhengzhao.PublicCatalog, error)
	SuperviseFn                func(ctx context.Context, f zhengzhao.SupervisionFilter) (*zhengzhao.SupervisionReport, error)
	AnnualReportFn             func(ctx context.Context, unit string, year int) (*zhengzhao.AnnualReport, error)
	CreateRandomCheckFn        func(ctx context.Context, r *zhengzhao.RandomCheckRequest) (*zhengzhao.RandomCheck, error)
	FindRandomCheckByIDFn      func(ctx context.Context, id string) (*zhengzhao.RandomCheck, error)
	FindRandomChecksFn         func(ctx context.Context, f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error)
	ReviewRandomCheckFn        func(ctx context.Context, id string, item int, r *zhengzhao.CheckReview) (*zhengzhao.RandomCheck, error)
}

// FileObjection calls FileObjectionFn.
func (s *SupervisionService) FileObjection(ctx context.Context, r *zhengzhao.ObjectionRequest) (*zhengzhao.Objection, error) {
	return s.FileObjectionFn(ctx, r)
}

// FindObjectionByID calls FindObjectionByIDFn.
func (s *SupervisionService) FindObjectionByID(ctx context.Context, id string) (*zhengzhao.Objection, error) {
	return s.FindObjectionByIDFn(ctx, id)
}

// FindObjections calls FindObjectionsFn.
func (s *SupervisionService) FindObjections(ctx context.Context, f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
	return s.FindObjectionsFn(ctx, f)
}

// AnswerObjection calls AnswerObjectionFn.
func (s *SupervisionService) AnswerObjection(ctx context.Context, id string, a *zhengzhao.ObjectionAnswer) (*zhengzhao.Objection, error) {
	return s.AnswerObjectionFn(ctx, id, a)
}

// FindNotices calls FindNoticesFn.
func (s *SupervisionService) FindNotices(ctx context.Context, f zhengzhao.NoticeFilter) ([]*zhengzhao.Notice, int, string, error) {
	return s.FindNoticesFn(ctx, f)
}

// MarkNoticeRead calls MarkNoticeReadFn.
func (s *SupervisionService) MarkNoticeRead(ctx context.Context, id string) (*zhengzhao.Notice, error) {
	return s.MarkNoticeReadFn(ctx, id)
}

// CreateUnitContact calls CreateUnitContactFn.
func (s *SupervisionService) CreateUnitContact(ctx context.Context, c *zhengzhao.UnitContact) error {
	return s.CreateUnitContactFn(ctx, c)
}

// FindUnitContacts calls FindUnitContactsFn.
func (s *SupervisionService) FindUnitContacts(ctx context.Context, unit string) ([]*zhengzhao.UnitContact, error) {
	return s.FindUnitContactsFn(ctx, unit)
}

// DeleteUnitContact calls DeleteUnitContactFn.
func (s *SupervisionService) DeleteUnitContact(ctx context.Context, unit, id string) error {
	return s.DeleteUnitContactFn(ctx, unit, id)
}

// FindUnitsWithoutContacts calls FindUnitsWithoutContactsFn.
func (s *SupervisionService) FindUnitsWithoutContacts(ctx context.Context, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
	return s.FindUnitsWithoutContactsFn(ctx, p)
}

// PublicCatalog calls PublicCatalogFn.
func (s *SupervisionService) PublicCatalog(ctx context.Context) (*zhengzhao.PublicCatalog, error) {
	return s.PublicCatalogFn(ctx)
}

// Supervise calls SuperviseFn.
func (s *SupervisionService) Supervise(ctx context.Context, f zhengzhao.SupervisionFilter) (*zhengzhao.SupervisionReport, error) {
	return s.SuperviseFn(ctx, f)
}

// AnnualReport calls AnnualReportFn.
func (s *SupervisionService) AnnualReport(ctx context.Context, unit string, year int) (*zhengzhao.AnnualReport, error) {
	return s.AnnualReportFn(ctx, unit, year)
}

// CreateRandomCheck calls CreateRandomCheckFn.
func (s *SupervisionService) CreateRandomCheck(ctx context.Context, r *zhengzhao.RandomCheckRequest) (*zhengzhao.RandomCheck, error) {
	return s.CreateRandomCheckFn(ctx, r)
}

// FindRandomCheckByID calls FindRandomCheckByIDFn.
func (s *SupervisionService) FindRandomCheckByID(ctx context.Context, id string) (*zhengzhao.RandomCheck, error) {
	return s.FindRandomCheckByIDFn(ctx, id)
}

// FindRandomChecks calls FindRandomChecksFn.
func (s *SupervisionService) FindRandomChecks(ctx context.Context, f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error) {
	return s.FindRandomChecksFn(ctx, f)
}

// ReviewRandomCheck calls ReviewRandomCheckFn.
func (s *SupervisionService) ReviewRandomCheck(ctx context.Context, id string, item int, r *zhengzhao.CheckReview) (*zhengzhao.RandomCheck, error) {
	return s.ReviewRandomCheckFn(ctx, id, item, r)
}
