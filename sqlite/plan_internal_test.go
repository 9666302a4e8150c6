package sqlite

import (
	"context"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// queryPlan returns the EXPLAIN QUERY PLAN details of q on a reader.
func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.rdb.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

// TestListByHolderUsesHolderIndex: GET /v1/licenses?holder_id= for an
// issuer (sqlstore's FindLicenses with HolderID and Issuer: a page and a
// count) must search by holder on a fresh database, which has no planner
// statistics. Without them SQLite took the licenses_issuer index and read
// all of the issuer's licenses twice per request (docs/performance.md,
// soak).
func TestListByHolderUsesHolderIndex(t *testing.T) {
	s := openTest(t)
	var stats int
	if err := s.rdb.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'`).Scan(&stats); err != nil {
		t.Fatal(err)
	}
	if stats != 0 {
		var n int
		if err := s.rdb.QueryRow(`SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'licenses'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a fresh database has planner statistics for licenses (%d, %v): the test would not show the fresh case", n, err)
		}
	}
	// The statements sqlstore's FindLicenses runs for this filter.
	holder, issuer := "11010119900101123X", "110000"
	page, count, args := sqlstore.FindLicensesSQL(zhengzhao.LicenseFilter{HolderID: &holder, Issuer: &issuer})
	for _, q := range []struct {
		sql  string
		args []any
	}{{page, append(args[:len(args):len(args)], 0, 21)}, {count, args}} {
		plan := queryPlan(t, s, q.sql, q.args...)
		t.Logf("%s\n\t%s", q.sql, plan)
		if !strings.Contains(plan, "(issuer=? AND holder_id=?") && !strings.Contains(plan, "licenses_holder (holder_id=?") {
			t.Errorf("%s: plan %q does not search by holder", q.sql, plan)
		}
		if strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan %q scans or sorts", q.sql, plan)
		}
	}
	// A holder's licenses across issuers (the holder area) keep the holder index.
	page, _, args = sqlstore.FindLicensesSQL(zhengzhao.LicenseFilter{HolderID: &holder})
	if plan := queryPlan(t, s, page, append(args, 0, 21)...); !strings.Contains(plan, "licenses_holder (holder_id=?") {
		t.Errorf("list by holder alone: plan %q, want licenses_holder", plan)
	}
}
