package library_test

import (
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// BenchmarkImport imports b.N rows on SQLite through the whole path:
// parse, validate, sign, store with audit entries and checkpoints.
func BenchmarkImport(b *testing.B) {
	e := newImportEnv(b)
	file := genCSV(e.typ.Code, b.N, nil)
	b.ResetTimer()
	job, err := e.lib.Aggregation.Import(e.issuer, &zhengzhao.ImportSpec{Type: e.typ.Code, Format: zhengzhao.FormatCSV}, strings.NewReader(file))
	if err != nil {
		b.Fatal(err)
	}
	if job.Imported != int64(b.N) {
		b.Fatalf("imported %d of %d", job.Imported, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
