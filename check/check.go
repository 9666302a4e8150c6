// Package check is the library's fsck: it checks that what the database
// holds is what the audit log says happened. Beside the audit log itself
// (auditlog.Check), it verifies every stored license document's signature,
// recomputes its digest and compares it with the digest its issue entry
// recorded, replays the log's lifecycle entries (issue, update, revoke)
// and compares each license's stored status, superseded_by and revocation
// with the replay, and checks the checkpoints published outside the
// database against the log. It names every row that differs, by license
// ID or entry index, never by holder data.
package check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// Problem kinds.
const (
	KindAudit       = "audit"       // the audit log itself (auditlog.Check)
	KindSignature   = "signature"   // a stored document does not verify
	KindDocument    = "document"    // a stored document is not the one its audit entry recorded
	KindLifecycle   = "lifecycle"   // status, superseded_by or revocation differ from the log's
	KindUnaudited   = "unaudited"   // a stored license has no issue entry in the log
	KindMissing     = "missing"     // the log issued a license the table lacks
	KindPublished   = "published"   // a published checkpoint is not on this log
	KindIdempotency = "idempotency" // an idempotency record names no stored license
)

// Problem is one difference, named by license ID or entry index.
type Problem struct {
	Kind    string
	License string // the license ID, if the problem is about one
	Index   int64  // the audit entry index, or -1
	Message string
}

func (p Problem) String() string {
	s := p.Kind + ": "
	if p.License != "" {
		s += "license " + p.License + ": "
	}
	if p.Index >= 0 {
		s += fmt.Sprintf("entry %d: ", p.Index)
	}
	return s + p.Message
}

// Report is the outcome of a check.
type Report struct {
	Audit      *auditlog.Report
	Licenses   int   // stored license versions checked
	Entries    int64 // audit entries replayed
	Published  int   // published checkpoints checked
	Problems   []Problem
	Idempotent int // idempotency records checked
}

// OK reports whether nothing differs.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Config says what to check against.
type Config struct {
	// LogVerifier verifies the audit log's checkpoints.
	LogVerifier note.Verifier
	// Trust verifies license documents (the library CA as root).
	Trust *sign.TrustStore
	// Published are checkpoints published outside the database (signed
	// notes); each must lie on this log.
	Published []string
	// Now is the time documents are verified at (time.Now if nil); the
	// certificate chain is checked at each document's signed_at.
	Now func() time.Time
}

// want is what the audit log says about one license version.
type want struct {
	index        int64 // the entry that created it
	digest       string
	status       string
	supersededBy string
	revokedAt    time.Time
	reason       string
	lost         bool // a stand-in for a license lost in a restore
	seen         bool
}

// Run checks the store in one read transaction (a consistent snapshot).
func Run(ctx context.Context, store zhengzhao.Store, c Config) (*Report, error) {
	if c.Now == nil {
		c.Now = time.Now
	}
	r := &Report{}
	err := store.View(ctx, func(tx zhengzhao.ReadTx) error {
		*r = Report{}
		return run(tx, c, r)
	})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	return r, nil
}

const page = 1000

func run(tx zhengzhao.ReadTx, c Config, r *Report) error {
	rep, err := auditlog.Check(tx, c.LogVerifier)
	if err != nil {
		return err
	}
	r.Audit = rep
	for _, p := range rep.Problems {
		r.Problems = append(r.Problems, Problem{Kind: KindAudit, Index: p.Index, Message: p.Kind + ": " + p.Message})
	}

	pub, err := openPublished(c)
	if err != nil {
		return err
	}
	wants, err := replay(tx, r, pub)
	if err != nil {
		return err
	}
	if err := checkLicenses(tx, c, r, wants); err != nil {
		return err
	}
	ids := make([]string, 0)
	for id, w := range wants {
		if !w.seen {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return wants[ids[i]].index < wants[ids[j]].index })
	for _, id := range ids {
		r.Problems = append(r.Problems, Problem{Kind: KindMissing, License: id, Index: wants[id].index,
			Message: "the audit log records this license but the licenses table has no such row"})
	}
	return checkIdempotency(tx, r)
}

// published is one checkpoint published outside the database.
type published struct {
	size int64
	root []byte
}

func openPublished(c Config) ([]published, error) {
	var ps []published
	for _, text := range c.Published {
		_, size, root, err := auditlog.OpenCheckpoint(text, c.LogVerifier)
		if err != nil {
			return nil, fmt.Errorf("published checkpoint: %w", err)
		}
		ps = append(ps, published{size, root})
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].size < ps[j].size })
	return ps, nil
}

// replay reads every audit entry in order and returns what the log says
// of each license version; on the way it compares the tree at each
// published checkpoint's size with the published root.
func replay(tx zhengzhao.ReadTx, r *Report, pub []published) (map[string]*want, error) {
	n, err := tx.AuditSize()
	if err != nil {
		return nil, err
	}
	tree, err := auditlog.NewTree(0, nil)
	if err != nil {
		return nil, err
	}
	comparePublished := func() error {
		for len(pub) > 0 && pub[0].size == tree.Size() {
			root, err := tree.Root()
			if err != nil {
				return err
			}
			if string(root) != string(pub[0].root) {
				r.Problems = append(r.Problems, Problem{Kind: KindPublished, Index: -1,
					Message: fmt.Sprintf("the checkpoint published at size %d has another root than this log at that size: the log was rewritten or replaced", pub[0].size)})
			}
			r.Published++
			pub = pub[1:]
		}
		return nil
	}
	if err := comparePublished(); err != nil {
		return nil, err
	}
	wants := map[string]*want{}
	for start := int64(0); start < n; start += page {
		es, err := tx.AuditEntries(start, min(start+page, n))
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			r.Entries++
			if _, err := tree.Append(auditlog.LeafHash(e)); err != nil {
				return nil, err
			}
			apply(wants, e, r)
			if err := comparePublished(); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range pub {
		r.Published++
		r.Problems = append(r.Problems, Problem{Kind: KindPublished, Index: -1,
			Message: fmt.Sprintf("a checkpoint of %d entries was published but this log has only %d: the database is behind what was published (restored from an older backup?); run zhengzhao restore --accept-loss", p.size, tree.Size())})
	}
	return wants, nil
}

// apply records one entry's effect on the licenses it is about.
func apply(wants map[string]*want, e *zhengzhao.AuditEntry, r *Report) {
	created := func() {
		if _, dup := wants[e.License]; dup {
			r.Problems = append(r.Problems, Problem{Kind: KindLifecycle, License: e.License, Index: e.Index, Message: "the log creates this license a second time"})
			return
		}
		wants[e.License] = &want{index: e.Index, digest: e.Details["digest"], status: zhengzhao.StatusValid}
	}
	switch e.Action {
	case zhengzhao.ActionLicenseIssue, zhengzhao.ActionLicenseImport:
		created()
	case zhengzhao.ActionLicenseUpdate:
		created()
		old := e.Details["supersedes"]
		if old == "" {
			old = e.Subject
		}
		if w, ok := wants[old]; ok {
			w.status, w.supersededBy = zhengzhao.StatusSuperseded, e.License
		} else {
			r.Problems = append(r.Problems, Problem{Kind: KindLifecycle, License: old, Index: e.Index, Message: "the log updates a license it never created"})
		}
	case zhengzhao.ActionLicenseRevoke:
		if w, ok := wants[e.License]; ok {
			w.status, w.revokedAt, w.reason = zhengzhao.StatusRevoked, e.Time, e.Details["reason"]
		} else {
			r.Problems = append(r.Problems, Problem{Kind: KindLifecycle, License: e.License, Index: e.Index, Message: "the log revokes a license it never created"})
		}
	case zhengzhao.ActionLicenseLost:
		w, ok := wants[e.License]
		if !ok {
			w = &want{index: e.Index, lost: true}
			wants[e.License] = w
		}
		w.status, w.supersededBy, w.revokedAt, w.reason = zhengzhao.StatusRevoked, "", e.Time, e.Details["reason"]
	}
}

// checkLicenses compares every stored license version with the replay.
func checkLicenses(tx zhengzhao.ReadTx, c Config, r *Report, wants map[string]*want) error {
	now := c.Now()
	cursor := ""
	for {
		ls, _, next, err := tx.FindLicenses(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: page, Cursor: cursor}})
		if err != nil {
			return err
		}
		for _, l := range ls {
			r.Licenses++
			checkLicense(l, c, r, wants, now)
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

func checkLicense(l *zhengzhao.License, c Config, r *Report, wants map[string]*want, now time.Time) {
	add := func(kind string, index int64, format string, args ...any) {
		r.Problems = append(r.Problems, Problem{Kind: kind, License: l.ID, Index: index, Message: fmt.Sprintf(format, args...)})
	}
	w, ok := wants[l.ID]
	if !ok {
		add(KindUnaudited, -1, "the licenses table holds this license but the audit log never issued it")
		return
	}
	if w.seen {
		add(KindDocument, w.index, "two rows of the licenses table hold this license's document: another row's document was replaced with it")
		return
	}
	w.seen = true
	if !w.lost {
		doc, err := json.Marshal(l)
		if err != nil {
			add(KindDocument, w.index, "the stored document does not encode: %v", err)
			return
		}
		canon, err := sign.Canonicalize(doc, zhengzhao.UnsignedFields)
		if err != nil {
			add(KindDocument, w.index, "the stored document is not canonicalizable: %v", err)
		} else if d := sha256.Sum256(canon); hex.EncodeToString(d[:]) != w.digest {
			add(KindDocument, w.index, "the stored document is not the one signed and recorded in the audit log (digest %s…, recorded %.12s…)", hex.EncodeToString(d[:6]), w.digest)
		}
		if chk := c.Trust.VerifyDocument(doc, now); !chk.Signature || !chk.IssuerTrusted {
			add(KindSignature, w.index, "the stored document does not verify: %v", chk.Reasons)
		}
	}
	if l.Status != w.status {
		add(KindLifecycle, w.index, "status is %q, the audit log says %q", l.Status, w.status)
	}
	if l.SupersededBy != w.supersededBy {
		add(KindLifecycle, w.index, "superseded_by is %q, the audit log says %q", l.SupersededBy, w.supersededBy)
	}
	if l.RevocationReason != w.reason {
		add(KindLifecycle, w.index, "the revocation reason differs from the audit log's")
	}
	switch {
	case w.revokedAt.IsZero() && l.RevokedAt != nil:
		add(KindLifecycle, w.index, "revoked_at is set but the audit log never revoked it")
	case !w.revokedAt.IsZero() && (l.RevokedAt == nil || !l.RevokedAt.Truncate(time.Microsecond).Equal(w.revokedAt.Truncate(time.Microsecond))):
		add(KindLifecycle, w.index, "revoked_at differs from the time of the audit log's revocation (%s)", w.revokedAt.Format(time.RFC3339Nano))
	}
}

// checkIdempotency checks that every idempotency record names a stored
// license of the same unit.
func checkIdempotency(tx zhengzhao.ReadTx, r *Report) error {
	cursor := ""
	for {
		us, _, next, err := tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: page, Cursor: cursor}})
		if err != nil {
			return err
		}
		for _, u := range us {
			after := ""
			for {
				recs, err := tx.FindIdempotencyRecords(u.Code, after, page)
				if err != nil {
					return err
				}
				for _, rec := range recs {
					r.Idempotent++
					l, err := tx.FindLicenseByID(rec.LicenseID)
					switch {
					case zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND:
						r.Problems = append(r.Problems, Problem{Kind: KindIdempotency, License: rec.LicenseID, Index: -1,
							Message: "an idempotency record of unit " + u.Code + " names this license, which is not stored: a retry would fail"})
					case err != nil:
						return err
					case l.Issuer.Code != u.Code:
						r.Problems = append(r.Problems, Problem{Kind: KindIdempotency, License: rec.LicenseID, Index: -1,
							Message: "an idempotency record of unit " + u.Code + " names a license of another issuer"})
					}
				}
				if len(recs) < page {
					break
				}
				after = recs[len(recs)-1].Key
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}
