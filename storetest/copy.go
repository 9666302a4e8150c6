package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// copyTests pin down the stores' CopyReadTx and CopyTx: every row of each
// table once, in a stable order, by pages, whatever recipient, holder or
// state it has; counters put as they are.
var copyTests = []test{
	{"AllNotices", testAllNotices},
	{"AllInboxMessages", testAllInboxMessages},
	{"AllNotifications", testAllNotifications},
	{"AllPresentations", testAllPresentations},
	{"AllProxyAuthorizations", testAllProxyAuthorizations},
	{"AllGrants", testAllGrants},
	{"AllStatsAndPutStats", testAllStats},
	{"BadCursor", testCopyBadCursor},
}

// allPages reads every page of a FindAll… method with the given limit and
// checks the paging contract: no page over the limit, every page but the
// last full, a last cursor of "".
func allPages[T any](t *testing.T, s zhengzhao.Store, limit int, find func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]T, string, error)) []T {
	t.Helper()
	var items []T
	cursor := ""
	for n := 0; ; n++ {
		if n > 1000 {
			t.Fatalf("more than 1000 pages: the cursor does not advance")
		}
		var (
			page []T
			next string
		)
		view(t, s, func(tx zhengzhao.ReadTx) (err error) {
			page, next, err = find(tx, zhengzhao.Page{Limit: limit, Cursor: cursor})
			return err
		})
		if len(page) > limit {
			t.Fatalf("page %d: %d items, limit %d", n, len(page), limit)
		}
		items = append(items, page...)
		if next == "" {
			return items
		}
		if len(page) != limit {
			t.Fatalf("page %d: %d items and a next cursor, want %d", n, len(page), limit)
		}
		cursor = next
	}
}

func testAllNotices(t *testing.T, s zhengzhao.Store) {
	read := at(time.Hour)
	var want []*zhengzhao.Notice
	for i := range 5 {
		n := &zhengzhao.Notice{ID: fmt.Sprintf("n%d", i), Recipient: []string{"unit:a", "holder:111:x", "unit:b"}[i%3],
			Kind: zhengzhao.NoticeObjectionFiled, Objection: "obj-1", License: "l1", Message: "收到异议 <&>", CreatedAt: at(time.Duration(i) * time.Second)}
		if i == 1 {
			n.ReadAt = &read
		}
		want = append(want, n)
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, n := range want {
			if err := tx.CreateNotice(n); err != nil {
				return err
			}
		}
		return nil
	})
	for _, limit := range []int{1, 2, 5, 100} {
		got := allPages(t, s, limit, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Notice, string, error) {
			return tx.FindAllNotices(p)
		})
		if d := diff(want, got); d != "" {
			t.Errorf("limit %d: all notices in the order stored (-want +got):\n%s", limit, d)
		}
	}
}

func testAllInboxMessages(t *testing.T, s zhengzhao.Store) {
	var want []*zhengzhao.InboxMessage
	for i := range 5 {
		m := inboxMessage(i, []zhengzhao.HolderRef{holderA, holderB}[i%2])
		if i == 2 {
			r := at(time.Hour)
			m.ReadAt = &r
		}
		want = append(want, m)
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, m := range want {
			if err := tx.CreateInboxMessage(m); err != nil {
				return err
			}
		}
		return nil
	})
	got := allPages(t, s, 2, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.InboxMessage, string, error) {
		return tx.FindAllInboxMessages(p)
	})
	if d := diff(want, got); d != "" {
		t.Errorf("all messages, oldest first (-want +got):\n%s", d)
	}
}

func testAllNotifications(t *testing.T, s zhengzhao.Store) {
	var want []*zhengzhao.Notification
	for i := range 4 {
		n := &zhengzhao.Notification{ID: fmt.Sprintf("n%d", i), MessageID: fmt.Sprintf("m%d", i), Holder: holderA,
			Kind: zhengzhao.DeliveryIssued, License: "lic", TypeName: "证", DeliveredAt: t0,
			NextAttempt: at(time.Duration(i) * time.Minute), CreatedAt: at(time.Duration(i) * time.Second)}
		switch i {
		case 1:
			sent := at(time.Hour)
			n.Attempts, n.SentAt = 1, &sent
		case 2:
			failed := at(2 * time.Hour)
			n.Attempts, n.FailedAt, n.LastError = 8, &failed, "smtp: 550"
		}
		want = append(want, n)
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, n := range want {
			if err := tx.CreateNotification(n); err != nil {
				return err
			}
		}
		return nil
	})
	got := allPages(t, s, 3, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Notification, string, error) {
		return tx.FindAllNotifications(p)
	})
	if d := diff(want, got); d != "" {
		t.Errorf("all notifications in the order queued (-want +got):\n%s", d)
	}
}

func testAllPresentations(t *testing.T, s zhengzhao.Store) {
	var want []*zhengzhao.Presentation
	for i, nonce := range []string{"ff00", "0011", "a0b1", "0012"} {
		want = append(want, &zhengzhao.Presentation{Nonce: nonce, License: "lic", LicenseBase: "base", Holder: holderA,
			Fields: []zhengzhao.DisplayField{{Key: "name", Label: "姓名", Value: "张三"}}, Disclosure: []byte(`{"x":1}`),
			Purpose: zhengzhao.PurposeDisplay, Actor: "holder:111:" + holderA.ID, LicenseInline: i%2 == 0, FieldsInline: i == 1,
			CreatedAt: at(time.Duration(i) * time.Second), ExpiresAt: at(time.Minute)})
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, p := range want {
			if err := tx.CreatePresentation(p); err != nil {
				return err
			}
		}
		return nil
	})
	got := allPages(t, s, 3, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Presentation, string, error) {
		return tx.FindAllPresentations(p)
	})
	slices.SortFunc(want, func(a, b *zhengzhao.Presentation) int { return strings.Compare(a.Nonce, b.Nonce) })
	if d := diff(want, got); d != "" {
		t.Errorf("all presentations by nonce (-want +got):\n%s", d)
	}
}

func testAllProxyAuthorizations(t *testing.T, s zhengzhao.Store) {
	proxy := zhengzhao.HolderRef{IDType: zhengzhao.IDTypeResident, ID: "310104198001010012"}
	var want []*zhengzhao.ProxyAuthorization
	for i, h := range []zhengzhao.HolderRef{holderA, holderB, holderA} {
		p := &zhengzhao.ProxyAuthorization{ID: fmt.Sprintf("pa%d", i), Holder: h, HolderName: "王奶奶", Proxy: proxy, ProxyName: "王小明",
			Relation: zhengzhao.RelationFamily, Note: "表格 2026-001", CreatedAt: at(time.Duration(i) * time.Second), CreatedBy: "admin"}
		if i == 1 {
			p.ExpiresAt = ptr(at(time.Minute))
			p.RevokedAt, p.RevokedBy = ptr(at(time.Second)), "holder:111:"+h.ID
		}
		want = append(want, p)
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, p := range want {
			if err := tx.CreateProxyAuthorization(p); err != nil {
				return err
			}
		}
		return nil
	})
	got := allPages(t, s, 2, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.ProxyAuthorization, string, error) {
		return tx.FindAllProxyAuthorizations(p)
	})
	if d := diff(want, got); d != "" {
		t.Errorf("all authorizations, oldest first (-want +got):\n%s", d)
	}
}

func testAllGrants(t *testing.T, s zhengzhao.Store) {
	var want []*zhengzhao.Grant
	for i := range 3 {
		g := &zhengzhao.Grant{ID: fmt.Sprintf("g-%d", i), Scenario: "sc-1", Unit: uscc(1 + i%2), UnitName: "银行",
			Holder: []zhengzhao.HolderRef{holderA, holderB}[i%2], Purpose: "开户",
			Items:      []zhengzhao.ScenarioItem{{LicenseType: typeCode(9, 1), Fields: []string{"a", "b"}}},
			ValidUntil: at(24 * time.Hour), Status: zhengzhao.GrantRequested, CreatedAt: at(time.Duration(i) * time.Second)}
		want = append(want, g)
	}
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, g := range want {
			if err := tx.CreateGrant(g); err != nil {
				return err
			}
		}
		d := at(time.Minute)
		want[1].Status, want[1].DecidedAt, want[1].Licenses, want[1].Uses = zhengzhao.GrantApproved, &d, []string{"base-1"}, 1
		return tx.UpdateGrant(want[1])
	})
	got := allPages(t, s, 2, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.Grant, string, error) {
		return tx.FindAllGrants(p)
	})
	if d := diff(want, got); d != "" {
		t.Errorf("all grants, oldest first, in their current state (-want +got):\n%s", d)
	}
}

func testAllStats(t *testing.T, s zhengzhao.Store) {
	a, b := uscc(1), uscc(2)
	update(t, s, func(tx zhengzhao.Tx) error {
		return tx.AddStats([]zhengzhao.StatDelta{
			{Day: "2026-05-30", Unit: a, Type: "T1", Metric: zhengzhao.MetricIssued, N: 2, Sum: 3},
			{Day: "2026-06-01", Unit: a, Type: "T2", Metric: zhengzhao.MetricRevoked, N: 1},
		})
	})
	all := func(limit int) []*zhengzhao.StatCounter {
		return allPages(t, s, limit, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.StatCounter, string, error) {
			return tx.FindAllStats(p)
		})
	}
	got := all(4)
	// Each delta makes a day's, a month's and a year's counter; only the
	// yearly one keeps the type.
	want := []*zhengzhao.StatCounter{
		{Unit: a, Granularity: zhengzhao.StatDaily, Period: "2026-05-30", Metric: zhengzhao.MetricIssued, N: 2, Sum: 3},
		{Unit: a, Granularity: zhengzhao.StatDaily, Period: "2026-06-01", Metric: zhengzhao.MetricRevoked, N: 1},
		{Unit: a, Granularity: zhengzhao.StatMonthly, Period: "2026-05", Metric: zhengzhao.MetricIssued, N: 2, Sum: 3},
		{Unit: a, Granularity: zhengzhao.StatMonthly, Period: "2026-06", Metric: zhengzhao.MetricRevoked, N: 1},
		{Unit: a, Granularity: zhengzhao.StatYearly, Period: "2026", Metric: zhengzhao.MetricIssued, Type: "T1", N: 2, Sum: 3},
		{Unit: a, Granularity: zhengzhao.StatYearly, Period: "2026", Metric: zhengzhao.MetricRevoked, Type: "T2", N: 1},
	}
	key := func(c *zhengzhao.StatCounter) string {
		return strings.Join([]string{c.Unit, c.Granularity, c.Period, c.Metric, c.Type}, "\x00")
	}
	sorted := func(cs []*zhengzhao.StatCounter) []*zhengzhao.StatCounter {
		cs = slices.Clone(cs)
		slices.SortFunc(cs, func(x, y *zhengzhao.StatCounter) int { return strings.Compare(key(x), key(y)) })
		return cs
	}
	if d := diff(want, sorted(got)); d != "" {
		t.Fatalf("all counters (-want +got):\n%s", d)
	}
	if d := diff(got, all(1)); d != "" {
		t.Errorf("the order differs with another page size (-limit 4 +limit 1):\n%s", d)
	}

	// PutStats stores the counters as they are: the same counters of
	// another unit read back equal, and summing sees them.
	var put []*zhengzhao.StatCounter
	for _, c := range got {
		cc := *c
		cc.Unit = b
		put = append(put, &cc)
	}
	update(t, s, func(tx zhengzhao.Tx) error { return tx.PutStats(put) })
	var gotB []*zhengzhao.StatCounter
	for _, c := range all(5) {
		if c.Unit == b {
			gotB = append(gotB, c)
		}
	}
	if d := diff(sorted(put), sorted(gotB)); d != "" {
		t.Errorf("counters put (-want +got):\n%s", d)
	}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		sums, err := tx.SumStats(zhengzhao.StatFilter{Unit: &b, Metrics: []string{zhengzhao.MetricIssued},
			Ranges: []zhengzhao.StatRange{{Granularity: zhengzhao.StatYearly, From: "2026", To: "2026"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 1 || sums[0].N != 2 || sums[0].Sum != 3 {
			t.Errorf("sum of the put counters: %+v, want n 2 sum 3", sums)
		}
		return nil
	})

	// An existing counter is a conflict; a counter AddStats could not have
	// made is invalid. Neither changes the stored ones.
	update(t, s, func(tx zhengzhao.Tx) error {
		wantCode(t, tx.PutStats(put[:1]), zhengzhao.ECONFLICT)
		for _, bad := range []zhengzhao.StatCounter{
			{Unit: b, Granularity: "w", Period: "2026-W01", Metric: zhengzhao.MetricIssued},
			{Unit: b, Granularity: zhengzhao.StatDaily, Period: "2026-05", Metric: zhengzhao.MetricIssued},
			{Unit: b, Granularity: zhengzhao.StatDaily, Period: "2026-05-02", Metric: zhengzhao.MetricIssued, Type: "T1"},
			{Unit: b, Granularity: zhengzhao.StatYearly, Period: "2025"},
		} {
			wantCode(t, tx.PutStats([]*zhengzhao.StatCounter{&bad}), zhengzhao.EINVALID)
		}
		return nil
	})
	if got := all(100); len(got) != 2*len(want) {
		t.Errorf("%d counters after refused puts, want %d", len(got), 2*len(want))
	}
}

func testCopyBadCursor(t *testing.T, s zhengzhao.Store) {
	bad := zhengzhao.Page{Cursor: "!not-a-cursor"}
	view(t, s, func(tx zhengzhao.ReadTx) error {
		for name, find := range map[string]func() error{
			"notices":        func() error { _, _, err := tx.FindAllNotices(bad); return err },
			"inbox":          func() error { _, _, err := tx.FindAllInboxMessages(bad); return err },
			"notifications":  func() error { _, _, err := tx.FindAllNotifications(bad); return err },
			"presentations":  func() error { _, _, err := tx.FindAllPresentations(bad); return err },
			"authorizations": func() error { _, _, err := tx.FindAllProxyAuthorizations(bad); return err },
			"grants":         func() error { _, _, err := tx.FindAllGrants(bad); return err },
			"stats":          func() error { _, _, err := tx.FindAllStats(bad); return err },
		} {
			if err := find(); codeOf(err) != zhengzhao.EINVALID {
				t.Errorf("%s: a bad cursor gave %v, want %s", name, err, zhengzhao.EINVALID)
			}
		}
		return nil
	})
}
