package library

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlite"
)

// TestReadImportProblemsAcrossPages reads a report whose rows have several
// lines each, so that pages of copyBatch lines end inside a row, with a
// header line (row 0) and one row longer than a page: every line comes
// once, in order.
func TestReadImportProblemsAcrossPages(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "zhengzhao.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var want []*zhengzhao.ImportProblem
	add := func(row int64, n int) {
		for i := range n {
			want = append(want, &zhengzhao.ImportProblem{Job: "imp_1", Row: row, Field: fmt.Sprintf("f%d", i), Reason: "bad", Outcome: "rejected"})
		}
	}
	add(0, 1) // the header
	for row := int64(1); row <= 400; row++ {
		add(row, 3)
	}
	add(401, copyBatch+500) // one row longer than a page
	add(402, 2)
	err = store.Update(ctx, func(tx zhengzhao.Tx) error {
		if err := tx.CreateImportJob(&zhengzhao.ImportJob{ID: "imp_1", Issuer: "u"}); err != nil {
			return err
		}
		return tx.CreateImportProblems(want)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []*zhengzhao.ImportProblem
	err = readImportProblems(ctx, store, nil, func(batch []any) error {
		if len(batch) > 2*copyBatch {
			t.Errorf("a batch of %d lines", len(batch))
		}
		got = append(got, typed[*zhengzhao.ImportProblem](batch)...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("%d lines read, want %d (-want +got):\n%.2000s", len(got), len(want), d)
	}
}
