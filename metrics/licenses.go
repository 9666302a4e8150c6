package metrics

import (
	"context"

	"github.com/zhengzhao-project/zhengzhao"
)

// Licenses returns s with its verifications counted by license type, issuing
// unit and status. Only a document whose signature checks out against a
// trusted issuer names its type and unit in the labels: anyone may post a
// document, and a forged one must not add series (or data) to the metrics.
func (m *Metrics) Licenses(s zhengzhao.LicenseService) zhengzhao.LicenseService {
	return &licenses{LicenseService: s, m: m}
}

type licenses struct {
	zhengzhao.LicenseService
	m *Metrics
}

func (l *licenses) VerifyLicense(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
	res, err := l.LicenseService.VerifyLicense(ctx, doc)
	if err != nil || res == nil {
		return res, err
	}
	typ, unit := unknown, unknown
	if res.Checks.Signature && res.Checks.IssuerTrusted {
		typ, unit = licenseCodes(res.ID)
	}
	l.m.verifications.WithLabelValues(typ, unit, statusLabel(res.Status)).Inc()
	return res, nil
}

const unknown = "unknown"

// licenseCodes returns the type and issuer codes of a license ID, or
// "unknown" for what does not parse.
func licenseCodes(id string) (typ, unit string) {
	p, err := zhengzhao.ParseLicenseID(id)
	if err != nil {
		return unknown, unknown
	}
	return code(p.TypeCode), code(p.IssuerCode)
}

// code returns s when it is a code (upper-case letters and digits, at
// most 32), "unknown" otherwise.
func code(s string) string {
	if s == "" || len(s) > 32 {
		return unknown
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return unknown
		}
	}
	return s
}

func statusLabel(s string) string {
	switch s {
	case zhengzhao.StatusValid, zhengzhao.StatusRevoked, zhengzhao.StatusSuperseded, zhengzhao.StatusExpired, zhengzhao.StatusUnknown:
		return s
	case "":
		return "none"
	}
	return "other"
}
