package mock

import (
	"context"
	"io"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.AggregationService = (*AggregationService)(nil)

// AggregationService is a mock of zhengzhao.AggregationService.
type AggregationService struct {
	ImportFn          func(ctx context.Context, spec *zhengzhao.ImportSpec, r io.Reader) (*zhengzhao.ImportJob, error)
	FindImportJobFn   func(ctx context.Context, id string) (*zhengzhao.ImportJob, error)
	FindImportJobsFn  func(ctx context.Context, f zhengzhao.ImportJobFilter) ([]*zhengzhao.ImportJob, int, string, error)
	ImportReportFn    func(ctx context.Context, id string, fn func(*zhengzhao.ImportProblem) error) error
	SubmitIncrementFn func(ctx context.Context, inc *zhengzhao.Increment) (*zhengzhao.IncrementReceipt, error)
	IncrementStatusFn func(ctx context.Context, issuer, from, to string) (*zhengzhao.IncrementStatus, error)
	ReconcileFn       func(ctx context.Context, spec *zhengzhao.ReconcileSpec, export io.Reader, fn func(*zhengzhao.ReconcileDiff) error) (*zhengzhao.ReconcileSummary, error)
	RecordOutageFn    func(ctx context.Context, o *zhengzhao.Outage) error
	EndOutageFn       func(ctx context.Context, id string, end time.Time) (*zhengzhao.Outage, error)
	CatchUpOutageFn   func(ctx context.Context, id string) (*zhengzhao.Outage, error)
	FindOutagesFn     func(ctx context.Context, f zhengzhao.OutageFilter) ([]*zhengzhao.Outage, int, string, error)
}

// Import calls ImportFn.
func (s *AggregationService) Import(ctx context.Context, spec *zhengzhao.ImportSpec, r io.Reader) (*zhengzhao.ImportJob, error) {
	return s.ImportFn(ctx, spec, r)
}

// FindImportJob calls FindImportJobFn.
func (s *AggregationService) FindImportJob(ctx context.Context, id string) (*zhengzhao.ImportJob, error) {
	return s.FindImportJobFn(ctx, id)
}

// FindImportJobs calls FindImportJobsFn.
func (s *AggregationService) FindImportJobs(ctx context.Context, f zhengzhao.ImportJobFilter) ([]*zhengzhao.ImportJob, int, string, error) {
	return s.FindImportJobsFn(ctx, f)
}

// ImportReport calls ImportReportFn.
func (s *AggregationService) ImportReport(ctx context.Context, id string, fn func(*zhengzhao.ImportProblem) error) error {
	return s.ImportReportFn(ctx, id, fn)
}

// SubmitIncrement calls SubmitIncrementFn.
func (s *AggregationService) SubmitIncrement(ctx context.Context, inc *zhengzhao.Increment) (*zhengzhao.IncrementReceipt, error) {
	return s.SubmitIncrementFn(ctx, inc)
}

// IncrementStatus calls IncrementStatusFn.
func (s *AggregationService) IncrementStatus(ctx context.Context, issuer, from, to string) (*zhengzhao.IncrementStatus, error) {
	return s.IncrementStatusFn(ctx, issuer, from, to)
}

// Reconcile calls ReconcileFn.
func (s *AggregationService) Reconcile(ctx context.Context, spec *zhengzhao.ReconcileSpec, export io.Reader, fn func(*zhengzhao.ReconcileDiff) error) (*zhengzhao.ReconcileSummary, error) {
	return s.ReconcileFn(ctx, spec, export, fn)
}

// RecordOutage calls RecordOutageFn.
func (s *AggregationService) RecordOutage(ctx context.Context, o *zhengzhao.Outage) error {
	return s.RecordOutageFn(ctx, o)
}

// EndOutage calls EndOutageFn.
func (s *AggregationService) EndOutage(ctx context.Context, id string, end time.Time) (*zhengzhao.Outage, error) {
	return s.EndOutageFn(ctx, id, end)
}

// CatchUpOutage calls CatchUpOutageFn.
func (s *AggregationService) CatchUpOutage(ctx context.Context, id string) (*zhengzhao.Outage, error) {
	return s.CatchUpOutageFn(ctx, id)
}

// FindOutages calls FindOutagesFn.
func (s *AggregationService) FindOutages(ctx context.Context, f zhengzhao.OutageFilter) ([]*zhengzhao.Outage, int, string, error) {
	return s.FindOutagesFn(ctx, f)
}
