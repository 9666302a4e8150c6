package main

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	nethttp "net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/importer"
	"github.com/zhengzhao-project/zhengzhao/report"
)

// importOptions are the flags of zhengzhao import.
type importOptions struct {
	config     Config
	server     string
	key        string
	issuer     string
	typ        string
	format     string
	encoding   string
	mapping    []string
	provenance string
	report     string
	progress   string
}

func newImportCommand() *cobra.Command {
	o := importOptions{config: DefaultConfig()}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import a file of historical licenses (CSV or JSON Lines), exactly once",
		Long: `Import reads a file of one issuer's licenses of one type and imports every
valid row: each becomes a license signed with the issuer's key and audited.
Invalid rows are not imported; the report (FILE.report.csv unless --report
says otherwise) names each row, field and reason, and also lists
duplicates and data-quality findings (an issuer's ID with a wrong check
character is kept and flagged).

It works on the data directory (--data), on a PostgreSQL database (--db),
or against a running server (--server with an issuing unit's --key).

The job is keyed by the SHA-256 of the file and the options: running the
same command again — after it finished, or after it was killed at any
moment — resumes after the last committed batch and ends with exactly the
file's valid rows, none twice.

Columns: number, serial (optional), id (optional: the issuer's full ID),
holder_id, holder_id_type (optional, inferred), holder_name, issued_on,
valid_from (default issued_on), valid_until (empty or 长期: no expiry),
provenance (optional), and the type's face-field keys. --map renames:
--map 证照编号=number.

Exit status: 0 every row imported or already there, 1 some rows rejected
(see the report), 2 error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runImport(cmd, args[0], &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.config.DataDir, "data", envOr("ZHENGZHAO_DATA", o.config.DataDir), "data directory (env ZHENGZHAO_DATA)")
	f.StringVar(&o.config.DB, "db", envOr("ZHENGZHAO_DB", ""), "PostgreSQL URL instead of the data directory's SQLite database (env ZHENGZHAO_DB)")
	f.StringVar(&o.server, "server", envOr("ZHENGZHAO_SERVER", ""), "URL of a running server to import through (env ZHENGZHAO_SERVER)")
	f.StringVar(&o.key, "key", envOr("ZHENGZHAO_KEY", ""), "API key for --server: the issuing unit's, or the admin token (env ZHENGZHAO_KEY)")
	f.StringVar(&o.issuer, "issuer", "", "the issuing unit's credit code")
	f.StringVar(&o.typ, "type", "", "the license type code of every row")
	f.StringVar(&o.format, "format", "", "csv or jsonl (default: from the file name's extension)")
	f.StringVar(&o.encoding, "encoding", "", "utf-8 or gb18030 (default: detected)")
	f.StringArrayVar(&o.mapping, "map", nil, "rename a column: FILE_NAME=STANDARD_NAME (repeatable)")
	f.StringVar(&o.provenance, "provenance", zhengzhao.ProvenanceDigitisedUnchecked, "provenance of rows without a provenance column: born_digital, digitised_checked, digitised_unchecked")
	f.StringVar(&o.report, "report", "", "where to write the report (default FILE.report.csv)")
	f.StringVar(&o.progress, "progress", "auto", "progress display: auto (a bar on a terminal, log lines otherwise), bar, log or none")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

func runImport(cmd *cobra.Command, path string, o *importOptions) error {
	ctx := cmd.Context()
	log := newLogger("text", cmd.ErrOrStderr())
	spec := &zhengzhao.ImportSpec{Issuer: o.issuer, Type: o.typ, Format: o.format, Encoding: o.encoding,
		Provenance: o.provenance, Source: filepath.Base(path)}
	if spec.Format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv", ".txt":
			spec.Format = zhengzhao.FormatCSV
		case ".jsonl", ".ndjson":
			spec.Format = zhengzhao.FormatJSONL
		default:
			return fmt.Errorf("cannot tell the format of %s from its extension: give --format csv or jsonl", path)
		}
	}
	if len(o.mapping) > 0 {
		spec.Mapping = map[string]string{}
		for _, m := range o.mapping {
			from, to, ok := strings.Cut(m, "=")
			if !ok || from == "" || to == "" {
				return fmt.Errorf("--map %q: want FILE_NAME=STANDARD_NAME", m)
			}
			spec.Mapping[from] = to
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	spec.Size = st.Size()
	if spec.Key, err = importKey(f, spec); err != nil {
		return fmt.Errorf("hash %s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if o.report == "" {
		o.report = path + ".report.csv"
	}

	prog := newImportProgress(cmd.ErrOrStderr(), o.progress, spec.Size, log)
	var (
		job  *zhengzhao.ImportJob
		fill func(w *report.CSVWriter) error
	)
	if o.server != "" {
		if o.issuer == "" && o.key == "" {
			return errors.New("--server needs --key")
		}
		c := &apiClient{base: strings.TrimRight(o.server, "/"), key: o.key}
		job, err = c.importFile(ctx, spec, &countingReader{r: f, onRead: prog.bytes})
		if err == nil && job.Problems() > 0 {
			fill = func(w *report.CSVWriter) error { return c.importReport(ctx, job.ID, w) }
		}
	} else {
		if o.issuer == "" {
			return errors.New("--issuer is required with --data or --db")
		}
		store, serr := openStore(ctx, o.config, log)
		if serr != nil {
			return serr
		}
		defer store.Close()
		lib, lerr := openLibrary(o.config, store, log, holderOptions(o.config, ""))
		if lerr != nil {
			return lerr
		}
		spec.Progress = prog.job
		sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
		job, err = lib.Aggregation.Import(sys, spec, f)
		if err == nil && job.Problems() > 0 {
			fill = func(w *report.CSVWriter) error {
				return lib.Aggregation.ImportReport(sys, job.ID, func(p *zhengzhao.ImportProblem) error { return w.Write(importer.ReportRecord(p)) })
			}
		}
	}
	prog.finish(job)
	if err != nil {
		var de *zhengzhao.Error
		if errors.As(err, &de) && len(de.Fields) > 0 {
			for _, fe := range de.Fields {
				fmt.Fprintf(cmd.ErrOrStderr(), "  %s: %s\n", fe.Field, fe.Message)
			}
		}
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "import %s: %d rows: %d imported (%d with findings), %d already in the library, %d rejected\n",
		job.ID, job.Rows, job.Imported, job.Findings, job.Duplicates, job.Rejected)
	if fill != nil {
		if err := writeReport(o.report, fill); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		fmt.Fprintf(out, "report: %s\n", o.report)
	}
	if job.Rejected > 0 {
		return exitError{1}
	}
	return nil
}

// importKey returns the job key of an import: the SHA-256 of the file and
// of the options that change how its rows are read, so that the same
// command resumes the same job and other options start another.
func importKey(r io.Reader, spec *zhengzhao.ImportSpec) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	keys := make([]string, 0, len(spec.Mapping))
	for k := range spec.Mapping {
		keys = append(keys, k+"="+spec.Mapping[k])
	}
	sort.Strings(keys)
	opts, _ := json.Marshal([]any{spec.Type, spec.Format, strings.ToLower(spec.Encoding), spec.Provenance, keys})
	oh := sha256.Sum256(opts)
	return "sha256:" + hex.EncodeToString(h.Sum(nil)) + ":" + hex.EncodeToString(oh[:4]), nil
}

func writeReport(path string, fill func(w *report.CSVWriter) error) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := report.NewCSVWriter(f)
	_ = w.Write(importer.ReportHeader)
	err = fill(w)
	w.Flush()
	err = errors.Join(err, w.Error(), f.Close())
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// importProgress shows an import's progress: a bar with rate and ETA on a
// terminal, slog lines otherwise.
type importProgress struct {
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	log   *slog.Logger
	start time.Time
	last  time.Time
	// firstRows and firstAt are the job's rows at its first batch in this
	// run, from which the rate is measured (a resumed job starts late).
	firstRows int64
	firstAt   time.Time
}

func newImportProgress(w io.Writer, mode string, size int64, log *slog.Logger) *importProgress {
	p := &importProgress{start: time.Now()}
	if mode == "auto" {
		mode = "log"
		if f, ok := w.(*os.File); ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())) {
			mode = "bar"
		}
	}
	switch mode {
	case "bar":
		p.bar = progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("导入 importing"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	case "log":
		p.log = log
	}
	return p
}

// bytes reports the bytes of the file read (sent to the server) so far.
func (p *importProgress) bytes(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Set64(n)
	} else if p.log != nil && time.Since(p.last) >= 5*time.Second {
		p.last = time.Now()
		p.log.Info("import progress", "bytes", n, "elapsed", time.Since(p.start).Round(time.Second))
	}
}

// job reports a committed batch.
func (p *importProgress) job(j *zhengzhao.ImportJob) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.firstAt.IsZero() {
		p.firstRows, p.firstAt = j.Rows, time.Now()
	}
	rate := float64(j.Rows-p.firstRows) / max(time.Since(p.firstAt).Seconds(), 0.001)
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("导入 importing: %d rows, %.0f rows/s", j.Rows, rate))
		_ = p.bar.Set64(j.BytesRead)
		return
	}
	if p.log != nil && time.Since(p.last) >= 5*time.Second {
		p.last = time.Now()
		args := []any{"job", j.ID, "rows", j.Rows, "imported", j.Imported, "rejected", j.Rejected, "duplicates", j.Duplicates,
			"rows_per_s", int64(rate)}
		if j.BytesTotal > 0 && j.BytesRead > 0 {
			done := float64(j.BytesRead) / float64(j.BytesTotal)
			el := time.Since(p.start)
			args = append(args, "percent", int(done*100), "eta", (time.Duration(float64(el)/done) - el).Round(time.Second))
		}
		p.log.Info("import progress", args...)
	}
}

func (p *importProgress) finish(j *zhengzhao.ImportJob) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		if j != nil {
			_ = p.bar.Finish()
		} else {
			_ = p.bar.Exit()
		}
	}
	if p.log != nil && j != nil {
		p.log.Info("import done", "job", j.ID, "rows", j.Rows, "elapsed", time.Since(p.start).Round(time.Millisecond))
	}
}

// countingReader reports how many bytes have been read through it.
type countingReader struct {
	r      io.Reader
	n      int64
	onRead func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.onRead != nil {
		c.onRead(c.n)
	}
	return n, err
}

// apiClient talks to a running server's aggregation API.
type apiClient struct {
	base string
	key  string
	http nethttp.Client
}

func (c *apiClient) request(ctx context.Context, method, path string, body io.Reader) (*nethttp.Request, error) {
	req, err := nethttp.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	return req, nil
}

// problemError turns a problem document into an error.
func problemError(resp *nethttp.Response) error {
	var p struct {
		Code   string                 `json:"code"`
		Detail string                 `json:"detail"`
		Title  string                 `json:"title"`
		Errors []zhengzhao.FieldError `json:"errors"`
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = json.Unmarshal(b, &p)
	msg := p.Detail
	if msg == "" {
		msg = strings.TrimSpace(string(b))
	}
	return &zhengzhao.Error{Code: p.Code, Message: fmt.Sprintf("server: %s (%s)", msg, resp.Status), Fields: p.Errors}
}

func (c *apiClient) importFile(ctx context.Context, spec *zhengzhao.ImportSpec, body io.Reader) (*zhengzhao.ImportJob, error) {
	q := url.Values{"type": {spec.Type}, "format": {spec.Format}, "provenance": {spec.Provenance}, "source": {spec.Source}}
	if spec.Issuer != "" {
		q.Set("issuer", spec.Issuer)
	}
	if spec.Encoding != "" {
		q.Set("encoding", spec.Encoding)
	}
	if len(spec.Mapping) > 0 {
		m, _ := json.Marshal(spec.Mapping)
		q.Set("mapping", string(m))
	}
	req, err := c.request(ctx, "POST", "/v1/imports?"+q.Encode(), body)
	if err != nil {
		return nil, err
	}
	req.ContentLength = spec.Size
	req.Header.Set("Content-Type", "text/csv")
	if spec.Format == zhengzhao.FormatJSONL {
		req.Header.Set("Content-Type", "application/x-ndjson")
	}
	req.Header.Set("Idempotency-Key", spec.Key)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, problemError(resp)
	}
	var job zhengzhao.ImportJob
	if err := json.NewDecoder(resp.Body).Decode(&job); err != nil {
		return nil, fmt.Errorf("server answer: %w", err)
	}
	return &job, nil
}

func (c *apiClient) importReport(ctx context.Context, id string, w *report.CSVWriter) error {
	req, err := c.request(ctx, "GET", "/v1/imports/"+url.PathEscape(id)+"/report", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != nethttp.StatusOK {
		return problemError(resp)
	}
	r := csv.NewReader(resp.Body)
	if _, err := r.Read(); err != nil { // the header, written by writeReport
		return err
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
}
