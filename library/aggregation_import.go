// Measures art. 10 (存量证照入库): bulk import of valid and historical licenses,
// resumable and idempotent, with a report of every row not imported.

package library

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/importer"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// ImportBatchRows is how many rows of an import one Store.Update commits,
// with the job's checkpoint. Larger batches amortise the commit; smaller
// ones lose less work on a crash and hold the writer for less time.
const ImportBatchRows = 1000

// Import reads a file of licenses and imports its valid rows (Measures
// art. 10). See zhengzhao.AggregationService.
//
// Exactly once: each batch of rows commits in one transaction together
// with the job's checkpoint (the number of the last row it covers), its
// report lines and one audit entry per license. A resumed job (same issuer
// and key) skips the rows up to the checkpoint. A license's identity is
// natural — its type, issuer and serial (from the id or serial column, or
// derived from the printed number) — so a row whose license is already in
// the library, from this file or any other source, is reported as a
// duplicate and never stored twice.
func (l *Aggregation) Import(ctx context.Context, spec *zhengzhao.ImportSpec, r io.Reader) (*zhengzhao.ImportJob, error) {
	issuer, err := actingIssuer(ctx, spec.Issuer)
	if err != nil {
		return nil, err
	}
	if err := validateImportSpec(spec); err != nil {
		return nil, err
	}
	var (
		unit *zhengzhao.Unit
		typ  *zhengzhao.LicenseType
		job  *zhengzhao.ImportJob
	)
	err = l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		if unit, err = tx.FindUnitByCode(issuer); err != nil {
			return err
		}
		if typ, err = tx.FindLicenseTypeByCode(spec.Type); err != nil {
			return err
		}
		if spec.Key != "" {
			job, err = tx.FindImportJobByKey(issuer, spec.Key)
			if zhengzhao.ErrorCode(err) == zhengzhao.ENOTFOUND {
				job, err = nil, nil
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	if !unit.HasRole(zhengzhao.RoleIssuer) {
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s is not an issuing unit", issuer)
	}
	if !typ.MayIssue(issuer) {
		return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s may not issue licenses of type %s", issuer, typ.Code)
	}
	if job != nil {
		if err := sameSpec(job, spec); err != nil {
			return nil, err
		}
		if job.Status == zhengzhao.ImportDone {
			return job, nil
		}
	}

	rd, err := importer.NewReader(r, importer.Options{Format: spec.Format, Encoding: spec.Encoding, Mapping: spec.Mapping}, importer.Known(typ))
	if err != nil {
		return nil, err
	}
	s, err := l.signer(ctx, issuer)
	if err != nil {
		return nil, err
	}
	if job == nil {
		if job, err = l.createImportJob(ctx, issuer, spec, rd.Encoding()); err != nil {
			return nil, err
		}
		if job.Status == zhengzhao.ImportDone {
			return job, nil
		}
	}
	imp := &importRun{lib: l.core, ctx: ctx, spec: spec, typ: typ, unit: unit, signer: s, rd: rd,
		actor: zhengzhao.ActorFromContext(ctx).ID(), provenance: job.Provenance}
	return imp.run(job)
}

// actingIssuer returns the issuing unit an aggregation request acts for:
// the acting issuing unit (which may name only itself), or the unit the
// administrator names.
func actingIssuer(ctx context.Context, named string) (string, error) {
	if isAdmin(zhengzhao.ActorFromContext(ctx)) {
		if named == "" {
			return "", zhengzhao.Invalid("invalid request", []zhengzhao.FieldError{{Field: "issuer", Message: "required when the administrator acts for an issuer"}})
		}
		return named, nil
	}
	u, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
	if err != nil {
		return "", err
	}
	if named != "" && named != u.Code {
		return "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s acts only for itself", u.Code)
	}
	return u.Code, nil
}

func validateImportSpec(spec *zhengzhao.ImportSpec) error {
	var fe []zhengzhao.FieldError
	if spec.Type == "" {
		fe = append(fe, zhengzhao.FieldError{Field: "type", Message: "required"})
	}
	if spec.Format != zhengzhao.FormatCSV && spec.Format != zhengzhao.FormatJSONL {
		fe = append(fe, zhengzhao.FieldError{Field: "format", Message: "must be csv or jsonl"})
	}
	if spec.Provenance != "" && !zhengzhao.ValidProvenance(spec.Provenance) {
		fe = append(fe, zhengzhao.FieldError{Field: "provenance", Message: "must be born_digital, digitised_checked or digitised_unchecked"})
	}
	if len(spec.Key) > 255 {
		fe = append(fe, zhengzhao.FieldError{Field: "key", Message: "at most 255 characters"})
	}
	if len(spec.Source) > 500 {
		fe = append(fe, zhengzhao.FieldError{Field: "source", Message: "at most 500 characters"})
	}
	for from, to := range spec.Mapping {
		if from == "" || to == "" {
			fe = append(fe, zhengzhao.FieldError{Field: "mapping", Message: "column names must not be empty"})
		}
	}
	return zhengzhao.Invalid("invalid import", fe)
}

// sameSpec refuses to resume a job with a different spec under its key:
// the same rows would be read differently.
func sameSpec(j *zhengzhao.ImportJob, spec *zhengzhao.ImportSpec) error {
	prov := spec.Provenance
	if prov == "" {
		prov = zhengzhao.ProvenanceDigitisedUnchecked
	}
	same := j.Type == spec.Type && j.Format == spec.Format && j.Provenance == prov &&
		(spec.Encoding == "" || strings.EqualFold(spec.Encoding, j.Encoding)) && maps.Equal(j.Mapping, spec.Mapping)
	if !same {
		return &zhengzhao.Error{Code: zhengzhao.ECONFLICT, Message: fmt.Sprintf("import key %q was used for import %s with other options", j.Key, j.ID),
			Fields: []zhengzhao.FieldError{{Field: "key", Message: "used for another import"}}}
	}
	return nil
}

func (l *core) createImportJob(ctx context.Context, issuer string, spec *zhengzhao.ImportSpec, encoding string) (*zhengzhao.ImportJob, error) {
	prov := spec.Provenance
	if prov == "" {
		prov = zhengzhao.ProvenanceDigitisedUnchecked
	}
	job := &zhengzhao.ImportJob{
		ID: "imp_" + randomHex(12), Issuer: issuer, Type: spec.Type, Key: spec.Key, Format: spec.Format,
		Encoding: encoding, Mapping: spec.Mapping, Provenance: prov, Source: spec.Source, Status: zhengzhao.ImportRunning,
		BytesTotal: spec.Size, Actor: zhengzhao.ActorFromContext(ctx).ID(),
	}
	var existing *zhengzhao.ImportJob
	err := l.store.Update(ctx, func(tx zhengzhao.Tx) error {
		j := *job
		j.CreatedAt, j.UpdatedAt = tx.Now(), tx.Now()
		err := tx.CreateImportJob(&j)
		if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT && spec.Key != "" {
			// Another process started the same import meanwhile.
			existing, err = tx.FindImportJobByKey(issuer, spec.Key)
			return err
		}
		if err == nil {
			*job = j
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("import: create job: %w", err)
	}
	if existing != nil {
		return existing, sameSpec(existing, spec)
	}
	return job, nil
}

// importRun is one run of an import job: the reading, validating and
// signing of batches in one goroutine, their commits in another.
type importRun struct {
	lib    *core
	ctx    context.Context
	spec   *zhengzhao.ImportSpec
	typ    *zhengzhao.LicenseType
	unit   *zhengzhao.Unit
	signer *sign.Signer
	rd     *importer.Reader
	actor  string
	// provenance of rows without a provenance column.
	provenance string
}

// importBatch is a batch of rows ready to commit.
type importBatch struct {
	lastRow  int64 // the checkpoint after this batch
	bytes    int64
	items    []*importItem
	problems []*zhengzhao.ImportProblem // rejections
	rejected int64
	eof      bool
}

// importItem is a row that became a signed license.
type importItem struct {
	row      int64
	lic      *zhengzhao.License
	base     string
	keyField string   // the column that gave the license its identity
	v        *version // lic, signed
	findings []*zhengzhao.ImportProblem
}

func (imp *importRun) run(job *zhengzhao.ImportJob) (*zhengzhao.ImportJob, error) {
	ctx, cancel := context.WithCancel(imp.ctx)
	defer cancel()
	batches := make(chan *importBatch, 1) // one batch prepared while one commits
	var prepErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(batches)
		prepErr = imp.prepare(ctx, job.Rows, batches)
	})
	var err error
	for b := range batches {
		if err = imp.commit(job, b); err != nil {
			cancel()
			break
		}
		if imp.spec.Progress != nil {
			j := *job
			imp.spec.Progress(&j)
		}
	}
	for range batches { // let prepare finish after a failed commit
	}
	wg.Wait()
	if err == nil {
		err = prepErr
	}
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", job.ID, err)
	}
	return job, nil
}

// prepare reads the rows after skip, validates and signs them, and sends
// them in batches; the last batch has eof set.
func (imp *importRun) prepare(ctx context.Context, skip int64, out chan<- *importBatch) error {
	b := &importBatch{lastRow: skip}
	var pending []*importItem
	for {
		row, err := imp.rd.Next()
		if errors.Is(err, io.EOF) {
			b.eof = true
			break
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if row.Num <= skip {
			continue // committed before the job was interrupted
		}
		b.lastRow = row.Num
		if it, probs := imp.item(row); it != nil {
			pending = append(pending, it)
		} else {
			b.problems = append(b.problems, probs...)
			b.rejected++
		}
		if b.lastRow-skip >= ImportBatchRows {
			skip = b.lastRow
			b.bytes = imp.rd.BytesRead()
			if err := imp.signAll(pending); err != nil {
				return err
			}
			b.items, pending = pending, nil
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			b = &importBatch{lastRow: skip}
		}
	}
	b.bytes = imp.rd.BytesRead()
	if err := imp.signAll(pending); err != nil {
		return err
	}
	b.items = pending
	select {
	case out <- b:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// signAll signs the batch's licenses on every core.
func (imp *importRun) signAll(items []*importItem) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(items)/16))
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(items); i += workers {
				v, err := imp.lib.signVersion(imp.signer, items[i].lic)
				if err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					return
				}
				items[i].v = v
			}
		})
	}
	wg.Wait()
	return first
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// item validates a row and builds its license, or returns the row's
// problems.
func (imp *importRun) item(row *importer.Row) (*importItem, []*zhengzhao.ImportProblem) {
	rec := importer.ToRecord(row, imp.typ)
	var probs []*zhengzhao.ImportProblem
	reject := func(field, reason string) {
		probs = append(probs, &zhengzhao.ImportProblem{Row: row.Num, Field: field, Reason: reason, Outcome: zhengzhao.OutcomeRejected})
	}
	if len(rec.Problems) > 0 {
		// The row is unreadable (cells out of line, malformed JSON):
		// what it says about single fields would mislead.
		for _, p := range rec.Problems {
			reject(p.Field, p.Message)
		}
		return nil, probs
	}
	prov := rec.Provenance
	if prov == "" {
		prov = imp.provenance
	}
	if !zhengzhao.ValidProvenance(prov) {
		reject(importer.ColProvenance, "must be born_digital, digitised_checked or digitised_unchecked")
	}
	if err := rec.Request.Validate(imp.typ); err != nil {
		var e *zhengzhao.Error
		if errors.As(err, &e) && len(e.Fields) > 0 {
			for _, f := range e.Fields {
				if f.Field == importer.ColValidFrom && !row.Has(importer.ColValidFrom) {
					continue // taken from issued_on, which is reported
				}
				reject(importer.Column(f.Field), f.Message)
			}
		} else {
			reject("", zhengzhao.ErrorMessage(err))
		}
	}
	it := &importItem{row: row.Num}
	var id zhengzhao.LicenseID
	switch {
	case rec.ID != "":
		it.keyField = importer.ColID
		var err error
		id, err = zhengzhao.ParseLicenseID(rec.ID)
		switch {
		case id.TypeCode == "":
			reject(importer.ColID, zhengzhao.ErrorMessage(err))
		case id.TypeCode != imp.typ.Code:
			reject(importer.ColID, fmt.Sprintf("is of type %s, not %s", id.TypeCode, imp.typ.Code))
		case id.IssuerCode != imp.unit.Code:
			reject(importer.ColID, fmt.Sprintf("is of issuer %s, not %s", id.IssuerCode, imp.unit.Code))
		case rec.Request.Serial != "" && rec.Request.Serial != id.Serial:
			reject(importer.ColSerial, fmt.Sprintf("differs from the serial %s of the id", id.Serial))
		case err != nil:
			// A wrong check character: older software computed it
			// wrongly. The ID is kept as the issuer gave it.
			it.findings = append(it.findings, &zhengzhao.ImportProblem{Row: row.Num, Field: importer.ColID,
				Reason: zhengzhao.ErrorMessage(err), Outcome: zhengzhao.OutcomeFinding})
		}
	case rec.Request.Serial != "":
		it.keyField = importer.ColSerial
		id = zhengzhao.LicenseID{TypeCode: imp.typ.Code, IssuerCode: imp.unit.Code, Serial: rec.Request.Serial, Version: 1}
	default:
		it.keyField = importer.ColNumber
		id = zhengzhao.LicenseID{TypeCode: imp.typ.Code, IssuerCode: imp.unit.Code, Serial: SerialFromNumber(rec.Request.Number), Version: 1}
	}
	if len(probs) > 0 {
		return nil, probs
	}
	lic := newLicense(imp.typ, zhengzhao.Party{Code: imp.unit.Code, Name: imp.unit.Name}, id, "", issueContent(&rec.Request))
	if rec.ID != "" {
		lic.ID = rec.ID // as the issuer gave it, a wrong check character and all
	}
	lic.Provenance = prov
	for _, f := range it.findings {
		lic.Quality = append(lic.Quality, zhengzhao.QualityFinding{Field: f.Field, Code: zhengzhao.FindingWrongCheckChar, Message: f.Reason})
	}
	it.lic, it.base = lic, id.Base()
	return it, nil
}

// commit stores a batch with the job's checkpoint in one transaction.
// Rows whose license is in the library already, or earlier in the batch,
// become duplicates.
func (imp *importRun) commit(job *zhengzhao.ImportJob, b *importBatch) error {
	for attempt := 0; ; attempt++ {
		var next zhengzhao.ImportJob
		err := imp.lib.store.Update(imp.ctx, func(tx zhengzhao.Tx) error {
			next = *job
			bases := make([]string, 0, len(b.items))
			for _, it := range b.items {
				bases = append(bases, it.base)
			}
			found, err := tx.FindLicenseBases(bases)
			if err != nil {
				return err
			}
			taken := make(map[string]int64, len(found)+len(b.items))
			for _, base := range found {
				taken[base] = 0
			}
			problems := append([]*zhengzhao.ImportProblem(nil), b.problems...)
			vs := make([]*version, 0, len(b.items))
			paths := make([]map[string]string, 0, len(b.items))
			var dups, findings int64
			for _, it := range b.items {
				if prev, ok := taken[it.base]; ok {
					reason := "the license " + it.base + " is already in the library"
					if prev > 0 {
						reason = fmt.Sprintf("the same license as row %d", prev)
					}
					problems = append(problems, &zhengzhao.ImportProblem{Row: it.row, Field: it.keyField, Reason: reason, Outcome: zhengzhao.OutcomeDuplicate})
					dups++
					continue
				}
				taken[it.base] = it.row
				path := map[string]string{"job": job.ID, "row": fmt.Sprint(it.row), "provenance": it.lic.Provenance}
				if len(it.findings) > 0 {
					path["finding"] = zhengzhao.FindingWrongCheckChar
					findings++
					problems = append(problems, it.findings...)
				}
				vs, paths = append(vs, it.v), append(paths, path)
			}
			// Report lines in row order, as the file has them.
			sortProblems(problems)
			for _, p := range problems {
				p.Job = job.ID
			}
			if err := commitImport(imp.ctx, tx, imp.actor, vs, paths); err != nil {
				return err
			}
			if err := tx.CreateImportProblems(problems); err != nil {
				return err
			}
			next.Rows = b.lastRow
			next.Imported += int64(len(vs))
			next.Findings += findings
			next.Duplicates += dups
			next.Rejected += b.rejected
			next.BytesRead = b.bytes
			next.UpdatedAt = tx.Now()
			if b.eof {
				next.Status = zhengzhao.ImportDone
				now := tx.Now()
				next.FinishedAt = &now
			}
			return tx.UpdateImportJob(&next, job.Rows)
		})
		if zhengzhao.ErrorCode(err) == zhengzhao.ECONFLICT && attempt < 2 && !strings.Contains(zhengzhao.ErrorMessage(err), "advanced elsewhere") {
			continue // a license was issued concurrently: check the bases again
		}
		if err != nil {
			return err
		}
		*job = next
		return nil
	}
}

func sortProblems(ps []*zhengzhao.ImportProblem) {
	// Stable: a row's problems keep the order they were found in.
	for i := 1; i < len(ps); i++ {
		for j := i; j > 0 && ps[j].Row < ps[j-1].Row; j-- {
			ps[j], ps[j-1] = ps[j-1], ps[j]
		}
	}
}

// serialRE matches a number that can serve as a serial as it is.
var serialRE = regexp.MustCompile(`^[0-9A-Z]{1,32}$`)

// SerialFromNumber derives the serial of an imported license without
// serial or ID from its printed number: the number itself when it is 1 to
// 32 characters 0-9 or A-Z, otherwise "H" and 25 base-36 digits of the
// number's SHA-256. The same number always gives the same serial, which is
// what makes a re-import find the license it stored before.
func SerialFromNumber(number string) string {
	if serialRE.MatchString(number) {
		return number
	}
	h := sha256.Sum256([]byte(number))
	s := strings.ToUpper(new(big.Int).SetBytes(h[:16]).Text(36))
	s = strings.Repeat("0", 25) + s
	return "H" + s[len(s)-25:]
}

// FindImportJob returns a job to its issuer or the administrator.
func (l *Aggregation) FindImportJob(ctx context.Context, id string) (*zhengzhao.ImportJob, error) {
	a := zhengzhao.ActorFromContext(ctx)
	if a.Kind == zhengzhao.ActorAnonymous || a.Kind == "" {
		return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "authentication required")
	}
	var j *zhengzhao.ImportJob
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		j, err = tx.FindImportJob(id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !isAdmin(a) && !a.IsUnit(j.Issuer) {
		return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "import job %s not found", id)
	}
	return j, nil
}

// FindImportJobs lists jobs: an issuer its own, the administrator all.
func (l *Aggregation) FindImportJobs(ctx context.Context, f zhengzhao.ImportJobFilter) ([]*zhengzhao.ImportJob, int, string, error) {
	if !isAdmin(zhengzhao.ActorFromContext(ctx)) {
		u, err := requireUnitRole(ctx, zhengzhao.RoleIssuer)
		if err != nil {
			return nil, 0, "", err
		}
		if f.Issuer != nil && *f.Issuer != u.Code {
			return nil, 0, "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "an issuing unit lists only its own imports")
		}
		f.Issuer = &u.Code
	}
	f.Page = f.Page.Normalize()
	var (
		js   []*zhengzhao.ImportJob
		n    int
		next string
	)
	err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		js, n, next, err = tx.FindImportJobs(f)
		return err
	})
	return js, n, next, err
}

// ImportReport calls fn with each problem of the job in row order, reading
// the report a page at a time.
func (l *Aggregation) ImportReport(ctx context.Context, id string, fn func(*zhengzhao.ImportProblem) error) error {
	if _, err := l.FindImportJob(ctx, id); err != nil {
		return err
	}
	const page = 1000
	after := int64(0)
	for {
		var ps []*zhengzhao.ImportProblem
		err := l.store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
			ps, err = tx.FindImportProblems(id, after, page)
			return err
		})
		if err != nil {
			return err
		}
		// A full page may end inside a row's problems: leave that row for
		// the next page.
		if len(ps) == page {
			last := ps[len(ps)-1].Row
			cut := len(ps)
			for cut > 0 && ps[cut-1].Row == last {
				cut--
			}
			if cut == 0 {
				return fmt.Errorf("import report %s: row %d has more than %d problems", id, last, page)
			}
			ps = ps[:cut]
		}
		for _, p := range ps {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(ps) == 0 {
			return nil
		}
		after = ps[len(ps)-1].Row
	}
}
