package library_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/zhengzhao-project/zhengzhao"
)

// issuePath issues a license, updates it and revokes the new version
// through one of the library's paths and returns the base of the license.
type issuePath func(t *testing.T, e *importEnv, n int) string

// TestEveryIssuePathDeliversAuditsAndCounts issues, updates and revokes a
// license through the API (art. 8 one by one) and through daily increments
// (art. 8 in bulk), and imports one (art. 10): the API and the increment
// leave the same messages in the holder's inbox (art. 9), audit entries of
// the same shape and the same statistics; the import audits the same
// details and, on purpose, neither delivers nor counts (historical
// records: the issue happened before the library).
func TestEveryIssuePathDeliversAuditsAndCounts(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newImportEnv(t)
		req := func(n int) zhengzhao.IssueRequest {
			return zhengzhao.IssueRequest{Type: e.typ.Code, Serial: fmt.Sprintf("PATH%04d", n), Number: fmt.Sprintf("PATH-%d", n),
				Holder:   zhengzhao.Holder{Kind: zhengzhao.HolderOrganization, IDType: "001", ID: holderID(n), Name: "上海路径有限公司"},
				IssuedOn: "2026-01-05", ValidFrom: "2026-01-05", Fields: map[string]any{"legal_representative": "张三"}}
		}
		update := func(n int) zhengzhao.LicenseUpdate {
			r := req(n)
			return zhengzhao.LicenseUpdate{Number: r.Number, Holder: r.Holder, IssuedOn: r.IssuedOn, ValidFrom: r.ValidFrom,
				Fields: map[string]any{"legal_representative": "李四"}}
		}
		today := time.Now().In(bj)
		day := func(back int) string { return today.AddDate(0, 0, -back).Format(time.DateOnly) }

		paths := []struct {
			name string
			run  issuePath
		}{
			{"api", func(t *testing.T, e *importEnv, n int) string {
				r := req(n)
				lic, err := e.lib.Licenses.IssueLicense(e.issuer, &r, "")
				if err != nil {
					t.Fatal(err)
				}
				next, err := e.lib.Licenses.UpdateLicense(e.issuer, lic.ID, ptr(update(n)))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.lib.Licenses.RevokeLicense(e.issuer, next.ID, "企业注销"); err != nil {
					t.Fatal(err)
				}
				return lic.Base()
			}},
			{"increment", func(t *testing.T, e *importEnv, n int) string {
				rec, err := e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(3), Issued: []zhengzhao.IssueRequest{req(n)}})
				if err != nil {
					t.Fatal(err)
				}
				id := rec.Licenses[0]
				rec, err = e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(2),
					Updated: []zhengzhao.IncrementUpdate{{ID: id, LicenseUpdate: update(n)}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(1),
					Revoked: []zhengzhao.IncrementRevoke{{ID: rec.Licenses[0], Reason: "企业注销"}}}); err != nil {
					t.Fatal(err)
				}
				return (&zhengzhao.License{ID: id}).Base()
			}},
		}
		type outcome struct {
			Inbox   []string          // message kinds, oldest first
			Actions []string          // audit actions of the license
			Details [][]string        // detail keys of each entry, without the path's own
			Stats   map[string]string // metric → N/Sum added
		}
		got := map[string]outcome{}
		for i, p := range paths {
			before := e.stats(t)
			base := p.run(t, e, i+1)
			got[p.name] = outcome{Inbox: e.inboxKinds(t, req(i+1).Holder), Actions: e.actions(t, base), Details: e.detailKeys(t, base),
				Stats: statsDelta(before, e.stats(t))}
		}
		want := outcome{
			Inbox:   []string{zhengzhao.DeliveryIssued, zhengzhao.DeliveryUpdated, zhengzhao.DeliveryRevoked},
			Actions: []string{zhengzhao.ActionLicenseIssue, zhengzhao.ActionLicenseUpdate, zhengzhao.ActionLicenseRevoke},
			Details: [][]string{{"digest", "holder", "issued_on", "kid"}, {"digest", "kid", "supersedes"}, {"reason"}},
		}
		if diff := cmp.Diff(got["api"], got["increment"]); diff != "" {
			t.Errorf("the increment path differs from the API (-api +increment):\n%s", diff)
		}
		for name, o := range got {
			if diff := cmp.Diff(want.Inbox, o.Inbox); diff != "" {
				t.Errorf("%s: inbox (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(want.Actions, o.Actions); diff != "" {
				t.Errorf("%s: audit actions (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(want.Details, o.Details); diff != "" {
				t.Errorf("%s: audit details (-want +got):\n%s", name, diff)
			}
			for _, m := range []string{zhengzhao.MetricIssued, zhengzhao.MetricUpdated, zhengzhao.MetricRevoked} {
				if !strings.HasPrefix(o.Stats[m], "1/") {
					t.Errorf("%s: %s counted %q, want 1", name, m, o.Stats[m])
				}
			}
		}

		// A serial taken through the API is taken for the increment too:
		// the whole increment is refused, naming the item.
		before := len(e.licenses(t))
		_, err := e.lib.Aggregation.SubmitIncrement(e.issuer, &zhengzhao.Increment{Date: day(4), Issued: []zhengzhao.IssueRequest{req(3), req(1)}})
		if zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT || !strings.Contains(zhengzhao.ErrorMessage(err), "issued[1].serial") || len(e.licenses(t)) != before {
			t.Errorf("increment with a taken serial: %v (licenses %d → %d)", err, before, len(e.licenses(t)))
		}

		// Import: the same issue details with the job's own; no delivery and
		// no issue counted.
		stats := e.stats(t)
		h := req(9).Holder
		csv := "serial,number,holder_id,holder_name,issued_on,legal_representative\nPATH0009,PATH-9," + h.ID + "," + h.Name + ",2020-01-02,王五\n"
		if _, err := e.lib.Aggregation.Import(e.issuer, &zhengzhao.ImportSpec{Type: e.typ.Code, Format: "csv"}, strings.NewReader(csv)); err != nil {
			t.Fatal(err)
		}
		base := zhengzhao.LicenseID{TypeCode: e.typ.Code, IssuerCode: codeA, Serial: "PATH0009", Version: 1}.Base()
		if kinds := e.inboxKinds(t, h); len(kinds) != 0 {
			t.Errorf("import delivered %v; historical records are not delivered", kinds)
		}
		if diff := cmp.Diff([]string{zhengzhao.ActionLicenseImport}, e.actions(t, base)); diff != "" {
			t.Errorf("import: audit actions (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([][]string{{"digest", "holder", "issued_on", "kid"}}, e.detailKeys(t, base)); diff != "" {
			t.Errorf("import: audit details (-want +got):\n%s", diff)
		}
		if d := statsDelta(stats, e.stats(t)); len(d) != 0 {
			t.Errorf("import counted %v; historical records are not counted as issues", d)
		}
	})
}

// stats returns the issuer's statistics by metric as "N/Sum".
func (e *importEnv) stats(t *testing.T) map[string][2]int64 {
	t.Helper()
	out := map[string][2]int64{}
	err := e.lib.Store().View(e.admin, func(tx zhengzhao.ReadTx) error {
		ss, err := tx.SumStats(zhengzhao.StatFilter{Unit: ptr(codeA), Ranges: []zhengzhao.StatRange{{Granularity: zhengzhao.StatYearly, From: "0000", To: "9999"}}})
		for _, s := range ss {
			v := out[s.Metric]
			out[s.Metric] = [2]int64{v[0] + s.N, v[1] + s.Sum}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func statsDelta(before, after map[string][2]int64) map[string]string {
	d := map[string]string{}
	for m, a := range after {
		if b := before[m]; a != b {
			d[m] = fmt.Sprintf("%d/%d", a[0]-b[0], a[1]-b[1])
		}
	}
	return d
}

// inboxKinds returns the kinds of the holder's messages, oldest first.
func (e *importEnv) inboxKinds(t *testing.T, h zhengzhao.Holder) []string {
	t.Helper()
	var kinds []string
	err := e.lib.Store().View(e.admin, func(tx zhengzhao.ReadTx) error {
		ms, _, _, err := tx.FindInboxMessages(zhengzhao.InboxFilter{Holder: h.Ref(), Page: zhengzhao.Page{Limit: 100}})
		for _, m := range ms {
			kinds = append(kinds, m.Kind)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(kinds)
	return kinds
}

func (e *importEnv) entries(t *testing.T, base string) []*zhengzhao.AuditEntry {
	t.Helper()
	var es []*zhengzhao.AuditEntry
	err := e.lib.Store().View(e.admin, func(tx zhengzhao.ReadTx) (err error) {
		es, _, _, err = tx.FindAuditEntries(zhengzhao.AuditFilter{LicenseBase: &base, Page: zhengzhao.Page{Limit: 100}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// actions returns the actions of the changes of the license's versions.
func (e *importEnv) actions(t *testing.T, base string) []string {
	var out []string
	for _, en := range e.entries(t, base) {
		if en.Action != zhengzhao.ActionLicenseRead {
			out = append(out, en.Action)
		}
	}
	return out
}

// pathKeys are the details that name the path a change came by.
var pathKeys = map[string]bool{"increment": true, "job": true, "row": true, "provenance": true, "finding": true}

// detailKeys returns the sorted detail keys of each change entry of the
// license, without those of the path.
func (e *importEnv) detailKeys(t *testing.T, base string) [][]string {
	var out [][]string
	for _, en := range e.entries(t, base) {
		if en.Action == zhengzhao.ActionLicenseRead {
			continue
		}
		var ks []string
		for _, k := range slices.Sorted(maps.Keys(en.Details)) {
			if !pathKeys[k] {
				ks = append(ks, k)
			}
		}
		out = append(out, ks)
	}
	return out
}
