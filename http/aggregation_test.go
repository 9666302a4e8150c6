package http_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	zhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/mock"
)

// aggregationServer returns a test server with an aggregation mock.
func aggregationServer(t *testing.T) (*Server, *mock.AggregationService) {
	t.Helper()
	agg := &mock.AggregationService{}
	s := MustOpenServerConfig(t, func(c *zhttp.Config) { c.Aggregation = agg })
	return s, agg
}

// doChecked serves one request and checks a JSON answer against the OpenAPI
// document.
func (s *Server) doChecked(t *testing.T, doc openAPI, method, target, token string, body io.Reader, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && w.Code < 300 {
		path := r.URL.Path
		tmpl := map[string]string{}
		for _, rt := range s.Routes() {
			tmpl[rt.Method+" "+rt.Path] = rt.Path
		}
		var schema any
		for key, p := range tmpl {
			if matchRoute(key, method, path) {
				schema = get(doc, "paths", p, strings.ToLower(method), "responses", strconv.Itoa(w.Code), "content", "application/json", "schema")
			}
		}
		if schema == nil {
			t.Fatalf("%s %s: status %d not documented", method, target, w.Code)
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var errs []string
		doc.check(&errs, "", schema, v)
		if len(errs) > 0 {
			t.Fatalf("%s %s: response does not match the schema:\n%s\n%s", method, target, strings.Join(errs, "\n"), w.Body)
		}
	}
	return w
}

// matchRoute reports whether a route key "METHOD /a/{x}/b" matches.
func matchRoute(key, method, path string) bool {
	m, pattern, _ := strings.Cut(key, " ")
	if m != method {
		return false
	}
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != qs[i] {
			return false
		}
	}
	return true
}

var importJob = &zhengzhao.ImportJob{ID: "imp_1", Issuer: issuerUnit.Code, Type: typeCode, Key: "k", Format: "csv", Encoding: "gb18030",
	Provenance: zhengzhao.ProvenanceDigitisedUnchecked, Status: zhengzhao.ImportDone, Rows: 3, Imported: 1, Findings: 1, Duplicates: 1, Rejected: 1,
	BytesRead: 100, Actor: "unit:" + issuerUnit.Code, CreatedAt: signedAt, UpdatedAt: signedAt, FinishedAt: &signedAt}

// TestImportStreamsPastTheBodyLimit uploads a file larger than the
// server's body limit: the import endpoint has its own limit and reads the
// body as a stream.
func TestImportStreamsPastTheBodyLimit(t *testing.T) {
	doc := loadOpenAPI(t)
	s, agg := aggregationServer(t)
	file := strings.Repeat("x", 3<<20) // 3 MiB, over the 1 MiB default
	agg.ImportFn = func(ctx context.Context, spec *zhengzhao.ImportSpec, r io.Reader) (*zhengzhao.ImportJob, error) {
		want := zhengzhao.ImportSpec{Type: typeCode, Format: "csv", Encoding: "gb18030", Key: "sha256:abc", Provenance: "born_digital",
			Mapping: map[string]string{"证照编号": "number"}, Size: int64(len(file))}
		spec.Progress = nil
		if spec.Type != want.Type || spec.Format != want.Format || spec.Encoding != want.Encoding || spec.Key != want.Key ||
			spec.Provenance != want.Provenance || spec.Mapping["证照编号"] != "number" || spec.Size != want.Size {
			t.Errorf("spec %+v, want %+v", spec, want)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != int64(len(file)) {
			t.Errorf("read %d bytes, %v", n, err)
		}
		return importJob, nil
	}
	target := "/v1/imports?type=" + typeCode + "&encoding=gb18030&provenance=born_digital&mapping=" +
		strings.ReplaceAll(`{"证照编号":"number"}`, `"`, "%22")
	w := s.doChecked(t, doc, "POST", target, issuerToken, strings.NewReader(file),
		map[string]string{"Content-Type": "text/csv", "Idempotency-Key": "sha256:abc"})
	if w.Code != http.StatusCreated || w.Header().Get("Location") != "/v1/imports/imp_1" {
		t.Fatalf("status %d, Location %q: %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	// Elsewhere the server's limit still applies.
	w = s.doChecked(t, doc, "POST", "/v1/licenses", issuerToken, strings.NewReader(file), nil)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("issue with a 3 MiB body: %d", w.Code)
	}
	// No format: neither parameter nor Content-Type.
	w = s.doChecked(t, doc, "POST", "/v1/imports?type="+typeCode, issuerToken, strings.NewReader("a"), nil)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "format") {
		t.Fatalf("no format: %d %s", w.Code, w.Body)
	}
	w = s.doChecked(t, doc, "POST", "/v1/imports?type="+typeCode, "", strings.NewReader("a"), map[string]string{"Content-Type": "text/csv"})
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("anonymous: %d", w.Code)
	}
}

func TestImportJobAndReport(t *testing.T) {
	doc := loadOpenAPI(t)
	s, agg := aggregationServer(t)
	agg.FindImportJobFn = func(ctx context.Context, id string) (*zhengzhao.ImportJob, error) {
		if id != "imp_1" {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no job")
		}
		return importJob, nil
	}
	agg.FindImportJobsFn = func(ctx context.Context, f zhengzhao.ImportJobFilter) ([]*zhengzhao.ImportJob, int, string, error) {
		return []*zhengzhao.ImportJob{importJob}, 1, "", nil
	}
	agg.ImportReportFn = func(ctx context.Context, id string, fn func(*zhengzhao.ImportProblem) error) error {
		for _, p := range []*zhengzhao.ImportProblem{
			{Row: 2, Field: "id", Reason: `wrong check character "0"`, Outcome: zhengzhao.OutcomeFinding},
			{Row: 3, Field: "holder_id", Reason: "a, b", Outcome: zhengzhao.OutcomeRejected},
		} {
			if err := fn(p); err != nil {
				return err
			}
		}
		return nil
	}
	if w := s.doChecked(t, doc, "GET", "/v1/imports/imp_1", issuerToken, nil, nil); w.Code != 200 {
		t.Fatalf("get job: %d %s", w.Code, w.Body)
	}
	if w := s.doChecked(t, doc, "GET", "/v1/imports/nope", issuerToken, nil, nil); w.Code != 404 {
		t.Fatalf("missing job: %d", w.Code)
	}
	if w := s.doChecked(t, doc, "GET", "/v1/imports?issuer="+issuerUnit.Code, issuerToken, nil, nil); w.Code != 200 {
		t.Fatalf("list jobs: %d %s", w.Code, w.Body)
	}
	w := s.doChecked(t, doc, "GET", "/v1/imports/imp_1/report", issuerToken, nil, nil)
	recs, err := csv.NewReader(w.Body).ReadAll()
	if err != nil || w.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("report: %v %q", err, w.Header().Get("Content-Type"))
	}
	want := [][]string{{"row", "field", "reason", "outcome"}, {"2", "id", `wrong check character "0"`, "finding"}, {"3", "holder_id", "a, b", "rejected"}}
	if got, _ := json.Marshal(recs); string(got) != toJSON(want) {
		t.Fatalf("report %s", got)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestIncrementEndpoints(t *testing.T) {
	doc := loadOpenAPI(t)
	s, agg := aggregationServer(t)
	agg.SubmitIncrementFn = func(ctx context.Context, inc *zhengzhao.Increment) (*zhengzhao.IncrementReceipt, error) {
		if inc.Date != "2026-02-13" || len(inc.Issued) != 1 || inc.Issued[0].Fields["capital"] != json.Number("12.50") ||
			len(inc.Updated) != 1 || inc.Updated[0].ID != licenseID(1) || inc.Updated[0].Holder.Name != "张三丰" || len(inc.Revoked) != 1 {
			t.Errorf("increment %+v", inc)
		}
		return &zhengzhao.IncrementReceipt{Issuer: issuerUnit.Code, Date: inc.Date, ReceivedAt: signedAt, Due: signedAt, Late: true,
			Issued: 1, Updated: 1, Revoked: 1, Licenses: []string{licenseID(1), licenseID(2)}, Actor: "unit:" + issuerUnit.Code}, nil
	}
	upd := strings.TrimSuffix(strings.TrimSpace(updateBody), "}") + `, "id": "` + licenseID(1) + `"}`
	body := `{"date":"2026-02-13","issued":[` + issueBody + `],"updated":[` + upd + `],"revoked":[{"id":"` + licenseID(3) + `","reason":"注销"}]}`
	if w := s.doChecked(t, doc, "POST", "/v1/increments", issuerToken, strings.NewReader(body), nil); w.Code != 201 {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	w := s.doChecked(t, doc, "POST", "/v1/increments", issuerToken, strings.NewReader(`{"date":"2026-02-13","colour":1}`), nil)
	if w.Code != 400 || !strings.Contains(w.Body.String(), "colour") {
		t.Fatalf("unknown member: %d %s", w.Code, w.Body)
	}
	agg.IncrementStatusFn = func(ctx context.Context, issuer, from, to string) (*zhengzhao.IncrementStatus, error) {
		if from != "2026-02-01" || to != "2026-02-02" {
			t.Errorf("from %s to %s", from, to)
		}
		return &zhengzhao.IncrementStatus{Issuer: issuerUnit.Code, From: from, To: to, Expected: 2, Received: 1, Missing: 1,
			Days: []zhengzhao.IncrementDay{{Date: from, State: zhengzhao.DayReceived, Due: signedAt, ReceivedAt: &signedAt}, {Date: to, State: zhengzhao.DayMissing, Due: signedAt}}}, nil
	}
	if w := s.doChecked(t, doc, "GET", "/v1/increments?from=2026-02-01&to=2026-02-02", issuerToken, nil, nil); w.Code != 200 {
		t.Fatalf("status: %d %s", w.Code, w.Body)
	}
}

func TestReconcileEndpoint(t *testing.T) {
	doc := loadOpenAPI(t)
	s, agg := aggregationServer(t)
	sum := &zhengzhao.ReconcileSummary{Issuer: issuerUnit.Code, ExportRecords: 2, LibraryRecords: 2, Matched: 1, MissingInLibrary: 1, MissingInIssuer: 1, At: signedAt}
	agg.ReconcileFn = func(ctx context.Context, spec *zhengzhao.ReconcileSpec, export io.Reader, fn func(*zhengzhao.ReconcileDiff) error) (*zhengzhao.ReconcileSummary, error) {
		if spec.Format != "jsonl" {
			return nil, zhengzhao.Invalid("bad", []zhengzhao.FieldError{{Field: "format", Message: "x"}})
		}
		fn(&zhengzhao.ReconcileDiff{Row: 2, Base: "b", Kind: zhengzhao.DiffMissingInLibrary, Issuer: "id"})
		fn(&zhengzhao.ReconcileDiff{Base: "c", Kind: zhengzhao.DiffMissingInIssuer, Library: "id valid"})
		return sum, nil
	}
	hdr := map[string]string{"Content-Type": "application/x-ndjson"}
	if w := s.doChecked(t, doc, "POST", "/v1/reconciliations", issuerToken, strings.NewReader("{}"), hdr); w.Code != 200 {
		t.Fatalf("JSON: %d %s", w.Code, w.Body)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/reconciliations?format=jsonl", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+issuerToken)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(b), "row,base,kind,library,issuer\n2,b,missing_in_library,,id\n0,c,") {
		t.Fatalf("CSV: %d %s", resp.StatusCode, b)
	}
	var got zhengzhao.ReconcileSummary
	if err := json.Unmarshal([]byte(resp.Trailer.Get(zhttp.ReconcileSummaryTrailer)), &got); err != nil || got.Matched != 1 {
		t.Fatalf("trailer %q: %v", resp.Trailer.Get(zhttp.ReconcileSummaryTrailer), err)
	}
	// An error before the first difference is a problem document.
	req, _ = http.NewRequest("POST", srv.URL+"/v1/reconciliations?format=csv", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+issuerToken)
	req.Header.Set("Accept", "text/csv")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("rejected export: %d", resp.StatusCode)
	}
}

func TestOutageEndpoints(t *testing.T) {
	doc := loadOpenAPI(t)
	s, agg := aggregationServer(t)
	deadline := signedAt.Add(72 * time.Hour)
	agg.RecordOutageFn = func(ctx context.Context, o *zhengzhao.Outage) error {
		if o.Reason != "机房断电" || o.End == nil {
			t.Errorf("outage %+v", o)
		}
		o.ID, o.Issuer, o.Deadline, o.Actor, o.CreatedAt = "out_1", issuerUnit.Code, &deadline, "unit:x", signedAt
		return nil
	}
	body := `{"start":"2026-09-30T08:00:00+08:00","end":"2026-09-30T18:00:00+08:00","reason":"机房断电"}`
	if w := s.doChecked(t, doc, "POST", "/v1/outages", issuerToken, strings.NewReader(body), nil); w.Code != 201 {
		t.Fatalf("record: %d %s", w.Code, w.Body)
	}
	agg.EndOutageFn = func(ctx context.Context, id string, end time.Time) (*zhengzhao.Outage, error) {
		if end.IsZero() {
			t.Error("no end")
		}
		return &zhengzhao.Outage{ID: id, Issuer: issuerUnit.Code, Start: signedAt, End: &end, Deadline: &deadline, Reason: "r", Actor: "a", CreatedAt: signedAt}, nil
	}
	if w := s.doChecked(t, doc, "POST", "/v1/outages/out_1/end", issuerToken, strings.NewReader(`{"end":"2026-10-01T00:00:00Z"}`), nil); w.Code != 200 {
		t.Fatalf("end: %d %s", w.Code, w.Body)
	}
	agg.CatchUpOutageFn = func(ctx context.Context, id string) (*zhengzhao.Outage, error) {
		return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "not ended")
	}
	if w := s.doChecked(t, doc, "POST", "/v1/outages/out_1/caught-up", issuerToken, nil, nil); w.Code != 409 {
		t.Fatalf("caught up: %d %s", w.Code, w.Body)
	}
	agg.FindOutagesFn = func(ctx context.Context, f zhengzhao.OutageFilter) ([]*zhengzhao.Outage, int, string, error) {
		if f.LateAt == nil || !f.Open {
			t.Errorf("filter %+v", f)
		}
		return []*zhengzhao.Outage{{ID: "out_1", Issuer: issuerUnit.Code, Start: signedAt, Reason: "r", Late: true, Actor: "a", CreatedAt: signedAt}}, 1, "", nil
	}
	if w := s.doChecked(t, doc, "GET", "/v1/outages?late=true&open=true", adminToken, nil, nil); w.Code != 200 {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	if w := s.doChecked(t, doc, "GET", "/v1/outages?late=maybe", adminToken, nil, nil); w.Code != 400 {
		t.Fatalf("bad late: %d", w.Code)
	}
}
