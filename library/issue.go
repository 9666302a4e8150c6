// Measures art. 8 (issue), art. 9 (delivery) and art. 10 (import): the one
// issue path. Every way a license version comes to be — the API
// (IssueLicense, UpdateLicense, RevokeLicense), a daily increment
// (SubmitIncrement) and a bulk import (Import) — builds it with newLicense
// and commits it with one commit step per act: commitIssue, commitUpdate,
// commitRevoke, and commitImport for a batch of imported licenses. A rule
// added to a step (delivery, audit, statistics) reaches every path.
//
// The one difference is on purpose: an import brings in historical
// records, whose issue happened before the library, so commitImport
// neither delivers them to the holders' inboxes nor counts them as issues
// in the supervision statistics (docs/architecture.md, "One issue path").

package library

import (
	"context"
	"errors"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// issueContent is what an issue request says about the license, in the
// form of an update: the content of one version.
func issueContent(r *zhengzhao.IssueRequest) *zhengzhao.LicenseUpdate {
	return &zhengzhao.LicenseUpdate{Number: r.Number, Holder: r.Holder, IssuedOn: r.IssuedOn, ValidFrom: r.ValidFrom,
		ValidUntil: r.ValidUntil, Fields: r.Fields}
}

// newLicense is the one constructor of a license version: version id of a
// license of the type by the issuer with content c, superseding the
// version supersedes ("" for the first). It is valid and not signed yet.
func newLicense(typ *zhengzhao.LicenseType, issuer zhengzhao.Party, id zhengzhao.LicenseID, supersedes string, c *zhengzhao.LicenseUpdate) *zhengzhao.License {
	return &zhengzhao.License{
		ID: id.String(), Type: typ.Code, TypeName: typ.Name, Version: id.VersionString(), Serial: id.Serial,
		Number: c.Number, Issuer: issuer, Holder: c.Holder, IssuedOn: c.IssuedOn, ValidFrom: c.ValidFrom,
		ValidUntil: c.ValidUntil, Fields: fieldsOrEmpty(c.Fields), Supersedes: supersedes, Status: zhengzhao.StatusValid,
	}
}

// errLastVersion reports a license at version 999, which has no next.
var errLastVersion = errors.New("has reached version 999")

// nextLicense builds the version after cur with content c (newLicense).
// errLastVersion at version 999.
func nextLicense(typ *zhengzhao.LicenseType, issuer zhengzhao.Party, cur *zhengzhao.License, c *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
	id, err := zhengzhao.ParseLicenseID(cur.ID)
	if id.TypeCode == "" {
		return nil, &zhengzhao.Error{Code: zhengzhao.EINTERNAL, Message: "stored license " + cur.ID + " has a bad id", Err: err}
	}
	if id.Version >= 999 {
		return nil, errLastVersion
	}
	id.Version++
	return newLicense(typ, issuer, id, cur.ID, c), nil
}

// issueTx is what the commit steps need of a transaction: store the
// license versions, deliver (inboxWriter) and audit (auditWriter).
type issueTx interface {
	CreateLicense(l *zhengzhao.License) error
	UpdateLicenseLifecycle(l *zhengzhao.License) error
	inboxWriter
	auditWriter
}

// importTx is what commitImport needs of a transaction.
type importTx interface {
	ImportLicenses(ls []*zhengzhao.License, es []*zhengzhao.AuditEntry) error
	statsWriter
}

// version is a signed license version waiting for its commit step.
type version struct {
	lic    *zhengzhao.License
	digest string // SHA-256 (hex) of the signed canonical document
	kid    string // the signing key
}

// signVersion signs lic with s (outside any transaction: signing is slow).
func (l *core) signVersion(s *sign.Signer, lic *zhengzhao.License) (*version, error) {
	d, err := l.signLicense(s, lic)
	if err != nil {
		return nil, err
	}
	return &version{lic: lic, digest: d, kid: s.KeyID()}, nil
}

// issueDetails are the audit details of a first version, whichever path
// it came by; path adds the path's own (the increment's date, the import
// job and row).
func issueDetails(v *version, path map[string]string) map[string]string {
	d := map[string]string{"digest": v.digest, "kid": v.kid, "holder": holderRef(v.lic.Holder), "issued_on": v.lic.IssuedOn}
	maps.Copy(d, path)
	return d
}

// commitIssue stores the first version v in tx, delivers it to the holder
// (art. 9) and audits it, which counts it (supervision_stats.go).
// errSerialTaken when its type, issuer and serial are taken.
func (l *core) commitIssue(ctx context.Context, tx issueTx, v *version, path map[string]string) error {
	// Every version chain starts at 001, so the store's uniqueness of
	// type, issuer, serial and version tells a taken serial.
	if err := tx.CreateLicense(v.lic); err != nil {
		if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
			return errSerialTaken
		}
		return err
	}
	if err := l.deliver(tx, zhengzhao.DeliveryIssued, v.lic, ""); err != nil {
		return err
	}
	return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseIssue, License: v.lic.ID, LicenseBase: v.lic.Base(),
		Subject: v.lic.Type, Details: issueDetails(v, path)})
}

// commitUpdate stores the next version v of cur (read in tx and checked
// by the caller) in tx, supersedes cur, delivers and audits. ECONFLICT
// when another update stored the version first.
func (l *core) commitUpdate(ctx context.Context, tx issueTx, cur *zhengzhao.License, v *version, path map[string]string) error {
	if err := tx.CreateLicense(v.lic); err != nil {
		if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s was updated concurrently", cur.ID)
		}
		return err
	}
	cur.Status, cur.SupersededBy = zhengzhao.StatusSuperseded, v.lic.ID
	if err := tx.UpdateLicenseLifecycle(cur); err != nil {
		return err
	}
	if err := l.deliver(tx, zhengzhao.DeliveryUpdated, v.lic, cur.ID); err != nil {
		return err
	}
	d := map[string]string{"digest": v.digest, "kid": v.kid, "supersedes": cur.ID}
	maps.Copy(d, path)
	return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseUpdate, License: v.lic.ID, LicenseBase: v.lic.Base(),
		Subject: cur.ID, Details: d})
}

// commitRevoke revokes cur (read in tx and checked by the caller) for the
// reason (trimmed and checked), delivers and audits.
func (l *core) commitRevoke(ctx context.Context, tx issueTx, cur *zhengzhao.License, reason string, path map[string]string) error {
	at := tx.Now()
	cur.Status, cur.RevokedAt, cur.RevocationReason = zhengzhao.StatusRevoked, &at, reason
	if err := tx.UpdateLicenseLifecycle(cur); err != nil {
		return err
	}
	if err := l.deliver(tx, zhengzhao.DeliveryRevoked, cur, reason); err != nil {
		return err
	}
	d := map[string]string{"reason": reason}
	maps.Copy(d, path)
	return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseRevoke, License: cur.ID, LicenseBase: cur.Base(), Details: d})
}

// commitImport stores imported first versions in bulk with their audit
// entries (action license.import, the issue details and paths[i]) in tx.
// Historical records: not delivered, and countAudited does not count the
// import action as an issue. ECONFLICT when one of them exists.
func commitImport(ctx context.Context, tx importTx, actor string, vs []*version, paths []map[string]string) error {
	ls := make([]*zhengzhao.License, len(vs))
	es := make([]*zhengzhao.AuditEntry, len(vs))
	for i, v := range vs {
		ls[i] = v.lic
		es[i] = &zhengzhao.AuditEntry{Actor: actor, Action: zhengzhao.ActionLicenseImport, License: v.lic.ID,
			LicenseBase: v.lic.Base(), Subject: v.lic.Type, Details: issueDetails(v, paths[i])}
	}
	if err := tx.ImportLicenses(ls, es); err != nil {
		return err
	}
	for _, e := range es {
		if err := countAudited(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// validRevocation returns the trimmed reason of a revocation or what is
// wrong with it.
func validRevocation(reason string) (string, string) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", "required"
	case utf8.RuneCountInString(reason) > 500:
		return "", "at most 500 characters"
	}
	return reason, ""
}
