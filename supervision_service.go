package zhengzhao

import (
	"context"
	"time"
)

// Supervision: objections (异议, Measures art. 23), responsible staff (art.
// 25), the published catalog (art. 7) and supervision (art. 29).

// Audit actions of the supervision area, written in the same transaction as
// the change they record.
const (
	ActionObjectionFile   = "objection.file"
	ActionObjectionAnswer = "objection.answer"
	ActionContactCreate   = "unit.contact.create"
	ActionContactDelete   = "unit.contact.delete"
	ActionCheckCreate     = "check.create"
	ActionCheckReview     = "check.review"
)

// SupervisionReadTx reads supervision state. Stores implement it as part of
// ReadTx.
type SupervisionReadTx interface {
	// FindObjectionByID returns an objection. ENOTFOUND.
	FindObjectionByID(id string) (*Objection, error)
	// FindObjections returns matching objections in the order they were
	// filed.
	FindObjections(f ObjectionFilter) ([]*Objection, int, string, error)
	// CountOpenObjections counts the open objections per issuer and how
	// many of them were due before the date dueBefore (YYYY-MM-DD).
	CountOpenObjections(dueBefore string) ([]ObjectionCount, error)

	// FindNotices returns a recipient's notices, newest last.
	FindNotices(f NoticeFilter) ([]*Notice, int, string, error)

	// FindUnitContactByID returns a responsible administrator. ENOTFOUND.
	FindUnitContactByID(id string) (*UnitContact, error)
	// FindUnitContacts returns a unit's responsible administrators in the
	// order they were recorded.
	FindUnitContacts(unit string) ([]*UnitContact, error)
	// CountUnitContacts returns the number of responsible administrators
	// of every unit that has any.
	CountUnitContacts() (map[string]int, error)
	// FindUnitsWithoutContacts returns the units that have no responsible
	// administrator, in the order FindUnits uses.
	FindUnitsWithoutContacts(p Page) ([]*Unit, int, string, error)

	// SumStats adds up the supervision counters that match f, grouped by
	// metric and by the dimensions f.GroupBy names, ordered by those
	// dimensions.
	SumStats(f StatFilter) ([]StatSum, error)

	// SampleLicenses returns, for each point p in [0, 1), the first license
	// of the issuer at or after the position p of its licenses in storage
	// order. Points that land on the same license give it once. It reads a
	// few rows per point, however many licenses the issuer has.
	SampleLicenses(issuer string, points []float64) ([]*License, error)
	// SampleUses is SampleLicenses for the audit entries of license reads
	// (ActionLicenseRead) by the actor (Actor.ID of a unit).
	SampleUses(actor string, points []float64) ([]*AuditEntry, error)

	// FindRandomCheckByID returns a random check. ENOTFOUND.
	FindRandomCheckByID(id string) (*RandomCheck, error)
	// FindRandomChecks returns matching random checks in the order they
	// were created.
	FindRandomChecks(f RandomCheckFilter) ([]*RandomCheck, int, string, error)
}

// SupervisionTx writes supervision state. Stores implement it as part of Tx.
type SupervisionTx interface {
	// CreateObjection stores a new objection. ECONFLICT when its ID exists.
	CreateObjection(o *Objection) error
	// UpdateObjection stores the answer of an objection (status, answer,
	// correction, answered_at, answered_by). ENOTFOUND.
	UpdateObjection(o *Objection) error

	// CreateNotice stores a notice. ECONFLICT when its ID exists.
	CreateNotice(n *Notice) error
	// MarkNoticeRead sets the read time of the recipient's
	// notice unless it is already set, and returns it. ENOTFOUND
	// when the recipient has no such notice.
	MarkNoticeRead(id, recipient string, at time.Time) (*Notice, error)

	// CreateUnitContact stores a responsible administrator. ECONFLICT when
	// its ID exists, ENOTFOUND when the unit does not.
	CreateUnitContact(c *UnitContact) error
	// DeleteUnitContact removes a unit's responsible administrator.
	// ENOTFOUND.
	DeleteUnitContact(unit, id string) error

	// AddStats adds the deltas to the day's, the month's and the year's
	// supervision counters, creating the counters as needed.
	AddStats(deltas []StatDelta) error

	// CreateRandomCheck stores a random check. ECONFLICT when its ID exists.
	CreateRandomCheck(c *RandomCheck) error
	// UpdateRandomCheck stores the items (review outcomes) of a random
	// check. ENOTFOUND.
	UpdateRandomCheck(c *RandomCheck) error
}

// SupervisionService is what the transport calls for supervision. Methods
// take the acting party from the context.
type SupervisionService interface {
	// FileObjection files an objection (异议) against a license: by its
	// holder, by a unit with the user role, or by the administrator on the
	// holder's behalf (r.Holder). The license's issuer is notified.
	// EINVALID, EUNAUTHENTICATED, EFORBIDDEN (no standing), ENOTFOUND (no
	// such license), ECONFLICT (not the current version, or the filer has
	// an open objection against it).
	FileObjection(ctx context.Context, r *ObjectionRequest) (*Objection, error)
	// FindObjectionByID returns an objection to its issuer, its filer or
	// the administrator. ENOTFOUND, EFORBIDDEN.
	FindObjectionByID(ctx context.Context, id string) (*Objection, error)
	// FindObjections lists objections: an issuing unit its queue (or, with
	// f.Role "filer", what it filed), a holder or using unit what it filed,
	// the administrator all. EUNAUTHENTICATED, EFORBIDDEN.
	FindObjections(ctx context.Context, f ObjectionFilter) ([]*Objection, int, string, error)
	// AnswerObjection answers an open objection (the license's issuer
	// only): a correction issues the next version of the license in the
	// same transaction; a rejection gives reasons. The filer is notified.
	// EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT (already answered, or the
	// license changed).
	AnswerObjection(ctx context.Context, id string, a *ObjectionAnswer) (*Objection, error)

	// FindNotices lists the acting party's notices.
	// EUNAUTHENTICATED, EFORBIDDEN (the administrator has no inbox).
	FindNotices(ctx context.Context, f NoticeFilter) ([]*Notice, int, string, error)
	// MarkNoticeRead marks one of the acting party's notices
	// read. ENOTFOUND.
	MarkNoticeRead(ctx context.Context, id string) (*Notice, error)

	// CreateUnitContact records a responsible administrator of a unit (the
	// administrator or the unit itself). EINVALID, ENOTFOUND, EFORBIDDEN.
	CreateUnitContact(ctx context.Context, c *UnitContact) error
	// FindUnitContacts lists a unit's responsible administrators, with
	// personal data masked (the administrator or the unit itself).
	// ENOTFOUND, EFORBIDDEN.
	FindUnitContacts(ctx context.Context, unit string) ([]*UnitContact, error)
	// DeleteUnitContact removes a responsible administrator (the
	// administrator or the unit itself). ENOTFOUND, EFORBIDDEN.
	DeleteUnitContact(ctx context.Context, unit, id string) error
	// FindUnitsWithoutContacts lists the units that have named no
	// responsible administrator (administrator only). EFORBIDDEN.
	FindUnitsWithoutContacts(ctx context.Context, p Page) ([]*Unit, int, string, error)

	// PublicCatalog returns the city-wide list of public license types,
	// grouped by issuer and level (anyone).
	PublicCatalog(ctx context.Context) (*PublicCatalog, error)

	// Supervise returns the supervision figures of a period, per unit
	// (the administrator; a unit only its own, f.Unit set to it).
	// EINVALID, EFORBIDDEN.
	Supervise(ctx context.Context, f SupervisionFilter) (*SupervisionReport, error)
	// AnnualReport returns the annual assessment of one unit (the
	// administrator or the unit itself). EINVALID, ENOTFOUND, EFORBIDDEN.
	AnnualReport(ctx context.Context, unit string, year int) (*AnnualReport, error)

	// CreateRandomCheck samples licenses or uses of a unit for review
	// (administrator only). EINVALID, ENOTFOUND, EFORBIDDEN.
	CreateRandomCheck(ctx context.Context, r *RandomCheckRequest) (*RandomCheck, error)
	// FindRandomCheckByID returns a random check (administrator, or the
	// checked unit). ENOTFOUND, EFORBIDDEN.
	FindRandomCheckByID(ctx context.Context, id string) (*RandomCheck, error)
	// FindRandomChecks lists random checks (administrator, or the checked
	// unit its own). EFORBIDDEN.
	FindRandomChecks(ctx context.Context, f RandomCheckFilter) ([]*RandomCheck, int, string, error)
	// ReviewRandomCheck records the outcome of reviewing one sampled item
	// (administrator only). EINVALID, ENOTFOUND, EFORBIDDEN.
	ReviewRandomCheck(ctx context.Context, id string, item int, r *CheckReview) (*RandomCheck, error)
}
