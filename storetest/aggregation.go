package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// aggregationTests pin down the stores' AggregationReadTx and AggregationTx.
var aggregationTests = []test{
	{"ImportJob", testImportJob},
	{"ImportProblems", testImportProblems},
	{"ImportLicenses", testImportLicenses},
	{"ImportLicensesConflict", testImportLicensesConflict},
	{"LicenseStates", testLicenseStates},
	{"IncrementReceipts", testIncrementReceipts},
	{"Outages", testOutages},
}

func newImportJob(id, issuer, key string) *zhengzhao.ImportJob {
	return &zhengzhao.ImportJob{ID: id, Issuer: issuer, Type: typeCode(201, 1), Key: key, Format: zhengzhao.FormatCSV,
		Encoding: zhengzhao.EncodingGB18030, Mapping: map[string]string{"证照编号": "number"}, Provenance: zhengzhao.ProvenanceDigitisedChecked,
		Status: zhengzhao.ImportRunning, Actor: "unit:" + issuer, CreatedAt: t0, UpdatedAt: t0}
}

func testImportJob(t *testing.T, s zhengzhao.Store) {
	a, b := uscc(101), uscc(102)
	j1, j2, j3 := newImportJob("imp_1", a, "k"), newImportJob("imp_2", b, "k"), newImportJob("imp_3", a, "")
	j4 := newImportJob("imp_4", a, "")
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, j := range []*zhengzhao.ImportJob{j1, j2, j3, j4} {
			if err := tx.CreateImportJob(j); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.CreateImportJob(newImportJob("imp_5", a, "k")); codeOf(err) != zhengzhao.ECONFLICT {
			t.Errorf("same issuer and key: got %v, want conflict", err)
		}
		if err := tx.CreateImportJob(newImportJob("imp_1", a, "other")); codeOf(err) != zhengzhao.ECONFLICT {
			t.Errorf("same ID: got %v, want conflict", err)
		}
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindImportJobByKey(a, "k")
		if err != nil {
			return err
		}
		if d := diff(j1, got); d != "" {
			t.Errorf("FindImportJobByKey (-want +got):\n%s", d)
		}
		_, err = tx.FindImportJob("imp_9")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		_, err = tx.FindImportJobByKey(b, "other")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		js, n, _, err := tx.FindImportJobs(zhengzhao.ImportJobFilter{Issuer: &a})
		if err != nil {
			return err
		}
		if n != 3 || len(js) != 3 || js[0].ID != "imp_1" || js[1].ID != "imp_3" || js[2].ID != "imp_4" {
			t.Errorf("FindImportJobs: %d %v", n, js)
		}
		return nil
	})

	// Progress advances from the checkpoint it started from, once.
	next := *j1
	next.Rows, next.Imported, next.Status = 1000, 990, zhengzhao.ImportDone
	finished := at(time.Hour)
	next.FinishedAt = &finished
	update(t, s, func(tx zhengzhao.Tx) error { return tx.UpdateImportJob(&next, 0) })
	update(t, s, func(tx zhengzhao.Tx) error {
		stale := next
		stale.Rows = 2000
		wantCode(t, tx.UpdateImportJob(&stale, 0), zhengzhao.ECONFLICT)
		missing := next
		missing.ID = "imp_9"
		wantCode(t, tx.UpdateImportJob(&missing, 0), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindImportJob("imp_1")
		if err != nil {
			return err
		}
		if d := diff(&next, got); d != "" {
			t.Errorf("after UpdateImportJob (-want +got):\n%s", d)
		}
		return nil
	})
}

func testImportProblems(t *testing.T, s zhengzhao.Store) {
	var ps []*zhengzhao.ImportProblem
	for row := int64(1); row <= 5; row++ {
		for k := 0; k < int(row%3); k++ {
			ps = append(ps, &zhengzhao.ImportProblem{Job: "imp_1", Row: row, Field: fmt.Sprintf("f%d", k), Reason: "原因 \"quoted\", comma", Outcome: zhengzhao.OutcomeRejected})
		}
	}
	other := &zhengzhao.ImportProblem{Job: "imp_2", Row: 1, Field: "id", Reason: "x", Outcome: zhengzhao.OutcomeFinding}
	update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateImportProblems(append(ps, other)) })
	update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateImportProblems(nil) })
	view(t, s, func(tx zhengzhao.ReadTx) error {
		all, err := tx.FindImportProblems("imp_1", 0, 100)
		if err != nil {
			return err
		}
		if d := diff(ps, all); d != "" {
			t.Errorf("FindImportProblems (-want +got):\n%s", d)
		}
		page, err := tx.FindImportProblems("imp_1", 2, 2)
		if err != nil {
			return err
		}
		if len(page) != 2 || page[0].Row != 4 || page[1].Row != 5 {
			t.Errorf("page after row 2: %+v", page)
		}
		return nil
	})
}

// importPair returns a license and its import audit entry.
func importPair(c catalog, serial string) (*zhengzhao.License, *zhengzhao.AuditEntry) {
	l := newLicense(c.types[0], c.issuers[0], serial, 1, c.holders[0])
	l.Provenance = zhengzhao.ProvenanceDigitisedUnchecked
	return l, &zhengzhao.AuditEntry{Actor: "unit:" + c.issuers[0], Action: zhengzhao.ActionLicenseImport, License: l.ID,
		LicenseBase: l.Base(), Subject: l.Type, Details: map[string]string{"job": "imp_1", "row": serial}}
}

func testImportLicenses(t *testing.T, s zhengzhao.Store) {
	c := seedCatalog(t, s)
	createLicenses(t, s, newLicense(c.types[0], c.issuers[0], "EXISTING", 1, c.holders[0]))
	update(t, s, func(tx zhengzhao.Tx) error {
		return tx.AppendAudit(&zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate})
	})
	var (
		ls []*zhengzhao.License
		es []*zhengzhao.AuditEntry
	)
	for i := range 5 {
		l, e := importPair(c, fmt.Sprintf("IMP%03d", i))
		ls, es = append(ls, l), append(es, e)
	}
	// A historical ID with a wrong check character keeps it.
	wrong, e := importPair(c, "WRONG1")
	wrong.ID = wrong.ID[:len(wrong.ID)-1] + "Z"
	if wrong.ID == newLicense(c.types[0], c.issuers[0], "WRONG1", 1, c.holders[0]).ID {
		wrong.ID = wrong.ID[:len(wrong.ID)-1] + "Y"
	}
	wrong.Quality = []zhengzhao.QualityFinding{{Field: "id", Code: zhengzhao.FindingWrongCheckChar, Message: "wrong check character"}}
	e.License = wrong.ID
	ls, es = append(ls, wrong), append(es, e)
	update(t, s, func(tx zhengzhao.Tx) error { return tx.ImportLicenses(ls, es) })
	for i, e := range es {
		if e.Index != int64(1+i) || e.Time != t0.Truncate(time.Microsecond) && e.Time.IsZero() {
			t.Errorf("entry %d: index %d, want %d", i, e.Index, 1+i)
		}
	}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		for _, l := range ls {
			got, err := tx.FindLicenseByID(l.ID)
			if err != nil {
				return err
			}
			if d := exactDiff(l, got); d != "" {
				t.Errorf("license %s (-want +got):\n%s", l.ID, d)
			}
		}
		got, err := tx.AuditEntries(1, 1+int64(len(es)))
		if err != nil {
			return err
		}
		if d := diff(es, got); d != "" {
			t.Errorf("audit entries (-want +got):\n%s", d)
		}
		size, err := tx.AuditSize()
		if err != nil {
			return err
		}
		if size != 1+int64(len(es)) {
			t.Errorf("AuditSize %d", size)
		}
		bases := []string{ls[0].Base(), wrong.Base(), c.types[0] + "." + c.issuers[0] + ".NONE", c.types[0] + "." + c.issuers[0] + ".EXISTING"}
		found, err := tx.FindLicenseBases(bases)
		if err != nil {
			return err
		}
		if d := diff(map[string]bool{bases[0]: true, bases[1]: true, bases[3]: true}, setOf(found)); d != "" {
			t.Errorf("FindLicenseBases (-want +got):\n%s", d)
		}
		return nil
	})
	// Next AppendAudit continues after the bulk entries.
	next := &zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionLicenseRead}
	update(t, s, func(tx zhengzhao.Tx) error { return tx.AppendAudit(next) })
	if next.Index != 1+int64(len(es)) {
		t.Errorf("AppendAudit after ImportLicenses: index %d", next.Index)
	}
}

func setOf(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func testImportLicensesConflict(t *testing.T, s zhengzhao.Store) {
	c := seedCatalog(t, s)
	l0, _ := importPair(c, "DUP")
	createLicenses(t, s, l0)
	var ls []*zhengzhao.License
	var es []*zhengzhao.AuditEntry
	for _, serial := range []string{"NEW1", "DUP", "NEW2"} {
		l, e := importPair(c, serial)
		ls, es = append(ls, l), append(es, e)
	}
	errFn := errors.New("fn failed")
	err := s.Update(t.Context(), func(tx zhengzhao.Tx) error {
		err := tx.ImportLicenses(ls, es)
		if codeOf(err) != zhengzhao.ECONFLICT {
			t.Errorf("ImportLicenses with an existing license: got %v, want conflict", err)
		}
		// The transaction stays usable after the conflict.
		if _, err := tx.FindLicenseByID(l0.ID); err != nil {
			t.Errorf("after the conflict: %v", err)
		}
		return errFn
	})
	if !errors.Is(err, errFn) {
		t.Fatalf("Update: %v", err)
	}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		_, err := tx.FindLicenseByID(ls[0].ID)
		wantCode(t, err, zhengzhao.ENOTFOUND)
		n, err := tx.AuditSize()
		if err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("AuditSize %d after a failed import, want 0", n)
		}
		return nil
	})
}

func testLicenseStates(t *testing.T, s zhengzhao.Store) {
	c := seedCatalog(t, s)
	// Serials chosen so that byte order differs from storage order and
	// from a locale's order ("a" < "B" in many locales, not in bytes).
	serials := []string{"Z9", "A10", "A1", "B", "0A", "A"}
	var want []string
	for _, sr := range serials {
		createLicenses(t, s, newLicense(c.types[0], c.issuers[0], sr, 1, c.holders[0]))
	}
	createLicenses(t, s, newLicense(c.types[1], c.issuers[0], "M", 1, c.holders[0]),
		newLicense(c.types[0], c.issuers[1], "OTHER", 1, c.holders[0]))
	// A superseded version is not current.
	v2 := newLicense(c.types[0], c.issuers[0], "B", 2, c.holders[0])
	update(t, s, func(tx zhengzhao.Tx) error {
		old, err := tx.FindLicenseByID(newLicense(c.types[0], c.issuers[0], "B", 1, c.holders[0]).ID)
		if err != nil {
			return err
		}
		old.Status, old.SupersededBy = zhengzhao.StatusSuperseded, v2.ID
		if err := tx.CreateLicense(v2); err != nil {
			return err
		}
		return tx.UpdateLicenseLifecycle(old)
	})
	for _, sr := range []string{"0A", "A", "A1", "A10", "B", "Z9"} {
		if sr == "B" {
			want = append(want, v2.ID)
			continue
		}
		want = append(want, newLicense(c.types[0], c.issuers[0], sr, 1, c.holders[0]).ID)
	}
	want = append(want, newLicense(c.types[1], c.issuers[0], "M", 1, c.holders[0]).ID)
	if c.types[1] < c.types[0] {
		t.Fatal("storetest: type codes out of order")
	}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		var got []string
		after := ""
		for {
			ls, err := tx.FindLicenseStates(c.issuers[0], after, 3)
			if err != nil {
				return err
			}
			got = append(got, ids(ls)...)
			if len(ls) < 3 {
				break
			}
			after = ls[len(ls)-1].Base()
		}
		if d := diff(want, got); d != "" {
			t.Errorf("FindLicenseStates in byte order of base (-want +got):\n%s", d)
		}
		return nil
	})
}

func testIncrementReceipts(t *testing.T, s zhengzhao.Store) {
	a := uscc(101)
	mk := func(date string, late bool) *zhengzhao.IncrementReceipt {
		return &zhengzhao.IncrementReceipt{Issuer: a, Date: date, ReceivedAt: t0, Due: at(time.Hour), Late: late,
			Issued: 2, Updated: 1, Revoked: 0, Licenses: []string{"x", "y", "z"}, RequestHash: []byte{1, 2, 3}, Actor: "unit:" + a}
	}
	rs := []*zhengzhao.IncrementReceipt{mk("2026-05-18", false), mk("2026-05-19", true), mk("2026-05-21", false)}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, r := range rs {
			if err := tx.CreateIncrementReceipt(r); err != nil {
				return err
			}
		}
		o := mk("2026-05-18", false)
		o.Issuer = uscc(102)
		return tx.CreateIncrementReceipt(o)
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.CreateIncrementReceipt(mk("2026-05-19", false)), zhengzhao.ECONFLICT)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindIncrementReceipt(a, "2026-05-19")
		if err != nil {
			return err
		}
		if d := diff(rs[1], got); d != "" {
			t.Errorf("FindIncrementReceipt (-want +got):\n%s", d)
		}
		_, err = tx.FindIncrementReceipt(a, "2026-05-20")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		list, err := tx.FindIncrementReceipts(a, "2026-05-19", "2026-05-31")
		if err != nil {
			return err
		}
		if d := diff(rs[1:], list); d != "" {
			t.Errorf("FindIncrementReceipts (-want +got):\n%s", d)
		}
		return nil
	})
}

func testOutages(t *testing.T, s zhengzhao.Store) {
	a, b := uscc(101), uscc(102)
	end, deadline, caught := at(24*time.Hour), at(96*time.Hour), at(120*time.Hour)
	open := &zhengzhao.Outage{ID: "out_1", Issuer: a, Start: t0, Reason: "机房断电", Actor: "unit:" + a, CreatedAt: t0}
	ended := &zhengzhao.Outage{ID: "out_2", Issuer: a, Start: t0, End: &end, Deadline: &deadline, Reason: "网络中断", Actor: "admin", CreatedAt: t0}
	other := &zhengzhao.Outage{ID: "out_3", Issuer: b, Start: t0, End: &end, Deadline: &deadline, Reason: "火灾", Actor: "admin", CreatedAt: t0}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, o := range []*zhengzhao.Outage{open, ended, other} {
			if err := tx.CreateOutage(o); err != nil {
				return err
			}
		}
		wantCode(t, tx.CreateOutage(open), zhengzhao.ECONFLICT)
		return nil
	})
	// out_3 catches up late.
	other.CaughtUpAt = &caught
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.UpdateOutage(other); err != nil {
			return err
		}
		missing := *other
		missing.ID = "out_9"
		wantCode(t, tx.UpdateOutage(&missing), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindOutage("out_3")
		if err != nil {
			return err
		}
		if d := diff(other, got); d != "" {
			t.Errorf("FindOutage (-want +got):\n%s", d)
		}
		_, err = tx.FindOutage("out_9")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		for name, c := range map[string]struct {
			f    zhengzhao.OutageFilter
			want []string
		}{
			"issuer":           {zhengzhao.OutageFilter{Issuer: &a}, []string{"out_1", "out_2"}},
			"open":             {zhengzhao.OutageFilter{Open: true}, []string{"out_1"}},
			"late before":      {zhengzhao.OutageFilter{LateAt: ptr(at(48 * time.Hour))}, []string{"out_3"}},
			"late after":       {zhengzhao.OutageFilter{LateAt: ptr(at(100 * time.Hour))}, []string{"out_2", "out_3"}},
			"late of issuer a": {zhengzhao.OutageFilter{Issuer: &a, LateAt: ptr(at(100 * time.Hour))}, []string{"out_2"}},
		} {
			os, n, _, err := tx.FindOutages(c.f)
			if err != nil {
				return err
			}
			var got []string
			for _, o := range os {
				got = append(got, o.ID)
			}
			if d := diff(c.want, got); d != "" || n != len(c.want) {
				t.Errorf("%s: %d (-want +got):\n%s", name, n, d)
			}
		}
		return nil
	})
}
