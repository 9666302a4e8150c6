package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// The benchmarks compare the store's durable write path with the bare
// cost of SQLite on the same disk. Every op is one license (its signed
// document, about 1.3 KB of JSON) and, for the store, its audit entry.
//
//	BenchmarkUpdateParallel         many callers, group commit (the store as deployed)
//	BenchmarkUpdateParallelNoBatch  many callers, one transaction (and fsync) each
//	BenchmarkUpdateSerial           one caller: the latency of one durable Update
//	BenchmarkRawInsert              one INSERT per autocommit transaction, bare table
//	BenchmarkRawInsertBatched       256 INSERTs per transaction, bare table
//
// All run with synchronous=FULL in WAL mode. Callers of the parallel
// benchmarks: 32 per GOMAXPROCS, as many requests wait on a busy server.

const benchParallelism = 32

// benchIssuer and benchType are the fixtures every benchmark license
// refers to.
var (
	benchIssuer = mustUSCC("91310115MA1K00000")
	benchType   = benchIssuer + "001"
)

func mustUSCC(first17 string) string {
	c, ok := zhengzhao.USCCCheckChar(first17)
	if !ok {
		panic("bad credit code " + first17)
	}
	return first17 + string(c)
}

// benchLicense returns the nth license of a benchmark.
func benchLicense(n int64) *zhengzhao.License {
	id := zhengzhao.LicenseID{TypeCode: benchType, IssuerCode: benchIssuer, Serial: fmt.Sprintf("B%010d", n), Version: 1}
	until := "2031-05-19"
	return &zhengzhao.License{
		ID:       id.String(),
		Type:     benchType,
		TypeName: "食品经营许可证",
		Version:  id.VersionString(),
		Serial:   id.Serial,
		Number:   "JY1310115" + id.Serial,
		Issuer:   zhengzhao.Party{Code: benchIssuer, Name: "上海市浦东新区市场监督管理局"},
		Holder: zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: zhengzhao.IDTypeUSCC,
			ID: mustUSCC(fmt.Sprintf("91310115%09d", n%1000000000)), Name: "上海证照示范餐饮管理有限公司"},
		IssuedOn:   "2026-05-20",
		ValidFrom:  "2026-05-20",
		ValidUntil: &until,
		Fields: map[string]any{
			"business_scope": "预包装食品销售（含冷藏冷冻食品）、热食类食品制售、冷食类食品制售、生食类食品制售",
			"capital":        json.Number("12345678901234567890"),
			"category":       "餐饮服务经营者",
			"address":        "上海市浦东新区世纪大道100号环球金融中心B1层",
		},
		SignedAt: time.Date(2026, 5, 20, 1, 2, 3, 0, time.UTC),
		Status:   zhengzhao.StatusValid,
		Proof: &zhengzhao.Proof{Alg: zhengzhao.AlgSM2SM3, KID: "kid-bench",
			Value: "MEUCIQDx1Zp2bXl2c2lnbmF0dXJlIG9mIHRoZSBiZW5jaG1hcmsgbGljZW5zZQIgU2lnbmF0dXJlIHBhZGRpbmc"},
	}
}

func openBench(b *testing.B, opts ...Option) *Store {
	b.Helper()
	s, err := Open(filepath.Join(b.TempDir(), "bench.db"), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	err = s.Update(context.Background(), func(tx zhengzhao.Tx) error {
		u := &zhengzhao.Unit{Code: benchIssuer, Name: "上海市浦东新区市场监督管理局", Roles: []zhengzhao.Role{zhengzhao.RoleIssuer}, Region: "310115"}
		if err := tx.CreateUnit(u); err != nil {
			return err
		}
		return tx.CreateLicenseType(&zhengzhao.LicenseType{Code: benchType, Name: "食品经营许可证", Definer: benchIssuer,
			HolderKind: zhengzhao.HolderOrganization, Level: zhengzhao.LevelMunicipal, Public: true, CollectSince: "2022-07-01"})
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// issue is one op of the store benchmarks: a license and its audit entry.
func issue(tx zhengzhao.Tx, l *zhengzhao.License) error {
	if err := tx.CreateLicense(l); err != nil {
		return err
	}
	return tx.AppendAudit(&zhengzhao.AuditEntry{Actor: "unit:" + benchIssuer, Action: zhengzhao.ActionLicenseIssue,
		License: l.ID, LicenseBase: l.Base(), Details: map[string]string{"digest": "sha256:0123456789abcdef"}})
}

func benchUpdateParallel(b *testing.B, opts ...Option) {
	s := openBench(b, opts...)
	var n atomic.Int64
	before := s.committer.Stats()
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l := benchLicense(n.Add(1))
			if err := s.Update(context.Background(), func(tx zhengzhao.Tx) error { return issue(tx, l) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	st := s.committer.Stats()
	if batches := st.Batches - before.Batches; batches > 0 {
		b.ReportMetric(float64(st.Calls-before.Calls)/float64(batches), "calls/commit")
	}
}

func BenchmarkUpdateParallel(b *testing.B) { benchUpdateParallel(b) }

func BenchmarkUpdateParallelNoBatch(b *testing.B) { benchUpdateParallel(b, WithMaxBatch(1)) }

func BenchmarkUpdateSerial(b *testing.B) {
	s := openBench(b)
	b.ResetTimer()
	for i := range b.N {
		l := benchLicense(int64(i))
		if err := s.Update(context.Background(), func(tx zhengzhao.Tx) error { return issue(tx, l) }); err != nil {
			b.Fatal(err)
		}
	}
}

// openRaw opens a bare database with the store's writer settings and one
// table of license documents.
func openRaw(b *testing.B) *sql.DB {
	b.Helper()
	db, err := sql.Open("sqlite", dsn(filepath.Join(b.TempDir(), "raw.db"), writerPragmas))
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE licenses (id TEXT PRIMARY KEY, document TEXT NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	var sync int
	if err := db.QueryRow(`PRAGMA synchronous`).Scan(&sync); err != nil || sync != 2 {
		b.Fatalf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
	return db
}

// rawRow returns the nth row of the raw benchmarks: the same document the
// store would keep.
func rawRow(b *testing.B, n int64) (string, []byte) {
	l := benchLicense(n)
	doc, err := json.Marshal(l)
	if err != nil {
		b.Fatal(err)
	}
	return l.ID, doc
}

func BenchmarkRawInsert(b *testing.B) {
	db := openRaw(b)
	var n atomic.Int64
	b.SetParallelism(benchParallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id, doc := rawRow(b, n.Add(1))
			if _, err := db.Exec(`INSERT INTO licenses (id, document) VALUES (?, ?)`, id, doc); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkRawInsertBatched(b *testing.B) {
	const batch = 256
	db := openRaw(b)
	b.ResetTimer()
	var tx *sql.Tx
	for i := range b.N {
		if tx == nil {
			var err error
			if tx, err = db.Begin(); err != nil {
				b.Fatal(err)
			}
		}
		id, doc := rawRow(b, int64(i))
		if _, err := tx.Exec(`INSERT INTO licenses (id, document) VALUES (?, ?)`, id, doc); err != nil {
			b.Fatal(err)
		}
		if (i+1)%batch == 0 || i == b.N-1 {
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			tx = nil
		}
	}
}
