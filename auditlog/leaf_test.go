package auditlog_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// leafVectors are the entries pinned by testdata/leaf.golden.
func leafVectors() []*zhengzhao.AuditEntry {
	cst := time.FixedZone("CST", 8*3600)
	return []*zhengzhao.AuditEntry{
		{Index: 0, Time: time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC), Actor: "system", Action: zhengzhao.ActionUnitCreate},
		{
			Index: 1, Time: time.Date(2024, 3, 1, 16, 0, 0, 123456000, cst),
			Actor: "unit:110000", Action: zhengzhao.ActionLicenseIssue,
			License: "BL-000001-1", LicenseBase: "BL-000001", Subject: "type:business",
			Details: map[string]string{"reason": "新办", "digest": "sha256:ab", "a": ""},
		},
		{
			Index: 9007199254740993, Time: time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			Actor: "unit:\"quoted\"\\<tag>&amp;", Action: "license.read\n\t\u2028",
			Details: map[string]string{"Z": "1", "a": "2", "é": "3", "\x01": "4"},
		},
		{Index: 3, Actor: "", Action: "", Details: map[string]string{}},
	}
}

func TestLeafDataGolden(t *testing.T) {
	var b bytes.Buffer
	for _, e := range leafVectors() {
		b.Write(auditlog.LeafData(e))
		b.WriteByte('\n')
	}
	golden(t, "leaf.golden", b.Bytes())
}

func TestLeafDataIsJSON(t *testing.T) {
	for _, e := range leafVectors() {
		var got map[string]any
		if err := json.Unmarshal(auditlog.LeafData(e), &got); err != nil {
			t.Errorf("entry %d: %v", e.Index, err)
		}
	}
}

func TestLeafDataChanges(t *testing.T) {
	base := leafVectors()[1]
	tests := map[string]func(e *zhengzhao.AuditEntry){
		"index":              func(e *zhengzhao.AuditEntry) { e.Index++ },
		"time":               func(e *zhengzhao.AuditEntry) { e.Time = e.Time.Add(time.Nanosecond) },
		"actor":              func(e *zhengzhao.AuditEntry) { e.Actor += "x" },
		"action":             func(e *zhengzhao.AuditEntry) { e.Action = zhengzhao.ActionLicenseRevoke },
		"license":            func(e *zhengzhao.AuditEntry) { e.License = "BL-000001-2" },
		"license_base":       func(e *zhengzhao.AuditEntry) { e.LicenseBase = "" },
		"subject":            func(e *zhengzhao.AuditEntry) { e.Subject = "" },
		"details/value":      func(e *zhengzhao.AuditEntry) { e.Details["reason"] = "变更" },
		"details/key":        func(e *zhengzhao.AuditEntry) { e.Details["Reason"] = e.Details["reason"]; delete(e.Details, "reason") },
		"details/empty":      func(e *zhengzhao.AuditEntry) { delete(e.Details, "a") },
		"details/none":       func(e *zhengzhao.AuditEntry) { e.Details = nil },
		"moved/license":      func(e *zhengzhao.AuditEntry) { e.License, e.Subject = "", e.License },
		"moved/license_base": func(e *zhengzhao.AuditEntry) { e.LicenseBase, e.License = e.License, e.LicenseBase },
	}
	want := auditlog.LeafData(base)
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			e := *base
			e.Details = maps.Clone(base.Details)
			change(&e)
			if got := auditlog.LeafData(&e); bytes.Equal(got, want) {
				t.Errorf("LeafData did not change: %s", got)
			}
			if bytes.Equal(auditlog.LeafHash(&e), auditlog.LeafHash(base)) {
				t.Error("LeafHash did not change")
			}
		})
	}
}

func TestLeafDataSameInstant(t *testing.T) {
	e := *leafVectors()[1]
	want := auditlog.LeafData(&e)
	e.Time = e.Time.In(time.FixedZone("X", -5*3600))
	if got := auditlog.LeafData(&e); !bytes.Equal(got, want) {
		t.Errorf("got %s, want %s", got, want)
	}
	e.Time = time.Now()
	a := auditlog.LeafData(&e)
	e.Time = e.Time.Round(0) // strip the monotonic clock reading
	if b := auditlog.LeafData(&e); !bytes.Equal(a, b) {
		t.Errorf("monotonic reading changed the bytes: %s, %s", a, b)
	}
}

func TestLeafHash(t *testing.T) {
	for _, e := range leafVectors() {
		want := tlog.RecordHash(auditlog.LeafData(e))
		if got := auditlog.LeafHash(e); !bytes.Equal(got, want[:]) {
			t.Errorf("entry %d: got %x, want %x", e.Index, got, want)
		}
	}
}
