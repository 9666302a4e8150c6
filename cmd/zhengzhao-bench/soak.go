package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao/demo"
)

// soakConfig is what zhengzhao-bench soak is asked to do.
type soakConfig struct {
	URL, Admin string
	Duration   time.Duration
	Every      time.Duration // report interval
	// Rates per second of each operation.
	Verify, Get, List, Issue, Use float64
	Seed                          int // licenses issued before the load
	MaxInFlight                   int
	PID                           int // read RSS from /proc; 0: from the server's /metrics
	// Baseline is how long to load a bare net/http handler in this process
	// at the verify rate before the soak (0: skip): the machine's floor in
	// the same run.
	Baseline time.Duration
	Out      io.Writer
}

func newSoakCommand() *cobra.Command {
	c := soakConfig{}
	var maxErrors int
	cmd := &cobra.Command{
		Use:   "soak",
		Short: "Drive a mixed open-loop load (verify, get, list, issue, use) against a running server for a set time",
		Long: `soak creates its own issuing and using units in the running library, issues
--seed licenses, then sends each operation at its own fixed rate (open loop:
latency counts from when a request was due, so a slow server cannot hide
its queue), for --duration. Every --every it prints throughput, latency and
the server's resident memory; at the end, per operation: requests, errors,
p50/p99/p99.9, and the server's own request counts from /metrics next to
the requests sent. Loopback servers only.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c.Out = cmd.OutOrStdout()
			rep, err := soak(cmd.Context(), c)
			if err != nil {
				return err
			}
			if rep.Errors > maxErrors {
				return fmt.Errorf("%d errors (at most %d allowed)", rep.Errors, maxErrors)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "server URL (loopback only)")
	f.StringVar(&c.Admin, "admin", os.Getenv("ZHENGZHAO_ADMIN_TOKEN"), "administrator token (env ZHENGZHAO_ADMIN_TOKEN)")
	f.DurationVar(&c.Duration, "duration", time.Minute, "how long to load the server")
	f.DurationVar(&c.Every, "every", 30*time.Second, "report interval")
	f.Float64Var(&c.Verify, "verify-rate", 1000, "POST /v1/verify per second")
	f.Float64Var(&c.Get, "get-rate", 50, "GET /v1/licenses/{id} per second")
	f.Float64Var(&c.List, "list-rate", 20, "GET /v1/licenses?holder_id= per second")
	f.Float64Var(&c.Issue, "issue-rate", 50, "POST /v1/licenses per second")
	f.Float64Var(&c.Use, "use-rate", 20, "POST /v1/use/fetch per second")
	f.IntVar(&c.Seed, "seed", 200, "licenses to issue before the load starts")
	f.IntVar(&c.MaxInFlight, "max-in-flight", 512, "largest number of requests outstanding at once")
	f.IntVar(&c.PID, "pid", 0, "server process ID to read its RSS from /proc (default: process_resident_memory_bytes from its /metrics)")
	f.IntVar(&maxErrors, "max-errors", 0, "fail when more requests than this fail")
	f.DurationVar(&c.Baseline, "baseline", 10*time.Second, "first load a bare net/http handler at the verify rate for this long, as the same-run floor (0: skip)")
	return cmd
}

// soakReport is the outcome of a soak run.
type soakReport struct {
	Ops    []opReport
	Errors int
	RSS    []rssSample
	// ServerCounts are the server's request counts (from /metrics) during
	// the load, by operation, next to what was sent.
	ServerCounts map[string]float64
}

type opReport struct {
	Name                string
	Sent, Errors        int
	PerSecond           float64
	P50, P99, P999, Max time.Duration
}

type rssSample struct {
	At  time.Duration
	KiB int64
}

// soakOp is one kind of request at a fixed rate.
type soakOp struct {
	name, method, route string // route: the server's pattern, to match its counters
	rate                float64
	do                  func(i int) error

	mu        sync.Mutex
	latencies []time.Duration
	errors    int
	window    []time.Duration // since the last report
	firstErr  error
}

func (o *soakOp) record(d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.latencies = append(o.latencies, d)
	o.window = append(o.window, d)
	if err != nil {
		o.errors++
		if o.firstErr == nil {
			o.firstErr = err
		}
	}
}

func soak(ctx context.Context, c soakConfig) (*soakReport, error) {
	if err := loopbackOnly(c.URL); err != nil {
		return nil, err
	}
	s, err := newSoakSetup(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("soak setup: %w", err)
	}
	fmt.Fprintf(c.Out, "soak: %s against %s; per second: verify %.0f, get %.0f, list %.0f, issue %.0f, use %.0f; %d seed licenses\n",
		c.Duration, c.URL, c.Verify, c.Get, c.List, c.Issue, c.Use, len(s.ids))

	ops := []*soakOp{
		{name: "verify", method: "POST", route: "/v1/verify", rate: c.Verify, do: s.verify},
		{name: "get", method: "GET", route: "/v1/licenses/{id}", rate: c.Get, do: s.get},
		{name: "list", method: "GET", route: "/v1/licenses", rate: c.List, do: s.list},
		{name: "issue", method: "POST", route: "/v1/licenses", rate: c.Issue, do: s.issue},
		{name: "use", method: "POST", route: "/v1/use/fetch", rate: c.Use, do: s.use},
	}
	var floor *opReport
	if c.Baseline > 0 && c.Verify > 0 {
		floor, err = baseline(ctx, c)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(c.Out, "baseline: bare net/http handler in this process, %.0f req/s for %s: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, %d errors\n",
			c.Verify, c.Baseline, ms(floor.P50), ms(floor.P99), ms(floor.P999), floor.Errors)
	}
	before, _ := s.serverCounts()
	rep := &soakReport{}
	rss := func(at time.Duration) {
		if kib, err := s.rss(c.PID); err == nil {
			rep.RSS = append(rep.RSS, rssSample{at, kib})
		}
	}
	rss(0)

	loadCtx, cancel := context.WithTimeout(ctx, c.Duration)
	defer cancel()
	start := time.Now()
	sem := make(chan struct{}, c.MaxInFlight)
	var wg sync.WaitGroup
	for _, o := range ops {
		if o.rate <= 0 {
			continue
		}
		wg.Go(func() { schedule(loadCtx, start, o, sem, &wg) })
	}
	// Reports while the load runs.
	t := time.NewTicker(c.Every)
	fmt.Fprintf(c.Out, "%8s %9s %8s %9s %9s %7s %10s\n", "elapsed", "req/s", "errors", "p50 ms", "p99 ms", "", "RSS MiB")
	last := start
report:
	for {
		select {
		case <-loadCtx.Done():
			break report
		case now := <-t.C:
			var window []time.Duration
			errs := 0
			for _, o := range ops {
				o.mu.Lock()
				window = append(window, o.window...)
				o.window = o.window[:0]
				errs += o.errors
				o.mu.Unlock()
			}
			at := now.Sub(start)
			rss(at)
			slices.Sort(window)
			mib := math.NaN()
			if n := len(rep.RSS); n > 0 && rep.RSS[n-1].At == at {
				mib = float64(rep.RSS[n-1].KiB) / 1024
			}
			fmt.Fprintf(c.Out, "%8s %9.0f %8d %9.2f %9.2f %7s %10.1f\n", at.Round(time.Second), float64(len(window))/now.Sub(last).Seconds(),
				errs, ms(quantile(window, 0.5)), ms(quantile(window, 0.99)), "", mib)
			last = now
		}
	}
	t.Stop()
	wg.Wait()
	elapsed := time.Since(start)
	rss(elapsed)

	fmt.Fprintf(c.Out, "\n%-8s %9s %9s %7s %9s %9s %9s %9s %12s\n", "op", "sent", "req/s", "errors", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "server count")
	after, cerr := s.serverCounts()
	rep.ServerCounts = map[string]float64{}
	for _, o := range ops {
		slices.Sort(o.latencies)
		r := opReport{Name: o.name, Sent: len(o.latencies), Errors: o.errors, PerSecond: float64(len(o.latencies)) / elapsed.Seconds(),
			P50: quantile(o.latencies, 0.5), P99: quantile(o.latencies, 0.99), P999: quantile(o.latencies, 0.999)}
		if n := len(o.latencies); n > 0 {
			r.Max = o.latencies[n-1]
		}
		rep.Ops = append(rep.Ops, r)
		rep.Errors += o.errors
		key := o.method + " " + o.route
		server := "?"
		if cerr == nil {
			rep.ServerCounts[o.name] = after[key] - before[key]
			server = fmt.Sprintf("%.0f", rep.ServerCounts[o.name])
		}
		fmt.Fprintf(c.Out, "%-8s %9d %9.1f %7d %9.2f %9.2f %9.2f %9.2f %12s\n", o.name, r.Sent, r.PerSecond, r.Errors,
			ms(r.P50), ms(r.P99), ms(r.P999), ms(r.Max), server)
		if o.firstErr != nil {
			fmt.Fprintf(c.Out, "         first error: %v\n", o.firstErr)
		}
	}
	if len(rep.RSS) > 1 {
		first, lastS := rep.RSS[0], rep.RSS[len(rep.RSS)-1]
		lo, hi := first.KiB, first.KiB
		for _, r := range rep.RSS {
			lo, hi = min(lo, r.KiB), max(hi, r.KiB)
		}
		slope := "n/a (too few samples)"
		if v := rssSlope(rep.RSS); !math.IsNaN(v) {
			slope = fmt.Sprintf("%+.2f MiB/min (least squares)", v)
		}
		fmt.Fprintf(c.Out, "\nserver RSS: start %.1f MiB, end %.1f MiB, min %.1f, max %.1f; over the second half %s\n",
			float64(first.KiB)/1024, float64(lastS.KiB)/1024, float64(lo)/1024, float64(hi)/1024, slope)
	}
	fmt.Fprintf(c.Out, "total: %d requests in %s, %d errors\n", sum(rep.Ops), elapsed.Round(time.Millisecond), rep.Errors)
	if floor != nil && floor.P50 > 0 && floor.P99 > 0 {
		v := rep.Ops[0]
		fmt.Fprintf(c.Out, "verify / bare-handler floor: p50 %.1f×, p99 %.1f×; throughput %.1f%% of the offered rate\n",
			float64(v.P50)/float64(floor.P50), float64(v.P99)/float64(floor.P99), 100*v.PerSecond/c.Verify)
	}
	return rep, nil
}

// baseline loads a bare handler answering a verify-sized JSON document at
// the verify rate, with the same scheduler and client as the soak.
func baseline(ctx context.Context, c soakConfig) (*opReport, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	answer := []byte(`{"valid":true,"status":"valid","checks":{"signature":true,"issuer_trusted":true,"in_validity_period":true,"current":true},"reasons":[],"under_objection":false,"verified_at":"2026-01-01T00:00:00Z"}`)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(answer)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	s := &soakSetup{base: "http://" + ln.Addr().String()}
	doc := append(append([]byte(`"`), bytes.Repeat([]byte("x"), 2048)...), '"')
	o := &soakOp{name: "floor", rate: c.Verify, do: func(int) error {
		var res []byte
		return s.call("", "POST", "/", doc, 200, &res)
	}}
	bctx, cancel := context.WithTimeout(ctx, c.Baseline)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { schedule(bctx, time.Now(), o, make(chan struct{}, c.MaxInFlight), &wg) })
	<-bctx.Done()
	wg.Wait()
	slices.Sort(o.latencies)
	return &opReport{Name: "floor", Sent: len(o.latencies), Errors: o.errors,
		P50: quantile(o.latencies, 0.5), P99: quantile(o.latencies, 0.99), P999: quantile(o.latencies, 0.999)}, nil
}

// schedule sends o's requests at its rate from start until ctx ends. A
// request's latency counts from when it was due, so a server that falls
// behind shows it (no coordinated omission).
func schedule(ctx context.Context, start time.Time, o *soakOp, sem chan struct{}, wg *sync.WaitGroup) {
	interval := time.Duration(float64(time.Second) / o.rate)
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := o.do(i)
			o.record(time.Since(due), err)
		})
	}
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*q))]
}

func sum(ops []opReport) int {
	n := 0
	for _, o := range ops {
		n += o.Sent
	}
	return n
}

// rssSlope fits a line to the samples of the second half of the run
// (after warm-up) and returns its slope in MiB per minute; NaN with fewer
// than three.
func rssSlope(all []rssSample) float64 {
	var s []rssSample
	for _, p := range all {
		if p.At >= all[len(all)-1].At/2 {
			s = append(s, p)
		}
	}
	if len(s) < 3 {
		return math.NaN()
	}
	var sx, sy, sxx, sxy float64
	for _, p := range s {
		x, y := p.At.Minutes(), float64(p.KiB)/1024
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(s))
	den := n*sxx - sx*sx
	if den == 0 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / den
}

func loopbackOnly(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
		return nil
	}
	return fmt.Errorf("--url %s: load tests run against loopback only", raw)
}

// soakSetup is the soak's own corner of the library: an issuer with a
// license type, a using unit with a matter on its usage list, and the
// licenses to verify, get, list and fetch.
type soakSetup struct {
	base, admin, issuer, user string
	typ, matter, matterName   string
	tag                       string
	next                      atomic.Int64 // serial of the next license

	mu      sync.RWMutex
	ids     []string
	holders []string
	docs    [][]byte
}

// poolSize bounds the licenses kept for verify, get and fetch.
const poolSize = 5000

func newSoakSetup(ctx context.Context, c soakConfig) (*soakSetup, error) {
	tag := fmt.Sprintf("%07d", time.Now().Unix()%10_000_000)
	s := &soakSetup{base: strings.TrimSuffix(c.URL, "/"), admin: c.Admin, tag: tag}
	issuerCode := demo.USCC("11310000MB" + tag)
	userCode := demo.USCC("11310115MB" + tag)
	s.typ = issuerCode + "001"
	s.matter, s.matterName = "310000-SK-"+tag, "压力测试事项 "+tag

	// unit creates a unit and returns its new API key.
	unit := func(code, name, role, region string) (string, error) {
		if err := s.call(s.admin, "POST", "/v1/units", map[string]any{"code": code, "name": name, "roles": []string{role}, "region": region}, 201, nil); err != nil {
			return "", err
		}
		var key struct {
			Key string `json:"key"`
		}
		err := s.call(s.admin, "POST", "/v1/units/"+code+"/keys", nil, 201, &key)
		return key.Key, err
	}
	var err error
	if s.issuer, err = unit(issuerCode, "压力测试发证单位 "+tag, "issuer", "310000"); err != nil {
		return nil, err
	}
	if s.user, err = unit(userCode, "压力测试用证单位 "+tag, "user", "310115"); err != nil {
		return nil, err
	}
	if err := s.call(s.issuer, "POST", "/v1/license-types", map[string]any{
		"code": s.typ, "name": "压力测试许可证 " + tag, "holder_kind": "organization", "level": "municipal", "public": false, "collect_since": "2020-01-01",
		"fields": []map[string]any{{"key": "scope", "label": "经营范围", "type": "string", "required": true}},
	}, 201, nil); err != nil {
		return nil, err
	}
	if err := s.call(s.user, "POST", "/v1/matters", map[string]any{"code": s.matter, "name": s.matterName, "applicant_kind": "organization",
		"materials": []map[string]any{{"key": "permit", "name": "许可证"}}}, 201, nil); err != nil {
		return nil, err
	}
	if err := s.call(s.user, "PUT", "/v1/units/"+userCode+"/usage-lists/"+s.matter, map[string]any{
		"items": []map[string]any{{"material": "permit", "license_types": []string{s.typ}}}}, 200, nil); err != nil {
		return nil, err
	}
	for i := 0; i < c.Seed; i++ {
		if err := s.issue(i); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// holder returns the i-th organisation holder of the run: a valid unified
// social credit code, about 20 licenses each.
func (s *soakSetup) holder(i int) string {
	return demo.USCC(fmt.Sprintf("91310000MA%s", fmt.Sprintf("%07d", (i/20+mustAtoi(s.tag))%10_000_000)))
}

func mustAtoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func (s *soakSetup) issue(int) error {
	n := s.next.Add(1)
	holder := s.holder(int(n))
	body := map[string]any{
		"type": s.typ, "serial": fmt.Sprintf("SK%s%07d", s.tag, n), "number": fmt.Sprintf("SK-%s-%d", s.tag, n),
		"holder":    map[string]any{"kind": "organization", "id_type": "001", "id": holder, "name": "压力测试企业 " + holder[10:17]},
		"issued_on": "2024-01-02", "valid_from": "2024-01-02", "valid_until": "2044-01-01",
		"fields": map[string]any{"scope": "软件开发"},
	}
	var raw json.RawMessage
	if err := s.call(s.issuer, "POST", "/v1/licenses", body, 201, &raw); err != nil {
		return err
	}
	var lic struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &lic); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.ids) < poolSize {
		s.ids, s.holders, s.docs = append(s.ids, lic.ID), append(s.holders, holder), append(s.docs, raw)
	} else {
		k := int(n) % poolSize
		s.ids[k], s.holders[k], s.docs[k] = lic.ID, holder, raw
	}
	return nil
}

func (s *soakSetup) pick(i int) (id, holder string, doc []byte) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k := (i * 7919) % len(s.ids)
	return s.ids[k], s.holders[k], s.docs[k]
}

func (s *soakSetup) verify(i int) error {
	_, _, doc := s.pick(i)
	var res []byte
	if err := s.call("", "POST", "/v1/verify", doc, 200, &res); err != nil {
		return err
	}
	if !bytes.Contains(res, []byte(`"valid":true`)) {
		return fmt.Errorf("verify: a license just issued does not verify: %.300s", res)
	}
	return nil
}

func (s *soakSetup) get(i int) error {
	id, _, _ := s.pick(i)
	return s.call(s.issuer, "GET", "/v1/licenses/"+id, nil, 200, nil)
}

func (s *soakSetup) list(i int) error {
	_, holder, _ := s.pick(i)
	return s.call(s.issuer, "GET", "/v1/licenses?limit=20&holder_id="+holder, nil, 200, nil)
}

func (s *soakSetup) use(i int) error {
	id, _, _ := s.pick(i)
	return s.call(s.user, "POST", "/v1/use/fetch", map[string]any{"license": id, "context": map[string]any{
		"operator": "压力测试窗口", "matter_code": s.matter, "matter_name": s.matterName, "case_number": fmt.Sprintf("SK%s-%d", s.tag, i)}}, 200, nil)
}

// call sends one request and decodes the answer into out (when not nil);
// any other status than want is an error naming it.
func (s *soakSetup) call(token, method, path string, body any, want int, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte: // sent as it is (documents to verify: no re-encoding)
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(js)
	}
	req, err := newRequest(method, s.base+path, token, rd)
	if err != nil {
		return err
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, strings.SplitN(path, "?", 2)[0], err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, strings.SplitN(path, "?", 2)[0], err)
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.300s", method, strings.SplitN(path, "?", 2)[0], res.StatusCode, want, b)
	}
	switch out := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*out = b
		return nil
	default:
		return json.Unmarshal(b, out)
	}
}

// scrape reads the server's /metrics (main listener, admin token).
func (s *soakSetup) scrape() (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequest("GET", s.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.admin)
	res, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("GET /metrics: status %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(res.Body)
}

// serverCounts returns the server's 2xx request counts by "METHOD route".
func (s *soakSetup) serverCounts() (map[string]float64, error) {
	fams, err := s.scrape()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	f := fams["zhengzhao_http_requests_total"]
	if f == nil {
		return nil, fmt.Errorf("the server exports no zhengzhao_http_requests_total")
	}
	for _, m := range f.Metric {
		l := map[string]string{}
		for _, p := range m.Label {
			l[p.GetName()] = p.GetValue()
		}
		if l["code"] == "2xx" {
			out[l["method"]+" "+l["route"]] += m.Counter.GetValue()
		}
	}
	return out, nil
}

// rss returns the server's resident set size in KiB: from /proc when pid
// is set, else from its /metrics.
func (s *soakSetup) rss(pid int) (int64, error) {
	if pid > 0 {
		return rssKiB(pid)
	}
	fams, err := s.scrape()
	if err != nil {
		return 0, err
	}
	f := fams["process_resident_memory_bytes"]
	if f == nil || len(f.Metric) == 0 {
		return 0, fmt.Errorf("the server exports no process_resident_memory_bytes")
	}
	return int64(f.Metric[0].Gauge.GetValue() / 1024), nil
}
