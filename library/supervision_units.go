// Measures art. 25 (专人管理) and art. 29 (监督考核): the units' responsible staff, the
// public catalog, and random checks.

package library

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/zhengzhao-project/zhengzhao"
)

// Responsible staff (art. 25), the public catalog (art. 7) and random
// checks (art. 29).

// mayManageUnit returns nil when the actor is the administrator or the
// unit itself.
func mayManageUnit(ctx context.Context, unit string) error {
	a := zhengzhao.ActorFromContext(ctx)
	if isAdmin(a) || a.IsUnit(unit) {
		return nil
	}
	if err := requireAdmin(ctx); err != nil {
		return zhengzhao.Errorf(zhengzhao.ErrorCode(err), "only the administrator or unit %s itself may do this", unit)
	}
	return nil
}

// CreateUnitContact records a responsible administrator of a unit.
func (l *Supervision) CreateUnitContact(ctx context.Context, c *zhengzhao.UnitContact) error {
	if err := mayManageUnit(ctx, c.Unit); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	c.ID, c.Masked = "ctc-"+strings.ToLower(newSerial(l.now())), false
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if _, err := tx.FindUnitByCode(c.Unit); zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no unit %s", c.Unit)
		} else if err != nil {
			return err
		}
		c.CreatedAt = tx.Now()
		if err := tx.CreateUnitContact(c); err != nil {
			return err
		}
		// The audit log is append-only and kept for years: it records
		// the contact's ID and title, never the personal data.
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionContactCreate, Subject: c.Unit,
			Details: map[string]string{"contact": c.ID, "title": c.Title}})
	})
	if err != nil {
		return fmt.Errorf("create contact of unit %s: %w", c.Unit, err)
	}
	return nil
}

// FindUnitContacts lists a unit's responsible administrators, masked.
func (l *Supervision) FindUnitContacts(ctx context.Context, unit string) ([]*zhengzhao.UnitContact, error) {
	if err := mayManageUnit(ctx, unit); err != nil {
		return nil, err
	}
	var cs []*zhengzhao.UnitContact
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if _, err := tx.FindUnitByCode(unit); zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no unit %s", unit)
		} else if err != nil {
			return err
		}
		cs, err = tx.FindUnitContacts(unit)
		return err
	})
	for i, c := range cs {
		cs[i] = c.Mask()
	}
	return cs, err
}

// DeleteUnitContact removes a responsible administrator.
func (l *Supervision) DeleteUnitContact(ctx context.Context, unit, id string) error {
	if err := mayManageUnit(ctx, unit); err != nil {
		return err
	}
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.DeleteUnitContact(unit, id); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionContactDelete, Subject: unit,
			Details: map[string]string{"contact": id}})
	})
	if err != nil {
		return fmt.Errorf("delete contact %s of unit %s: %w", id, unit, err)
	}
	return nil
}

// FindUnitsWithoutContacts lists the units that have named no responsible
// administrator.
func (l *Supervision) FindUnitsWithoutContacts(ctx context.Context, p zhengzhao.Page) ([]*zhengzhao.Unit, int, string, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, 0, "", err
	}
	var (
		us   []*zhengzhao.Unit
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		us, n, next, err = tx.FindUnitsWithoutContacts(p.Normalize())
		return err
	})
	return us, n, next, err
}

// levelOrder sorts levels national, municipal, district.
var levelOrder = map[string]int{zhengzhao.LevelNational: 0, zhengzhao.LevelMunicipal: 1, zhengzhao.LevelDistrict: 2}

// PublicCatalog returns the public license types grouped by issuing unit
// and standard level. A type open to any issuing unit (no issuers listed)
// is listed under the authority that defined it.
func (l *Supervision) PublicCatalog(ctx context.Context) (*zhengzhao.PublicCatalog, error) {
	cat := &zhengzhao.PublicCatalog{GeneratedAt: l.nowUTC(), Issuers: []zhengzhao.CatalogIssuer{}}
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		byIssuer := map[string]map[string][]zhengzhao.CatalogEntry{}
		var order []string
		for cursor := ""; ; {
			ts, _, next, err := tx.FindLicenseTypes(zhengzhao.LicenseTypeFilter{PublicOnly: true, Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit, Cursor: cursor}})
			if err != nil {
				return err
			}
			for _, t := range ts {
				cat.Total++
				e := zhengzhao.CatalogEntry{Code: t.Code, Name: t.Name, HolderKind: t.HolderKind, CollectSince: t.CollectSince,
					Fields: make([]zhengzhao.CatalogField, len(t.Fields))}
				for i, f := range t.Fields {
					e.Fields[i] = zhengzhao.CatalogField{Key: f.Key, Label: f.Label}
				}
				issuers := t.Issuers
				if len(issuers) == 0 {
					issuers = []string{t.Definer}
				}
				for _, code := range issuers {
					if byIssuer[code] == nil {
						byIssuer[code] = map[string][]zhengzhao.CatalogEntry{}
						order = append(order, code)
					}
					byIssuer[code][t.Level] = append(byIssuer[code][t.Level], e)
				}
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		for _, code := range order {
			ci := zhengzhao.CatalogIssuer{Issuer: zhengzhao.Party{Code: code, Name: code}}
			if u, err := tx.FindUnitByCode(code); err == nil {
				ci.Issuer.Name = u.Name
			} else if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
				return err
			}
			for level, entries := range byIssuer[code] {
				slices.SortFunc(entries, func(a, b zhengzhao.CatalogEntry) int { return cmp.Compare(a.Code, b.Code) })
				ci.Levels = append(ci.Levels, zhengzhao.CatalogLevel{Level: level, Types: entries})
			}
			slices.SortFunc(ci.Levels, func(a, b zhengzhao.CatalogLevel) int { return cmp.Compare(levelOrder[a.Level], levelOrder[b.Level]) })
			cat.Issuers = append(cat.Issuers, ci)
		}
		slices.SortStableFunc(cat.Issuers, func(a, b zhengzhao.CatalogIssuer) int { return cmp.Compare(a.Issuer.Code, b.Issuer.Code) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return cat, nil
}

// CreateRandomCheck draws a random sample of a unit's licenses or uses
// for review. The sample is drawn by position in storage order, reading a
// few rows per item however many the unit has.
func (l *Supervision) CreateRandomCheck(ctx context.Context, r *zhengzhao.RandomCheckRequest) (*zhengzhao.RandomCheck, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	points := make([]float64, r.Size)
	for i := range points {
		points[i] = rand.Float64() // math/rand/v2's global source is seeded randomly
	}
	slices.Sort(points)
	c := &zhengzhao.RandomCheck{ID: "chk-" + strings.ToLower(newSerial(l.now())), Unit: r.Unit, Kind: r.Kind,
		CreatedBy: zhengzhao.ActorFromContext(ctx).ID(), Items: []zhengzhao.CheckItem{}}
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if _, err := tx.FindUnitByCode(r.Unit); zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no unit %s", r.Unit)
		} else if err != nil {
			return err
		}
		switch r.Kind {
		case zhengzhao.CheckLicenses:
			ls, err := tx.SampleLicenses(r.Unit, points)
			if err != nil {
				return err
			}
			for _, lic := range ls {
				c.Items = append(c.Items, zhengzhao.CheckItem{License: lic.ID})
			}
		case zhengzhao.CheckUses:
			es, err := tx.SampleUses("unit:"+r.Unit, points)
			if err != nil {
				return err
			}
			for _, e := range es {
				c.Items = append(c.Items, zhengzhao.CheckItem{License: e.License, AuditIndex: &e.Index})
			}
		}
		if len(c.Items) == 0 {
			return zhengzhao.Invalid("invalid random check", []zhengzhao.FieldError{{Field: "unit",
				Message: fmt.Sprintf("unit %s has no %s to sample", r.Unit, r.Kind)}})
		}
		c.CreatedAt = tx.Now()
		if err := tx.CreateRandomCheck(c); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionCheckCreate, Subject: c.ID,
			Details: map[string]string{"unit": c.Unit, "kind": c.Kind, "items": fmt.Sprint(len(c.Items))}})
	})
	if err != nil {
		return nil, fmt.Errorf("create random check of unit %s: %w", r.Unit, err)
	}
	return c, nil
}

// FindRandomCheckByID returns a random check to the administrator or the
// checked unit.
func (l *Supervision) FindRandomCheckByID(ctx context.Context, id string) (*zhengzhao.RandomCheck, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if a.Kind == zhengzhao.ActorAnonymous || a.Kind == "" {
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	}
	var c *zhengzhao.RandomCheck
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		c, err = tx.FindRandomCheckByID(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !isAdmin(a) && !a.IsUnit(c.Unit) {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no random check %s", id)
	}
	return c, nil
}

// FindRandomChecks lists random checks: the administrator's, or a unit's
// own.
func (l *Supervision) FindRandomChecks(ctx context.Context, f zhengzhao.RandomCheckFilter) ([]*zhengzhao.RandomCheck, int, string, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) {
		if a.Kind != zhengzhao.ActorUnit || a.Unit == nil {
			return nil, 0, "", requireAdmin(ctx)
		}
		if f.Unit != nil && *f.Unit != a.Unit.Code {
			return nil, 0, "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "a unit sees only its own random checks")
		}
		f.Unit = &a.Unit.Code
	}
	f.Page = f.Page.Normalize()
	var (
		cs   []*zhengzhao.RandomCheck
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		cs, n, next, err = tx.FindRandomChecks(f)
		return err
	})
	return cs, n, next, err
}

// ReviewRandomCheck records the outcome of reviewing item (from 0) of a
// random check; an item is reviewed once.
func (l *Supervision) ReviewRandomCheck(ctx context.Context, id string, item int, r *zhengzhao.CheckReview) (*zhengzhao.RandomCheck, error) {
	if err := requireAdmin(ctx); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var c *zhengzhao.RandomCheck
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		if c, err = tx.FindRandomCheckByID(id); err != nil {
			return err
		}
		if item < 0 || item >= len(c.Items) {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "random check %s has no item %d", id, item)
		}
		it := &c.Items[item]
		if it.Outcome != "" {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "item %d of random check %s is already reviewed (%s)", item, id, it.Outcome)
		}
		now := tx.Now()
		it.Outcome, it.Note, it.ReviewedAt, it.ReviewedBy = r.Outcome, r.Note, &now, zhengzhao.ActorFromContext(ctx).ID()
		c.Tally()
		if err := tx.UpdateRandomCheck(c); err != nil {
			return err
		}
		var typ string
		if lid, err := zhengzhao.ParseLicenseID(it.License); err == nil || lid.TypeCode != "" {
			typ = lid.TypeCode
		}
		stats := []zhengzhao.StatDelta{{Day: chinaDate(now), Unit: c.Unit, Type: typ, Metric: zhengzhao.MetricCheckReviewed, N: 1}}
		if r.Outcome == zhengzhao.OutcomeFail {
			stats = append(stats, zhengzhao.StatDelta{Day: stats[0].Day, Unit: c.Unit, Type: typ, Metric: zhengzhao.MetricCheckFailed, N: 1})
		}
		if err := tx.AddStats(stats); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionCheckReview, License: it.License, Subject: c.ID,
			Details: map[string]string{"item": fmt.Sprint(item), "outcome": r.Outcome, "unit": c.Unit}})
	})
	if err != nil {
		return nil, fmt.Errorf("review random check %s: %w", id, err)
	}
	return c, nil
}
