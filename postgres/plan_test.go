package postgres

import (
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// TestListByHolderUsesHolderIndex: an issuer's list by holder (sqlstore's
// FindLicenses with HolderID and Issuer: a page and a count, the
// statements sqlstore.FindLicensesSQL returns) searches by issuer and
// holder on a fresh database, before any statistics, instead of reading
// all of the issuer's index entries.
func TestListByHolderUsesHolderIndex(t *testing.T) {
	s := MustOpenStore(t)
	holder, issuer := "11010119900101123X", "110000"
	page, count, fargs := sqlstore.FindLicensesSQL(zhengzhao.LicenseFilter{HolderID: &holder, Issuer: &issuer})
	for _, c := range []struct {
		sql  string
		args []any
	}{{page, append(fargs[:len(fargs):len(fargs)], int64(0), 21)}, {count, fargs}} {
		q, args := dialect.Rebind(c.sql), c.args
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
