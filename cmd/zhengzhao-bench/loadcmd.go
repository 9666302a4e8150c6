package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"github.com/zhengzhao-project/zhengzhao/demo"
	"github.com/zhengzhao-project/zhengzhao/library"
	"github.com/zhengzhao-project/zhengzhao/postgres"
	"github.com/zhengzhao-project/zhengzhao/sign"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

func newLoadCommand() *cobra.Command {
	var (
		db, data    string
		n, workers  int
		rawRows     int
		skipLibrary bool
		via         string
		seed        uint64
	)
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Fill a library with realistic licenses through the library's write path, next to a raw insert",
		Long: `Load issues N licenses of the demo catalog (valid ID numbers and credit
codes, Chinese names) through the library's own write path — validation,
SM2 signature, the license row and its audit entry in one transaction,
group commit — from many concurrent callers, and reports rows/s. In the same
run it inserts the same rows into a bare table (COPY for PostgreSQL, one
transaction per 1000 INSERTs for SQLite) as the baseline. The data
directory holds the keys; the first run creates them and the demo units.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if data == "" {
				return fmt.Errorf("--data is required (the keys live there; with --db the licenses go to PostgreSQL)")
			}
			lib, store, err := openLibrary(ctx, db, data)
			if err != nil {
				return err
			}
			defer store.Close()
			units, err := ensureDemoUnits(ctx, lib)
			if err != nil {
				return err
			}
			var docs [][]byte
			if !skipLibrary {
				var (
					rate       float64
					sampleDocs [][]byte
				)
				switch via {
				case "issue":
					rate, sampleDocs, err = loadThroughLibrary(ctx, lib.Licenses, units, n, workers)
				case "import":
					rate, sampleDocs, err = loadThroughImport(ctx, lib, units, n, seed, analyzer(db))
				default:
					return fmt.Errorf("--via must be issue or import")
				}
				if err != nil {
					return err
				}
				docs = sampleDocs
				fmt.Printf("library write path (%s): %d licenses at %.0f licenses/s\n", via, n, rate)
				// A serving library integrates its audit log as it goes (the
				// checkpointer); do it here so the loaded library is in that
				// steady state, and report how fast it went.
				start := time.Now()
				admin := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorAdmin})
				cp, err := lib.Audit.SignCheckpoint(admin)
				if err != nil {
					return fmt.Errorf("integrate the audit log: %w", err)
				}
				fmt.Printf("audit log integrated and checkpointed at size %d in %s\n", cp.Size, time.Since(start).Round(time.Second))
			}
			if rawRows > 0 {
				if len(docs) == 0 {
					return fmt.Errorf("the raw baseline needs documents from the library run")
				}
				rate, err := rawInsert(ctx, db, data, docs, rawRows)
				if err != nil {
					return err
				}
				fmt.Printf("raw insert baseline: %d rows at %.0f rows/s\n", rawRows, rate)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", "", "PostgreSQL URL; empty: SQLite in --data")
	f.StringVar(&data, "data", "", "data directory (keys; SQLite database when --db is empty)")
	f.IntVar(&n, "n", 100000, "licenses to issue")
	f.IntVar(&workers, "workers", 64, "concurrent callers")
	f.IntVar(&rawRows, "raw", 100000, "rows for the raw insert baseline (0: skip)")
	f.BoolVar(&skipLibrary, "raw-only", false, "skip the library run")
	f.StringVar(&via, "via", "import", "write path: import (bulk, batched) or issue (one IssueLicense per license from --workers callers)")
	f.Uint64Var(&seed, "seed", uint64(time.Now().Unix()), "seed of the generated data; serials derive from it, so use a new one per run")
	return cmd
}

func openLibrary(ctx context.Context, db, data string) (*library.Services, zhengzhao.Store, error) {
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.DiscardHandler)
	var (
		store zhengzhao.Store
		err   error
	)
	if db != "" {
		store, err = postgres.Open(ctx, db, postgres.WithLogger(log))
	} else {
		store, err = sqlite.Open(filepath.Join(data, "zhengzhao.db"), sqlite.WithLogger(log))
	}
	if err != nil {
		return nil, nil, err
	}
	ca, _, err := sign.LoadOrCreateCA(data, "Zhengzhao", time.Now())
	if err != nil {
		return nil, nil, err
	}
	sealer, _, err := sign.LoadOrCreateMasterKey(filepath.Join(data, "master.key"))
	if err != nil {
		return nil, nil, err
	}
	ls, lv, err := auditlog.LoadOrCreateLogKey(filepath.Join(data, "log.key"), "zhengzhao.local/audit")
	if err != nil {
		return nil, nil, err
	}
	lib, err := library.New(library.Config{Store: store, CA: ca, Sealer: sealer, LogSigner: ls, LogVerifier: lv, Origin: "zhengzhao.local/audit"})
	return lib, store, err
}

// analyzer returns what refreshes PostgreSQL's planner statistics during
// a long load, or nil for SQLite. Machines whose PostgreSQL runs without
// autovacuum (this project's test machines) would otherwise plan index
// lookups on a ten-million-row table as if it were empty.
func analyzer(db string) func(context.Context) error {
	if db == "" {
		return nil
	}
	return func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, db)
		if err != nil {
			return err
		}
		defer conn.Close(context.Background())
		_, err = conn.Exec(ctx, "ANALYZE")
		return err
	}
}

// ensureDemoUnits creates the demo units and catalog once and returns the
// issuing units by code.
func ensureDemoUnits(ctx context.Context, lib *library.Services) (map[string]*zhengzhao.Unit, error) {
	sys := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorSystem})
	units := map[string]*zhengzhao.Unit{}
	for _, du := range demo.Units {
		u := &zhengzhao.Unit{Code: du.Code, Name: du.Name, Roles: du.Roles, Region: du.Region, SigningAlg: du.Alg}
		if err := lib.Units.CreateUnit(sys, u); err != nil && zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			return nil, err
		}
		got, err := lib.Units.FindUnitByCode(sys, du.Code)
		if err != nil {
			return nil, err
		}
		units[du.Code] = got
	}
	for _, t := range demo.Types {
		t := t.LicenseType
		if err := lib.Catalog.CreateLicenseType(sys, &t); err != nil && zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
			return nil, err
		}
	}
	return units, nil
}

// loadThroughLibrary issues n licenses from workers concurrent callers and
// returns the rate and a few signed documents for the raw baseline.
func loadThroughLibrary(ctx context.Context, lics zhengzhao.LicenseService, units map[string]*zhengzhao.Unit, n, workers int) (float64, [][]byte, error) {
	var (
		next     atomic.Int64
		done     atomic.Int64
		firstErr error
		errOnce  sync.Once
		mu       sync.Mutex
		docs     [][]byte
		wg       sync.WaitGroup
	)
	start := time.Now()
	stopProgress := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				d := done.Load()
				el := time.Since(start)
				fmt.Fprintf(os.Stderr, "  %d/%d licenses, %.0f/s, ETA %s\n", d, n, float64(d)/el.Seconds(),
					time.Duration(float64(el)*float64(int64(n)-d)/float64(max(d, 1))).Round(time.Second))
			}
		}
	}()
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(w)))
			for {
				i := next.Add(1)
				if i > int64(n) || ctx.Err() != nil {
					return
				}
				dt := demo.Types[int(i)%len(demo.Types)]
				uctx := zhengzhao.NewContextWithActor(ctx, zhengzhao.Actor{Kind: zhengzhao.ActorUnit, Unit: units[dt.Issuer]})
				lic, err := lics.IssueLicense(uctx, dt.Request(rng), "")
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				done.Add(1)
				if i <= 1000 {
					b, _ := json.Marshal(lic)
					mu.Lock()
					docs = append(docs, b)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	close(stopProgress)
	if firstErr != nil {
		return 0, nil, firstErr
	}
	return float64(done.Load()) / time.Since(start).Seconds(), docs, nil
}

// rawInsert writes rows shaped like the library's (the license row and an
// audit row) into bare tables with no constraints beyond a primary key:
// the baseline the write path is compared with.
func rawInsert(ctx context.Context, db, data string, docs [][]byte, rows int) (float64, error) {
	if db != "" {
		pool, err := pgxpool.New(ctx, db)
		if err != nil {
			return 0, err
		}
		defer pool.Close()
		if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS bench_raw_licenses, bench_raw_audit;
			CREATE TABLE bench_raw_licenses (id TEXT PRIMARY KEY, holder_id TEXT, status TEXT, document TEXT);
			CREATE TABLE bench_raw_audit (idx BIGINT PRIMARY KEY, action TEXT, license TEXT)`); err != nil {
			return 0, err
		}
		defer pool.Exec(context.Background(), `DROP TABLE IF EXISTS bench_raw_licenses, bench_raw_audit`)
		start := time.Now()
		for off := 0; off < rows; off += 1000 {
			m := min(1000, rows-off)
			lic := make([][]any, m)
			aud := make([][]any, m)
			for i := range m {
				id := fmt.Sprintf("raw-%d", off+i)
				lic[i] = []any{id, "holder", "valid", string(docs[(off+i)%len(docs)])}
				aud[i] = []any{int64(off + i), "license.issue", id}
			}
			tx, err := pool.Begin(ctx)
			if err != nil {
				return 0, err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_raw_licenses"}, []string{"id", "holder_id", "status", "document"}, pgx.CopyFromRows(lic)); err != nil {
				return 0, err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bench_raw_audit"}, []string{"idx", "action", "license"}, pgx.CopyFromRows(aud)); err != nil {
				return 0, err
			}
			if err := tx.Commit(ctx); err != nil {
				return 0, err
			}
		}
		return float64(rows) / time.Since(start).Seconds(), nil
	}
	path := filepath.Join(data, "bench-raw.db")
	os.Remove(path)
	defer os.Remove(path)
	defer os.Remove(path + "-wal")
	defer os.Remove(path + "-shm")
	sdb, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)")
	if err != nil {
		return 0, err
	}
	defer sdb.Close()
	sdb.SetMaxOpenConns(1)
	if _, err := sdb.Exec(`CREATE TABLE licenses (id TEXT PRIMARY KEY, holder_id TEXT, status TEXT, document TEXT);
		CREATE TABLE audit (idx INTEGER PRIMARY KEY, action TEXT, license TEXT)`); err != nil {
		return 0, err
	}
	start := time.Now()
	for off := 0; off < rows; off += 1000 {
		tx, err := sdb.Begin()
		if err != nil {
			return 0, err
		}
		for i := range min(1000, rows-off) {
			id := fmt.Sprintf("raw-%d", off+i)
			if _, err := tx.Exec(`INSERT INTO licenses VALUES (?, ?, ?, ?)`, id, "holder", "valid", docs[(off+i)%len(docs)]); err != nil {
				return 0, err
			}
			if _, err := tx.Exec(`INSERT INTO audit VALUES (?, ?, ?)`, off+i, "license.issue", id); err != nil {
				return 0, err
			}
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}
