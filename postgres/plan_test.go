package postgres

import (
	"strings"
	"testing"
)

// TestListByHolderUsesHolderIndex: an issuer's list by holder (sqlstore's
// FindLicenses with HolderID and Issuer: a page and a count, as
// sqlstore/list.go builds them) searches by issuer and holder on a fresh
// database, before any statistics, instead of reading all of the issuer's
// index entries.
func TestListByHolderUsesHolderIndex(t *testing.T) {
	s := MustOpenStore(t)
	const cond = `holder_id = $1 AND issuer = $2`
	for _, q := range []string{
		`SELECT id, document, seq FROM licenses WHERE ` + cond + ` AND seq > $3 ORDER BY seq LIMIT $4`,
		`SELECT COUNT(*) FROM licenses WHERE ` + cond,
	} {
		args := []any{"11010119900101123X", "110000", int64(0), 21}
		if !strings.Contains(q, "$3") {
			args = args[:2]
		}
		rows, err := s.pool.Query(t.Context(), "EXPLAIN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		p := strings.Join(plan, "\n")
		t.Logf("%s\n%s", q, p)
		if !strings.Contains(p, "licenses_issuer_holder") {
			t.Errorf("%s: the plan does not use licenses_issuer_holder:\n%s", q, p)
		}
		if strings.Contains(p, "Sort") || strings.Contains(p, "BitmapAnd") {
			t.Errorf("%s: the plan sorts or combines indexes:\n%s", q, p)
		}
	}
}
