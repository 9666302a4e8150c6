package mock

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.UnitService = (*UnitService)(nil)

// UnitService is a mock of zhengzhao.UnitService.
type UnitService struct {
	CreateUnitFn     func(ctx context.Context, u *zhengzhao.Unit) error
	FindUnitByCodeFn func(ctx context.Context, code string) (*zhengzhao.Unit, error)
	FindUnitsFn      func(ctx context.Context, f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error)
	CreateUnitKeyFn  func(ctx context.Context, unit string) (string, *zhengzhao.UnitKey, error)
	AuthenticateFn   func(ctx context.Context, secret string) (*zhengzhao.Unit, error)

	FindUnitKeysFn     func(ctx context.Context, unit string) ([]*zhengzhao.UnitKey, error)
	RevokeUnitKeyFn    func(ctx context.Context, unit, id string) (*zhengzhao.UnitKey, error)
	RotateSigningKeyFn func(ctx context.Context, unit string) (*zhengzhao.SigningKey, error)
}

// FindUnitKeys calls FindUnitKeysFn.
func (s *UnitService) FindUnitKeys(ctx context.Context, unit string) ([]*zhengzhao.UnitKey, error) {
	return s.FindUnitKeysFn(ctx, unit)
}

// RevokeUnitKey calls RevokeUnitKeyFn.
func (s *UnitService) RevokeUnitKey(ctx context.Context, unit, id string) (*zhengzhao.UnitKey, error) {
	return s.RevokeUnitKeyFn(ctx, unit, id)
}

// RotateSigningKey calls RotateSigningKeyFn.
func (s *UnitService) RotateSigningKey(ctx context.Context, unit string) (*zhengzhao.SigningKey, error) {
	return s.RotateSigningKeyFn(ctx, unit)
}

// CreateUnit calls CreateUnitFn.
func (s *UnitService) CreateUnit(ctx context.Context, u *zhengzhao.Unit) error {
	return s.CreateUnitFn(ctx, u)
}

// FindUnitByCode calls FindUnitByCodeFn.
func (s *UnitService) FindUnitByCode(ctx context.Context, code string) (*zhengzhao.Unit, error) {
	return s.FindUnitByCodeFn(ctx, code)
}

// FindUnits calls FindUnitsFn.
func (s *UnitService) FindUnits(ctx context.Context, f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
	return s.FindUnitsFn(ctx, f)
}

// CreateUnitKey calls CreateUnitKeyFn.
func (s *UnitService) CreateUnitKey(ctx context.Context, unit string) (string, *zhengzhao.UnitKey, error) {
	return s.CreateUnitKeyFn(ctx, unit)
}

// Authenticate calls AuthenticateFn.
func (s *UnitService) Authenticate(ctx context.Context, secret string) (*zhengzhao.Unit, error) {
	return s.AuthenticateFn(ctx, secret)
}
