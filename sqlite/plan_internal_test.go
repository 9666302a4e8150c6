package sqlite

import (
	"context"
	"strings"
	"testing"
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
	// The statements sqlstore's list builds for this filter (sqlstore/list.go).
	const cond = `holder_id = ? AND issuer = ?`
	for _, q := range []string{
		`SELECT id, document, seq FROM licenses WHERE ` + cond + ` AND seq > ? ORDER BY seq LIMIT ?`,
		`SELECT COUNT(*) FROM licenses WHERE ` + cond,
	} {
		plan := queryPlan(t, s, q, "11010119900101123X", "110000", 0, 21)
		t.Logf("%s\n\t%s", q, plan)
		if !strings.Contains(plan, "(issuer=? AND holder_id=?") && !strings.Contains(plan, "licenses_holder (holder_id=?") {
			t.Errorf("%s: plan %q does not search by holder", q, plan)
		}
		if strings.Contains(plan, "SCAN") || strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s: plan %q scans or sorts", q, plan)
		}
	}
	// A holder's licenses across issuers (the holder area) keep the holder index.
	if plan := queryPlan(t, s, `SELECT id, seq FROM licenses WHERE holder_id = ? AND seq > ? ORDER BY seq LIMIT ?`, "x", 0, 21); !strings.Contains(plan, "licenses_holder (holder_id=?") {
		t.Errorf("list by holder alone: plan %q, want licenses_holder", plan)
	}
}
