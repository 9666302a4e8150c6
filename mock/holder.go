package mock

import (
	"context"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

var _ zhengzhao.HolderService = (*HolderService)(nil)

// HolderService is a mock of zhengzhao.HolderService.
type HolderService struct {
	CreateHolderSessionFn func(ctx context.Context, s *zhengzhao.HolderSession, ttl time.Duration) (secret string, err error)
	AuthenticateHolderFn  func(ctx context.Context, secret string) (*zhengzhao.HolderSession, error)
	DeleteHolderSessionFn func(ctx context.Context, secret string) error
	ActForFn              func(ctx context.Context, secret string, h zhengzhao.HolderRef) (*zhengzhao.HolderSession, error)
	FindHolderLicensesFn  func(ctx context.Context, f zhengzhao.HolderLicenseFilter) ([]*zhengzhao.License, int, string, error)
	FindHolderLicenseFn   func(ctx context.Context, id string) (*zhengzhao.HolderLicense, error)
	FindHolderUsageFn     func(ctx context.Context, id string, p zhengzhao.Page) ([]*zhengzhao.UsageEntry, int, string, error)
	FindInboxFn           func(ctx context.Context, f zhengzhao.InboxFilter) ([]*zhengzhao.InboxMessage, int, string, error)
	ReadInboxMessageFn    func(ctx context.Context, id string) (*zhengzhao.InboxMessage, error)
	CreatePresentationFn  func(ctx context.Context, r *zhengzhao.PresentationRequest) (*zhengzhao.Presentation, error)
	VerifyPresentationFn  func(ctx context.Context, token string) (*zhengzhao.PresentationResult, error)
	FindDisplayKeysFn     func(ctx context.Context) ([]*zhengzhao.DisplayKey, error)
	GrantProxyFn          func(ctx context.Context, p *zhengzhao.ProxyAuthorization) error
	RevokeProxyFn         func(ctx context.Context, id string) (*zhengzhao.ProxyAuthorization, error)
	FindProxiesFn         func(ctx context.Context, f zhengzhao.ProxyFilter) ([]*zhengzhao.ProxyAuthorization, error)
	DemoHoldersFn         func(ctx context.Context, limit int) ([]zhengzhao.Holder, error)
}

// CreateHolderSession calls CreateHolderSessionFn.
func (m *HolderService) CreateHolderSession(ctx context.Context, s *zhengzhao.HolderSession, ttl time.Duration) (secret string, err error) {
	return m.CreateHolderSessionFn(ctx, s, ttl)
}

// AuthenticateHolder calls AuthenticateHolderFn.
func (m *HolderService) AuthenticateHolder(ctx context.Context, secret string) (*zhengzhao.HolderSession, error) {
	return m.AuthenticateHolderFn(ctx, secret)
}

// DeleteHolderSession calls DeleteHolderSessionFn.
func (m *HolderService) DeleteHolderSession(ctx context.Context, secret string) error {
	return m.DeleteHolderSessionFn(ctx, secret)
}

// ActFor calls ActForFn.
func (m *HolderService) ActFor(ctx context.Context, secret string, h zhengzhao.HolderRef) (*zhengzhao.HolderSession, error) {
	return m.ActForFn(ctx, secret, h)
}

// FindHolderLicenses calls FindHolderLicensesFn.
func (m *HolderService) FindHolderLicenses(ctx context.Context, f zhengzhao.HolderLicenseFilter) ([]*zhengzhao.License, int, string, error) {
	return m.FindHolderLicensesFn(ctx, f)
}

// FindHolderLicense calls FindHolderLicenseFn.
func (m *HolderService) FindHolderLicense(ctx context.Context, id string) (*zhengzhao.HolderLicense, error) {
	return m.FindHolderLicenseFn(ctx, id)
}

// FindHolderUsage calls FindHolderUsageFn.
func (m *HolderService) FindHolderUsage(ctx context.Context, id string, p zhengzhao.Page) ([]*zhengzhao.UsageEntry, int, string, error) {
	return m.FindHolderUsageFn(ctx, id, p)
}

// FindInbox calls FindInboxFn.
func (m *HolderService) FindInbox(ctx context.Context, f zhengzhao.InboxFilter) ([]*zhengzhao.InboxMessage, int, string, error) {
	return m.FindInboxFn(ctx, f)
}

// ReadInboxMessage calls ReadInboxMessageFn.
func (m *HolderService) ReadInboxMessage(ctx context.Context, id string) (*zhengzhao.InboxMessage, error) {
	return m.ReadInboxMessageFn(ctx, id)
}

// CreatePresentation calls CreatePresentationFn.
func (m *HolderService) CreatePresentation(ctx context.Context, r *zhengzhao.PresentationRequest) (*zhengzhao.Presentation, error) {
	return m.CreatePresentationFn(ctx, r)
}

// VerifyPresentation calls VerifyPresentationFn.
func (m *HolderService) VerifyPresentation(ctx context.Context, token string) (*zhengzhao.PresentationResult, error) {
	return m.VerifyPresentationFn(ctx, token)
}

// FindDisplayKeys calls FindDisplayKeysFn.
func (m *HolderService) FindDisplayKeys(ctx context.Context) ([]*zhengzhao.DisplayKey, error) {
	return m.FindDisplayKeysFn(ctx)
}

// GrantProxy calls GrantProxyFn.
func (m *HolderService) GrantProxy(ctx context.Context, p *zhengzhao.ProxyAuthorization) error {
	return m.GrantProxyFn(ctx, p)
}

// RevokeProxy calls RevokeProxyFn.
func (m *HolderService) RevokeProxy(ctx context.Context, id string) (*zhengzhao.ProxyAuthorization, error) {
	return m.RevokeProxyFn(ctx, id)
}

// FindProxies calls FindProxiesFn.
func (m *HolderService) FindProxies(ctx context.Context, f zhengzhao.ProxyFilter) ([]*zhengzhao.ProxyAuthorization, error) {
	return m.FindProxiesFn(ctx, f)
}

// DemoHolders calls DemoHoldersFn.
func (m *HolderService) DemoHolders(ctx context.Context, limit int) ([]zhengzhao.Holder, error) {
	return m.DemoHoldersFn(ctx, limit)
}
