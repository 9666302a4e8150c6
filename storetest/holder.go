package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// holderTests pin down the stores' HolderReadTx and HolderTx.
var holderTests = []test{
	{"SessionRoundTrip", testHolderSession},
	{"SessionExpiry", testHolderSessionExpiry},
	{"InboxNewestFirstPerHolder", testInbox},
	{"InboxMarkRead", testInboxMarkRead},
	{"NotificationClaimLease", testNotificationClaim},
	{"NotificationBadErrorText", testNotificationBadErrorText},
	{"DisplayKeys", testDisplayKeys},
	{"Presentation", testPresentation},
	{"ProxyAuthorizations", testProxyAuthorizations},
}

var (
	holderA = zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: "11010519491231002X"}
	holderB = zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: "310104198001010012"}
)

func testHolderSession(t *testing.T, s zhengzhao.Store) {
	want := &zhengzhao.HolderSession{Hash: []byte("hash-1"), Holder: holderA, Name: "张三", Method: zhengzhao.SignInOIDC,
		CreatedAt: t0, ExpiresAt: at(time.Hour)}
	update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateHolderSession(want) })
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.CreateHolderSession(want), zhengzhao.ECONFLICT)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindHolderSessionByHash([]byte("hash-1"))
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("session (-want +got):\n%s", d)
		}
		_, err = tx.FindHolderSessionByHash([]byte("nope"))
		wantCode(t, err, zhengzhao.ENOTFOUND)
		return nil
	})
	want.ActingFor, want.ProxyAuthorization = holderB, "pa-1"
	update(t, s, func(tx zhengzhao.Tx) error { return tx.UpdateHolderSession(want) })
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.UpdateHolderSession(&zhengzhao.HolderSession{Hash: []byte("nope")}), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindHolderSessionByHash([]byte("hash-1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.ActingFor != holderB || got.ProxyAuthorization != "pa-1" {
			t.Errorf("acting for %v under %q, want %v under pa-1", got.ActingFor, got.ProxyAuthorization, holderB)
		}
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.DeleteHolderSession([]byte("hash-1")); err != nil {
			return err
		}
		return tx.DeleteHolderSession([]byte("hash-1")) // again: no error
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		_, err := tx.FindHolderSessionByHash([]byte("hash-1"))
		wantCode(t, err, zhengzhao.ENOTFOUND)
		return nil
	})
}

func testHolderSessionExpiry(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for i, exp := range []time.Duration{-time.Hour, -time.Second, time.Hour} {
			if err := tx.CreateHolderSession(&zhengzhao.HolderSession{Hash: []byte{byte(i)}, Holder: holderA,
				Method: zhengzhao.SignInDemo, CreatedAt: at(-2 * time.Hour), ExpiresAt: at(exp)}); err != nil {
				return err
			}
		}
		n, err := tx.DeleteExpiredHolderSessions(t0)
		if err != nil {
			return err
		}
		if n != 2 {
			t.Errorf("deleted %d expired sessions, want 2", n)
		}
		_, err = tx.FindHolderSessionByHash([]byte{2})
		return err
	})
}

func inboxMessage(i int, h zhengzhao.HolderRef) *zhengzhao.InboxMessage {
	return &zhengzhao.InboxMessage{ID: fmt.Sprintf("m%03d", i), Holder: h, Kind: zhengzhao.DeliveryIssued,
		License: fmt.Sprintf("lic-%d", i), LicenseBase: "base", TypeName: "居民身份证", Issuer: zhengzhao.Party{Code: uscc(1), Name: "公安局"},
		Note: "<&>", DeliveredAt: at(time.Duration(i) * time.Second)}
}

func testInbox(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for i := range 7 {
			h := holderA
			if i%3 == 2 {
				h = holderB
			}
			if err := tx.CreateInboxMessage(inboxMessage(i, h)); err != nil {
				return err
			}
		}
		wantCode(t, tx.CreateInboxMessage(inboxMessage(0, holderA)), zhengzhao.ECONFLICT)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		var got []string
		cursor := ""
		for {
			ms, n, next, err := tx.FindInboxMessages(zhengzhao.InboxFilter{Holder: holderA, Page: zhengzhao.Page{Limit: 2, Cursor: cursor}})
			if err != nil {
				t.Fatal(err)
			}
			if n != 5 {
				t.Errorf("total %d, want 5", n)
			}
			for _, m := range ms {
				got = append(got, m.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if d := diff([]string{"m006", "m004", "m003", "m001", "m000"}, got); d != "" {
			t.Errorf("holder A's inbox, newest first (-want +got):\n%s", d)
		}
		ms, n, _, err := tx.FindInboxMessages(zhengzhao.InboxFilter{Holder: zhengzhao.HolderRef{IDType: zhengzhao.IDTypeUSCC, ID: holderB.ID}})
		if err != nil || n != 0 || len(ms) != 0 {
			t.Errorf("another ID type with the same number: %d messages, %v; want none", n, err)
		}
		m, err := tx.FindInboxMessageByID("m002")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(inboxMessage(2, holderB), m); d != "" {
			t.Errorf("message (-want +got):\n%s", d)
		}
		_, err = tx.FindInboxMessageByID("nope")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		return nil
	})
}

func testInboxMarkRead(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.CreateInboxMessage(inboxMessage(1, holderA)); err != nil {
			return err
		}
		if err := tx.CreateInboxMessage(inboxMessage(2, holderA)); err != nil {
			return err
		}
		if err := tx.MarkInboxMessageRead("m001", at(time.Minute)); err != nil {
			return err
		}
		// The first reading counts; a second one changes nothing.
		if err := tx.MarkInboxMessageRead("m001", at(time.Hour)); err != nil {
			return err
		}
		wantCode(t, tx.MarkInboxMessageRead("nope", t0), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		m, err := tx.FindInboxMessageByID("m001")
		if err != nil {
			t.Fatal(err)
		}
		if m.ReadAt == nil || !m.ReadAt.Equal(at(time.Minute)) {
			t.Errorf("read at %v, want %v", m.ReadAt, at(time.Minute))
		}
		ms, n, _, err := tx.FindInboxMessages(zhengzhao.InboxFilter{Holder: holderA, UnreadOnly: true})
		if err != nil || n != 1 || ms[0].ID != "m002" {
			t.Errorf("unread: %d messages (%v), want m002 only", n, err)
		}
		return nil
	})
}

func testNotificationClaim(t *testing.T, s zhengzhao.Store) {
	update(t, s, func(tx zhengzhao.Tx) error {
		for i := range 4 {
			n := &zhengzhao.Notification{ID: fmt.Sprintf("n%d", i), MessageID: fmt.Sprintf("m%d", i), Holder: holderA,
				Kind: zhengzhao.DeliveryIssued, License: "lic", TypeName: "证", DeliveredAt: t0,
				NextAttempt: at(time.Duration(i) * time.Minute), CreatedAt: at(time.Duration(i) * time.Second)}
			if err := tx.CreateNotification(n); err != nil {
				return err
			}
		}
		return nil
	})
	var claimed []*zhengzhao.Notification
	update(t, s, func(tx zhengzhao.Tx) (err error) {
		claimed, err = tx.ClaimNotifications(at(2*time.Minute), at(3*time.Minute), 2)
		return err
	})
	slices.SortFunc(claimed, func(a, b *zhengzhao.Notification) int { return strings.Compare(a.ID, b.ID) })
	if len(claimed) != 2 || claimed[0].ID != "n0" || claimed[1].ID != "n1" {
		t.Fatalf("claimed %v, want n0 and n1", claimed)
	}
	if !claimed[0].NextAttempt.Equal(at(3 * time.Minute)) {
		t.Errorf("leased until %v, want %v", claimed[0].NextAttempt, at(3*time.Minute))
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		// n0 and n1 are leased: only n2 is due now.
		ns, err := tx.ClaimNotifications(at(2*time.Minute), at(3*time.Minute), 10)
		if err != nil {
			return err
		}
		if len(ns) != 1 || ns[0].ID != "n2" {
			t.Errorf("second claim got %d notifications, want n2 only", len(ns))
		}
		sent := at(2 * time.Minute)
		n := claimed[0]
		n.Attempts, n.SentAt = 1, &sent
		if err := tx.UpdateNotification(n); err != nil {
			return err
		}
		failed := claimed[1]
		failed.Attempts, failed.LastError, failed.NextAttempt = 1, "503 from webhook", at(10*time.Minute)
		if err := tx.UpdateNotification(failed); err != nil {
			return err
		}
		wantCode(t, tx.UpdateNotification(&zhengzhao.Notification{ID: "nope"}), zhengzhao.ENOTFOUND)
		return nil
	})
	update(t, s, func(tx zhengzhao.Tx) error {
		ns, err := tx.ClaimNotifications(at(time.Hour), at(2*time.Hour), 10)
		if err != nil {
			return err
		}
		var ids []string
		for _, n := range ns {
			ids = append(ids, n.ID)
		}
		slices.Sort(ids)
		// n0 was sent; n1 is due again; n2's lease ended; n3 is due.
		if d := diff([]string{"n1", "n2", "n3"}, ids); d != "" {
			t.Errorf("claim after an hour (-want +got):\n%s", d)
		}
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		n, err := tx.FindNotificationByID("n1")
		if err != nil {
			t.Fatal(err)
		}
		if n.Attempts != 1 || n.LastError != "503 from webhook" || n.SentAt != nil {
			t.Errorf("n1 = %+v", n)
		}
		return nil
	})
}

func testDisplayKeys(t *testing.T, s zhengzhao.Store) {
	k1 := &zhengzhao.DisplayKey{KID: "k1", Alg: zhengzhao.AlgSM2SM3, CertPEM: "PEM1", PrivateKey: []byte{1, 2},
		NotBefore: t0, NotAfter: at(time.Hour), CreatedAt: at(time.Second)}
	k0 := &zhengzhao.DisplayKey{KID: "k0", Alg: zhengzhao.AlgEdDSA, CertPEM: "PEM0", PrivateKey: []byte{3},
		NotBefore: t0, NotAfter: at(time.Hour), CreatedAt: t0}
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.CreateDisplayKey(k1); err != nil {
			return err
		}
		if err := tx.CreateDisplayKey(k0); err != nil {
			return err
		}
		wantCode(t, tx.CreateDisplayKey(k1), zhengzhao.ECONFLICT)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		ks, err := tx.FindDisplayKeys()
		if err != nil {
			t.Fatal(err)
		}
		if d := diff([]*zhengzhao.DisplayKey{k0, k1}, ks); d != "" {
			t.Errorf("display keys, oldest first (-want +got):\n%s", d)
		}
		return nil
	})
}

func testPresentation(t *testing.T, s zhengzhao.Store) {
	p := &zhengzhao.Presentation{Nonce: "0011223344556677", License: "lic", LicenseBase: "base", Holder: holderA,
		Fields: []zhengzhao.DisplayField{{Key: "name", Label: "姓名", Value: "张三"}}, Disclosure: []byte(`{"x":1}`),
		Purpose: zhengzhao.PurposeDisplay, Actor: "holder:111:" + holderA.ID, LicenseInline: true,
		CreatedAt: t0, ExpiresAt: at(time.Minute)}
	update(t, s, func(tx zhengzhao.Tx) error {
		if err := tx.CreatePresentation(p); err != nil {
			return err
		}
		wantCode(t, tx.CreatePresentation(p), zhengzhao.ECONFLICT)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindPresentationByNonce(p.Nonce)
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(p, got); d != "" {
			t.Errorf("presentation (-want +got):\n%s", d)
		}
		_, err = tx.FindPresentationByNonce("ffff")
		wantCode(t, err, zhengzhao.ENOTFOUND)
		return nil
	})
}

func testProxyAuthorizations(t *testing.T, s zhengzhao.Store) {
	proxy := zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: "310104198001010012"}
	mk := func(id string, h zhengzhao.HolderRef, exp *time.Time) *zhengzhao.ProxyAuthorization {
		return &zhengzhao.ProxyAuthorization{ID: id, Holder: h, HolderName: "王奶奶", Proxy: proxy, ProxyName: "王小明",
			Relation: zhengzhao.RelationFamily, Note: "表格 2026-001", CreatedAt: t0, CreatedBy: "admin", ExpiresAt: exp}
	}
	other := zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: "310101195001010014"}
	pas := []*zhengzhao.ProxyAuthorization{
		mk("pa1", holderA, nil),
		mk("pa2", holderA, ptr(at(time.Minute))),
		mk("pa3", other, nil),
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, p := range pas {
			if err := tx.CreateProxyAuthorization(p); err != nil {
				return err
			}
		}
		wantCode(t, tx.CreateProxyAuthorization(pas[0]), zhengzhao.ECONFLICT)
		revoked := at(time.Second)
		pas[2].RevokedAt, pas[2].RevokedBy = &revoked, "holder:111:"+other.ID
		if err := tx.UpdateProxyAuthorization(pas[2]); err != nil {
			return err
		}
		wantCode(t, tx.UpdateProxyAuthorization(&zhengzhao.ProxyAuthorization{ID: "nope"}), zhengzhao.ENOTFOUND)
		return nil
	})
	view(t, s, func(tx zhengzhao.ReadTx) error {
		got, err := tx.FindProxyAuthorizationByID("pa3")
		if err != nil {
			t.Fatal(err)
		}
		if d := diff(pas[2], got); d != "" {
			t.Errorf("revoked authorization (-want +got):\n%s", d)
		}
		cases := []struct {
			name string
			f    zhengzhao.ProxyFilter
			want []string
		}{
			{"all", zhengzhao.ProxyFilter{}, []string{"pa1", "pa2", "pa3"}},
			{"holder", zhengzhao.ProxyFilter{Holder: holderA}, []string{"pa1", "pa2"}},
			{"proxy", zhengzhao.ProxyFilter{Proxy: proxy}, []string{"pa1", "pa2", "pa3"}},
			{"active now", zhengzhao.ProxyFilter{Proxy: proxy, ActiveAt: ptr(t0)}, []string{"pa1", "pa2"}},
			{"active later", zhengzhao.ProxyFilter{Proxy: proxy, ActiveAt: ptr(at(time.Hour))}, []string{"pa1"}},
		}
		for _, c := range cases {
			ps, err := tx.FindProxyAuthorizations(c.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			if d := diff(c.want, ids); d != "" {
				t.Errorf("%s (-want +got):\n%s", c.name, d)
			}
		}
		return nil
	})
}
