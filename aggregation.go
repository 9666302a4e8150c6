package zhengzhao

import (
	"context"
	"io"
	"time"
)

// Aggregation (归集, Measures art. 8, 10, 11): bulk import of historical
// licenses, daily increments, reconciliation with an issuer's business
// system, and outage catch-up deadlines in working days.

// Provenance of a license record: how it came into being. It is part of
// the signed document, because it is a fact about the record that a
// verifier should be able to rely on. A license issued through the library
// carries none, which means born digital.
const (
	ProvenanceBornDigital        = "born_digital"        // created electronically in the issuer's system
	ProvenanceDigitisedChecked   = "digitised_checked"   // keyed in or scanned from paper and checked against it
	ProvenanceDigitisedUnchecked = "digitised_unchecked" // keyed in or scanned from paper, not checked
)

// ValidProvenance reports whether p is one of the Provenance values.
func ValidProvenance(p string) bool {
	switch p {
	case ProvenanceBornDigital, ProvenanceDigitisedChecked, ProvenanceDigitisedUnchecked:
		return true
	}
	return false
}

// QualityFinding is a data-quality problem found in a historical record
// that was accepted anyway, because rejecting it would lose a license that
// exists on paper. It is signed with the document: the library states what
// it saw when it took the record in.
type QualityFinding struct {
	// Field names the member the finding is about ("id").
	Field string `json:"field"`
	// Code is machine-readable: one of the Finding constants.
	Code string `json:"code"`
	// Message says what is wrong, for people.
	Message string `json:"message"`
}

// Finding codes.
const (
	// FindingWrongCheckChar: the issuer's license ID has a wrong check
	// character (older software computed it wrongly). The ID is kept as
	// the issuer gave it.
	FindingWrongCheckChar = "wrong_check_char"
)

// Audit actions of aggregation.
const (
	ActionLicenseImport   = "license.import"
	ActionIncrementAccept = "increment.accept"
	ActionOutageRecord    = "outage.record"
	ActionOutageEnd       = "outage.end"
	ActionOutageCaughtUp  = "outage.caught_up"
)

// Import job states.
const (
	ImportRunning = "running" // rows are being committed; an interrupted job stays running until resumed
	ImportDone    = "done"    // every row of the file is committed or reported
)

// Import formats and encodings.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"

	EncodingUTF8    = "utf-8"
	EncodingGB18030 = "gb18030"
)

// Outcomes of an import problem.
const (
	OutcomeRejected  = "rejected"  // the row is invalid and was not imported
	OutcomeDuplicate = "duplicate" // the license is already in the library; the row was not imported
	OutcomeFinding   = "finding"   // the row was imported with a data-quality finding
)

// ImportSpec describes a bulk import of an issuer's licenses of one type
// (Measures art. 10).
type ImportSpec struct {
	// Issuer is the issuing unit whose licenses are imported. An issuing
	// unit imports its own (empty means the acting unit); the
	// administrator names one.
	Issuer string `json:"issuer"`
	// Type is the license type of every row.
	Type string `json:"type"`
	// Key identifies the job: importing again with the same issuer and key
	// resumes the job where it stopped, or returns it when it is done. The
	// command line uses the SHA-256 of the file and the options. Empty
	// means a new job that cannot be resumed.
	Key string `json:"key,omitempty"`
	// Format is FormatCSV or FormatJSONL.
	Format string `json:"format"`
	// Encoding of a CSV file: EncodingUTF8 or EncodingGB18030; empty
	// detects it from the bytes.
	Encoding string `json:"encoding,omitempty"`
	// Mapping renames the file's columns to the standard ones (file name
	// → standard name).
	Mapping map[string]string `json:"mapping,omitempty"`
	// Provenance of rows that have no provenance column (default
	// ProvenanceDigitisedUnchecked, the one that claims least).
	Provenance string `json:"provenance,omitempty"`
	// Source names the file, for people.
	Source string `json:"source,omitempty"`
	// Size is the file's size in bytes, when known, for progress.
	Size int64 `json:"size,omitempty"`
	// Progress, when set, is called after every committed batch.
	Progress func(*ImportJob) `json:"-"`
}

// ImportJob is the state of a bulk import. Its counters and Rows (the
// checkpoint) are committed in the same transaction as each batch of
// licenses, so that a resumed job continues exactly after the last batch.
type ImportJob struct {
	ID         string            `json:"id"`
	Issuer     string            `json:"issuer"`
	Type       string            `json:"type"`
	Key        string            `json:"key,omitempty"`
	Format     string            `json:"format"`
	Encoding   string            `json:"encoding,omitempty"`
	Mapping    map[string]string `json:"mapping,omitempty"`
	Provenance string            `json:"provenance"`
	Source     string            `json:"source,omitempty"`
	Status     string            `json:"status"`
	// Rows is the number of data rows committed: every row up to this
	// one is imported or reported.
	Rows int64 `json:"rows"`
	// Imported counts the licenses created; Findings those of them with a
	// data-quality finding.
	Imported int64 `json:"imported"`
	Findings int64 `json:"findings"`
	// Duplicates counts rows whose license was already in the library.
	Duplicates int64 `json:"duplicates"`
	// Rejected counts invalid rows.
	Rejected int64 `json:"rejected"`
	// BytesRead and BytesTotal measure progress through the file
	// (BytesTotal 0 when unknown).
	BytesRead  int64      `json:"bytes_read"`
	BytesTotal int64      `json:"bytes_total,omitempty"`
	Actor      string     `json:"actor"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Problems returns the number of reported rows.
func (j *ImportJob) Problems() int64 { return j.Duplicates + j.Rejected + j.Findings }

// ImportProblem is one line of an import's report: a rejected row, a
// duplicate, or a finding on an imported row.
type ImportProblem struct {
	Job string `json:"-"`
	// Row is the data row's number, from 1 (a CSV header is row 0).
	Row int64 `json:"row"`
	// Field names the column; "" for the whole row.
	Field   string `json:"field"`
	Reason  string `json:"reason"`
	Outcome string `json:"outcome"`
}

// ImportJobFilter selects import jobs.
type ImportJobFilter struct {
	Issuer *string
	Page
}

// Increment is one day's changes of an issuer that cannot synchronise in
// real time (Measures art. 8): the licenses issued, updated and revoked on
// Date. An issuer with no change sends an empty increment, so that the
// library can tell "nothing happened" from "nothing arrived".
type Increment struct {
	// Issuer is the issuing unit (empty: the acting unit).
	Issuer string `json:"issuer,omitempty"`
	// Date is the business day the changes belong to, YYYY-MM-DD.
	Date    string            `json:"date"`
	Issued  []IssueRequest    `json:"issued"`
	Updated []IncrementUpdate `json:"updated"`
	Revoked []IncrementRevoke `json:"revoked"`
}

// IncrementUpdate is one updated license of an increment.
type IncrementUpdate struct {
	// ID is the current version's ID.
	ID string `json:"id"`
	LicenseUpdate
}

// IncrementRevoke is one revoked license of an increment.
type IncrementRevoke struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Validate checks an increment's shape; the library checks each license
// against its type.
func (inc *Increment) Validate() error {
	fe := newFieldErrors()
	if _, err := ParseDate(inc.Date); err != nil {
		fe.add("date", "must be a date YYYY-MM-DD")
	}
	if n := len(inc.Issued) + len(inc.Updated) + len(inc.Revoked); n > MaxIncrementItems {
		fe.add("", "an increment holds at most %d licenses; split the day's changes by type", MaxIncrementItems)
	}
	for i, u := range inc.Updated {
		if u.ID == "" {
			fe.add("updated["+itoa(i)+"].id", "required")
		}
	}
	for i, r := range inc.Revoked {
		if r.ID == "" {
			fe.add("revoked["+itoa(i)+"].id", "required")
		}
	}
	return Invalid("invalid increment", fe.errors())
}

// MaxIncrementItems bounds the licenses of one increment: the library
// applies an increment in one transaction.
const MaxIncrementItems = 10000

// IncrementReceipt records that an issuer's increment for a day arrived
// and was applied.
type IncrementReceipt struct {
	Issuer     string    `json:"issuer"`
	Date       string    `json:"date"`
	ReceivedAt time.Time `json:"received_at"`
	// Due is the end of the day by which the increment was expected: the
	// next working day after Date (Beijing time).
	Due time.Time `json:"due"`
	// Late is true when the increment arrived after Due.
	Late    bool `json:"late"`
	Issued  int  `json:"issued"`
	Updated int  `json:"updated"`
	Revoked int  `json:"revoked"`
	// Licenses lists the IDs the increment created, in order: issued
	// first, then updated (the new versions).
	Licenses []string `json:"licenses"`
	// RequestHash is the SHA-256 of the increment as received, so that a
	// repeated submission returns this receipt.
	RequestHash []byte `json:"-"`
	Actor       string `json:"actor"`
}

// Increment day states.
const (
	DayReceived = "received" // arrived by the due time
	DayLate     = "late"     // arrived after the due time
	DayMissing  = "missing"  // not arrived, and the due time has passed
	DayPending  = "pending"  // not arrived, and not yet due
)

// IncrementDay is the state of one issuer's increment for one day.
type IncrementDay struct {
	Date       string     `json:"date"`
	State      string     `json:"state"`
	Due        time.Time  `json:"due"`
	ReceivedAt *time.Time `json:"received_at,omitempty"`
}

// IncrementStatus lists an issuer's increment days in a range: which were
// expected, received, late and missing.
type IncrementStatus struct {
	Issuer   string         `json:"issuer"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Expected int            `json:"expected"`
	Received int            `json:"received"`
	Late     int            `json:"late"`
	Missing  int            `json:"missing"`
	Pending  int            `json:"pending"`
	Days     []IncrementDay `json:"days"`
}

// ReconcileSpec describes a reconciliation of an issuer's business system
// with the library (Measures art. 8).
type ReconcileSpec struct {
	// Issuer is the issuing unit (empty: the acting unit).
	Issuer string `json:"issuer"`
	// Format of the export: FormatCSV or FormatJSONL. Each record has
	// "id" (the current version's license ID) and any of "version",
	// "status" and "digest" (ContentDigest, hex); what a record leaves out
	// is not compared. The records must be sorted by id (byte order).
	Format   string `json:"format"`
	Encoding string `json:"encoding,omitempty"`
}

// Kinds of reconciliation differences.
const (
	DiffMissingInLibrary = "missing_in_library" // in the issuer's export, not in the library
	DiffMissingInIssuer  = "missing_in_issuer"  // current in the library, not in the export
	DiffVersion          = "version_differs"
	DiffStatus           = "status_differs"
	DiffContent          = "content_differs"
	DiffInvalid          = "invalid_record" // the export record cannot be read
)

// ReconcileDiff is one difference between the issuer's export and the
// library.
type ReconcileDiff struct {
	// Row is the export's data row (0 for a license only in the library).
	Row int64 `json:"row"`
	// Base is type.issuer.serial: what every version shares.
	Base    string `json:"base"`
	Kind    string `json:"kind"`
	Library string `json:"library"`
	Issuer  string `json:"issuer"`
}

// ReconcileSummary counts what a reconciliation found.
type ReconcileSummary struct {
	Issuer           string    `json:"issuer"`
	ExportRecords    int64     `json:"export_records"`
	LibraryRecords   int64     `json:"library_records"`
	Matched          int64     `json:"matched"`
	MissingInLibrary int64     `json:"missing_in_library"`
	MissingInIssuer  int64     `json:"missing_in_issuer"`
	Differing        int64     `json:"differing"`
	Invalid          int64     `json:"invalid"`
	At               time.Time `json:"at"`
}

// Outage is an interruption of an issuer's connection to the library
// (force majeure, Measures art. 11). Within 3 working days after its end
// the issuer must catch up: load what it issued meanwhile.
type Outage struct {
	ID     string `json:"id"`
	Issuer string `json:"issuer"`
	// Start and End bound the outage; End is nil while it lasts.
	Start  time.Time  `json:"start"`
	End    *time.Time `json:"end,omitempty"`
	Reason string     `json:"reason"`
	// Deadline is the end of the catch-up period: 24:00 Beijing time of
	// the 3rd working day after the date End falls on. Nil while the
	// outage lasts.
	Deadline *time.Time `json:"deadline,omitempty"`
	// CaughtUpAt is when the issuer declared the catch-up complete.
	CaughtUpAt *time.Time `json:"caught_up_at,omitempty"`
	// Late is derived when read: the catch-up is not done by Deadline.
	Late      bool      `json:"late"`
	Actor     string    `json:"actor"`
	CreatedAt time.Time `json:"created_at"`
}

// CatchUpWorkdays is the number of working days after an outage's end
// within which the issuer must catch up (Measures art. 11).
const CatchUpWorkdays = 3

// LateAt reports whether the catch-up is late at now: past the deadline
// without a catch-up, or caught up after it.
func (o *Outage) LateAt(now time.Time) bool {
	if o.Deadline == nil {
		return false
	}
	if o.CaughtUpAt != nil {
		return o.CaughtUpAt.After(*o.Deadline)
	}
	return now.After(*o.Deadline)
}

// OutageFilter selects outages.
type OutageFilter struct {
	Issuer *string
	// Open selects outages without an end.
	Open bool
	// LateAt, when set, selects outages whose catch-up is late at that
	// time.
	LateAt *time.Time
	Page
}

// ChinaTime is Beijing time (UTC+8), in which licenses' dates and
// working-day deadlines are counted.
var ChinaTime = chinaTime

// AggregationReadTx reads aggregation state. Stores implement it as part of
// ReadTx.
type AggregationReadTx interface {
	// FindImportJob returns the job with the ID. ENOTFOUND.
	FindImportJob(id string) (*ImportJob, error)
	// FindImportJobByKey returns the issuer's job with the key. ENOTFOUND.
	FindImportJobByKey(issuer, key string) (*ImportJob, error)
	// FindImportJobs returns matching jobs in the order they were created.
	FindImportJobs(f ImportJobFilter) ([]*ImportJob, int, string, error)
	// FindImportProblems returns the job's problems with row > afterRow in
	// row order (several per row in the order stored), at most limit.
	FindImportProblems(job string, afterRow int64, limit int) ([]*ImportProblem, error)
	// FindLicenseBases returns those of bases (type.issuer.serial) of which
	// the library has a license at any version.
	FindLicenseBases(bases []string) ([]string, error)
	// FindLicenseStates returns the current (not superseded) licenses of
	// the issuer with base > after, by base in byte order, at most limit.
	FindLicenseStates(issuer, after string, limit int) ([]*License, error)

	// FindIncrementReceipt returns the issuer's receipt for the date.
	// ENOTFOUND.
	FindIncrementReceipt(issuer, date string) (*IncrementReceipt, error)
	// FindIncrementReceipts returns the issuer's receipts for dates in
	// [from, to], by date.
	FindIncrementReceipts(issuer, from, to string) ([]*IncrementReceipt, error)

	// FindOutage returns the outage with the ID. ENOTFOUND.
	FindOutage(id string) (*Outage, error)
	// FindOutages returns matching outages in the order they were recorded.
	FindOutages(f OutageFilter) ([]*Outage, int, string, error)
}

// AggregationTx writes aggregation state. Stores implement it as part of Tx.
type AggregationTx interface {
	// CreateImportJob stores a new job. ECONFLICT when its ID, or its
	// issuer and key, exist.
	CreateImportJob(j *ImportJob) error
	// UpdateImportJob stores j's progress, provided the stored job's Rows
	// is still prevRows: a job advances from one process at a time.
	// ECONFLICT otherwise; ENOTFOUND when there is no such job.
	UpdateImportJob(j *ImportJob, prevRows int64) error
	// CreateImportProblems stores report lines.
	CreateImportProblems(ps []*ImportProblem) error
	// ImportLicenses stores signed licenses and appends their audit
	// entries (es, in order, with consecutive indexes), in bulk.
	// ECONFLICT when one of the licenses exists; nothing is stored then.
	ImportLicenses(ls []*License, es []*AuditEntry) error

	// CreateIncrementReceipt stores a receipt. ECONFLICT when the issuer
	// has one for the date.
	CreateIncrementReceipt(r *IncrementReceipt) error

	// CreateOutage stores an outage. ECONFLICT when its ID exists.
	CreateOutage(o *Outage) error
	// UpdateOutage stores an outage's end, deadline and catch-up.
	// ENOTFOUND.
	UpdateOutage(o *Outage) error
}

// AggregationService is what the transport calls for aggregation.
type AggregationService interface {
	// Import reads a file of licenses from r and imports every valid row,
	// signed with the issuer's key and audited, reporting invalid rows,
	// duplicates and findings. Importing with a key already used resumes
	// that job, and returns it unchanged when it is done. The issuer
	// itself or the administrator. EINVALID (the spec, or a file that is
	// not CSV or JSON Lines at all), EFORBIDDEN, ENOTFOUND (type),
	// ECONFLICT (the key was used for another spec, or the job is running
	// elsewhere).
	Import(ctx context.Context, spec *ImportSpec, r io.Reader) (*ImportJob, error)
	// FindImportJob returns a job to its issuer or the administrator.
	// ENOTFOUND.
	FindImportJob(ctx context.Context, id string) (*ImportJob, error)
	// FindImportJobs lists jobs: an issuer its own, the administrator all.
	FindImportJobs(ctx context.Context, f ImportJobFilter) ([]*ImportJob, int, string, error)
	// ImportReport calls fn with each problem of the job in row order.
	// ENOTFOUND.
	ImportReport(ctx context.Context, id string, fn func(*ImportProblem) error) error

	// SubmitIncrement applies one day's increment in one transaction and
	// records its receipt. Submitting the same increment again returns the
	// first receipt. EINVALID (naming the item, e.g. "issued[3].holder.id"),
	// EFORBIDDEN, ENOTFOUND, ECONFLICT (another increment for the date, or
	// a license changed meanwhile).
	SubmitIncrement(ctx context.Context, inc *Increment) (*IncrementReceipt, error)
	// IncrementStatus lists the issuer's increment days from from to to
	// (dates; empty from: the first received, empty to: yesterday).
	// EINVALID, EFORBIDDEN.
	IncrementStatus(ctx context.Context, issuer, from, to string) (*IncrementStatus, error)

	// Reconcile compares the issuer's export (sorted by id) with the
	// library, streaming both sides, and calls fn with each difference.
	// EINVALID (unsorted or unreadable export), EFORBIDDEN.
	Reconcile(ctx context.Context, spec *ReconcileSpec, export io.Reader, fn func(*ReconcileDiff) error) (*ReconcileSummary, error)

	// RecordOutage records the start (and, if known, the end) of an
	// issuer's outage. EINVALID, EFORBIDDEN.
	RecordOutage(ctx context.Context, o *Outage) error
	// EndOutage records the end of an outage and computes its catch-up
	// deadline. EINVALID, ENOTFOUND, EFORBIDDEN, ECONFLICT (already ended).
	EndOutage(ctx context.Context, id string, end time.Time) (*Outage, error)
	// CatchUpOutage records that the issuer has caught up. ENOTFOUND,
	// EFORBIDDEN, ECONFLICT (not ended, or already caught up).
	CatchUpOutage(ctx context.Context, id string) (*Outage, error)
	// FindOutages lists outages with their deadlines and late flags: an
	// issuer its own, the administrator all.
	FindOutages(ctx context.Context, f OutageFilter) ([]*Outage, int, string, error)
}
