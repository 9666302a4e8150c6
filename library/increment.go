package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/calendar"
)

// calendar returns the working-day calendar of deadlines.
func (l *Library) calendar() *calendar.Calendar {
	if l.cal != nil {
		return l.cal
	}
	return &calendar.Default
}

// dayStart returns midnight, Beijing time, of the date.
func dayStart(d time.Time) time.Time {
	y, m, dd := d.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, zhengzhao.ChinaTime)
}

// endOfWorkday returns 24:00 Beijing time of the n-th working day after
// the Beijing date of t: the moment a deadline of n working days passes.
func (l *Library) endOfWorkday(t time.Time, n int) time.Time {
	d := l.calendar().AddWorkdays(dayStart(t.In(zhengzhao.ChinaTime)), n)
	return dayStart(d).AddDate(0, 0, 1).UTC()
}

// incrementDue returns when the increment of the date is due: by the end
// of the next working day.
func (l *Library) incrementDue(date time.Time) time.Time {
	return l.endOfWorkday(time.Date(date.Year(), date.Month(), date.Day(), 12, 0, 0, 0, zhengzhao.ChinaTime), 1)
}

// SubmitIncrement applies an issuer's increment for one day (Measures art.
// 8) in one transaction: every license issued, updated and revoked, their
// audit entries, and the receipt. See zhengzhao.AggregationService.
func (l *Library) SubmitIncrement(ctx context.Context, inc *zhengzhao.Increment) (*zhengzhao.IncrementReceipt, error) {
	issuer, err := actingIssuer(ctx, inc.Issuer)
	if err != nil {
		return nil, err
	}
	inc.Issuer = issuer
	if err := inc.Validate(); err != nil {
		return nil, err
	}
	date, _ := zhengzhao.ParseDate(inc.Date)
	today := dayStart(l.now().In(zhengzhao.ChinaTime))
	if time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, zhengzhao.ChinaTime).After(today) {
		return nil, zhengzhao.Invalid("invalid increment", []zhengzhao.FieldError{{Field: "date", Message: "must not be in the future"}})
	}
	body, err := json.Marshal(inc)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(body)
	reqHash := h[:]

	// Read what the items refer to.
	var (
		unit     *zhengzhao.Unit
		types    = map[string]*zhengzhao.LicenseType{}
		currents = make([]*zhengzhao.License, len(inc.Updated))
		prior    *zhengzhao.IncrementReceipt
	)
	fe := newItemErrors()
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		r, err := tx.FindIncrementReceipt(issuer, inc.Date)
		if err == nil {
			prior = r
			return nil
		} else if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			return err
		}
		if unit, err = tx.FindUnitByCode(issuer); err != nil {
			return err
		}
		for i, r := range inc.Issued {
			if _, ok := types[r.Type]; ok || r.Type == "" {
				continue
			}
			t, err := tx.FindLicenseTypeByCode(r.Type)
			switch {
			case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
				fe.add(fmt.Sprintf("issued[%d].type", i), fmt.Sprintf("unknown license type %q", r.Type))
			case err != nil:
				return err
			}
			types[r.Type] = t
		}
		for i, u := range inc.Updated {
			lic, err := tx.FindLicenseByID(u.ID)
			switch {
			case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
				fe.add(fmt.Sprintf("updated[%d].id", i), "no such license")
				continue
			case err != nil:
				return err
			}
			currents[i] = lic
			if _, ok := types[lic.Type]; !ok {
				t, err := tx.FindLicenseTypeByCode(lic.Type)
				if err != nil {
					return err
				}
				types[lic.Type] = t
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("increment %s %s: %w", issuer, inc.Date, err)
	}
	if prior != nil {
		return replayReceipt(prior, reqHash)
	}

	// Validate and sign every item before the transaction.
	s, err := l.signer(ctx, issuer)
	if err != nil {
		return nil, err
	}
	party := zhengzhao.Party{Code: unit.Code, Name: unit.Name}
	issued := make([]*zhengzhao.License, 0, len(inc.Issued))
	issuedDigests := make([]string, 0, len(inc.Issued))
	for i := range inc.Issued {
		r := &inc.Issued[i]
		at := fmt.Sprintf("issued[%d]", i)
		typ := types[r.Type]
		if typ == nil {
			if r.Type == "" {
				fe.add(at+".type", "required")
			}
			continue
		}
		if !typ.MayIssue(issuer) {
			fe.add(at+".type", fmt.Sprintf("unit %s may not issue licenses of type %s", issuer, typ.Code))
			continue
		}
		if fe.addErr(at, r.Validate(typ)) {
			continue
		}
		serial := r.Serial
		if serial == "" {
			serial = newSerial(l.now())
		}
		id := zhengzhao.LicenseID{TypeCode: typ.Code, IssuerCode: issuer, Serial: serial, Version: 1}
		lic := &zhengzhao.License{
			ID: id.String(), Type: typ.Code, TypeName: typ.Name, Version: id.VersionString(), Serial: serial,
			Number: r.Number, Issuer: party, Holder: r.Holder, IssuedOn: r.IssuedOn, ValidFrom: r.ValidFrom,
			ValidUntil: r.ValidUntil, Fields: fieldsOrEmpty(r.Fields), Status: zhengzhao.StatusValid,
		}
		d, err := l.signLicense(s, lic)
		if err != nil {
			return nil, err
		}
		issued, issuedDigests = append(issued, lic), append(issuedDigests, d)
	}
	updated := make([]*zhengzhao.License, len(inc.Updated))
	updatedDigests := make([]string, len(inc.Updated))
	for i := range inc.Updated {
		u, cur := &inc.Updated[i], currents[i]
		at := fmt.Sprintf("updated[%d]", i)
		if cur == nil {
			continue
		}
		if cur.Issuer.Code != issuer {
			fe.add(at+".id", "belongs to another issuer")
			continue
		}
		if fe.addErr(at, u.LicenseUpdate.Validate(types[cur.Type], cur)) {
			continue
		}
		oid, err := zhengzhao.ParseLicenseID(cur.ID)
		if oid.TypeCode == "" {
			return nil, fmt.Errorf("stored license %s: %w", cur.ID, err)
		}
		if oid.Version >= 999 {
			fe.add(at+".id", "has reached version 999")
			continue
		}
		nid := oid
		nid.Version++
		lic := &zhengzhao.License{
			ID: nid.String(), Type: cur.Type, TypeName: types[cur.Type].Name, Version: nid.VersionString(), Serial: cur.Serial,
			Number: u.Number, Issuer: party, Holder: u.Holder, IssuedOn: u.IssuedOn, ValidFrom: u.ValidFrom,
			ValidUntil: u.ValidUntil, Fields: fieldsOrEmpty(u.Fields), Supersedes: cur.ID, Status: zhengzhao.StatusValid,
		}
		if updatedDigests[i], err = l.signLicense(s, lic); err != nil {
			return nil, err
		}
		updated[i] = lic
	}
	for i, r := range inc.Revoked {
		reason := strings.TrimSpace(r.Reason)
		switch {
		case reason == "":
			fe.add(fmt.Sprintf("revoked[%d].reason", i), "required")
		case len([]rune(reason)) > 500:
			fe.add(fmt.Sprintf("revoked[%d].reason", i), "at most 500 characters")
		}
	}
	if err := zhengzhao.Invalid("invalid increment", fe.list); err != nil {
		return nil, err
	}

	actor := zhengzhao.ActorFromContext(ctx).ID()
	var rec *zhengzhao.IncrementReceipt
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if r, err := tx.FindIncrementReceipt(issuer, inc.Date); err == nil {
			// A concurrent submission of the same day committed first.
			rec = r
			return nil
		} else if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			return err
		}
		ids := make([]string, 0, len(issued)+len(updated))
		details := func(digest string) map[string]string {
			return map[string]string{"digest": digest, "kid": s.KeyID(), "increment": inc.Date}
		}
		for i, lic := range issued {
			base := lic.Base()
			if _, n, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{Base: &base, Page: zhengzhao.Page{Limit: 1}}); err != nil {
				return err
			} else if n > 0 {
				return itemConflict(fmt.Sprintf("issued[%d].serial", i), "serial "+lic.Serial+" is taken for this type and issuer")
			}
			if err := tx.CreateLicense(lic); err != nil {
				if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
					return itemConflict(fmt.Sprintf("issued[%d].serial", i), "serial "+lic.Serial+" is taken for this type and issuer")
				}
				return err
			}
			d := details(issuedDigests[i])
			d["holder"] = holderRef(lic.Holder)
			if err := audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseIssue, License: lic.ID, LicenseBase: base,
				Subject: lic.Type, Details: d}); err != nil {
				return err
			}
			ids = append(ids, lic.ID)
		}
		for i, lic := range updated {
			cur, err := tx.FindLicenseByID(inc.Updated[i].ID)
			if err != nil {
				return err
			}
			if cur.Status != zhengzhao.StatusValid {
				return itemConflict(fmt.Sprintf("updated[%d].id", i), "is "+cur.Status)
			}
			if err := tx.CreateLicense(lic); err != nil {
				if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
					return itemConflict(fmt.Sprintf("updated[%d].id", i), "was updated concurrently")
				}
				return err
			}
			cur.Status, cur.SupersededBy = zhengzhao.StatusSuperseded, lic.ID
			if err := tx.UpdateLicenseLifecycle(cur); err != nil {
				return err
			}
			d := details(updatedDigests[i])
			d["supersedes"] = cur.ID
			if err := audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseUpdate, License: lic.ID, LicenseBase: lic.Base(),
				Subject: cur.ID, Details: d}); err != nil {
				return err
			}
			ids = append(ids, lic.ID)
		}
		for i, r := range inc.Revoked {
			at := fmt.Sprintf("revoked[%d].id", i)
			cur, err := tx.FindLicenseByID(r.ID)
			switch {
			case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
				return itemErr(zhengzhao.ENOTFOUND, at, "no such license")
			case err != nil:
				return err
			case cur.Issuer.Code != issuer:
				return itemErr(zhengzhao.EFORBIDDEN, at, "belongs to another issuer")
			case cur.Status != zhengzhao.StatusValid:
				return itemConflict(at, "is "+cur.Status)
			}
			now := tx.Now()
			reason := strings.TrimSpace(r.Reason)
			cur.Status, cur.RevokedAt, cur.RevocationReason = zhengzhao.StatusRevoked, &now, reason
			if err := tx.UpdateLicenseLifecycle(cur); err != nil {
				return err
			}
			if err := audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionLicenseRevoke, License: cur.ID, LicenseBase: cur.Base(),
				Details: map[string]string{"reason": reason, "increment": inc.Date}}); err != nil {
				return err
			}
		}
		rec = &zhengzhao.IncrementReceipt{
			Issuer: issuer, Date: inc.Date, ReceivedAt: tx.Now(), Due: l.incrementDue(date),
			Issued: len(issued), Updated: len(updated), Revoked: len(inc.Revoked), Licenses: ids,
			RequestHash: reqHash, Actor: actor,
		}
		if rec.Licenses == nil {
			rec.Licenses = []string{}
		}
		rec.Late = rec.ReceivedAt.After(rec.Due)
		if err := tx.CreateIncrementReceipt(rec); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionIncrementAccept, Subject: issuer,
			Details: map[string]string{"date": inc.Date, "issued": fmt.Sprint(rec.Issued), "updated": fmt.Sprint(rec.Updated),
				"revoked": fmt.Sprint(rec.Revoked), "late": fmt.Sprint(rec.Late)}})
	})
	if err != nil {
		return nil, fmt.Errorf("increment %s %s: %w", issuer, inc.Date, err)
	}
	return replayReceipt(rec, reqHash)
}

// replayReceipt returns the stored receipt of a day when the increment is
// the same, and a conflict when it is another.
func replayReceipt(r *zhengzhao.IncrementReceipt, reqHash []byte) (*zhengzhao.IncrementReceipt, error) {
	if !bytes.Equal(r.RequestHash, reqHash) {
		return nil, &zhengzhao.Error{Code: zhengzhao.ECONFLICT,
			Message: fmt.Sprintf("another increment of %s for %s has been received; send later changes with the next day's increment", r.Issuer, r.Date),
			Fields:  []zhengzhao.FieldError{{Field: "date", Message: "an increment for this date has been received"}}}
	}
	return r, nil
}

func itemConflict(field, msg string) error { return itemErr(zhengzhao.ECONFLICT, field, msg) }

func itemErr(code, field, msg string) error {
	return &zhengzhao.Error{Code: code, Message: "increment not applied: " + field + " " + msg,
		Fields: []zhengzhao.FieldError{{Field: field, Message: msg}}}
}

// itemErrors collects field errors of an increment's items.
type itemErrors struct{ list []zhengzhao.FieldError }

func newItemErrors() *itemErrors { return &itemErrors{} }

func (e *itemErrors) add(field, msg string) {
	e.list = append(e.list, zhengzhao.FieldError{Field: field, Message: msg})
}

// addErr adds the fields of a validation error under the prefix and
// reports whether there were any.
func (e *itemErrors) addErr(prefix string, err error) bool {
	if err == nil {
		return false
	}
	var de *zhengzhao.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		for _, f := range de.Fields {
			e.add(prefix+"."+f.Field, f.Message)
		}
	} else {
		e.add(prefix, zhengzhao.ErrorMessage(err))
	}
	return true
}

// maxStatusDays bounds the range of an increment status listing.
const maxStatusDays = 1000

// IncrementStatus lists the issuer's increment days in [from, to]: an
// increment is expected for every calendar day, due by the end of the
// next working day.
func (l *Library) IncrementStatus(ctx context.Context, issuer, from, to string) (*zhengzhao.IncrementStatus, error) {
	issuer, err := actingIssuer(ctx, issuer)
	if err != nil {
		return nil, err
	}
	now := l.now()
	today := dayStart(now.In(zhengzhao.ChinaTime))
	var fe []zhengzhao.FieldError
	parse := func(name, s string, def time.Time) time.Time {
		if s == "" {
			return def
		}
		d, err := zhengzhao.ParseDate(s)
		if err != nil {
			fe = append(fe, zhengzhao.FieldError{Field: name, Message: "must be a date YYYY-MM-DD"})
			return def
		}
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zhengzhao.ChinaTime)
	}
	end := parse("to", to, today.AddDate(0, 0, -1))
	var receipts []*zhengzhao.IncrementReceipt
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		lo := from
		if lo == "" {
			lo = "0000-01-01"
		}
		receipts, err = tx.FindIncrementReceipts(issuer, lo, end.Format(zhengzhao.DateLayout))
		return err
	})
	if err != nil {
		return nil, err
	}
	first := end
	if len(receipts) > 0 {
		d, _ := zhengzhao.ParseDate(receipts[0].Date)
		first = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zhengzhao.ChinaTime)
	}
	start := parse("from", from, first)
	switch {
	case len(fe) > 0:
	case end.Before(start):
		fe = append(fe, zhengzhao.FieldError{Field: "to", Message: "must not be before from"})
	case end.Sub(start) > maxStatusDays*24*time.Hour:
		fe = append(fe, zhengzhao.FieldError{Field: "from", Message: fmt.Sprintf("the range is at most %d days", maxStatusDays)})
	}
	if err := zhengzhao.Invalid("invalid increment status query", fe); err != nil {
		return nil, err
	}
	byDate := make(map[string]*zhengzhao.IncrementReceipt, len(receipts))
	for _, r := range receipts {
		byDate[r.Date] = r
	}
	st := &zhengzhao.IncrementStatus{Issuer: issuer, From: start.Format(zhengzhao.DateLayout), To: end.Format(zhengzhao.DateLayout),
		Days: []zhengzhao.IncrementDay{}}
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		key := d.Format(zhengzhao.DateLayout)
		day := zhengzhao.IncrementDay{Date: key, Due: l.incrementDue(d)}
		st.Expected++
		switch r := byDate[key]; {
		case r != nil && r.Late:
			day.State, day.ReceivedAt = zhengzhao.DayLate, &r.ReceivedAt
			st.Late++
			st.Received++
		case r != nil:
			day.State, day.ReceivedAt = zhengzhao.DayReceived, &r.ReceivedAt
			st.Received++
		case now.After(day.Due):
			day.State = zhengzhao.DayMissing
			st.Missing++
		default:
			day.State = zhengzhao.DayPending
			st.Pending++
		}
		st.Days = append(st.Days, day)
	}
	return st, nil
}
