package mock

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.LicenseService = (*LicenseService)(nil)

// LicenseService is a mock of zhengzhao.LicenseService.
type LicenseService struct {
	IssueLicenseFn    func(ctx context.Context, r *zhengzhao.IssueRequest, idempotencyKey string) (*zhengzhao.License, error)
	FindLicenseByIDFn func(ctx context.Context, id string) (*zhengzhao.License, error)
	FindLicensesFn    func(ctx context.Context, f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error)
	UpdateLicenseFn   func(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error)
	RevokeLicenseFn   func(ctx context.Context, id, reason string) (*zhengzhao.License, error)
	VerifyLicenseFn   func(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error)
}

// IssueLicense calls IssueLicenseFn.
func (s *LicenseService) IssueLicense(ctx context.Context, r *zhengzhao.IssueRequest, idempotencyKey string) (*zhengzhao.License, error) {
	return s.IssueLicenseFn(ctx, r, idempotencyKey)
}

// FindLicenseByID calls FindLicenseByIDFn.
func (s *LicenseService) FindLicenseByID(ctx context.Context, id string) (*zhengzhao.License, error) {
	return s.FindLicenseByIDFn(ctx, id)
}

// FindLicenses calls FindLicensesFn.
func (s *LicenseService) FindLicenses(ctx context.Context, f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
	return s.FindLicensesFn(ctx, f)
}

// UpdateLicense calls UpdateLicenseFn.
func (s *LicenseService) UpdateLicense(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
	return s.UpdateLicenseFn(ctx, id, u)
}

// RevokeLicense calls RevokeLicenseFn.
func (s *LicenseService) RevokeLicense(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
	return s.RevokeLicenseFn(ctx, id, reason)
}

// VerifyLicense calls VerifyLicenseFn.
func (s *LicenseService) VerifyLicense(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
	return s.VerifyLicenseFn(ctx, doc)
}
