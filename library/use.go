// Measures art. 13 (用证清单) and art. 14 (材料免交): service matters, usage lists and the
// material exemption query.

package library

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// The use area (Measures art. 13–15, 17–20, 26): service matters and usage
// lists, material exemption and fetches by using units, scenarios, and
// consent grants for social units. Every use and every refused use is in
// the audit log; a refusal is written in its own transaction, so that it
// stays on record although the request changes nothing else.

// requireAuthenticated refuses the anonymous actor.
func requireAuthenticated(ctx context.Context) (zhengzhao.Actor, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if a.Kind == zhengzhao.ActorAnonymous || a.Kind == "" {
		return a, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	}
	return a, nil
}

// refuse writes the audit entry of a refused use in its own transaction
// and returns err. An anonymous caller's refusal is not written: it names
// nobody, and anyone could fill the log with it.
func (l *core) refuse(ctx context.Context, err error, e zhengzhao.AuditEntry) error {
	a := zhengzhao.ActorFromContext(ctx)
	if a.Kind == zhengzhao.ActorAnonymous || a.Kind == "" {
		return err
	}
	d := map[string]string{"reason": refusalReason(err), "code": zhengzhao.ErrorCode(err)}
	for k, v := range e.Details {
		if v != "" {
			d[k] = v
		}
	}
	e.Action, e.Details = zhengzhao.ActionUseRefused, d
	if e.License != "" && e.LicenseBase == "" {
		if id, perr := zhengzhao.ParseLicenseID(e.License); perr == nil || id.TypeCode != "" {
			e.LicenseBase = id.Base()
		}
	}
	werr := l.store.Update(context.WithoutCancel(ctx), func(tx zhengzhao.Tx) error { return audit(ctx, tx, e) })
	if werr != nil {
		l.log.ErrorContext(ctx, "audit refused use", "actor", a.ID(), "err", werr)
	}
	if e.License != "" {
		l.countRefusal(ctx, a, e.License, err)
	}
	return err
}

// refusalReason is the message of a refusal with its field errors.
func refusalReason(err error) string {
	msg := zhengzhao.ErrorMessage(err)
	var fs []string
	for _, f := range zhengzhao.ErrorFields(err) {
		fs = append(fs, f.Field+": "+f.Message)
	}
	if len(fs) > 0 {
		msg += " (" + strings.Join(fs, "; ") + ")"
	}
	return truncate(msg, 500)
}

// Service matters and usage lists (art. 13).

// mayManage reports whether the actor manages objects of the unit: the
// administrator, or the unit itself with the role.
func mayManage(a zhengzhao.Actor, unit string, r zhengzhao.Role) bool {
	return isAdmin(a) || (a.IsUnit(unit) && a.Unit.HasRole(r))
}

// CreateMatter defines a service matter.
func (l *Use) CreateMatter(ctx context.Context, m *zhengzhao.Matter) error {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return err
	}
	if !isAdmin(a) {
		u, err := requireUnitRole(ctx, zhengzhao.RoleUser)
		if err != nil {
			return err
		}
		if m.Owner == "" {
			m.Owner = u.Code
		}
		if m.Owner != u.Code {
			return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "a using unit defines only its own matters")
		}
	}
	if err := m.Validate(); err != nil {
		return err
	}
	now := l.nowUTC()
	m.CreatedAt, m.UpdatedAt = now, now
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := ownerExists(tx, m.Owner); err != nil {
			return err
		}
		if err := tx.CreateMatter(m); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionMatterCreate, Subject: m.Code,
			Details: map[string]string{"name": m.Name, "owner": m.Owner, "materials": materialKeys(m)}})
	})
	if err != nil {
		return fmt.Errorf("create matter %s: %w", m.Code, err)
	}
	return nil
}

func ownerExists(tx zhengzhao.ReadTx, code string) error {
	if _, err := tx.FindUnitByCode(code); zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
		return zhengzhao.Invalid("invalid matter", []zhengzhao.FieldError{{Field: "owner", Message: "no unit " + code}})
	} else if err != nil {
		return err
	}
	return nil
}

func materialKeys(m *zhengzhao.Matter) string {
	ks := make([]string, len(m.Materials))
	for i, mat := range m.Materials {
		ks[i] = mat.Key
	}
	return strings.Join(ks, ",")
}

// UpdateMatter changes a matter's name, applicant kind and materials; the
// administrator may also change its owner.
func (l *Use) UpdateMatter(ctx context.Context, m *zhengzhao.Matter) (*zhengzhao.Matter, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		old, err := tx.FindMatterByCode(m.Code)
		if err != nil {
			return err
		}
		if !mayManage(a, old.Owner, zhengzhao.RoleUser) {
			return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator or the owning unit may change matter %s", m.Code)
		}
		if m.Owner == "" || !isAdmin(a) {
			m.Owner = old.Owner
		}
		if err := m.Validate(); err != nil {
			return err
		}
		if err := ownerExists(tx, m.Owner); err != nil {
			return err
		}
		m.CreatedAt, m.UpdatedAt = old.CreatedAt, tx.Now()
		if err := tx.UpdateMatter(m); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionMatterUpdate, Subject: m.Code,
			Details: map[string]string{"name": m.Name, "owner": m.Owner, "materials": materialKeys(m)}})
	})
	if err != nil {
		return nil, fmt.Errorf("update matter %s: %w", m.Code, err)
	}
	return m, nil
}

// FindMatterByCode returns a matter to any authenticated party.
func (l *Use) FindMatterByCode(ctx context.Context, code string) (*zhengzhao.Matter, error) {
	if _, err := requireAuthenticated(ctx); err != nil {
		return nil, err
	}
	var m *zhengzhao.Matter
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		m, err = tx.FindMatterByCode(code)
		return err
	})
	return m, err
}

// FindMatters lists matters by code, of one owner when owner is set.
func (l *Use) FindMatters(ctx context.Context, owner string, p zhengzhao.Page) ([]*zhengzhao.Matter, int, string, error) {
	if _, err := requireAuthenticated(ctx); err != nil {
		return nil, 0, "", err
	}
	var ms []*zhengzhao.Matter
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		ms, err = tx.FindMatters(owner)
		return err
	})
	if err != nil {
		return nil, 0, "", err
	}
	return pageOf(ms, p)
}

// pageOf cuts one page out of a short list with an offset cursor.
func pageOf[T any](items []T, p zhengzhao.Page) ([]T, int, string, error) {
	p = p.Normalize()
	off := 0
	if p.Cursor != "" {
		var err error
		if off, err = strconv.Atoi(p.Cursor); err != nil || off < 0 || off > len(items) {
			return nil, 0, "", zhengzhao.Invalid("invalid cursor", []zhengzhao.FieldError{{Field: "cursor", Message: "not a cursor this list handed out"}})
		}
	}
	total := len(items)
	items = items[off:]
	next := ""
	if len(items) > p.Limit {
		items, next = items[:p.Limit], strconv.Itoa(off+p.Limit)
	}
	return items, total, next, nil
}

// PutUsageList sets a using unit's usage list for a matter.
func (l *Use) PutUsageList(ctx context.Context, u *zhengzhao.UsageList) (*zhengzhao.UsageList, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	if !mayManage(a, u.Unit, zhengzhao.RoleUser) {
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator or unit %s may set its usage lists", u.Unit)
	}
	known := map[string]bool{}
	for _, it := range u.Items {
		for _, c := range it.LicenseTypes {
			t, err := l.licenseType(ctx, c)
			if err != nil {
				return nil, err
			}
			known[c] = t != nil
		}
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		unit, err := tx.FindUnitByCode(u.Unit)
		if err != nil {
			return err
		}
		if !unit.HasRole(zhengzhao.RoleUser) {
			return zhengzhao.Invalid("invalid usage list", []zhengzhao.FieldError{{Field: "unit", Message: "unit " + u.Unit + " is not a using unit"}})
		}
		m, err := tx.FindMatterByCode(u.Matter)
		if err != nil {
			return err
		}
		if err := u.Validate(m, func(c string) bool { return known[c] }); err != nil {
			return err
		}
		u.UpdatedAt = tx.Now()
		if err := tx.PutUsageList(u); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUsageListPut, Subject: u.Unit,
			Details: map[string]string{"matter": u.Matter, "items": usageItems(u)}})
	})
	if err != nil {
		return nil, fmt.Errorf("put usage list %s/%s: %w", u.Unit, u.Matter, err)
	}
	return u, nil
}

func usageItems(u *zhengzhao.UsageList) string {
	var parts []string
	for _, it := range u.Items {
		parts = append(parts, it.Material+"="+strings.Join(it.LicenseTypes, "|"))
	}
	return strings.Join(parts, ",")
}

// DeleteUsageList removes a usage list.
func (l *Use) DeleteUsageList(ctx context.Context, unit, matter string) error {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return err
	}
	if !mayManage(a, unit, zhengzhao.RoleUser) {
		return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator or unit %s may change its usage lists", unit)
	}
	return l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.DeleteUsageList(unit, matter); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUsageListDelete, Subject: unit,
			Details: map[string]string{"matter": matter}})
	})
}

// FindUsageLists lists a unit's usage lists.
func (l *Use) FindUsageLists(ctx context.Context, unit string) ([]*zhengzhao.UsageList, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	if !isAdmin(a) && !a.IsUnit(unit) {
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "a unit sees only its own usage lists")
	}
	var us []*zhengzhao.UsageList
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		us, err = tx.FindUsageLists(unit)
		return err
	})
	return us, err
}

// Material exemption and fetches (art. 14, 15).

// useCheck is what a using unit's request is checked against: the matter
// of its context and the unit's usage list for it.
type useCheck struct {
	unit   *zhengzhao.Unit
	matter *zhengzhao.Matter
	list   *zhengzhao.UsageList
}

// checkUse checks a using unit's context: the actor is a using unit, the
// five items are present, the matter exists under that code and name, and,
// when onList, it is on the unit's usage list. fe carries the request's
// other field errors. then, if not nil, runs the request's own reads in
// the same read transaction once the checks pass: one transaction per
// request on the hot path of exemption queries.
func (l *core) checkUse(ctx context.Context, c *zhengzhao.UseContext, fe []zhengzhao.FieldError, onList bool,
	then func(zhengzhao.ReadTx, *useCheck) error) (*useCheck, error) {
	u, err := requireUnitRole(ctx, zhengzhao.RoleUser)
	if err != nil {
		return nil, err
	}
	c.Unit = u.Code
	fe = append(fe, zhengzhao.ErrorFields(c.Validate())...)
	if err := zhengzhao.Invalid("invalid use request", fe); err != nil {
		return nil, err
	}
	uc := &useCheck{unit: u}
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if uc.matter, err = tx.FindMatterByCode(c.MatterCode); zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return zhengzhao.Invalid("unknown matter "+c.MatterCode, []zhengzhao.FieldError{{Field: "context.matter_code", Message: "no such matter"}})
		} else if err != nil {
			return err
		}
		if uc.matter.Name != c.MatterName {
			return zhengzhao.Invalid("the matter name does not match matter "+c.MatterCode,
				[]zhengzhao.FieldError{{Field: "context.matter_name", Message: "matter " + c.MatterCode + " is named " + uc.matter.Name}})
		}
		if onList {
			if uc.list, err = tx.FindUsageList(u.Code, c.MatterCode); zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
				return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "matter %s is not on the usage list of unit %s", c.MatterCode, u.Code)
			} else if err != nil {
				return err
			}
		}
		if then != nil {
			return then(tx, uc)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return uc, nil
}

// Exemption answers which of a matter's materials the applicant need not
// hand in, and audits the question with its context.
func (l *Use) Exemption(ctx context.Context, r *zhengzhao.ExemptionRequest) (*zhengzhao.Exemption, error) {
	var fe []zhengzhao.FieldError
	if r.Matter == "" {
		r.Matter = r.Context.MatterCode
	}
	if r.Matter != r.Context.MatterCode {
		fe = append(fe, zhengzhao.FieldError{Field: "matter", Message: "differs from context.matter_code"})
	}
	for _, f := range zhengzhao.ErrorFields(zhengzhao.ValidateHolderRef(r.Applicant)) {
		fe = append(fe, zhengzhao.FieldError{Field: "applicant." + f.Field, Message: f.Message})
	}
	refusal := zhengzhao.AuditEntry{Subject: r.Applicant.String(), Details: r.Context.Details()}
	ex := &zhengzhao.Exemption{Applicant: r.Applicant}
	uc, err := l.checkUse(ctx, &r.Context, fe, true, func(tx zhengzhao.ReadTx, uc *useCheck) (err error) {
		if want := applicantIDType(uc.matter.ApplicantKind); r.Applicant.IDType != want {
			return zhengzhao.Invalid("the applicant of matter "+uc.matter.Code+" is a "+string(uc.matter.ApplicantKind),
				[]zhengzhao.FieldError{{Field: "applicant.id_type", Message: "must be " + want}})
		}
		ex.Materials, err = l.coverage(tx, uc, r.Applicant)
		return err
	})
	if err != nil {
		refusal.Details = r.Context.Details()
		return nil, l.refuse(ctx, err, refusal)
	}
	ex.Matter = uc.matter
	var exempted []string
	for _, m := range ex.Materials {
		if m.Exempted {
			exempted = append(exempted, m.Material.Key)
		}
	}
	d := r.Context.Details()
	d["exempted"] = strings.Join(exempted, ",")
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUseExemption, Subject: r.Applicant.String(), Details: d})
	})
	if err != nil {
		return nil, err
	}
	return ex, nil
}

func applicantIDType(k zhengzhao.HolderKind) string {
	if k == zhengzhao.HolderPerson {
		return zhengzhao.IDTypeResident
	}
	return zhengzhao.IDTypeUSCC
}

// coverage matches the applicant's current, valid licenses against the
// unit's usage list for the matter. The licenses are read by holder ID
// (an index in both stores), newest version only.
func (l *core) coverage(tx zhengzhao.ReadTx, uc *useCheck, h zhengzhao.HolderRef) ([]zhengzhao.MaterialCoverage, error) {
	lics, err := holderLicenses(tx, h)
	if err != nil {
		return nil, err
	}
	now := l.now()
	byType := map[string][]zhengzhao.LicenseRef{}
	for _, lic := range lics {
		if lic.StatusAt(now) != zhengzhao.StatusValid {
			continue // superseded, revoked or expired
		}
		byType[lic.Type] = append(byType[lic.Type], zhengzhao.LicenseRef{ID: lic.ID, Type: lic.Type, TypeName: lic.TypeName, Status: zhengzhao.StatusValid})
	}
	out := make([]zhengzhao.MaterialCoverage, 0, len(uc.matter.Materials))
	for _, mat := range uc.matter.Materials {
		mc := zhengzhao.MaterialCoverage{Material: mat, LicenseTypes: []string{}, Licenses: []zhengzhao.LicenseRef{}}
		for _, it := range uc.list.Items {
			if it.Material != mat.Key {
				continue
			}
			mc.LicenseTypes = append(mc.LicenseTypes, it.LicenseTypes...)
			for _, t := range it.LicenseTypes {
				mc.Licenses = append(mc.Licenses, byType[t]...)
			}
		}
		mc.Exempted = len(mc.Licenses) > 0
		out = append(out, mc)
	}
	return out, nil
}

// FetchLicense returns a license to a using unit for a case of a matter on
// its usage list that accepts the license's type (art. 15), and audits
// the fetch with its five context items.
func (l *Use) FetchLicense(ctx context.Context, r *zhengzhao.FetchRequest) (*zhengzhao.License, error) {
	var fe []zhengzhao.FieldError
	if r.License == "" {
		fe = append(fe, zhengzhao.FieldError{Field: "license", Message: "required"})
	}
	refusal := zhengzhao.AuditEntry{License: r.License}
	var lic *zhengzhao.License
	uc, err := l.checkUse(ctx, &r.Context, fe, true, func(tx zhengzhao.ReadTx, _ *useCheck) (err error) {
		lic, err = tx.FindLicenseByID(r.License)
		return err
	})
	refusal.Details = r.Context.Details()
	if err != nil {
		return nil, l.refuse(ctx, err, refusal)
	}
	materials := uc.list.Accepts(lic.Type)
	if len(materials) == 0 {
		err := zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "the usage list of unit %s for matter %s does not accept license type %s",
			uc.unit.Code, uc.matter.Code, lic.Type)
		return nil, l.refuse(ctx, err, refusal)
	}
	if uc.matter.ApplicantKind != "" && lic.Holder.Kind != uc.matter.ApplicantKind {
		err := zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "matter %s is applied for by a %s, license %s is held by a %s",
			uc.matter.Code, uc.matter.ApplicantKind, lic.ID, lic.Holder.Kind)
		return nil, l.refuse(ctx, err, refusal)
	}
	d := r.Context.Details()
	d["materials"] = strings.Join(materials, ",")
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionUseFetch, License: lic.ID, LicenseBase: lic.Base(),
			Subject: uc.matter.Code, Details: d})
	})
	if err != nil {
		return nil, fmt.Errorf("fetch license %s: %w", r.License, err)
	}
	l.effective(lic)
	return lic, nil
}

// typeLookup returns a function that finds catalog entries through the
// library's cache.
func (l *core) typeLookup(ctx context.Context) func(string) *zhengzhao.LicenseType {
	return func(code string) *zhengzhao.LicenseType {
		t, err := l.licenseType(ctx, code)
		if err != nil {
			return nil
		}
		return t
	}
}
