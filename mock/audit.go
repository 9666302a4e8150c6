package mock

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.AuditService = (*AuditService)(nil)

// AuditService is a mock of zhengzhao.AuditService.
type AuditService struct {
	LatestCheckpointFn func(ctx context.Context) (*zhengzhao.Checkpoint, error)
	SignCheckpointFn   func(ctx context.Context) (*zhengzhao.Checkpoint, error)
	FindAuditEntriesFn func(ctx context.Context, f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error)
	InclusionProofFn   func(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error)
	ConsistencyProofFn func(ctx context.Context, size1, size2 int64) (*zhengzhao.ConsistencyProof, error)
}

// LatestCheckpoint calls LatestCheckpointFn.
func (s *AuditService) LatestCheckpoint(ctx context.Context) (*zhengzhao.Checkpoint, error) {
	return s.LatestCheckpointFn(ctx)
}

// SignCheckpoint calls SignCheckpointFn.
func (s *AuditService) SignCheckpoint(ctx context.Context) (*zhengzhao.Checkpoint, error) {
	return s.SignCheckpointFn(ctx)
}

// FindAuditEntries calls FindAuditEntriesFn.
func (s *AuditService) FindAuditEntries(ctx context.Context, f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
	return s.FindAuditEntriesFn(ctx, f)
}

// InclusionProof calls InclusionProofFn.
func (s *AuditService) InclusionProof(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error) {
	return s.InclusionProofFn(ctx, index, size)
}

// ConsistencyProof calls ConsistencyProofFn.
func (s *AuditService) ConsistencyProof(ctx context.Context, size1, size2 int64) (*zhengzhao.ConsistencyProof, error) {
	return s.ConsistencyProofFn(ctx, size1, size2)
}
