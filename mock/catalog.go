package mock

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.CatalogService = (*CatalogService)(nil)

// CatalogService is a mock of zhengzhao.CatalogService.
type CatalogService struct {
	CreateLicenseTypeFn     func(ctx context.Context, t *zhengzhao.LicenseType) error
	FindLicenseTypeByCodeFn func(ctx context.Context, code string) (*zhengzhao.LicenseType, error)
	FindLicenseTypesFn      func(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error)
}

// CreateLicenseType calls CreateLicenseTypeFn.
func (s *CatalogService) CreateLicenseType(ctx context.Context, t *zhengzhao.LicenseType) error {
	return s.CreateLicenseTypeFn(ctx, t)
}

// FindLicenseTypeByCode calls FindLicenseTypeByCodeFn.
func (s *CatalogService) FindLicenseTypeByCode(ctx context.Context, code string) (*zhengzhao.LicenseType, error) {
	return s.FindLicenseTypeByCodeFn(ctx, code)
}

// FindLicenseTypes calls FindLicenseTypesFn.
func (s *CatalogService) FindLicenseTypes(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
	return s.FindLicenseTypesFn(ctx, f)
}
