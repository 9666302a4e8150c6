// Measures art. 11 (不可抗力): outages and the catch-up deadline of 3 working days.

package library

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// clockSkew is how far in the future a reported time may lie: clocks of
// issuers' systems are not exact.
const clockSkew = 5 * time.Minute

// CatchUpDeadline returns the end of the catch-up period of an outage that
// ended at end (Measures art. 11): 24:00 Beijing time of the
// zhengzhao.CatchUpWorkdays-th working day after the Beijing date of end,
// counted in the library's working-day calendar (public holidays off,
// make-up working days on).
func (l *Aggregation) CatchUpDeadline(end time.Time) time.Time {
	return l.endOfWorkday(end, zhengzhao.CatchUpWorkdays)
}

// RecordOutage records an issuer's outage. See zhengzhao.AggregationService.
func (l *Aggregation) RecordOutage(ctx context.Context, o *zhengzhao.Outage) error {
	issuer, err := actingIssuer(ctx, o.Issuer)
	if err != nil {
		return err
	}
	now := l.nowUTC()
	var fe []zhengzhao.FieldError
	o.Reason = strings.TrimSpace(o.Reason)
	switch {
	case o.Reason == "":
		fe = append(fe, zhengzhao.FieldError{Field: "reason", Message: "required"})
	case len([]rune(o.Reason)) > 500:
		fe = append(fe, zhengzhao.FieldError{Field: "reason", Message: "at most 500 characters"})
	}
	switch {
	case o.Start.IsZero():
		fe = append(fe, zhengzhao.FieldError{Field: "start", Message: "required"})
	case o.Start.After(now.Add(clockSkew)):
		fe = append(fe, zhengzhao.FieldError{Field: "start", Message: "must not be in the future"})
	}
	if o.End != nil {
		switch {
		case o.End.Before(o.Start):
			fe = append(fe, zhengzhao.FieldError{Field: "end", Message: "must not be before start"})
		case o.End.After(now.Add(clockSkew)):
			fe = append(fe, zhengzhao.FieldError{Field: "end", Message: "must not be in the future"})
		}
	}
	if err := zhengzhao.Invalid("invalid outage", fe); err != nil {
		return err
	}
	o.ID, o.Issuer, o.Actor = "out_"+randomHex(12), issuer, zhengzhao.ActorFromContext(ctx).ID()
	o.Start = o.Start.UTC().Truncate(time.Microsecond)
	o.CaughtUpAt = nil
	if o.End != nil {
		end := o.End.UTC().Truncate(time.Microsecond)
		dl := l.CatchUpDeadline(end)
		o.End, o.Deadline = &end, &dl
	} else {
		o.Deadline = nil
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		if _, err := tx.FindUnitByCode(issuer); err != nil {
			return err
		}
		o.CreatedAt = tx.Now()
		if err := tx.CreateOutage(o); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionOutageRecord, Subject: issuer,
			Details: outageDetails(o)})
	})
	if err != nil {
		return fmt.Errorf("record outage: %w", err)
	}
	o.Late = o.LateAt(now)
	return nil
}

func outageDetails(o *zhengzhao.Outage) map[string]string {
	d := map[string]string{"outage": o.ID, "start": o.Start.Format(time.RFC3339)}
	if o.End != nil {
		d["end"] = o.End.Format(time.RFC3339)
		d["deadline"] = o.Deadline.Format(time.RFC3339)
	}
	if o.Reason != "" {
		d["reason"] = o.Reason
	}
	return d
}

// changeOutage loads an outage for a change by its issuer or the
// administrator, applies change and stores it with its audit entry.
func (l *core) changeOutage(ctx context.Context, id, action string, change func(o *zhengzhao.Outage, now time.Time) error) (*zhengzhao.Outage, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if !isAdmin(a) {
		if _, err := requireUnitRole(ctx, zhengzhao.RoleIssuer); err != nil {
			return nil, err
		}
	}
	var o *zhengzhao.Outage
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		if o, err = tx.FindOutage(id); err != nil {
			return err
		}
		if !isAdmin(a) && !a.IsUnit(o.Issuer) {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "outage %s not found", id)
		}
		if err := change(o, tx.Now()); err != nil {
			return err
		}
		if err := tx.UpdateOutage(o); err != nil {
			return err
		}
		d := outageDetails(o)
		if o.CaughtUpAt != nil {
			d["caught_up_at"] = o.CaughtUpAt.Format(time.RFC3339)
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: action, Subject: o.Issuer, Details: d})
	})
	if err != nil {
		return nil, err
	}
	o.Late = o.LateAt(l.now())
	return o, nil
}

// EndOutage records the end of an outage and its catch-up deadline.
func (l *Aggregation) EndOutage(ctx context.Context, id string, end time.Time) (*zhengzhao.Outage, error) {
	return l.changeOutage(ctx, id, zhengzhao.ActionOutageEnd, func(o *zhengzhao.Outage, now time.Time) error {
		switch {
		case o.End != nil:
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "outage %s ended at %s", o.ID, o.End.Format(time.RFC3339))
		case end.IsZero():
			return zhengzhao.Invalid("invalid outage end", []zhengzhao.FieldError{{Field: "end", Message: "required"}})
		case end.Before(o.Start):
			return zhengzhao.Invalid("invalid outage end", []zhengzhao.FieldError{{Field: "end", Message: "must not be before the start"}})
		case end.After(now.Add(clockSkew)):
			return zhengzhao.Invalid("invalid outage end", []zhengzhao.FieldError{{Field: "end", Message: "must not be in the future"}})
		}
		e := end.UTC().Truncate(time.Microsecond)
		dl := l.CatchUpDeadline(e)
		o.End, o.Deadline = &e, &dl
		return nil
	})
}

// CatchUpOutage records that the issuer has loaded what it issued during
// the outage.
func (l *Aggregation) CatchUpOutage(ctx context.Context, id string) (*zhengzhao.Outage, error) {
	return l.changeOutage(ctx, id, zhengzhao.ActionOutageCaughtUp, func(o *zhengzhao.Outage, now time.Time) error {
		switch {
		case o.End == nil:
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "outage %s has not ended", o.ID)
		case o.CaughtUpAt != nil:
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "outage %s was caught up at %s", o.ID, o.CaughtUpAt.Format(time.RFC3339))
		}
		o.CaughtUpAt = &now
		return nil
	})
}

// FindOutages lists outages with their deadlines and late flags: an issuer
// its own, the administrator all.
func (l *Aggregation) FindOutages(ctx context.Context, f zhengzhao.OutageFilter) ([]*zhengzhao.Outage, int, string, error) {
	if !isAdmin(zhengzhao.ActorFromContext(ctx)) {
		u, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
		if err != nil {
			return nil, 0, "", err
		}
		if f.Issuer != nil && *f.Issuer != u.Code {
			return nil, 0, "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "an issuing unit lists only its own outages")
		}
		f.Issuer = &u.Code
	}
	f.Page = f.Page.Normalize()
	var (
		os   []*zhengzhao.Outage
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		os, n, next, err = tx.FindOutages(f)
		return err
	})
	now := l.now()
	for _, o := range os {
		o.Late = o.LateAt(now)
	}
	return os, n, next, err
}
