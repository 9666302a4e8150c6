// Measures art. 8 (证照归集与更新): the daily increment of an issuer whose system cannot
// issue through the API, applied through the one issue path (issue.go).

package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/calendar"
)

// calendar returns the working-day calendar of deadlines.
func (l *core) calendar() *calendar.Calendar {
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
func (l *core) endOfWorkday(t time.Time, n int) time.Time {
	d := l.calendar().AddWorkdays(dayStart(t.In(zhengzhao.ChinaTime)), n)
	return dayStart(d).AddDate(0, 0, 1).UTC()
}

// incrementDue returns when the increment of the date is due: by the end
// of the next working day.
func (l *core) incrementDue(date time.Time) time.Time {
	return l.endOfWorkday(time.Date(date.Year(), date.Month(), date.Day(), 12, 0, 0, 0, zhengzhao.ChinaTime), 1)
}

// SubmitIncrement applies an issuer's increment for one day (Measures art.
// 8) in one transaction: every license issued, updated and revoked through
// the one issue path (issue.go), so delivered, audited and counted as
// through the API, and the receipt. See zhengzhao.AggregationService.
func (l *Aggregation) SubmitIncrement(ctx context.Context, inc *zhengzhao.Increment) (*zhengzhao.IncrementReceipt, error) {
	issuer, err := actingIssuer(ctx, inc.Issuer)
	if err != nil {
		return nil, err
	}
	inc.Issuer = issuer
	date, reqHash, err := l.checkIncrement(inc)
	if err != nil {
		return nil, err
	}
	p, err := l.readIncrement(ctx, inc)
	if err != nil {
		return nil, fmt.Errorf("increment %s %s: %w", issuer, inc.Date, err)
	}
	if p.prior != nil {
		return replayReceipt(p.prior, reqHash)
	}
	if err := l.prepareIncrement(ctx, inc, p); err != nil {
		return nil, err
	}
	rec, err := l.commitIncrement(ctx, inc, date, reqHash, p)
	if err != nil {
		return nil, fmt.Errorf("increment %s %s: %w", issuer, inc.Date, err)
	}
	return replayReceipt(rec, reqHash)
}

// checkIncrement validates an increment and returns its date and the hash
// that tells a replay from another increment of the day.
func (l *core) checkIncrement(inc *zhengzhao.Increment) (time.Time, []byte, error) {
	if err := inc.Validate(); err != nil {
		return time.Time{}, nil, err
	}
	date, _ := zhengzhao.ParseDate(inc.Date)
	today := dayStart(l.now().In(zhengzhao.ChinaTime))
	if time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, zhengzhao.ChinaTime).After(today) {
		return time.Time{}, nil, zhengzhao.Invalid("invalid increment", []zhengzhao.FieldError{{Field: "date", Message: "must not be in the future"}})
	}
	body, err := json.Marshal(inc)
	if err != nil {
		return time.Time{}, nil, err
	}
	h := sha256.Sum256(body)
	return date, h[:], nil
}

// incrementPlan is an increment on its way: what its items refer to, then
// their signed versions.
type incrementPlan struct {
	prior    *zhengzhao.IncrementReceipt // the day's receipt, when received before
	unit     *zhengzhao.Unit
	types    map[string]*zhengzhao.LicenseType
	currents []*zhengzhao.License // by updated item; nil: not found
	fe       *itemErrors

	issued  []*version
	updated []*version // by updated item
	signer  string     // key ID
	reasons []string   // trimmed, by revoked item
}

// readIncrement reads the day's receipt and what the items refer to.
func (l *core) readIncrement(ctx context.Context, inc *zhengzhao.Increment) (*incrementPlan, error) {
	p := &incrementPlan{types: map[string]*zhengzhao.LicenseType{}, currents: make([]*zhengzhao.License, len(inc.Updated)), fe: newItemErrors()}
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) error {
		r, err := tx.FindIncrementReceipt(inc.Issuer, inc.Date)
		if err == nil {
			p.prior = r
			return nil
		} else if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			return err
		}
		if p.unit, err = tx.FindUnitByCode(inc.Issuer); err != nil {
			return err
		}
		typ := func(code string) (*zhengzhao.LicenseType, error) {
			if t, ok := p.types[code]; ok {
				return t, nil
			}
			t, err := tx.FindLicenseTypeByCode(code)
			if err == nil {
				p.types[code] = t
			}
			return t, err
		}
		for i, r := range inc.Issued {
			if _, err := typ(r.Type); zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND || r.Type == "" {
				if r.Type != "" {
					p.fe.add(fmt.Sprintf("issued[%d].type", i), fmt.Sprintf("unknown license type %q", r.Type))
				}
			} else if err != nil {
				return err
			}
		}
		for i, u := range inc.Updated {
			lic, err := tx.FindLicenseByID(u.ID)
			switch {
			case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
				p.fe.add(fmt.Sprintf("updated[%d].id", i), "no such license")
				continue
			case err != nil:
				return err
			}
			p.currents[i] = lic
			if _, err := typ(lic.Type); err != nil {
				return err
			}
		}
		return nil
	})
	return p, err
}

// prepareIncrement validates every item and signs the new versions, before
// the transaction.
func (l *core) prepareIncrement(ctx context.Context, inc *zhengzhao.Increment, p *incrementPlan) error {
	s, err := l.signer(ctx, inc.Issuer)
	if err != nil {
		return err
	}
	p.signer = s.KeyID()
	party := zhengzhao.Party{Code: p.unit.Code, Name: p.unit.Name}
	for i := range inc.Issued {
		r, at := &inc.Issued[i], fmt.Sprintf("issued[%d]", i)
		typ := p.types[r.Type]
		switch {
		case typ == nil:
			if r.Type == "" {
				p.fe.add(at+".type", "required")
			}
			continue
		case !typ.MayIssue(inc.Issuer):
			p.fe.add(at+".type", fmt.Sprintf("unit %s may not issue licenses of type %s", inc.Issuer, typ.Code))
			continue
		case p.fe.addErr(at, r.Validate(typ)):
			continue
		}
		serial := r.Serial
		if serial == "" {
			serial = newSerial(l.now())
		}
		id := zhengzhao.LicenseID{TypeCode: typ.Code, IssuerCode: inc.Issuer, Serial: serial, Version: 1}
		v, err := l.signVersion(s, newLicense(typ, party, id, "", issueContent(r)))
		if err != nil {
			return err
		}
		p.issued = append(p.issued, v)
	}
	p.updated = make([]*version, len(inc.Updated))
	for i := range inc.Updated {
		u, cur, at := &inc.Updated[i], p.currents[i], fmt.Sprintf("updated[%d]", i)
		switch {
		case cur == nil:
			continue
		case cur.Issuer.Code != inc.Issuer:
			p.fe.add(at+".id", "belongs to another issuer")
			continue
		case p.fe.addErr(at, u.LicenseUpdate.Validate(p.types[cur.Type], cur)):
			continue
		}
		lic, err := nextLicense(p.types[cur.Type], party, cur, &u.LicenseUpdate)
		if errors.Is(err, errLastVersion) {
			p.fe.add(at+".id", err.Error())
			continue
		} else if err != nil {
			return err
		}
		if p.updated[i], err = l.signVersion(s, lic); err != nil {
			return err
		}
	}
	for i, r := range inc.Revoked {
		reason, bad := validRevocation(r.Reason)
		if bad != "" {
			p.fe.add(fmt.Sprintf("revoked[%d].reason", i), bad)
		}
		p.reasons = append(p.reasons, reason)
	}
	return zhengzhao.Invalid("invalid increment", p.fe.list)
}

// commitIncrement commits a prepared increment and its receipt in one
// transaction, each item through its commit step (issue.go).
func (l *core) commitIncrement(ctx context.Context, inc *zhengzhao.Increment, date time.Time, reqHash []byte, p *incrementPlan) (*zhengzhao.IncrementReceipt, error) {
	actor := zhengzhao.ActorFromContext(ctx).ID()
	path := map[string]string{"increment": inc.Date}
	var rec *zhengzhao.IncrementReceipt
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if r, err := tx.FindIncrementReceipt(inc.Issuer, inc.Date); err == nil {
			// A concurrent submission of the same day committed first.
			rec = r
			return nil
		} else if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			return err
		}
		ids := make([]string, 0, len(p.issued)+len(p.updated))
		for i, v := range p.issued {
			if err := l.commitIssue(ctx, tx, v, path); errors.Is(err, errSerialTaken) {
				return itemConflict(fmt.Sprintf("issued[%d].serial", i), "serial "+v.lic.Serial+" is taken for this type and issuer")
			} else if err != nil {
				return err
			}
			ids = append(ids, v.lic.ID)
		}
		for i, v := range p.updated {
			at := fmt.Sprintf("updated[%d].id", i)
			cur, err := tx.FindLicenseByID(inc.Updated[i].ID)
			if err != nil {
				return err
			}
			if cur.Status != zhengzhao.StatusValid {
				return itemConflict(at, "is "+cur.Status)
			}
			if err := l.commitUpdate(ctx, tx, cur, v, path); zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT {
				return itemConflict(at, "was updated concurrently")
			} else if err != nil {
				return err
			}
			ids = append(ids, v.lic.ID)
		}
		for i, r := range inc.Revoked {
			at := fmt.Sprintf("revoked[%d].id", i)
			cur, err := tx.FindLicenseByID(r.ID)
			switch {
			case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
				return itemErr(zhengzhao.ENOTFOUND, at, "no such license")
			case err != nil:
				return err
			case cur.Issuer.Code != inc.Issuer:
				return itemErr(zhengzhao.EFORBIDDEN, at, "belongs to another issuer")
			case cur.Status != zhengzhao.StatusValid:
				return itemConflict(at, "is "+cur.Status)
			}
			if err := l.commitRevoke(ctx, tx, cur, p.reasons[i], path); err != nil {
				return err
			}
		}
		rec = &zhengzhao.IncrementReceipt{
			Issuer: inc.Issuer, Date: inc.Date, ReceivedAt: tx.Now(), Due: l.incrementDue(date),
			Issued: len(p.issued), Updated: len(p.updated), Revoked: len(inc.Revoked), Licenses: ids,
			RequestHash: reqHash, Actor: actor,
		}
		rec.Late = rec.ReceivedAt.After(rec.Due)
		if err := tx.CreateIncrementReceipt(rec); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionIncrementAccept, Subject: inc.Issuer,
			Details: map[string]string{"date": inc.Date, "issued": fmt.Sprint(rec.Issued), "updated": fmt.Sprint(rec.Updated),
				"revoked": fmt.Sprint(rec.Revoked), "late": fmt.Sprint(rec.Late)}})
	})
	return rec, err
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
func (l *Aggregation) IncrementStatus(ctx context.Context, issuer, from, to string) (*zhengzhao.IncrementStatus, error) {
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
