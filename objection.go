package zhengzhao

import (
	"encoding/hex"
	"regexp"
	"strings"
	"time"
)

// Objection status values.
const (
	ObjectionOpen      = "open"      // filed, not yet answered
	ObjectionCorrected = "corrected" // the issuer corrected the license (a new version)
	ObjectionRejected  = "rejected"  // the issuer found the license accurate and gave reasons
)

// Objection decisions of the issuer.
const (
	DecisionCorrect = "correct"
	DecisionReject  = "reject"
)

// DefaultObjectionWorkdays is how many working days an issuer has to answer
// an objection unless the library is configured otherwise.
const DefaultObjectionWorkdays = 10

// Limits of an objection request.
const (
	MaxObjectionReason    = 2000
	MaxObjectionFields    = 50
	MaxObjectionAttach    = 10
	MaxAttachmentName     = 200
	MaxAttachmentSize     = 50 << 20 // a referenced file, not an upload
	MaxObjectionAnswerLen = 2000
)

// Attachment references a file that supports an objection: scans of the
// paper license, a court ruling, a registry extract. The library does not
// store the file itself (it is personal data and may be large); it records
// the file's name, size and SHA-256 digest, so that the filer and the
// issuer can show later exactly which file was meant. The file travels
// through the issuer's own channel (counter, mail, document system).
type Attachment struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type,omitempty"`
	Size      int64  `json:"size"`
	// SHA256 is the lower-case hex SHA-256 digest of the file.
	SHA256 string `json:"sha256"`
}

// Objection is a request to correct a license (异议, Measures art. 23): its
// holder or a using unit says that some of its content is wrong; the
// issuer answers within a deadline counted in working days, by issuing a
// corrected version or by rejecting with reasons.
type Objection struct {
	ID string `json:"id"`
	// License is the version objected to; LicenseBase names every version.
	License     string `json:"license"`
	LicenseBase string `json:"license_base"`
	// Type and Issuer come from the license.
	Type   string `json:"type"`
	Issuer string `json:"issuer"`
	// Filer is the party with standing, as Actor.ID writes it: the holder
	// ("holder:<id type>:<id>") or a using unit ("unit:<code>"). It is
	// who is informed of the answer.
	Filer string `json:"filer"`
	// FiledBy is who filed it: the filer, or "admin" for a holder served
	// at a counter.
	FiledBy string `json:"filed_by"`
	// Fields names what is disputed: face-field keys ("fields.address") or
	// document members ("holder.name", "valid_until").
	Fields      []string     `json:"fields"`
	Reason      string       `json:"reason"`
	Attachments []Attachment `json:"attachments"`
	Status      string       `json:"status"`
	FiledAt     time.Time    `json:"filed_at"`
	// DueOn is the last day (China time) on which the answer is on time:
	// the deadline in working days after filing.
	DueOn string `json:"due_on"`
	// Overdue is true while the objection is open after DueOn, and stays
	// true for an answer given after DueOn. It is derived, not stored.
	Overdue    bool       `json:"overdue"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	AnsweredBy string     `json:"answered_by,omitempty"`
	// Answer is the issuer's reasons (a rejection) or note (a correction).
	Answer string `json:"answer,omitempty"`
	// Correction is the ID of the version issued to correct the license.
	Correction string `json:"correction,omitempty"`
}

// SetOverdue derives Overdue at time now.
func (o *Objection) SetOverdue(now time.Time) {
	due, err := ParseDate(o.DueOn)
	if err != nil {
		return
	}
	at := now
	if o.AnsweredAt != nil {
		at = *o.AnsweredAt
	}
	o.Overdue = dateOf(at).After(due)
}

// ObjectionRequest is what a party files.
type ObjectionRequest struct {
	License     string       `json:"license"`
	Fields      []string     `json:"fields"`
	Reason      string       `json:"reason"`
	Attachments []Attachment `json:"attachments,omitempty"`
	// Holder is set only when the administrator files at a counter on a
	// holder's behalf: it must be the license's holder.
	Holder *ObjectionHolder `json:"holder,omitempty"`
}

// ObjectionHolder names a holder by identity document.
type ObjectionHolder struct {
	IDType string `json:"id_type"`
	ID     string `json:"id"`
}

// ActorID returns the holder as Actor.ID writes it.
func (h ObjectionHolder) ActorID() string {
	return Actor{Kind: ActorHolder, HolderIDType: h.IDType, HolderID: h.ID}.ID()
}

var (
	sha256HexRE      = regexp.MustCompile(`^[0-9a-f]{64}$`)
	objectionFieldRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})?$`)
)

// Validate checks the request's form. Whether the fields exist on the
// license is checked against it by Check.
func (r *ObjectionRequest) Validate() error {
	fe := newFieldErrors()
	if r.License == "" {
		fe.add("license", "required")
	}
	r.Reason = strings.TrimSpace(r.Reason)
	switch n := len([]rune(r.Reason)); {
	case n == 0:
		fe.add("reason", "required: say what is wrong and what is right")
	case n > MaxObjectionReason:
		fe.add("reason", "at most %d characters", MaxObjectionReason)
	default:
		if msg := CheckText(r.Reason); msg != "" {
			fe.add("reason", "%s", msg)
		}
	}
	switch {
	case len(r.Fields) == 0:
		fe.add("fields", "name at least one disputed field")
	case len(r.Fields) > MaxObjectionFields:
		fe.add("fields", "at most %d fields", MaxObjectionFields)
	}
	seen := map[string]bool{}
	for i, f := range r.Fields {
		switch {
		case !objectionFieldRE.MatchString(f):
			fe.add("fields["+itoa(i)+"]", "must be a face field (fields.<key>) or a document member such as holder.name")
		case seen[f]:
			fe.add("fields["+itoa(i)+"]", "duplicate")
		}
		seen[f] = true
	}
	if len(r.Attachments) > MaxObjectionAttach {
		fe.add("attachments", "at most %d attachments", MaxObjectionAttach)
	}
	for i, a := range r.Attachments {
		at := fe.at("attachments[" + itoa(i) + "]")
		if n := len([]rune(strings.TrimSpace(a.Name))); n == 0 || n > MaxAttachmentName {
			at.add("name", "1 to %d characters", MaxAttachmentName)
		} else if msg := CheckName(a.Name); msg != "" {
			at.add("name", "%s", msg) // a file name with U+202E shows "exe.pdf" as "fdp.exe"
		}
		if len(a.MediaType) > 100 {
			at.add("media_type", "at most 100 characters")
		}
		if a.Size <= 0 || a.Size > MaxAttachmentSize {
			at.add("size", "must be 1 to %d bytes", MaxAttachmentSize)
		}
		if !sha256HexRE.MatchString(a.SHA256) {
			at.add("sha256", "must be 64 lower-case hex digits")
		} else if _, err := hex.DecodeString(a.SHA256); err != nil {
			at.add("sha256", "must be hex")
		}
	}
	if r.Holder != nil {
		if r.Holder.IDType == "" || r.Holder.ID == "" {
			fe.add("holder", "id_type and id are required")
		}
	}
	return Invalid("invalid objection", fe.errors())
}

// objectionMembers are the document members an objection may name besides
// face fields.
var objectionMembers = map[string]bool{
	"number": true, "holder.name": true, "holder.id": true, "holder.kind": true, "holder.id_type": true,
	"issued_on": true, "valid_from": true, "valid_until": true, "type_name": true, "issuer.name": true,
}

// Check checks the disputed fields against the license and its type: each
// names a face field of the template or a document member.
func (r *ObjectionRequest) Check(l *License, t *LicenseType) error {
	fe := newFieldErrors()
	keys := map[string]bool{}
	if t != nil {
		for _, f := range t.Fields {
			keys[f.Key] = true
		}
	}
	for k := range l.Fields {
		keys[k] = true
	}
	for i, f := range r.Fields {
		if key, ok := strings.CutPrefix(f, "fields."); ok {
			if !keys[key] {
				fe.add("fields["+itoa(i)+"]", "the license has no face field %q", key)
			}
		} else if !objectionMembers[f] {
			fe.add("fields["+itoa(i)+"]", "not a member of a license document")
		}
	}
	return Invalid("invalid objection", fe.errors())
}

// ObjectionAnswer is the issuer's answer to an objection.
type ObjectionAnswer struct {
	// Decision is "correct" or "reject".
	Decision string `json:"decision"`
	// Reason is required for a rejection; for a correction it is an
	// optional note to the filer.
	Reason string `json:"reason"`
	// Update is the corrected content for a correction: the next version
	// of the license, as LicenseService.UpdateLicense takes it.
	Update *LicenseUpdate `json:"update,omitempty"`
}

// Validate checks the answer's form.
func (a *ObjectionAnswer) Validate() error {
	fe := newFieldErrors()
	a.Reason = strings.TrimSpace(a.Reason)
	if len([]rune(a.Reason)) > MaxObjectionAnswerLen {
		fe.add("reason", "at most %d characters", MaxObjectionAnswerLen)
	}
	switch a.Decision {
	case DecisionCorrect:
		if a.Update == nil {
			fe.add("update", "required for a correction: the corrected content of the license")
		}
	case DecisionReject:
		if a.Reason == "" {
			fe.add("reason", "required for a rejection: say why the license is accurate")
		}
		if a.Update != nil {
			fe.add("update", "only a correction carries an update")
		}
	default:
		fe.add("decision", "must be correct or reject")
	}
	return Invalid("invalid answer", fe.errors())
}

// ObjectionFilter selects objections.
type ObjectionFilter struct {
	Issuer      *string
	Filer       *string
	LicenseBase *string
	Status      *string
	// DueBefore selects objections whose DueOn is before the date
	// (YYYY-MM-DD); with Status open, the overdue ones.
	DueBefore *string
	// Role is for the service only: "issuer" (the acting unit's queue) or
	// "filer" (what the acting party filed).
	Role string
	// Overdue is for the service only: open objections past their due date.
	Overdue bool
	Page
}

// ObjectionCount is the number of open objections against one issuer's
// licenses.
type ObjectionCount struct {
	Issuer  string
	Open    int
	Overdue int
}

// Notice kinds.
const (
	NoticeObjectionFiled    = "objection.filed"    // to the issuer
	NoticeObjectionAnswered = "objection.answered" // to the filer
)

// Notice is a message in a party's notice box: an issuing unit learns of
// a new objection, a filer of its answer (Measures art. 23: the issuer
// informs the applicant).
type Notice struct {
	ID string `json:"id"`
	// Recipient is the party, as Actor.ID writes it.
	Recipient string `json:"recipient"`
	Kind      string `json:"kind"`
	Objection string `json:"objection,omitempty"`
	License   string `json:"license,omitempty"`
	// Message is a short text for people (Chinese, with the facts a
	// program needs in the other members).
	Message   string     `json:"message"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// NoticeFilter selects a recipient's notices.
type NoticeFilter struct {
	Recipient  string
	UnreadOnly bool
	Page
}
