package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/library"
)

// Config is the server's configuration. Flags and environment variables
// fill it; DefaultConfig gives the defaults.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string
	// DataDir holds the embedded database and, unless files are named
	// below, the CA, the master key, the audit log key and the admin token.
	DataDir string
	// DB is a PostgreSQL URL; empty means the embedded SQLite database in
	// DataDir.
	DB string
	// Demo fills an empty library with demo data.
	Demo bool
	// CACert and CAKey name PEM files of an existing CA to use instead of
	// the one the library creates in DataDir.
	CACert, CAKey string
	// CheckpointInterval is how often the audit log is checkpointed.
	CheckpointInterval time.Duration
	// DebugAddr, if set, serves Go's profiler (/debug/pprof/) on its own
	// listener; keep it on loopback.
	DebugAddr string
	// BodyLimit is the largest request body accepted, in bytes.
	BodyLimit int64
	// Origin names the audit log in its checkpoints.
	Origin string
	// LogFormat is "text" or "json".
	LogFormat string
	// Holder configures the holder area (holder.go).
	Holder HolderConfig
	// Transport is TLS and trusted proxies (transport.go).
	Transport TransportConfig
	// CalendarFile names a file of working-day corrections (see
	// calendar.ParseOverrides); empty means the official data only.
	CalendarFile string
	// VerifyStatusTTL is how long verification may reuse a license's status
	// read from the database (library.Config.VerifyStatusTTL); 0 reads it
	// for every verification.
	VerifyStatusTTL time.Duration
	// ObjectionWorkdays is how many working days an issuer has to answer
	// an objection (Measures art. 23).
	ObjectionWorkdays int
	// Font is the TrueType CJK font that printable copies and PDF reports
	// embed; empty means the subset built into the binary (font.Subset).
	// The server refuses to start when it cannot be used.
	Font string
	// Recovery configures backups and published checkpoints (recovery.go).
	Recovery RecoveryConfig
	// Now is the library's clock; nil means time.Now. Tests move it to
	// check deadlines.
	Now func() time.Time
	// MetricsAddr, if set, serves the Prometheus metrics on their own
	// listener without a token; empty serves them at /metrics on the main
	// listener to the administrator.
	MetricsAddr string

	pgTracer pgx.QueryTracer // set by Run when tracing is on (observe.go)
}

// DefaultConfig returns the defaults: loopback, ./zhengzhao-data, SQLite.
func DefaultConfig() Config {
	return Config{
		Addr:               "127.0.0.1:8080",
		DataDir:            "zhengzhao-data",
		CheckpointInterval: 10 * time.Second,
		BodyLimit:          1 << 20,
		Origin:             "zhengzhao.local/audit",
		LogFormat:          "text",
		ObjectionWorkdays:  zhengzhao.DefaultObjectionWorkdays,
		VerifyStatusTTL:    library.DefaultVerifyStatusTTL,
		Holder:             defaultHolderConfig(),
	}
}

// envOr returns the environment variable's value, or def when unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func (c Config) path(name string) string { return filepath.Join(c.DataDir, name) }
