package main

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	_ "modernc.org/sqlite"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sign"
)

// sample is a set of stored licenses to ask for.
type sample struct {
	ids     []string
	holders []string
	docs    [][]byte
}

func newHTTPCommand() *cobra.Command {
	var (
		url, admin, db, data string
		clients, pid         int
		duration             time.Duration
	)
	cmd := &cobra.Command{
		Use:   "http",
		Short: "Load a running server with get-by-id, list-by-holder and verify, next to the floors",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			lookup, size, closeDB, err := openRaw(ctx, db, data)
			if err != nil {
				return err
			}
			defer closeDB()
			smp, err := lookup.sample(ctx, 2000)
			if err != nil {
				return err
			}
			if len(smp.ids) == 0 {
				return fmt.Errorf("the library is empty: load it first")
			}
			fmt.Printf("sample of %d licenses; %d clients; %s per run; GOMAXPROCS %d\n\n", len(smp.ids), clients, duration, runtime.GOMAXPROCS(0))

			var results []result
			// Floors measured in the same run.
			results = append(results, floorHTTP(clients, duration, smp.docs[0]))
			results = append(results, rawVerify(duration, smp.docs[0]))
			results = append(results, closedLoop("raw PK lookup", clients, duration, func(w, i int) bool {
				return lookup.byID(ctx, smp.ids[(w*7919+i)%len(smp.ids)]) == nil
			}))

			stop := make(chan struct{})
			var peak <-chan int64
			if pid > 0 {
				peak = sampleRSS(pid, stop)
			}
			results = append(results, closedLoop("GET /v1/licenses/{id}", clients, duration, func(w, i int) bool {
				return do("GET", url+"/v1/licenses/"+smp.ids[(w*7919+i)%len(smp.ids)], admin, nil, 200)
			}))
			results = append(results, closedLoop("GET ?holder_id=", clients, duration, func(w, i int) bool {
				return do("GET", url+"/v1/licenses?limit=20&holder_id="+smp.holders[(w*7919+i)%len(smp.holders)], admin, nil, 200)
			}))
			results = append(results, closedLoop("POST /v1/verify", clients, duration, func(w, i int) bool {
				return do("POST", url+"/v1/verify", "", smp.docs[(w*7919+i)%len(smp.docs)], 200)
			}))
			close(stop)
			for _, r := range results {
				fmt.Println(r)
			}
			floor := min(results[0].PerSecond, results[1].PerSecond, results[2].PerSecond)
			fmt.Printf("\nverify over HTTP / slowest floor (bare HTTP, raw verify, raw PK lookup) = %.0f / %.0f = %.0f%%\n",
				results[5].PerSecond, floor, 100*results[5].PerSecond/floor)
			fmt.Printf("get-by-id over HTTP / raw PK lookup = %.0f%%\n", 100*results[3].PerSecond/results[2].PerSecond)
			if peak != nil {
				fmt.Printf("server peak RSS under load: %.1f MiB\n", float64(<-peak)/1024)
			}
			if n, bytes, err := size(ctx); err == nil {
				fmt.Printf("database: %d licenses, %.1f MiB, %.2f GiB per million licenses\n", n, float64(bytes)/(1<<20), float64(bytes)/(1<<30)/(float64(n)/1e6))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "http://127.0.0.1:8080", "server URL (loopback)")
	f.StringVar(&admin, "admin", os.Getenv("ZHENGZHAO_ADMIN_TOKEN"), "administrator token")
	f.StringVar(&db, "db", "", "the server's PostgreSQL URL (for the sample and the raw lookup)")
	f.StringVar(&data, "data", "", "the server's data directory (SQLite)")
	f.IntVar(&clients, "clients", 16, "concurrent clients")
	f.IntVar(&pid, "pid", 0, "server process ID, to sample its RSS")
	f.DurationVar(&duration, "duration", 10*time.Second, "length of each run")
	return cmd
}

// floorHTTP loads a bare net/http handler that returns a document of the
// same size: the most any HTTP endpoint can do on this machine.
func floorHTTP(clients int, d time.Duration, body []byte) result {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{Name: "bare net/http: " + err.Error()}
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})}
	go srv.Serve(l)
	defer srv.Close()
	url := "http://" + l.Addr().String() + "/"
	return closedLoop("bare net/http (floor)", clients, d, func(int, int) bool { return do("GET", url, "", nil, 200) })
}

// rawVerify verifies one license's signature over its canonical form on
// every core: the cryptographic floor of verification.
func rawVerify(d time.Duration, doc []byte) result {
	var lic zhengzhao.License
	if err := json.Unmarshal(doc, &lic); err != nil || lic.Proof == nil {
		return result{Name: "raw verify: no proof"}
	}
	canon, err := sign.Canonicalize(doc, zhengzhao.UnsignedFields)
	if err != nil {
		return result{Name: "raw verify: " + err.Error()}
	}
	der, _ := base64.StdEncoding.DecodeString(lic.Proof.Cert)
	pub, err := sign.CertificatePublicKey(der)
	if err != nil {
		return result{Name: "raw verify: " + err.Error()}
	}
	sig, _ := base64.RawURLEncoding.DecodeString(lic.Proof.Value)
	return closedLoop("raw verify "+lic.Proof.Alg, runtime.GOMAXPROCS(0), d, func(int, int) bool {
		return sign.Verify(lic.Proof.Alg, pub, canon, sig) == nil
	})
}

// rawStore reads the server's database directly.
type rawStore interface {
	sample(ctx context.Context, n int) (sample, error)
	byID(ctx context.Context, id string) error
	// byHolder reads every license of a holder by the holder_id index.
	byHolder(ctx context.Context, holder string) error
}

func openRaw(ctx context.Context, db, data string) (rawStore, func(context.Context) (int64, int64, error), func(), error) {
	if db != "" {
		cfg, err := pgxpool.ParseConfig(db)
		if err != nil {
			return nil, nil, nil, err
		}
		cfg.MaxConns = 32
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, nil, nil, err
		}
		size := func(ctx context.Context) (n, bytes int64, err error) {
			err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM licenses), pg_database_size(current_database())`).Scan(&n, &bytes)
			return n, bytes, err
		}
		return pgRaw{pool}, size, pool.Close, nil
	}
	if data == "" {
		return nil, nil, nil, fmt.Errorf("give --db or --data")
	}
	path := filepath.Join(data, "zhengzhao.db")
	sdb, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, nil, nil, err
	}
	sdb.SetMaxOpenConns(runtime.GOMAXPROCS(0) * 2)
	size := func(ctx context.Context) (n, bytes int64, err error) {
		if err = sdb.QueryRowContext(ctx, `SELECT count(*) FROM licenses`).Scan(&n); err != nil {
			return
		}
		for _, suffix := range []string{"", "-wal"} {
			if st, err := os.Stat(path + suffix); err == nil {
				bytes += st.Size()
			}
		}
		return n, bytes, nil
	}
	return sqliteRaw{sdb}, size, func() { sdb.Close() }, nil
}

type pgRaw struct{ pool *pgxpool.Pool }

func (p pgRaw) sample(ctx context.Context, n int) (sample, error) {
	// A block sample of about five times n rows, shuffled: spread over the
	// whole table (the newest rows are all of the last type loaded).
	var est float64
	if err := p.pool.QueryRow(ctx, `SELECT greatest(reltuples, 1) FROM pg_class WHERE relname = 'licenses'`).Scan(&est); err != nil {
		return sample{}, err
	}
	pct := min(100, max(0.001, 500*float64(n)/est))
	rows, err := p.pool.Query(ctx, fmt.Sprintf(`SELECT id, holder_id, document, status FROM
		(SELECT id, holder_id, document, status FROM licenses TABLESAMPLE SYSTEM (%g)) s ORDER BY random() LIMIT $1`, pct), n)
	if err != nil {
		return sample{}, err
	}
	defer rows.Close()
	var s sample
	for rows.Next() {
		var id, holder, doc, status string
		if err := rows.Scan(&id, &holder, &doc, &status); err != nil {
			return s, err
		}
		s.add(id, holder, doc, status)
	}
	return s, rows.Err()
}

func (p pgRaw) byID(ctx context.Context, id string) error {
	var doc string
	return p.pool.QueryRow(ctx, `SELECT document FROM licenses WHERE id = $1`, id).Scan(&doc)
}

func (p pgRaw) byHolder(ctx context.Context, holder string) error {
	rows, err := p.pool.Query(ctx, `SELECT id, type, status FROM licenses WHERE holder_id = $1`, holder)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

type sqliteRaw struct{ db *sql.DB }

func (s sqliteRaw) sample(ctx context.Context, n int) (sample, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, holder_id, document, status FROM licenses
		WHERE rowid IN (SELECT abs(random()) % (SELECT max(rowid) FROM licenses) + 1 FROM licenses LIMIT ?)`, n)
	if err != nil {
		return sample{}, err
	}
	defer rows.Close()
	var smp sample
	for rows.Next() {
		var id, holder, doc, status string
		if err := rows.Scan(&id, &holder, &doc, &status); err != nil {
			return smp, err
		}
		smp.add(id, holder, doc, status)
	}
	return smp, rows.Err()
}

func (s sqliteRaw) byID(ctx context.Context, id string) error {
	var doc string
	return s.db.QueryRowContext(ctx, `SELECT document FROM licenses WHERE id = ?`, id).Scan(&doc)
}

func (s sqliteRaw) byHolder(ctx context.Context, holder string) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, type, status FROM licenses WHERE holder_id = ?`, holder)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

// add keeps a stored license: its document as a verifier would present it.
func (s *sample) add(id, holder, doc, status string) {
	var m map[string]any
	if json.Unmarshal([]byte(doc), &m) != nil {
		return
	}
	m["status"] = status
	b, _ := json.Marshal(m)
	s.ids = append(s.ids, id)
	s.holders = append(s.holders, holder)
	s.docs = append(s.docs, b)
}
