package http

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	nethttp "net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/report"
)

// Upload limits of the aggregation endpoints, which replace the server's
// body limit on them. Imports and reconciliations stream their body row
// by row and never hold it in memory, so their limit only bounds how long
// one request may feed the library; an increment is decoded whole.
const (
	UploadLimit    int64 = 64 << 30 // 64 GiB
	IncrementLimit int64 = 64 << 20 // 64 MiB: zhengzhao.MaxIncrementItems licenses with room to spare
)

// bodyLimitFor returns the body limit of a request: the upload limits on
// the aggregation endpoints that take files, the server's limit elsewhere.
func (s *Server) bodyLimitFor(r *nethttp.Request) int64 {
	if r.Method == nethttp.MethodPost {
		switch r.URL.Path {
		case "/v1/imports", "/v1/reconciliations":
			return UploadLimit
		case "/v1/increments":
			return IncrementLimit
		}
	}
	return s.bodyLimit
}

// aggregationService returns the aggregation service, or an error when the
// server has none.
func (s *Server) aggregationService() (zhengzhao.AggregationService, error) {
	if s.aggregation == nil {
		return nil, zhengzhao.Errorf(zhengzhao.EUNAVAILABLE, "aggregation is not enabled on this server")
	}
	return s.aggregation, nil
}

// longRequest lifts the server's read and write timeouts for a request
// that streams a large body: a million-row import takes minutes. The body
// limit still applies.
func longRequest(w nethttp.ResponseWriter) {
	rc := nethttp.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{}) // not supported by every writer (tests): then the server's timeouts stay
	_ = rc.SetWriteDeadline(time.Time{})
}

// uploadError turns a body read past the upload limit into ETOOLARGE.
func uploadError(err error, limit int64) error {
	if _, ok := errors.AsType[*nethttp.MaxBytesError](err); ok {
		return errTooLarge(limit)
	}
	return err
}

// fileFormat returns the import format from the format parameter or the
// body's Content-Type.
func fileFormat(r *nethttp.Request, fields *[]zhengzhao.FieldError) string {
	if f := r.URL.Query().Get("format"); f != "" {
		return f
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "text/csv":
		return zhengzhao.FormatCSV
	case "application/x-ndjson", "application/jsonl", "application/jsonlines", "application/x-jsonlines":
		return zhengzhao.FormatJSONL
	}
	*fields = append(*fields, zhengzhao.FieldError{Field: "format",
		Message: "required: give format=csv or jsonl, or Content-Type text/csv or application/x-ndjson"})
	return ""
}

// handleImport handles POST /v1/imports: the body is the file, streamed
// into the library as it arrives.
func (s *Server) handleImport(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	var fields []zhengzhao.FieldError
	spec := &zhengzhao.ImportSpec{Issuer: q.Get("issuer"), Type: q.Get("type"), Encoding: q.Get("encoding"),
		Provenance: q.Get("provenance"), Source: q.Get("source"), Format: fileFormat(r, &fields)}
	if r.ContentLength > 0 {
		spec.Size = r.ContentLength
	}
	if m := q.Get("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &spec.Mapping); err != nil {
			fields = append(fields, zhengzhao.FieldError{Field: "mapping", Message: `must be a JSON object of column names, {"file name": "standard name"}`})
		}
	}
	if err := invalid("invalid import", fields); err != nil {
		s.error(w, r, err)
		return
	}
	if spec.Key, err = idempotencyKey(r); err != nil {
		s.error(w, r, err)
		return
	}
	longRequest(w)
	job, err := svc.Import(r.Context(), spec, r.Body)
	if err != nil {
		s.error(w, r, uploadError(err, UploadLimit))
		return
	}
	w.Header().Set("Location", importPath(job.ID))
	s.render(w, r, nethttp.StatusCreated, job)
}

func importPath(id string) string { return "/v1/imports/" + url.PathEscape(id) }

// handleListImports handles GET /v1/imports.
func (s *Server) handleListImports(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	f := zhengzhao.ImportJobFilter{Page: page(r, &fields), Issuer: optString(r, "issuer", &fields)}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	jobs, total, next, err := svc.FindImportJobs(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(jobs, total, next))
}

// handleGetImport handles GET /v1/imports/{id}: the job with its progress.
func (s *Server) handleGetImport(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	job, err := svc.FindImportJob(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, job)
}

// handleImportReport handles GET /v1/imports/{id}/report: the report as
// CSV (row, field, reason, outcome), streamed.
func (s *Server) handleImportReport(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := svc.FindImportJob(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	longRequest(w)
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+id+`-report.csv"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	cw := report.NewCSVWriter(w)
	_ = cw.Write([]string{"row", "field", "reason", "outcome"})
	err = svc.ImportReport(r.Context(), id, func(p *zhengzhao.ImportProblem) error {
		return cw.Write([]string{strconv.FormatInt(p.Row, 10), p.Field, p.Reason, p.Outcome})
	})
	cw.Flush()
	if err != nil {
		// The status is sent; a cut-off body is all that can tell the
		// client, so make sure it is cut off.
		s.logger.ErrorContext(r.Context(), "import report", "job", id, "err", err)
		panic(nethttp.ErrAbortHandler)
	}
}

// incrementBody is the body of POST /v1/increments: the plain request
// types, so that unknown members are rejected.
type incrementBody struct {
	Issuer  string                      `json:"issuer,omitempty"`
	Date    string                      `json:"date"`
	Issued  []issueRequest              `json:"issued"`
	Updated []incrementUpdateBody       `json:"updated"`
	Revoked []zhengzhao.IncrementRevoke `json:"revoked"`
}

type incrementUpdateBody struct {
	ID         string           `json:"id"`
	Number     string           `json:"number"`
	Holder     zhengzhao.Holder `json:"holder"`
	IssuedOn   string           `json:"issued_on"`
	ValidFrom  string           `json:"valid_from"`
	ValidUntil *string          `json:"valid_until,omitempty"`
	Fields     map[string]any   `json:"fields"`
}

// handleSubmitIncrement handles POST /v1/increments.
func (s *Server) handleSubmitIncrement(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		s.error(w, r, uploadError(err, IncrementLimit))
		return
	}
	var body incrementBody
	if err := decodeJSON(b, &body); err != nil {
		s.error(w, r, err)
		return
	}
	inc := &zhengzhao.Increment{Issuer: body.Issuer, Date: body.Date, Revoked: body.Revoked,
		Issued: make([]zhengzhao.IssueRequest, len(body.Issued)), Updated: make([]zhengzhao.IncrementUpdate, len(body.Updated))}
	for i, r := range body.Issued {
		inc.Issued[i] = zhengzhao.IssueRequest(r)
	}
	for i, u := range body.Updated {
		inc.Updated[i] = zhengzhao.IncrementUpdate{ID: u.ID, LicenseUpdate: zhengzhao.LicenseUpdate{Number: u.Number, Holder: u.Holder,
			IssuedOn: u.IssuedOn, ValidFrom: u.ValidFrom, ValidUntil: u.ValidUntil, Fields: u.Fields}}
	}
	if inc.Revoked == nil {
		inc.Revoked = []zhengzhao.IncrementRevoke{}
	}
	rec, err := svc.SubmitIncrement(r.Context(), inc)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, rec)
}

// handleIncrementStatus handles GET /v1/increments: the issuer's days,
// expected, received, late and missing.
func (s *Server) handleIncrementStatus(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	q := r.URL.Query()
	st, err := svc.IncrementStatus(r.Context(), q.Get("issuer"), q.Get("from"), q.Get("to"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, st)
}

// MaxReconcileDiffs bounds the differences of a JSON reconciliation
// answer; ask for text/csv to get every one.
const MaxReconcileDiffs = 10000

// reconcileResult is the JSON answer of POST /v1/reconciliations.
type reconcileResult struct {
	Summary     *zhengzhao.ReconcileSummary `json:"summary"`
	Differences []*zhengzhao.ReconcileDiff  `json:"differences"`
	// Truncated is true when there were more than MaxReconcileDiffs
	// differences.
	Truncated bool `json:"truncated"`
}

// ReconcileSummaryTrailer is the trailer of a CSV reconciliation report
// that carries the summary as JSON.
const ReconcileSummaryTrailer = "Reconcile-Summary"

// handleReconcile handles POST /v1/reconciliations: the body is the
// issuer's export. The answer is JSON (summary and the first differences)
// or, for Accept: text/csv, every difference as CSV with the summary in a
// trailer.
func (s *Server) handleReconcile(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	q := r.URL.Query()
	spec := &zhengzhao.ReconcileSpec{Issuer: q.Get("issuer"), Format: fileFormat(r, &fields), Encoding: q.Get("encoding")}
	if err := invalid("invalid reconciliation", fields); err != nil {
		s.error(w, r, err)
		return
	}
	longRequest(w)
	if negotiate(r, mediaJSON, "text/csv") == "text/csv" {
		s.reconcileCSV(w, r, svc, spec)
		return
	}
	res := &reconcileResult{Differences: []*zhengzhao.ReconcileDiff{}}
	res.Summary, err = svc.Reconcile(r.Context(), spec, r.Body, func(d *zhengzhao.ReconcileDiff) error {
		if len(res.Differences) < MaxReconcileDiffs {
			res.Differences = append(res.Differences, d)
		} else {
			res.Truncated = true
		}
		return nil
	})
	if err != nil {
		s.error(w, r, uploadError(err, UploadLimit))
		return
	}
	s.render(w, r, nethttp.StatusOK, res)
}

// reconcileCSV streams the differences as CSV. The header goes out with
// the first difference, so that an export rejected before it (unsorted,
// unreadable) still gets a problem document.
func (s *Server) reconcileCSV(w nethttp.ResponseWriter, r *nethttp.Request, svc zhengzhao.AggregationService, spec *zhengzhao.ReconcileSpec) {
	h := w.Header()
	h.Set("Trailer", ReconcileSummaryTrailer)
	cw := report.NewCSVWriter(w)
	started := false
	start := func() {
		if started {
			return
		}
		started = true
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(nethttp.StatusOK)
		_ = cw.Write([]string{"row", "base", "kind", "library", "issuer"})
	}
	sum, err := svc.Reconcile(r.Context(), spec, r.Body, func(d *zhengzhao.ReconcileDiff) error {
		start()
		return cw.Write([]string{strconv.FormatInt(d.Row, 10), d.Base, d.Kind, d.Library, d.Issuer})
	})
	if err != nil && !started {
		h.Del("Trailer")
		s.error(w, r, uploadError(err, UploadLimit))
		return
	}
	if err != nil {
		cw.Flush()
		s.logger.ErrorContext(r.Context(), "reconciliation", "err", err)
		panic(nethttp.ErrAbortHandler)
	}
	start()
	cw.Flush()
	b, _ := json.Marshal(sum)
	h.Set(ReconcileSummaryTrailer, string(b))
}

// outageRequest is the body of POST /v1/outages.
type outageRequest struct {
	Issuer string     `json:"issuer,omitempty"`
	Start  time.Time  `json:"start"`
	End    *time.Time `json:"end,omitempty"`
	Reason string     `json:"reason"`
}

// outageEnd is the body of POST /v1/outages/{id}/end.
type outageEnd struct {
	End time.Time `json:"end"`
}

// handleRecordOutage handles POST /v1/outages.
func (s *Server) handleRecordOutage(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req outageRequest
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	o := &zhengzhao.Outage{Issuer: req.Issuer, Start: req.Start, End: req.End, Reason: req.Reason}
	if err := svc.RecordOutage(r.Context(), o); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusCreated, o)
}

// handleEndOutage handles POST /v1/outages/{id}/end.
func (s *Server) handleEndOutage(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req outageEnd
	if err := s.decode(r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	o, err := svc.EndOutage(r.Context(), r.PathValue("id"), req.End)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, o)
}

// handleCatchUpOutage handles POST /v1/outages/{id}/caught-up.
func (s *Server) handleCatchUpOutage(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	o, err := svc.CatchUpOutage(r.Context(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, o)
}

// handleListOutages handles GET /v1/outages.
func (s *Server) handleListOutages(w nethttp.ResponseWriter, r *nethttp.Request) {
	svc, err := s.aggregationService()
	if err != nil {
		s.error(w, r, err)
		return
	}
	var fields []zhengzhao.FieldError
	f := zhengzhao.OutageFilter{Page: page(r, &fields), Issuer: optString(r, "issuer", &fields)}
	f.Open = boolParam(r, "open", &fields)
	if boolParam(r, "late", &fields) {
		now := time.Now()
		f.LateAt = &now
	}
	if err := invalid("invalid query", fields); err != nil {
		s.error(w, r, err)
		return
	}
	os, total, next, err := svc.FindOutages(r.Context(), f)
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, nethttp.StatusOK, newList(os, total, next))
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *nethttp.Request, name string, fields *[]zhengzhao.FieldError) bool {
	v, ok := r.URL.Query()[name]
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v[0])
	if err != nil {
		*fields = append(*fields, zhengzhao.FieldError{Field: name, Message: "must be true or false"})
	}
	return b
}
