// Measures art. 18 (社会化应用) and art. 19 (可信授权访问): holder consent grants, and
// fetches checked against them, never beyond their scope.

package library

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// Consent grants (art. 18–19): a social unit may fetch a holder's license
// only after the holder authorised it, only the authorised fields of the
// authorised licenses, only while the grant and its scenario are in force.

// receiptIssuerName names the library as the signer of consent receipts.
const receiptIssuerName = "Zhengzhao electronic license library"

// RequestGrant records a social unit's request for consent.
func (l *Use) RequestGrant(ctx context.Context, r *zhengzhao.GrantRequest) (*zhengzhao.Grant, error) {
	u, err := requireUnitRole(ctx, zhengzhao.RoleSocial)
	if err != nil {
		return nil, err
	}
	refusal := zhengzhao.AuditEntry{Subject: r.Scenario, Details: map[string]string{"holder": r.Holder.String(),
		"purpose": truncate(r.Purpose, 200), "items": scenarioItems(r.Items)}}
	var sc *zhengzhao.Scenario
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		sc, err = tx.FindScenarioByID(r.Scenario)
		return err
	})
	switch {
	case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND || (err == nil && sc.Unit != u.Code):
		err = zhengzhao.Invalid("unknown scenario", []zhengzhao.FieldError{{Field: "scenario", Message: "you have no scenario " + r.Scenario}})
	case err != nil:
		return nil, err
	case sc.Kind != zhengzhao.ScenarioSocial:
		err = zhengzhao.Invalid("not a social scenario", []zhengzhao.FieldError{{Field: "scenario", Message: "consent is asked for under a social scenario"}})
	case sc.InForce() != "":
		err = zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "%s", sc.InForce())
	default:
		err = r.Validate(sc, l.now(), l.typeLookup(ctx))
	}
	if err != nil {
		return nil, l.refuse(ctx, err, refusal)
	}
	g := &zhengzhao.Grant{ID: "gr_" + randomHex(12), Scenario: sc.ID, Unit: u.Code, UnitName: u.Name, Holder: r.Holder,
		Purpose: r.Purpose, Items: r.Items, ValidUntil: r.ValidUntil.UTC().Truncate(time.Second), Once: r.Once,
		Status: zhengzhao.GrantRequested, CreatedAt: l.nowUTC()}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreateGrant(g); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionGrantRequest, Subject: g.ID, Details: grantDetails(g)})
	})
	if err != nil {
		return nil, fmt.Errorf("request grant: %w", err)
	}
	return g, nil
}

func grantDetails(g *zhengzhao.Grant) map[string]string {
	once := "false"
	if g.Once {
		once = "true"
	}
	return map[string]string{"grant": g.ID, "scenario": g.Scenario, "unit": g.Unit, "unit_name": g.UnitName,
		"holder": g.Holder.String(), "purpose": g.Purpose, "items": scenarioItems(g.Items),
		"valid_until": g.ValidUntil.UTC().Format(time.RFC3339), "once": once}
}

// ownGrant returns a grant of the acting holder; someone else's does not
// exist.
func ownGrant(tx zhengzhao.ReadTx, h zhengzhao.HolderRef, id string) (*zhengzhao.Grant, error) {
	g, err := tx.FindGrantByID(id)
	if err == nil && g.Holder != h {
		err = zhengzhao.Errorf(zhengzhao.ENOTFOUND, "grant %s not found", id)
	}
	return g, err
}

// DecideGrant records the holder's answer; an approval binds the holder's
// current licenses of the requested types (or the chosen ones) and signs
// the consent receipt.
func (l *Use) DecideGrant(ctx context.Context, id string, d *zhengzhao.GrantDecision) (*zhengzhao.Grant, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, err
	}
	var g *zhengzhao.Grant
	var lics []*zhengzhao.License
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if g, err = ownGrant(tx, a.Holder(), id); err != nil {
			return err
		}
		lics, err = holderLicenses(tx, a.Holder())
		return err
	})
	if err != nil {
		return nil, err
	}
	var bases []string
	if d.Approve {
		if bases, err = l.grantLicenses(g, lics, d.Licenses); err != nil {
			return nil, err
		}
	}
	var receipt json.RawMessage
	if d.Approve {
		if receipt, err = l.signReceipt(ctx, g, bases); err != nil {
			return nil, err
		}
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		if g, err = ownGrant(tx, a.Holder(), id); err != nil {
			return err
		}
		if g.Status != zhengzhao.GrantRequested {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "grant %s is already %s", id, g.Status)
		}
		now := tx.Now()
		decision := "declined"
		if d.Approve {
			if !now.Before(g.ValidUntil) {
				return zhengzhao.Errorf(zhengzhao.ECONFLICT, "the request expired at %s", g.ValidUntil.Format(time.RFC3339))
			}
			sc, err := tx.FindScenarioByID(g.Scenario)
			if err != nil {
				return err
			}
			if reason := sc.InForce(); reason != "" {
				return zhengzhao.Errorf(zhengzhao.ECONFLICT, "the unit's %s", reason)
			}
			g.Status, g.Licenses, g.Receipt, decision = zhengzhao.GrantApproved, bases, receipt, "approved"
		} else {
			g.Status = zhengzhao.GrantDeclined
		}
		g.DecidedAt = &now
		if err := tx.UpdateGrant(g); err != nil {
			return err
		}
		det := grantDetails(g)
		det["decision"], det["licenses"] = decision, strings.Join(bases, ",")
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionGrantDecide, Subject: g.ID, Details: det})
	})
	if err != nil {
		return nil, fmt.Errorf("decide grant %s: %w", id, err)
	}
	return g, nil
}

// grantLicenses returns the bases of the licenses an approval covers:
// the chosen ones, which must be the holder's valid licenses of requested
// types, or else every such license.
func (l *core) grantLicenses(g *zhengzhao.Grant, lics []*zhengzhao.License, chosen []string) ([]string, error) {
	now := l.now()
	requested := func(t string) bool {
		return slices.ContainsFunc(g.Items, func(it zhengzhao.ScenarioItem) bool { return it.LicenseType == t })
	}
	eligible := map[string]bool{}
	byID := map[string]string{}
	var all []string
	for _, lic := range lics {
		byID[lic.ID] = lic.Base()
		if lic.StatusAt(now) == zhengzhao.StatusValid && requested(lic.Type) {
			eligible[lic.Base()] = true
			all = append(all, lic.Base())
		}
	}
	if len(chosen) == 0 {
		if len(all) == 0 {
			return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "you hold no valid license of the requested types")
		}
		return all, nil
	}
	var fe []zhengzhao.FieldError
	var out []string
	for i, id := range chosen {
		b, ok := byID[id]
		switch {
		case !ok:
			fe = append(fe, zhengzhao.FieldError{Field: fmt.Sprintf("licenses[%d]", i), Message: "you hold no license " + id})
		case !eligible[b]:
			fe = append(fe, zhengzhao.FieldError{Field: fmt.Sprintf("licenses[%d]", i), Message: "not a valid license of a requested type"})
		case !slices.Contains(out, b):
			out = append(out, b)
		}
	}
	if err := zhengzhao.Invalid("invalid decision", fe); err != nil {
		return nil, err
	}
	return out, nil
}

// signReceipt signs the consent receipt of an approval with the library's
// display key (certified by the library CA), so that both sides can verify
// it offline with the trust bundle.
func (l *core) signReceipt(ctx context.Context, g *zhengzhao.Grant, bases []string) (json.RawMessage, error) {
	s, err := l.displaySigner(ctx)
	if err != nil {
		return nil, err
	}
	r := &zhengzhao.ConsentReceipt{Type: zhengzhao.ConsentReceiptType, Issuer: libraryIssuer,
		Grant: g.ID, Scenario: g.Scenario, Unit: zhengzhao.Party{Code: g.Unit, Name: g.UnitName}, Holder: g.Holder,
		Purpose: g.Purpose, Items: g.Items, Licenses: bases, ValidUntil: g.ValidUntil, Once: g.Once, Decision: "approved",
		SignedAt: l.now().UTC().Truncate(time.Second)}
	doc, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	if r.Proof, err = sign.SignDocument(s, doc); err != nil {
		return nil, fmt.Errorf("sign consent receipt: %w", err)
	}
	return json.Marshal(r)
}

// VerifyConsentReceipt checks a consent receipt offline against a trust
// store holding the library's CA: its signature, the display certificate's
// chain at signed_at, and its type. It returns the receipt, or an error
// saying why it does not verify.
func VerifyConsentReceipt(ts *sign.TrustStore, doc []byte) (*zhengzhao.ConsentReceipt, error) {
	var r zhengzhao.ConsentReceipt
	if err := json.Unmarshal(doc, &r); err != nil {
		return nil, fmt.Errorf("consent receipt: %w", err)
	}
	if err := verifyLibraryDocument(ts, doc, zhengzhao.ConsentReceiptType, r.SignedAt); err != nil {
		return nil, fmt.Errorf("consent receipt: %w", err)
	}
	return &r, nil
}

// WithdrawGrant withdraws a grant at once.
func (l *Use) WithdrawGrant(ctx context.Context, id string) (*zhengzhao.Grant, error) {
	a, err := requireHolder(ctx)
	if err != nil {
		return nil, err
	}
	var g *zhengzhao.Grant
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		if g, err = ownGrant(tx, a.Holder(), id); err != nil {
			return err
		}
		if g.Status != zhengzhao.GrantApproved && g.Status != zhengzhao.GrantRequested {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "grant %s is %s", id, g.Status)
		}
		now := tx.Now()
		g.Status, g.WithdrawnAt = zhengzhao.GrantWithdrawn, &now
		if err := tx.UpdateGrant(g); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionGrantWithdraw, Subject: g.ID, Details: grantDetails(g)})
	})
	if err != nil {
		return nil, fmt.Errorf("withdraw grant %s: %w", id, err)
	}
	return g, nil
}

// mayReadGrant reports whether the actor may see the grant.
func mayReadGrant(a zhengzhao.Actor, g *zhengzhao.Grant) bool {
	return isAdmin(a) || a.IsUnit(g.Unit) || (a.Kind == zhengzhao.ActorHolder && a.Holder() == g.Holder)
}

// FindGrantByID returns a grant to its holder, its unit or the
// administrator.
func (l *Use) FindGrantByID(ctx context.Context, id string) (*zhengzhao.Grant, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	var g *zhengzhao.Grant
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		g, err = tx.FindGrantByID(id)
		return err
	})
	if err == nil && !mayReadGrant(a, g) {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "grant %s not found", id)
	}
	return g, err
}

// FindGrants lists the holder's grants, or the acting unit's; the
// administrator's list is every grant.
func (l *Use) FindGrants(ctx context.Context) ([]*zhengzhao.Grant, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	var f zhengzhao.GrantFilter
	switch {
	case isAdmin(a):
	case a.Kind == zhengzhao.ActorHolder:
		h := a.Holder()
		f.Holder = &h
	case a.Kind == zhengzhao.ActorUnit && a.Unit != nil:
		f.Unit = &a.Unit.Code
	}
	var gs []*zhengzhao.Grant
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		gs, err = tx.FindGrants(f)
		return err
	})
	return gs, err
}

// UseGrant discloses exactly the authorised fields of exactly the
// authorised licenses to the grant's unit, while the grant and its
// scenario are in force; a once-only grant is used up. The disclosure is
// signed by the library (VerifyGrantDisclosure).
func (l *Use) UseGrant(ctx context.Context, id string) (*zhengzhao.GrantDisclosure, error) {
	u, err := requireUnitRole(ctx, zhengzhao.RoleSocial)
	if err != nil {
		return nil, err
	}
	// The signer is read before the transaction: making a new display key
	// takes a transaction of its own.
	signer, err := l.displaySigner(ctx)
	if err != nil {
		return nil, err
	}
	var (
		g   *zhengzhao.Grant
		out *zhengzhao.GrantDisclosure
	)
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		g, err = tx.FindGrantByID(id)
		if err == nil && g.Unit != u.Code {
			err = zhengzhao.Errorf(zhengzhao.ENOTFOUND, "grant %s not found", id)
		}
		if err != nil {
			return &errRefused{err}
		}
		now := tx.Now()
		if reason := g.InForce(now); reason != "" {
			return &errRefused{zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "grant %s may not be used: %s", id, reason)}
		}
		sc, err := tx.FindScenarioByID(g.Scenario)
		if err != nil {
			return err
		}
		if reason := sc.InForce(); reason != "" {
			return &errRefused{zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "grant %s may not be used: %s", id, reason)}
		}
		at := now.UTC().Truncate(time.Second)
		out = &zhengzhao.GrantDisclosure{Type: zhengzhao.GrantDisclosureType, Issuer: libraryIssuer, Grant: g.ID, Scenario: g.Scenario,
			Unit: zhengzhao.Party{Code: u.Code, Name: u.Name}, Holder: g.Holder, Purpose: g.Purpose,
			Licenses: []zhengzhao.DisclosedLicense{}, FetchedAt: at, DisclosedAt: at}
		for _, base := range g.Licenses {
			lic, err := currentVersion(tx, base)
			if err != nil {
				return err
			}
			if lic == nil || lic.Holder.Ref() != g.Holder {
				continue
			}
			dl := disclose(lic, g, l.now())
			out.Licenses = append(out.Licenses, dl)
			det := grantDetails(g)
			det["fields"] = strings.Join(sortedFieldKeys(dl.Fields), ",")
			if err := audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionGrantUse, License: lic.ID, LicenseBase: lic.Base(),
				Subject: g.ID, Details: det}); err != nil {
				return err
			}
		}
		if out.Proof, err = signLibraryDocument(signer, out); err != nil {
			return fmt.Errorf("sign grant disclosure: %w", err)
		}
		g.Uses++
		if g.Once {
			g.Status = zhengzhao.GrantUsed
		}
		return tx.UpdateGrant(g)
	})
	var refused *errRefused
	if errors.As(err, &refused) {
		e := zhengzhao.AuditEntry{Subject: id, Details: map[string]string{"grant": id}}
		if g != nil && g.Unit == u.Code {
			e.Details = grantDetails(g)
		}
		return nil, l.refuse(ctx, refused.err, e)
	}
	if err != nil {
		return nil, fmt.Errorf("use grant %s: %w", id, err)
	}
	return out, nil
}

// currentVersion returns the newest non-superseded version of a license,
// or nil.
func currentVersion(tx zhengzhao.ReadTx, base string) (*zhengzhao.License, error) {
	vs, _, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{Base: &base, Page: zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}})
	if err != nil {
		return nil, err
	}
	var cur *zhengzhao.License
	for _, v := range vs {
		if v.Status != zhengzhao.StatusSuperseded {
			cur = v
		}
	}
	return cur, nil
}

// disclose returns the authorised fields of a license under a grant; a
// license that is no longer valid discloses its status only.
func disclose(lic *zhengzhao.License, g *zhengzhao.Grant, now time.Time) zhengzhao.DisclosedLicense {
	var fields []string
	for _, it := range g.Items {
		if it.LicenseType == lic.Type {
			fields = append(fields, it.Fields...)
		}
	}
	return discloseFields(lic, fields, now)
}

func sortedFieldKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// FindGrantUses returns every audit entry of a grant for its holder (or
// the administrator): the decision, each use and refused use of its
// licenses with the unit and purpose, and the withdrawal.
func (l *Use) FindGrantUses(ctx context.Context, id string) ([]*zhengzhao.AuditEntry, error) {
	a, err := requireAuthenticated(ctx)
	if err != nil {
		return nil, err
	}
	var out []*zhengzhao.AuditEntry
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		g, err := tx.FindGrantByID(id)
		if err == nil && !isAdmin(a) && !(a.Kind == zhengzhao.ActorHolder && a.Holder() == g.Holder) {
			err = zhengzhao.Errorf(zhengzhao.ENOTFOUND, "grant %s not found", id)
		}
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		add := func(f zhengzhao.AuditFilter) error {
			f.Page = zhengzhao.Page{Limit: zhengzhao.MaxPageLimit}
			for {
				es, _, next, err := tx.FindAuditEntries(f)
				if err != nil {
					return err
				}
				for _, e := range es {
					if e.Subject == g.ID && !seen[e.Index] {
						seen[e.Index] = true
						out = append(out, e)
					}
				}
				if next == "" {
					return nil
				}
				f.Page.Cursor = next
			}
		}
		// Uses are logged on the licenses they disclosed; decisions and
		// withdrawals by the holder.
		for _, base := range g.Licenses {
			if err := add(zhengzhao.AuditFilter{LicenseBase: &base}); err != nil {
				return err
			}
		}
		holder := "holder:" + g.Holder.String()
		return add(zhengzhao.AuditFilter{Actor: &holder})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(x, y *zhengzhao.AuditEntry) int { return int(x.Index - y.Index) })
	return out, nil
}
