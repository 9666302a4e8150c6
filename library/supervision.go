// Measures art. 23 (异议核实与处理): objections to a license's accuracy, answered by its
// issuer within a deadline in working days, and the filer's notices.

package library

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/calendar"
)

// Objections (异议, Measures art. 23): a license's holder or a using unit
// says that the license is wrong; its issuer answers within a deadline in
// working days by correcting it (the next version, in the same
// transaction as the answer) or by rejecting with reasons; the filer is
// informed through its notice box. Every step is audited in the same
// transaction as the change.

// chinaTime is the zone of deadlines and statistics days: Chinese
// working days and licenses' dates are Beijing dates.
var chinaTime = zhengzhao.ChinaTime

// chinaDate returns the Beijing date of t.
func chinaDate(t time.Time) string { return t.In(chinaTime).Format(zhengzhao.DateLayout) }

// dueOn returns the last day on which an objection filed at t is answered
// on time: the library's objection deadline in working days after the
// Beijing date of t.
func (l *core) dueOn(t time.Time) string {
	return l.calendar().AddWorkdays(t.In(chinaTime), l.objectionDays).Format(zhengzhao.DateLayout)
}

// workdaysSince counts the working days after the Beijing date of from up
// to and including that of to.
func workdaysSince(from, to time.Time) int {
	return calendar.WorkdaysBetween(from.In(chinaTime), to.In(chinaTime))
}

// FileObjection files an objection against a license. Standing: the
// license's holder (a holder actor, or the administrator filing at a
// counter on the holder's behalf) or a unit with the user role that is not
// the license's issuer.
func (l *Supervision) FileObjection(ctx context.Context, r *zhengzhao.ObjectionRequest) (*zhengzhao.Objection, error) {
	a := zhengzhao.ActorFromContext(ctx)
	var filer string
	switch {
	case a.Kind == zhengzhao.ActorAnonymous || a.Kind == "":
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	case a.Kind == zhengzhao.ActorHolder:
		filer = a.ID()
	case a.Kind == zhengzhao.ActorAdmin:
		if r.Holder == nil {
			return nil, zhengzhao.Invalid("invalid objection", []zhengzhao.FieldError{{Field: "holder",
				Message: "the administrator files on a holder's behalf: name the holder (id_type, id)"}})
		}
		filer = r.Holder.ActorID()
	case a.Kind == zhengzhao.ActorUnit && a.Unit != nil:
		if !a.Unit.HasRole(zhengzhao.RoleUser) {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN,
				"only the license's holder or a using unit may object; unit %s does not have the user role", a.Unit.Code)
		}
		filer = a.ID()
	default:
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the license's holder or a using unit may object")
	}
	if r.Holder != nil && a.Kind != zhengzhao.ActorAdmin {
		return nil, zhengzhao.Invalid("invalid objection", []zhengzhao.FieldError{{Field: "holder",
			Message: "only the administrator names a holder; a holder or unit files for itself"}})
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Attachments == nil {
		r.Attachments = []zhengzhao.Attachment{}
	}

	o := &zhengzhao.Objection{ID: "obj-" + strings.ToLower(newSerial(l.now())), Filer: filer, FiledBy: a.ID(),
		Fields: r.Fields, Reason: r.Reason, Attachments: r.Attachments, Status: zhengzhao.ObjectionOpen}
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		lic, err := tx.FindLicenseByID(r.License)
		if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
			return zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no license %s", r.License)
		} else if err != nil {
			return err
		}
		switch {
		case a.Kind == zhengzhao.ActorHolder && (lic.Holder.IDType != a.HolderIDType || lic.Holder.ID != a.HolderID):
			return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "you are not the holder of license %s; only its holder or a using unit may object to it", lic.ID)
		case a.Kind == zhengzhao.ActorAdmin && (lic.Holder.IDType != r.Holder.IDType || lic.Holder.ID != r.Holder.ID):
			return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "the named holder does not hold license %s", lic.ID)
		case a.Kind == zhengzhao.ActorUnit && a.Unit.Code == lic.Issuer.Code:
			return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s issued license %s: an issuer corrects its own licenses by updating them", a.Unit.Code, lic.ID)
		}
		switch lic.Status {
		case zhengzhao.StatusSuperseded:
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is superseded by %s: object to the current version", lic.ID, lic.SupersededBy)
		case zhengzhao.StatusRevoked:
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is revoked", lic.ID)
		}
		typ, err := tx.FindLicenseTypeByCode(lic.Type)
		if err != nil {
			return err
		}
		if err := r.Check(lic, typ); err != nil {
			return err
		}
		base, open := lic.Base(), zhengzhao.ObjectionOpen
		mine, _, _, err := tx.FindObjections(zhengzhao.ObjectionFilter{LicenseBase: &base, Filer: &filer, Status: &open, Page: zhengzhao.Page{Limit: 1}})
		if err != nil {
			return err
		}
		if len(mine) > 0 {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "objection %s against this license is still open; wait for its answer", mine[0].ID)
		}
		now := tx.Now()
		o.License, o.LicenseBase, o.Type, o.Issuer = lic.ID, base, lic.Type, lic.Issuer.Code
		o.FiledAt, o.DueOn = now, l.dueOn(now)
		if err := tx.CreateObjection(o); err != nil {
			return err
		}
		if err := tx.CreateNotice(&zhengzhao.Notice{ID: newNoticeID(l.now()), Recipient: "unit:" + lic.Issuer.Code,
			Kind: zhengzhao.NoticeObjectionFiled, Objection: o.ID, License: lic.ID, CreatedAt: now,
			Message: fmt.Sprintf("收到对%s（%s）的异议 %s，请于 %s 前答复。", lic.TypeName, lic.Number, o.ID, o.DueOn)}); err != nil {
			return err
		}
		if err := tx.AddStats([]zhengzhao.StatDelta{{Day: chinaDate(now), Unit: o.Issuer, Type: o.Type,
			Metric: zhengzhao.MetricObjectionFiled, N: 1}}); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionObjectionFile, License: lic.ID, LicenseBase: base,
			Subject: o.ID, Details: map[string]string{"filer": filer, "fields": strings.Join(o.Fields, ","),
				"due_on": o.DueOn, "reason_sha256": sha256Hex([]byte(o.Reason)), "attachments": fmt.Sprint(len(o.Attachments))}})
	})
	if err != nil {
		return nil, fmt.Errorf("file objection against %s: %w", r.License, err)
	}
	o.SetOverdue(l.now())
	return o, nil
}

// mayKnowObjection reports whether the actor may read the objection.
func mayKnowObjection(a zhengzhao.Actor, o *zhengzhao.Objection) bool {
	id := a.ID()
	return isAdmin(a) || a.IsUnit(o.Issuer) || (a.Kind != zhengzhao.ActorAnonymous && (id == o.Filer || id == o.FiledBy))
}

// FindObjectionByID returns an objection to its issuer, its filer or the
// administrator; to anyone else it does not exist.
func (l *Supervision) FindObjectionByID(ctx context.Context, id string) (*zhengzhao.Objection, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if a.Kind == zhengzhao.ActorAnonymous || a.Kind == "" {
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	}
	var o *zhengzhao.Objection
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		o, err = tx.FindObjectionByID(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !mayKnowObjection(a, o) {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no objection %s", id)
	}
	o.SetOverdue(l.now())
	return o, nil
}

// FindObjections lists objections: the administrator any; an issuing unit
// its queue (objections against its licenses) unless it asks for what it
// filed (Role "filer"); a using unit or a holder what it filed.
func (l *Supervision) FindObjections(ctx context.Context, f zhengzhao.ObjectionFilter) ([]*zhengzhao.Objection, int, string, error) {
	a := zhengzhao.ActorFromContext(ctx)
	switch {
	case a.Kind == zhengzhao.ActorAnonymous || a.Kind == "":
		return nil, 0, "", zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	case isAdmin(a):
	case a.Kind == zhengzhao.ActorUnit && a.Unit != nil:
		role := f.Role
		if role == "" {
			role = "filer"
			if a.Unit.HasRole(zhengzhao.RoleIssuer) {
				role = "issuer"
			}
		}
		switch role {
		case "issuer":
			if !a.Unit.HasRole(zhengzhao.RoleIssuer) {
				return nil, 0, "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s does not have the issuer role", a.Unit.Code)
			}
			if f.Issuer != nil && *f.Issuer != a.Unit.Code {
				return nil, 0, "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "an issuing unit sees only objections against its own licenses")
			}
			f.Issuer = &a.Unit.Code
		case "filer":
			id := a.ID()
			f.Filer = &id
		default:
			return nil, 0, "", zhengzhao.Invalid("invalid query", []zhengzhao.FieldError{{Field: "role", Message: "must be issuer or filer"}})
		}
	default:
		id := a.ID()
		f.Filer = &id
	}
	if f.Overdue {
		open, today := zhengzhao.ObjectionOpen, chinaDate(l.now())
		f.Status, f.DueBefore = &open, &today
	}
	f.Page = f.Page.Normalize()
	var (
		os   []*zhengzhao.Objection
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		os, n, next, err = tx.FindObjections(f)
		return err
	})
	now := l.now()
	for _, o := range os {
		o.SetOverdue(now)
	}
	return os, n, next, err
}

// AnswerObjection answers an open objection against one of the acting
// issuer's licenses. A correction issues the next version of the license
// (as UpdateLicense does) in the same transaction as the answer, its audit
// entries and the filer's notice.
func (l *Supervision) AnswerObjection(ctx context.Context, id string, ans *zhengzhao.ObjectionAnswer) (*zhengzhao.Objection, error) {
	unit, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
	if err != nil {
		if zhengzhao.ErrorCode(err) == zhengzhao.EFORBIDDEN {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the issuing unit of the license answers an objection")
		}
		return nil, err
	}
	// checkOpen loads the objection and checks that the actor may answer.
	checkOpen := func(tx zhengzhao.ReadTx) (*zhengzhao.Objection, error) {
		o, err := tx.FindObjectionByID(id)
		if err != nil {
			return nil, err
		}
		if o.Issuer != unit.Code {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "objection %s is about a license of another issuer; only its issuer answers it", id)
		}
		if o.Status != zhengzhao.ObjectionOpen {
			return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "objection %s is already answered (%s)", id, o.Status)
		}
		return o, nil
	}
	var (
		o       *zhengzhao.Objection
		current string // the version a correction supersedes
	)
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if o, err = checkOpen(tx); err != nil {
			return err
		}
		// The issuer may have updated the license since the objection was
		// filed: a correction supersedes whatever version is current.
		valid := zhengzhao.StatusValid
		ls, _, _, err := tx.FindLicenses(zhengzhao.LicenseFilter{Base: &o.LicenseBase, Status: &valid, Page: zhengzhao.Page{Limit: 1}})
		if err == nil && len(ls) > 0 {
			current = ls[0].ID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := ans.Validate(); err != nil {
		return nil, err
	}
	var prep *version
	if ans.Decision == zhengzhao.DecisionCorrect {
		if current == "" {
			return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is revoked: it cannot be corrected; reject the objection with the reason", o.License)
		}
		if prep, err = l.prepareUpdate(ctx, current, ans.Update); err != nil {
			return nil, prefixFields(err, "update")
		}
	}
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		o2, err := checkOpen(tx) // answered concurrently since the read above?
		if err != nil {
			return err
		}
		*o = *o2
		now := tx.Now()
		stats := []zhengzhao.StatDelta{{Day: chinaDate(now), Unit: o.Issuer, Type: o.Type,
			Metric: zhengzhao.MetricObjectionAnswered, N: 1, Sum: int64(max(workdaysSince(o.FiledAt, now), 0))}}
		if prep != nil {
			if err := l.updateCurrent(ctx, tx, current, prep); err != nil {
				return err
			}
			o.Status, o.Correction = zhengzhao.ObjectionCorrected, prep.lic.ID
			stats = append(stats, zhengzhao.StatDelta{Day: stats[0].Day, Unit: o.Issuer, Type: o.Type, Metric: zhengzhao.MetricObjectionCorrected, N: 1})
		} else {
			o.Status = zhengzhao.ObjectionRejected
			stats = append(stats, zhengzhao.StatDelta{Day: stats[0].Day, Unit: o.Issuer, Type: o.Type, Metric: zhengzhao.MetricObjectionRejected, N: 1})
		}
		o.AnsweredAt, o.AnsweredBy, o.Answer = &now, zhengzhao.ActorFromContext(ctx).ID(), ans.Reason
		o.SetOverdue(now)
		if o.Overdue {
			stats = append(stats, zhengzhao.StatDelta{Day: stats[0].Day, Unit: o.Issuer, Type: o.Type, Metric: zhengzhao.MetricObjectionLate, N: 1})
		}
		if err := tx.UpdateObjection(o); err != nil {
			return err
		}
		msg := fmt.Sprintf("您提出的异议 %s 已处理：发证单位已更正证照，新版本为 %s。", o.ID, o.Correction)
		if o.Status == zhengzhao.ObjectionRejected {
			msg = fmt.Sprintf("您提出的异议 %s 已处理：发证单位未予更正。理由：%s", o.ID, o.Answer)
		} else if o.Answer != "" {
			msg += "说明：" + o.Answer
		}
		if err := tx.CreateNotice(&zhengzhao.Notice{ID: newNoticeID(l.now()), Recipient: o.Filer, Kind: zhengzhao.NoticeObjectionAnswered,
			Objection: o.ID, License: o.License, Message: msg, CreatedAt: now}); err != nil {
			return err
		}
		if err := tx.AddStats(stats); err != nil {
			return err
		}
		return audit(ctx, tx, zhengzhao.AuditEntry{Action: zhengzhao.ActionObjectionAnswer, License: o.License, LicenseBase: o.LicenseBase,
			Subject: o.ID, Details: map[string]string{"decision": ans.Decision, "status": o.Status, "correction": o.Correction,
				"late": fmt.Sprint(o.Overdue), "answer_sha256": sha256Hex([]byte(o.Answer))}})
	})
	if err != nil {
		return nil, fmt.Errorf("answer objection %s: %w", id, err)
	}
	return o, nil
}

// prefixFields puts the JSON path prefix before the field names of an
// EINVALID error.
func prefixFields(err error, prefix string) error {
	fields := zhengzhao.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	out := make([]zhengzhao.FieldError, len(fields))
	for i, f := range fields {
		out[i] = zhengzhao.FieldError{Field: prefix + "." + f.Field, Message: f.Message}
	}
	return &zhengzhao.Error{Code: zhengzhao.ErrorCode(err), Message: zhengzhao.ErrorMessage(err), Fields: out, Err: err}
}

func newNoticeID(now time.Time) string { return "ntc-" + strings.ToLower(newSerial(now)) }

// FindNotices lists the acting party's notices.
func (l *Supervision) FindNotices(ctx context.Context, f zhengzhao.NoticeFilter) ([]*zhengzhao.Notice, int, string, error) {
	recipient, err := noticeRecipient(ctx)
	if err != nil {
		return nil, 0, "", err
	}
	f.Recipient = recipient
	f.Page = f.Page.Normalize()
	var (
		ns   []*zhengzhao.Notice
		n    int
		next string
	)
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		ns, n, next, err = tx.FindNotices(f)
		return err
	})
	return ns, n, next, err
}

// MarkNoticeRead marks one of the acting party's notices read; the first
// read time stays.
func (l *Supervision) MarkNoticeRead(ctx context.Context, id string) (*zhengzhao.Notice, error) {
	recipient, err := noticeRecipient(ctx)
	if err != nil {
		return nil, err
	}
	var n *zhengzhao.Notice
	err = l.store.Update(ctx, func(tx zhengzhao.Tx) (err error) {
		n, err = tx.MarkNoticeRead(id, recipient, tx.Now())
		return err
	})
	return n, err
}

// noticeRecipient returns the acting party's notice box: units and holders
// have one; the administrator files for holders, whose boxes get the news.
func noticeRecipient(ctx context.Context) (string, error) {
	a := zhengzhao.ActorFromContext(ctx)
	switch {
	case a.Kind == zhengzhao.ActorAnonymous || a.Kind == "":
		return "", zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	case a.Kind == zhengzhao.ActorUnit && a.Unit != nil, a.Kind == zhengzhao.ActorHolder:
		return a.ID(), nil
	}
	return "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only units and holders have a notice box")
}
