package mock

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.KeyService = (*KeyService)(nil)

// KeyService is a mock of zhengzhao.KeyService.
type KeyService struct {
	CACertificatePEMFn func() string
	FindSigningKeysFn  func(ctx context.Context) ([]*zhengzhao.SigningKey, error)
}

// CACertificatePEM calls CACertificatePEMFn.
func (s *KeyService) CACertificatePEM() string {
	return s.CACertificatePEMFn()
}

// FindSigningKeys calls FindSigningKeysFn.
func (s *KeyService) FindSigningKeys(ctx context.Context) ([]*zhengzhao.SigningKey, error) {
	return s.FindSigningKeysFn(ctx)
}
