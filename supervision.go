package zhengzhao

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// UnitContact is a responsible administrator of a unit (Measures art. 25:
// each unit names the staff responsible for its electronic licenses).
type UnitContact struct {
	ID    string `json:"id"`
	Unit  string `json:"unit"`
	Name  string `json:"name"`
	Title string `json:"title"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	// Masked is true when Name, Phone and Email are masked for a list.
	Masked    bool      `json:"masked"`
	CreatedAt time.Time `json:"created_at"`
}

var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,22}[0-9]$`)

// Validate checks a contact as submitted. At least one of phone and email
// is required, so that the administrator can reach the person.
func (c *UnitContact) Validate() error {
	fe := newFieldErrors()
	c.Name, c.Title = strings.TrimSpace(c.Name), strings.TrimSpace(c.Title)
	c.Phone, c.Email = strings.TrimSpace(c.Phone), strings.TrimSpace(c.Email)
	if n := len([]rune(c.Name)); n == 0 || n > 100 {
		fe.add("name", "1 to 100 characters")
	}
	if n := len([]rune(c.Title)); n == 0 || n > 100 {
		fe.add("title", "1 to 100 characters")
	}
	if c.Phone == "" && c.Email == "" {
		fe.add("phone", "give a phone number or an email address")
	}
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		fe.add("phone", "digits, spaces and dashes, optionally starting with +")
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || len(c.Email) > 254 {
			fe.add("email", "must be an email address such as name@example.gov.cn")
		}
	}
	return Invalid("invalid contact", fe.errors())
}

// Mask returns a copy with personal data masked for lists: the name keeps
// its first character, the phone its first three and last four digits,
// the email its first character and its domain.
func (c UnitContact) Mask() *UnitContact {
	c.Masked = true
	if r := []rune(c.Name); len(r) > 0 {
		c.Name = string(r[0]) + strings.Repeat("*", max(len(r)-1, 1))
	}
	if p := []rune(c.Phone); len(p) > 7 {
		c.Phone = string(p[:3]) + strings.Repeat("*", len(p)-7) + string(p[len(p)-4:])
	} else if len(p) > 0 {
		c.Phone = strings.Repeat("*", len(p))
	}
	if local, domain, ok := strings.Cut(c.Email, "@"); ok && local != "" {
		c.Email = string([]rune(local)[0]) + "***@" + domain
	}
	return &c
}

// Supervision metrics: what the counters count. Each counter belongs to a
// unit, a license type and a day (and its month).
const (
	// MetricIssued counts licenses issued by the unit; Sum adds the working
	// days from the paper issue date (issued_on) to the library's signing
	// (aggregation timeliness).
	MetricIssued = "issued"
	// MetricIssuedOnTime counts licenses in the library by the working day
	// after their issue date.
	MetricIssuedOnTime = "issued_on_time"
	MetricUpdated      = "updated"
	MetricRevoked      = "revoked"
	// MetricUsed counts license reads by the unit (uses); MetricRefused
	// the reads refused to it.
	MetricUsed    = "used"
	MetricRefused = "refused"
	// Objection metrics belong to the issuer. MetricObjectionAnswered's
	// Sum adds the working days from filing to answer.
	MetricObjectionFiled     = "objection_filed"
	MetricObjectionAnswered  = "objection_answered"
	MetricObjectionLate      = "objection_late"
	MetricObjectionCorrected = "objection_corrected"
	MetricObjectionRejected  = "objection_rejected"
	// Random-check metrics belong to the checked unit.
	MetricCheckReviewed = "check_reviewed"
	MetricCheckFailed   = "check_failed"
)

// StatDelta is an increment of one counter.
type StatDelta struct {
	// Day is the China-time date (YYYY-MM-DD) the event counts on.
	Day    string
	Unit   string
	Type   string
	Metric string
	N      int64
	Sum    int64
}

// Stat granularities. Every delta is added to the counter of its day, its
// month and its year, so that a period reads whole years, whole months and
// only the days at its edges. Only yearly counters keep the license type;
// daily and monthly ones add up all types (their Type is ""), because
// dashboards group by unit and the type would multiply the counters a
// query reads by the number of types an issuer has.
const (
	StatDaily   = "d" // periods are days, YYYY-MM-DD; no license type
	StatMonthly = "m" // periods are months, YYYY-MM; no license type
	StatYearly  = "y" // periods are years, YYYY; per license type
)

// StatRange selects counters of one granularity whose period lies in
// [From, To] (inclusive, in the granularity's format).
type StatRange struct {
	Granularity string
	From, To    string
}

// Dimensions a StatFilter may group by.
const (
	StatByUnit   = "unit"
	StatByType   = "type"
	StatByPeriod = "period"
)

// StatFilter selects and groups counters. The ranges must not overlap in
// time, or events would count twice.
type StatFilter struct {
	Unit    *string
	Metrics []string
	Ranges  []StatRange
	// GroupBy names the dimensions besides the metric, in order.
	GroupBy []string
}

// StatSum is a sum of counters; dimensions not grouped by are "".
type StatSum struct {
	Unit   string
	Type   string
	Period string
	Metric string
	N      int64
	Sum    int64
}

// SupervisionFilter selects the figures of a period: From and To are dates
// (inclusive), at most 5 years apart; Unit selects one unit.
type SupervisionFilter struct {
	Unit     *string
	From, To string
}

// UnitFigures are one unit's supervision figures for a period.
type UnitFigures struct {
	// Unit is the unit; in a report's totals its code is empty and its
	// name "合计 Total". Roles are absent in the totals.
	Unit  Party  `json:"unit"`
	Roles []Role `json:"roles,omitempty"`

	Issued          int64   `json:"issued"`
	IssuedOnTime    int64   `json:"issued_on_time"`
	OnTimeRate      float64 `json:"on_time_rate"`
	AvgLagWorkdays  float64 `json:"avg_lag_workdays"`
	Updated         int64   `json:"updated"`
	Revoked         int64   `json:"revoked"`
	Used            int64   `json:"used"`
	Refused         int64   `json:"refused"`
	ObjectionsFiled int64   `json:"objections_filed"`
	// ObjectionsAnswered and AvgAnswerWorkdays cover the answers given in
	// the period; ObjectionsLate those given after the due date.
	ObjectionsAnswered  int64   `json:"objections_answered"`
	ObjectionsLate      int64   `json:"objections_late"`
	ObjectionsCorrected int64   `json:"objections_corrected"`
	AvgAnswerWorkdays   float64 `json:"avg_answer_workdays"`
	// ObjectionsOpen and ObjectionsOverdue are the state now.
	ObjectionsOpen    int64 `json:"objections_open"`
	ObjectionsOverdue int64 `json:"objections_overdue"`
	ChecksReviewed    int64 `json:"checks_reviewed"`
	ChecksFailed      int64 `json:"checks_failed"`
	// Catalog completeness: the catalog types the unit may issue, how many
	// have a face-field template, and how many have licenses in the library.
	CatalogTypes        int     `json:"catalog_types"`
	TypesWithTemplate   int     `json:"types_with_template"`
	TypesWithLicenses   int     `json:"types_with_licenses"`
	CatalogCompleteness float64 `json:"catalog_completeness"`
	// Contacts is how many responsible administrators the unit named.
	Contacts int `json:"contacts"`
}

// SeriesPoint is one bar of a chart: a period and the counts in it.
type SeriesPoint struct {
	Period     string `json:"period"`
	Issued     int64  `json:"issued"`
	Used       int64  `json:"used"`
	Objections int64  `json:"objections"`
}

// SupervisionReport is the supervision figures of a period.
type SupervisionReport struct {
	From        string        `json:"from"`
	To          string        `json:"to"`
	GeneratedAt time.Time     `json:"generated_at"`
	Units       []UnitFigures `json:"units"`
	Totals      UnitFigures   `json:"totals"`
	// Series has one point per month of the period: per day when the
	// period is at most 62 days, per year when it is more than 3 years.
	Series []SeriesPoint `json:"series"`
}

// AnnualReport is the annual assessment of one unit (年度考核, Measures
// art. 29).
type AnnualReport struct {
	Year     int            `json:"year"`
	Unit     Party          `json:"unit"`
	Figures  UnitFigures    `json:"figures"`
	Monthly  []SeriesPoint  `json:"monthly"`
	Contacts []*UnitContact `json:"contacts"`
	// Checks are the random checks of the unit created in the year.
	Checks      []*RandomCheck `json:"checks"`
	GeneratedAt time.Time      `json:"generated_at"`
}

// Random check kinds: what is sampled.
const (
	CheckLicenses = "licenses" // licenses the unit issued
	CheckUses     = "uses"     // license reads by the unit
)

// Review outcomes of a sampled item.
const (
	OutcomePass = "pass"
	OutcomeFail = "fail"
)

// MaxCheckSize bounds the sample of one random check.
const MaxCheckSize = 100

// RandomCheckRequest asks for a random sample for review (抽查).
type RandomCheckRequest struct {
	Unit string `json:"unit"`
	Kind string `json:"kind"`
	Size int    `json:"size"`
}

// Validate checks the request.
func (r *RandomCheckRequest) Validate() error {
	fe := newFieldErrors()
	if r.Unit == "" {
		fe.add("unit", "required")
	}
	if r.Kind != CheckLicenses && r.Kind != CheckUses {
		fe.add("kind", "must be licenses or uses")
	}
	if r.Size == 0 {
		r.Size = 10
	}
	if r.Size < 1 || r.Size > MaxCheckSize {
		fe.add("size", "must be 1 to %d", MaxCheckSize)
	}
	return Invalid("invalid random check", fe.errors())
}

// CheckItem is one sampled license or use and its review.
type CheckItem struct {
	// License is the sampled license, or the license the sampled use read.
	License string `json:"license"`
	// AuditIndex is the audit entry of a sampled use.
	AuditIndex *int64     `json:"audit_index,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	Note       string     `json:"note,omitempty"`
	ReviewedAt *time.Time `json:"reviewed_at,omitempty"`
	ReviewedBy string     `json:"reviewed_by,omitempty"`
}

// RandomCheck is a sample of a unit's licenses or uses drawn for review,
// with the review outcome of each item (Measures art. 29: 随机抽查).
type RandomCheck struct {
	ID        string      `json:"id"`
	Unit      string      `json:"unit"`
	Kind      string      `json:"kind"`
	CreatedAt time.Time   `json:"created_at"`
	CreatedBy string      `json:"created_by"`
	Items     []CheckItem `json:"items"`
	// Reviewed and Failed count the items reviewed and failed.
	Reviewed int `json:"reviewed"`
	Failed   int `json:"failed"`
}

// Tally sets Reviewed and Failed from the items.
func (c *RandomCheck) Tally() {
	c.Reviewed, c.Failed = 0, 0
	for _, it := range c.Items {
		if it.Outcome != "" {
			c.Reviewed++
		}
		if it.Outcome == OutcomeFail {
			c.Failed++
		}
	}
}

// CheckReview is the outcome of reviewing one item.
type CheckReview struct {
	Outcome string `json:"outcome"`
	Note    string `json:"note"`
}

// Validate checks the review.
func (r *CheckReview) Validate() error {
	fe := newFieldErrors()
	if r.Outcome != OutcomePass && r.Outcome != OutcomeFail {
		fe.add("outcome", "must be pass or fail")
	}
	r.Note = strings.TrimSpace(r.Note)
	if len([]rune(r.Note)) > 1000 {
		fe.add("note", "at most 1000 characters")
	}
	if r.Outcome == OutcomeFail && r.Note == "" {
		fe.add("note", "say what is wrong")
	}
	return Invalid("invalid review", fe.errors())
}

// RandomCheckFilter selects random checks.
type RandomCheckFilter struct {
	Unit *string
	Page
}

// PublicCatalog is the city-wide list of public license types (Measures
// art. 7), grouped by issuing unit and standard level.
type PublicCatalog struct {
	GeneratedAt time.Time       `json:"generated_at"`
	Total       int             `json:"total"`
	Issuers     []CatalogIssuer `json:"issuers"`
}

// CatalogIssuer is one issuer's public types by level.
type CatalogIssuer struct {
	Issuer Party          `json:"issuer"`
	Levels []CatalogLevel `json:"levels"`
}

// CatalogLevel is the types of one standard level.
type CatalogLevel struct {
	Level string         `json:"level"`
	Types []CatalogEntry `json:"types"`
}

// CatalogEntry is a public license type with its template's field names.
type CatalogEntry struct {
	Code         string         `json:"code"`
	Name         string         `json:"name"`
	HolderKind   HolderKind     `json:"holder_kind"`
	CollectSince string         `json:"collect_since"`
	Fields       []CatalogField `json:"fields"`
}

// CatalogField names a face field of a template.
type CatalogField struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}
