package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/calendar"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/font"
	zzhttp "github.com/zhengzhao-project/zhengzhao/http"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/metrics"
	"github.com/zhengzhao-project/zhengzhao/postgres"
	"github.com/zhengzhao-project/zhengzhao/sign"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// Main is the running server: tests start it with Run on a temporary data
// directory and ":0", and stop it with Close.
type Main struct {
	Config Config
	// Stdout receives what an operator must read at start (URL,
	// credentials).
	Stdout io.Writer
	Logger *slog.Logger

	// Set by Run.
	Store      zhengzhao.Store
	Library    *library.Services
	AdminToken string
	URL        string

	// Metrics are the server's Prometheus metrics (package metrics); the
	// backup scheduler reports to it (Metrics.Backup). MetricsURL is set
	// when they are served on --metrics-addr.
	Metrics    *metrics.Metrics
	MetricsURL string

	obs      observability // observe.go
	server   *zzhttp.Server
	refusing bool // behind the published checkpoints (recovery.go)
	cancel   context.CancelFunc
	served   chan error
}

// NewMain returns a Main with the default configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Stdout: os.Stdout}
}

// Run opens the data directory and the store, builds the library, loads the
// demo data when asked, and starts serving. It returns once the server
// listens; Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	c := m.Config
	if m.Logger == nil {
		m.Logger = newLogger(c.LogFormat, os.Stderr)
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	pdfFont, err := font.Load(c.Font)
	if err != nil {
		return fmt.Errorf("--font: %w (leave --font empty for the built-in font)", err)
	}
	// Listen first: a port in use stops the server before it creates a
	// data directory, a CA or demo data.
	tlsFiles, err := c.Transport.tlsFiles()
	if err != nil {
		return err
	}
	proxies, err := c.Transport.trustedProxies()
	if err != nil {
		return err
	}
	ln, err := zzhttp.Listen(c.Addr, tlsFiles)
	if err != nil && tlsFiles != nil && !isAddrInUse(err) {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another zhengzhao serve running? stop it, or choose another --addr)", c.Addr, err)
	}
	defer func() {
		if err != nil {
			ln.Close()
		}
	}()
	if err := m.startTracing(ctx); err != nil {
		return err
	}
	c.pgTracer = m.obs.tracing.PgxTracer()
	if err := prepareDataDir(c.DataDir); err != nil {
		return err
	}
	store, err := openStore(ctx, c, m.Logger)
	if err != nil {
		return err
	}
	if store, err = withReplica(ctx, c, store, m.Logger); err != nil {
		return err
	}
	m.Store = store
	if store, m.refusing, err = guardPublished(ctx, c, store, m.Logger); err != nil {
		return err
	}
	m.URL = "http://" + displayAddr(ln.Addr())
	if tlsFiles != nil {
		m.URL = "https://" + displayAddr(ln.Addr())
	}
	lib, err := openLibrary(c, store, m.Logger, holderOptions(c, m.URL))
	if err != nil {
		return err
	}
	m.Library = lib
	if m.AdminToken, err = adminToken(c); err != nil {
		return err
	}
	if c.Demo {
		if err := m.loadDemo(ctx); err != nil {
			return err
		}
	}

	instrument, metricsHandler, err := m.startMetrics(store, c)
	if err != nil {
		return err
	}
	logKey, err := loadOrCreateLogKey(c.path("log-ref.key"))
	if err != nil {
		return err
	}
	m.server = zzhttp.NewServer(zzhttp.Config{
		Units: lib.Units, Catalog: lib.Catalog, Licenses: m.Metrics.Licenses(lib.Licenses), Keys: lib.Keys, Audit: lib.Audit,
		Aggregation: lib.Aggregation, Supervision: lib.Supervision, Holders: lib.Holders, Use: lib.Use,
		Holder:         m.holderConfig(m.URL),
		AdminToken:     m.AdminToken,
		BodyLimit:      c.BodyLimit,
		TrustedProxies: proxies,
		Ready:          readiness(store),
		Logger:         m.Logger,
		LogKey:         logKey,
		Version:        version,
		Font:           pdfFont,
		Instrument:     instrument,
		Metrics:        metricsHandler,
	})
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	go lib.Audit.RunCheckpointer(bg, c.CheckpointInterval)
	go lib.Holders.RunNotifier(bg, 5*time.Second)
	if err := m.startRecovery(bg); err != nil {
		cancel()
		return err
	}
	if c.DebugAddr != "" {
		if err := m.serveDebug(bg, c.DebugAddr); err != nil {
			cancel()
			return err
		}
	}
	m.served = make(chan error, 1)
	srv := m.server // Close may clear m.server before the goroutine runs
	go func() { m.served <- srv.Serve(ln) }()
	m.Logger.Info("serving", "url", m.URL, "data", c.DataDir, "db", storeName(c))
	return nil
}

// Close stops serving gracefully, lets in-flight requests finish, and
// closes the store.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
		m.server = nil
	}
	if m.cancel != nil {
		m.cancel()
	}
	errs = append(errs, m.closeObservability())
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
		m.Store = nil
	}
	return errors.Join(errs...)
}

// Wait blocks until the server stops serving; it returns nil after a
// graceful shutdown.
func (m *Main) Wait() error { return <-m.served }

// openStore opens the configured store: PostgreSQL when Config.DB is a
// postgres:// URL, otherwise SQLite in the data directory. Both apply
// pending migrations.
func openStore(ctx context.Context, c Config, log *slog.Logger) (zhengzhao.Store, error) {
	switch {
	case isPostgres(c.DB):
		s, err := postgres.Open(ctx, c.DB, postgres.WithLogger(log), postgres.WithTracer(c.pgTracer))
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL store %s: %w", redactDSN(c.DB), err)
		}
		return s, nil
	case c.DB != "":
		return nil, fmt.Errorf("--db must be a postgres:// URL (got %q); leave it empty for SQLite in the data directory", redactDSN(c.DB))
	}
	if err := prepareDataDir(c.DataDir); err != nil {
		return nil, err
	}
	if err := createPrivate(c.path("zhengzhao.db")); err != nil {
		return nil, err
	}
	s, err := sqlite.Open(c.path("zhengzhao.db"), sqlite.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if err := narrowPrivate(c.path("zhengzhao.db")); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func storeName(c Config) string {
	if c.DB != "" {
		return redactDSN(c.DB)
	}
	return "sqlite:" + c.path("zhengzhao.db")
}

// redactDSN hides a password in a database URL.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.Index(dsn[i+3:], "@"); j >= 0 {
			return dsn[:i+3] + "…@" + dsn[i+3+j+1:]
		}
	}
	return dsn
}

// openLibrary loads or creates the CA, the master key and the audit log key
// and builds the library.
// holder configures the holder area (holderOptions).
func openLibrary(c Config, store zhengzhao.Store, log *slog.Logger, holder library.HolderOptions) (*library.Services, error) {
	var (
		ca  *sign.CA
		err error
	)
	if c.CACert != "" || c.CAKey != "" {
		ca, err = sign.LoadCA(c.CACert, c.CAKey)
	} else {
		var created bool
		ca, created, err = sign.LoadOrCreateCA(c.DataDir, "Zhengzhao", time.Now())
		if created {
			log.Info("created library CA", "cert", c.path("ca.pem"))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	sealer, _, err := sign.LoadOrCreateMasterKey(c.path("master.key"))
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	logSigner, logVerifier, err := auditlog.LoadOrCreateLogKey(c.path("log.key"), c.Origin)
	if err != nil {
		return nil, fmt.Errorf("audit log key: %w", err)
	}
	var cal *calendar.Calendar
	if c.CalendarFile != "" {
		if cal, err = calendar.LoadFile(c.CalendarFile); err != nil {
			return nil, err
		}
		log.Info("working-day corrections loaded", "file", c.CalendarFile, "days", len(cal.Overrides))
	}
	return library.New(library.Config{
		Store: store, CA: ca, Sealer: sealer,
		LogSigner: logSigner, LogVerifier: logVerifier, Origin: c.Origin,
		Logger: log, Calendar: cal, ObjectionWorkdays: c.ObjectionWorkdays, Now: c.Now, VerifyStatusTTL: verifyStatusTTL(c.VerifyStatusTTL),
		Holder: holder,
	})
}

// adminToken returns ZHENGZHAO_ADMIN_TOKEN, or the token stored in the data
// directory, creating it (mode 0600) on first start.
func adminToken(c Config) (string, error) {
	if t := os.Getenv("ZHENGZHAO_ADMIN_TOKEN"); t != "" {
		return t, checkAdminToken(t, "ZHENGZHAO_ADMIN_TOKEN")
	}
	path := c.path("admin.token")
	b, err := os.ReadFile(path)
	if err == nil {
		t := strings.TrimSpace(string(b))
		return t, checkAdminToken(t, path)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("admin token: %w", err)
	}
	raw := make([]byte, 24)
	_, _ = rand.Read(raw)
	t := "zza_" + hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return t, nil
}

// demoTour is what to open in a browser after serve --demo (README, "What
// to open").
const demoTour = `  open in a browser (paths under the URL printed below):
    /wallet                               holder wallet: 演示登录 demo sign-in, pick a holder; 亮证 shows the QR code
    /v/…                                  the verifier: scan the 亮证 QR code, or follow the link under it
    /supervision/login                    supervision dashboard: sign in with the admin token above
    /supervision/matters/310115-SPJY-0002 a using unit's service matter and usage list
    /catalog                              the public catalog of the issuing units
`

// loadDemo fills an empty library with the demo data set and prints the
// credentials; on later starts it prints them again from the data dir.
func (m *Main) loadDemo(ctx context.Context) error {
	path := m.Config.path("demo-credentials.txt")
	if b, err := os.ReadFile(path); err == nil {
		fmt.Fprintf(m.Stdout, "demo data already loaded; credentials (%s):\n%s", path, b)
		return nil
	}
	var n int
	err := m.Store.View(ctx, func(tx zhengzhao.ReadTx) (err error) {
		_, n, _, err = tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: 1}})
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintln(m.Stdout, "the library is not empty: demo data not loaded (for the demo, use a fresh --data directory or --db database)")
		return nil
	}
	sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	lib := m.Library
	creds, err := demo.Load(sys, demo.Services{Units: lib.Units, Catalog: lib.Catalog, Licenses: lib.Licenses,
		Aggregation: lib.Aggregation, Supervision: lib.Supervision, Use: lib.Use}, demo.Options{Licenses: 300})
	if err != nil {
		return fmt.Errorf("load demo data: %w", err)
	}
	text := "admin token: " + m.AdminToken + "\n" + creds.String() + demoTour
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "demo data loaded; credentials (also in %s):\n%s", path, text)
	return nil
}

// verifyStatusTTL maps the flag (0: off) to library.Config (negative: off).
func verifyStatusTTL(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

func readiness(s zhengzhao.Store) func(context.Context) error {
	p, ok := s.(zhengzhao.Pinger)
	if !ok {
		return nil
	}
	return p.Ping
}

func displayAddr(a net.Addr) string {
	t, ok := a.(*net.TCPAddr)
	if ok && t.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", t.Port)
	}
	return a.String()
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func newServeCommand() *cobra.Command {
	m := NewMain()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the license library server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m.Stdout = cmd.OutOrStdout()
			if err := m.Run(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "Zhengzhao %s listening on %s\n", version, m.URL)
			switch {
			case m.Config.Demo:
				// A demo library is local and throwaway: show the token.
				fmt.Fprintf(m.Stdout, "admin token: %s\n", m.AdminToken)
			case os.Getenv("ZHENGZHAO_ADMIN_TOKEN") == "":
				fmt.Fprintf(m.Stdout, "admin token: in %s (mode 0600)\n", m.Config.path("admin.token"))
			}
			select {
			case <-cmd.Context().Done():
			case err := <-m.served:
				m.served <- err
			}
			if err := m.Close(); err != nil {
				return err
			}
			return m.Wait()
		},
	}
	f := cmd.Flags()
	f.StringVar(&m.Config.Addr, "addr", envOr("ZHENGZHAO_ADDR", m.Config.Addr), "listen address HOST:PORT (env ZHENGZHAO_ADDR)")
	f.StringVar(&m.Config.DataDir, "data", envOr("ZHENGZHAO_DATA", m.Config.DataDir), "data directory (env ZHENGZHAO_DATA)")
	f.StringVar(&m.Config.DB, "db", envOr("ZHENGZHAO_DB", ""), "PostgreSQL URL; empty: SQLite in the data directory (env ZHENGZHAO_DB)")
	f.BoolVar(&m.Config.Demo, "demo", false, "fill an empty library with demo data and print the credentials")
	f.StringVar(&m.Config.CACert, "ca-cert", envOr("ZHENGZHAO_CA_CERT", ""), "PEM file of an existing CA certificate (with --ca-key)")
	f.StringVar(&m.Config.CAKey, "ca-key", envOr("ZHENGZHAO_CA_KEY", ""), "PEM file of the CA's PKCS#8 private key")
	f.DurationVar(&m.Config.VerifyStatusTTL, "verify-status-ttl", m.Config.VerifyStatusTTL, "how long a verification may reuse a license's status read from the database; changes through other servers show within it (0: read every time)")
	f.StringVar(&m.Config.MetricsAddr, "metrics-addr", envOr("ZHENGZHAO_METRICS_ADDR", ""), "serve Prometheus metrics at /metrics on this address without a token (keep it private); empty: on the main listener for the admin token (env ZHENGZHAO_METRICS_ADDR)")
	f.StringVar(&m.Config.DebugAddr, "debug-addr", "", "serve Go's profiler at /debug/pprof/ on this loopback address, e.g. 127.0.0.1:6060 (off by default)")
	f.DurationVar(&m.Config.CheckpointInterval, "checkpoint-interval", m.Config.CheckpointInterval, "how often to sign an audit checkpoint")
	f.Int64Var(&m.Config.BodyLimit, "body-limit", m.Config.BodyLimit, "largest request body in bytes")
	f.StringVar(&m.Config.Origin, "origin", envOr("ZHENGZHAO_ORIGIN", m.Config.Origin), "audit log origin line of checkpoints")
	f.StringVar(&m.Config.LogFormat, "log-format", m.Config.LogFormat, "log format: text or json")
	addSupervisionFlags(f, &m.Config)
	addFontFlags(f, &m.Config)
	f.StringVar(&m.Config.CalendarFile, "calendar", envOr("ZHENGZHAO_CALENDAR", ""), "file of working-day corrections, e.g. next year's holidays (env ZHENGZHAO_CALENDAR)")
	addHolderFlags(f, &m.Config.Holder)
	addTransportFlags(f, &m.Config.Transport)
	addRecoveryFlags(f, &m.Config.Recovery)
	return cmd
}
