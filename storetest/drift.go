package storetest

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/sqlstore"
)

// driftTests pin down the behaviours in which the two stores once
// differed, when each implemented zhengzhao.Tx by hand (issue 12), so
// that they cannot drift apart again.
var driftTests = []test{
	{"CursorDecoding", testDriftCursor},
	{"CountOnSinglePage", testDriftCount},
	{"UniqueViolation", testDriftUnique},
	{"DocumentNotHTMLEscaped", testDriftDocument},
	{"TextChecks", testDriftText},
}

// testDriftCursor: every list refuses a cursor it did not hand out, the
// same way: garbage, a negative key, a key with a sign, leading zeros or
// padding.
func testDriftCursor(t *testing.T, s zhengzhao.Store) {
	b64 := base64.RawURLEncoding.EncodeToString
	bad := []string{"not a cursor!", b64([]byte("-1")), b64([]byte("+1")), b64([]byte("01")), base64.URLEncoding.EncodeToString([]byte("1"))}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		for _, c := range bad {
			p := zhengzhao.Page{Cursor: c}
			_, _, _, err := tx.FindUnits(zhengzhao.UnitFilter{Page: p})
			wantCode(t, err, zhengzhao.EINVALID)
			_, _, _, err = tx.FindLicenses(zhengzhao.LicenseFilter{Page: p})
			wantCode(t, err, zhengzhao.EINVALID)
			_, _, _, err = tx.FindAuditEntries(zhengzhao.AuditFilter{Page: p})
			wantCode(t, err, zhengzhao.EINVALID)
			_, _, _, err = tx.FindInboxMessages(zhengzhao.InboxFilter{Holder: holderA, Page: p})
			wantCode(t, err, zhengzhao.EINVALID)
		}
		return nil
	})
}

// testDriftCount: the total is the number of matches whether the page is
// the only one (where a store may skip the COUNT), the first of several,
// or a later one.
func testDriftCount(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for n := range 5 {
			if err := tx.CreateUnit(newUnit(400 + n)); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		for _, tt := range []struct {
			limit, wantLen, wantTotal int
			more                      bool
		}{{10, 5, 5, false}, {5, 5, 5, false}, {2, 2, 5, true}} {
			us, total, next, err := tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: tt.limit}})
			if err != nil {
				return err
			}
			if len(us) != tt.wantLen || total != tt.wantTotal || (next != "") != tt.more {
				t.Errorf("limit %d: %d units, total %d, next %q; want %d, %d, more %v", tt.limit, len(us), total, next, tt.wantLen, tt.wantTotal, tt.more)
			}
		}
		// The last of several pages still counts every match.
		_, _, next, err := tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: 4}})
		if err != nil {
			return err
		}
		us, total, next, err := tx.FindUnits(zhengzhao.UnitFilter{Page: zhengzhao.Page{Limit: 4, Cursor: next}})
		if err != nil {
			return err
		}
		if len(us) != 1 || total != 5 || next != "" {
			t.Errorf("last page: %d units, total %d, next %q; want 1, 5, none", len(us), total, next)
		}
		none := "nope"
		us, total, next, err = tx.FindUnits(zhengzhao.UnitFilter{Code: &none})
		if err != nil || len(us) != 0 || total != 0 || next != "" {
			t.Errorf("no match: %d units, total %d, next %q, %v", len(us), total, next, err)
		}
		return nil
	})
}

// testDriftUnique: a duplicate is ECONFLICT on every unique key, not an
// internal error, and the transaction goes on.
func testDriftUnique(t *testing.T, s zhengzhao.Store) {
	c := seedCatalog(t, s)
	l := newLicense(c.types[0], c.issuers[0], "U0001", 1, c.holders[0])
	createLicenses(t, s, l)
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.CreateUnit(newUnit(101)), zhengzhao.ECONFLICT)
		wantCode(t, tx.CreateLicense(l), zhengzhao.ECONFLICT)
		// Another ID, the same type, issuer, serial and version.
		twin := *l
		twin.ID = l.ID + "X"
		wantCode(t, tx.CreateLicense(&twin), zhengzhao.ECONFLICT)
		cp := &zhengzhao.Checkpoint{Origin: "o", Size: 1, Root: []byte{1}, Note: "n", Time: t0}
		if err := tx.CreateCheckpoint(cp); err != nil {
			return err
		}
		wantCode(t, tx.CreateCheckpoint(cp), zhengzhao.ECONFLICT)
		return tx.CreateUnit(newUnit(450)) // the transaction is still usable
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		_, err := tx.FindUnitByCode(newUnit(450).Code)
		return err
	})
}

// testDriftDocument: a license's text comes back as stored, <, > and &
// included, through CreateLicense and ImportLicenses alike. (The bytes
// stored are the same on every store: sqlstore.EncodeDocument, checked by
// each driver's TestDocumentBytes.)
func testDriftDocument(t *testing.T, s zhengzhao.Store) {
	c := seedCatalog(t, s)
	a := newLicense(c.types[0], c.issuers[0], "H0001", 1, c.holders[0])
	b := newLicense(c.types[0], c.issuers[0], "H0002", 1, c.holders[0])
	for _, l := range []*zhengzhao.License{a, b} {
		l.Fields["html"] = `<script>alert("&amp;")</script> \u2028` + "\u2028"
		l.Holder.Name = "A&B <有限公司>"
	}
	createLicenses(t, s, a)
	update(t, s, func(tx zhengzhao.Tx) error { return tx.ImportLicenses([]*zhengzhao.License{b}, nil) })
	view(t, s, func(tx zhengzhao.ReadTx) error {
		for _, want := range []*zhengzhao.License{a, b} {
			got, err := tx.FindLicenseByID(want.ID)
			if err != nil {
				return err
			}
			if d := diff(want, got); d != "" {
				t.Errorf("license %s (-want +got):\n%s", want.ID, d)
			}
		}
		return nil
	})
}

// testDriftText: text that no store can keep (invalid UTF-8, NUL) is
// EINVALID on every store, before anything is written, and the
// transaction goes on.
func testDriftText(t *testing.T, s zhengzhao.Store) {
	c := seedCatalog(t, s)
	cut := "市场监督管理局"[:4]
	for _, bad := range []string{cut, "a\x00b"} {
		update(t, s, func(tx zhengzhao.Tx) error {
			u := newUnit(460)
			u.Name = bad
			wantCode(t, tx.CreateUnit(u), zhengzhao.EINVALID)
			l := newLicense(c.types[0], c.issuers[0], "T0001", 1, c.holders[0])
			l.Holder.ID = bad // a column; in the document encoding/json escapes what it must
			wantCode(t, tx.CreateLicense(l), zhengzhao.EINVALID)
			wantCode(t, tx.AppendAudit(&zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate, Subject: bad}), zhengzhao.EINVALID)
			wantCode(t, tx.AppendAudit(&zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate, Details: map[string]string{"k": "\x00"}}), zhengzhao.EINVALID)
			return tx.AppendAudit(&zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate, Subject: "ok"})
		})
	}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		if n, err := tx.AuditSize(); err != nil || n != 2 {
			t.Errorf("audit size %d, %v; want 2 (the valid entries only)", n, err)
		}
		_, err := tx.FindUnitByCode(newUnit(460).Code)
		wantCode(t, err, zhengzhao.ENOTFOUND)
		return nil
	})
}

// testNotificationBadErrorText: a notification whose last error is not
// valid text — a webhook's error cut mid-character — is still recorded,
// in the same transaction as the other notifications of its batch, and
// reaches failed_at instead of being claimed for ever (issue 12).
func testNotificationBadErrorText(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, id := range []string{"bad", "good"} {
			if err := tx.CreateNotification(&zhengzhao.Notification{ID: id, MessageID: "m-" + id, Holder: holderA,
				Kind: zhengzhao.DeliveryIssued, License: "lic", TypeName: "证", DeliveredAt: t0, NextAttempt: t0, CreatedAt: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	var ns []*zhengzhao.Notification
	update(t, s, func(tx zhengzhao.Tx) (err error) {
		ns, err = tx.ClaimNotifications(at(time.Minute), at(3*time.Minute), 10)
		return err
	})
	if len(ns) != 2 {
		t.Fatalf("claimed %d notifications, want 2", len(ns))
	}
	prefix := strings.Repeat("对端返回错误", 27) // 486 bytes
	cut := (prefix + "：服务不可用")[:500]       // ends inside a character
	failed := at(2 * time.Minute)
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, n := range ns {
			n.Attempts = 5
			if n.ID == "bad" {
				n.FailedAt, n.LastError = &failed, cut+"\x00"
			} else {
				n.SentAt = &failed
			}
			if err := tx.UpdateNotification(n); err != nil {
				t.Errorf("UpdateNotification(%s): %v", n.ID, err)
			}
		}
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		for _, id := range []string{"bad", "good"} {
			n, err := tx.FindNotificationByID(id)
			if err != nil {
				return err
			}
			if n.Attempts != 5 || (n.FailedAt == nil) == (n.SentAt == nil) {
				t.Errorf("%s not recorded: %+v", id, n)
			}
			if id == "bad" && (!utf8.ValidString(n.LastError) || strings.ContainsRune(n.LastError, 0) || !strings.HasPrefix(n.LastError, prefix)) {
				t.Errorf("last error %q, want valid text starting with the error", n.LastError)
			}
		}
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		again, err := tx.ClaimNotifications(at(time.Hour), at(2*time.Hour), 10)
		if err == nil && len(again) != 0 {
			t.Errorf("claimed %d notifications after they were recorded, want none", len(again))
		}
		return err
	})
}

// DocumentBytes checks that a store keeps a license's document as
// sqlstore.EncodeDocument makes it, byte for byte, whichever way the
// license came in: the same bytes on every store, without HTML escaping
// (the stores once differed). raw returns the stored document text of a
// license, read with the driver's own SQL. Drivers call it from a test of
// their own.
func DocumentBytes(t *testing.T, s zhengzhao.Store, raw func(id string) (string, error)) {
	c := seedCatalog(t, s)
	a := newLicense(c.types[0], c.issuers[0], "B0001", 1, c.holders[0])
	b := newLicense(c.types[0], c.issuers[0], "B0002", 1, c.holders[0])
	createLicenses(t, s, a)
	update(t, s, func(tx zhengzhao.Tx) error { return tx.ImportLicenses([]*zhengzhao.License{b}, nil) })
	for _, l := range []*zhengzhao.License{a, b} {
		want, err := sqlstore.EncodeDocument(l)
		if err != nil {
			t.Fatal(err)
		}
		got, err := raw(l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("stored document of %s\n%s\nwant\n%s", l.ID, got, want)
		}
		if strings.Contains(got, `\u003c`) || !strings.Contains(got, "<&>") {
			t.Errorf("stored document of %s is HTML-escaped: %s", l.ID, got)
		}
	}
}
