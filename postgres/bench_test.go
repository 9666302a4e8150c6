package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// benchParallelism multiplies GOMAXPROCS into the number of goroutines
// of the parallel benchmarks: a server has many requests in flight, and
// group commit only pays off when calls overlap.
const benchParallelism = 32

// BenchmarkUpdateParallel measures Update as the library's issue uses it:
// one license and one audit entry per call, from many goroutines, with
// group commit (batch=64) and without (batch=1). calls/batch is how many
// Update calls shared a commit.
func BenchmarkUpdateParallel(b *testing.B) {
	for _, maxBatch := range []int{DefaultMaxBatch, 1} {
		b.Run(fmt.Sprintf("batch=%d", maxBatch), func(b *testing.B) {
			s := MustOpenStore(b, WithMaxBatch(maxBatch))
			seed(b, s)
			var n atomic.Int64
			b.SetParallelism(benchParallelism)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
						_, err := issue(tx, i)
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			st := s.committer.Stats()
			b.ReportMetric(float64(st.Calls)/float64(max(st.Batches, 1)), "calls/batch")
		})
	}
}

// rawTables creates tables with the columns of licenses and audit_entries
// and no key, index, constraint or trigger: the baseline of what the
// server's inserts cost.
const rawTables = `
CREATE TABLE raw_licenses (
	id TEXT, type TEXT, issuer TEXT, serial TEXT, version TEXT, holder_id TEXT, status TEXT,
	superseded_by TEXT, revoked_at TIMESTAMPTZ, revocation_reason TEXT, signed_at TIMESTAMPTZ, document TEXT
);
CREATE TABLE raw_audit (
	idx BIGINT, time TIMESTAMPTZ, actor TEXT, action TEXT, license TEXT, license_base TEXT, subject TEXT, details JSONB
)`

var (
	rawLicenseColumns = []string{"id", "type", "issuer", "serial", "version", "holder_id", "status",
		"superseded_by", "revoked_at", "revocation_reason", "signed_at", "document"}
	rawAuditColumns = []string{"idx", "time", "actor", "action", "license", "license_base", "subject", "details"}
)

// rawRows returns the rows Update writes for license i: the license and
// its audit entry with index idx.
func rawRows(b *testing.B, i, idx int64) (license, entry []any) {
	l := testLicense(i)
	doc, err := sqlstore.EncodeDocument(l)
	if err != nil {
		b.Fatal(err)
	}
	details, err := json.Marshal(map[string]string{"n": fmt.Sprint(i)})
	if err != nil {
		b.Fatal(err)
	}
	license = []any{l.ID, l.Type, l.Issuer.Code, l.Serial, l.Version, l.Holder.ID, l.Status,
		l.SupersededBy, l.RevokedAt, l.RevocationReason, l.SignedAt, doc}
	entry = []any{idx, t0, "unit:" + testIssuer, zhengzhao.ActionLicenseIssue, l.ID, l.Base(), "", details}
	return license, entry
}

// BenchmarkRawInsert inserts the same rows as BenchmarkUpdateParallel
// into bare tables, each row in its own autocommitted INSERT, from as many
// goroutines: what the database does without the store's constraints,
// locks and savepoints (PostgreSQL still groups concurrent WAL flushes).
func BenchmarkRawInsert(b *testing.B) {
	s := MustOpenStore(b)
	if _, err := s.pool.Exec(context.Background(), rawTables); err != nil {
		b.Fatal(err)
	}
	insertLicense := "INSERT INTO raw_licenses VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
	insertEntry := "INSERT INTO raw_audit VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
	var n atomic.Int64
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := n.Add(1)
			license, entry := rawRows(b, i, i-1)
			if _, err := s.pool.Exec(ctx, insertLicense, license...); err != nil {
				b.Error(err)
				return
			}
			if _, err := s.pool.Exec(ctx, insertEntry, entry...); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRawCopy copies the same rows into bare tables with COPY, 1000
// licenses and 1000 entries per CopyFrom: the bulk-import path.
func BenchmarkRawCopy(b *testing.B) {
	const batchSize = 1000
	s := MustOpenStore(b)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, rawTables); err != nil {
		b.Fatal(err)
	}
	var licenses, entries [][]any
	flush := func() {
		if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"raw_licenses"}, rawLicenseColumns, pgx.CopyFromRows(licenses)); err != nil {
			b.Fatal(err)
		}
		if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"raw_audit"}, rawAuditColumns, pgx.CopyFromRows(entries)); err != nil {
			b.Fatal(err)
		}
		licenses, entries = licenses[:0], entries[:0]
	}
	b.ResetTimer()
	for i := range int64(b.N) {
		license, entry := rawRows(b, i+1, i)
		licenses = append(licenses, license)
		entries = append(entries, entry)
		if len(licenses) == batchSize {
			flush()
		}
	}
	if len(licenses) > 0 {
		flush()
	}
}
