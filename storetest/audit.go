package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// newEntry returns an audit entry about the nth license base, by actor.
func newEntry(actor, base string, n int) *zhengzhao.AuditEntry {
	e := &zhengzhao.AuditEntry{
		Actor:       actor,
		Action:      zhengzhao.ActionLicenseRead,
		LicenseBase: base,
		Subject:     fmt.Sprintf("subject-%d", n),
	}
	if base != "" {
		e.License = base + ".001.X"
	}
	return e
}

// appendEntries appends es in one Update.
func appendEntries(t *testing.T, s zhengzhao.Store, es ...*zhengzhao.AuditEntry) {
	t.Helper()
	update(t, s, func(tx zhengzhao.Tx) error {
		for _, e := range es {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// auditEntries reads entries [start, end).
func auditEntries(t *testing.T, s zhengzhao.Store, start, end int64) []*zhengzhao.AuditEntry {
	t.Helper()
	var es []*zhengzhao.AuditEntry
	view(t, s, func(tx zhengzhao.ReadTx) error {
		var err error
		es, err = tx.AuditEntries(start, end)
		return err
	})
	return es
}

// auditSize reads the audit log's size.
func auditSize(t *testing.T, s zhengzhao.Store) int64 {
	t.Helper()
	var n int64
	view(t, s, func(tx zhengzhao.ReadTx) error {
		var err error
		n, err = tx.AuditSize()
		return err
	})
	return n
}

func indexes(es []*zhengzhao.AuditEntry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Index
	}
	return out
}

var auditTests = []test{
	{"Empty", func(t *testing.T, s zhengzhao.Store) {
		if n := auditSize(t, s); n != 0 {
			t.Errorf("AuditSize = %d, want 0", n)
		}
		if es := auditEntries(t, s, 0, 10); len(es) != 0 {
			t.Errorf("AuditEntries(0, 10) = %d entries, want 0", len(es))
		}
		view(t, s, func(tx zhengzhao.ReadTx) error {
			es, total, cursor, err := tx.FindAuditEntries(zhengzhao.AuditFilter{})
			if err != nil {
				return err
			}
			if len(es) != 0 || total != 0 || cursor != "" {
				t.Errorf("FindAuditEntries: %d entries, total %d, cursor %q; want none", len(es), total, cursor)
			}
			return nil
		})
	}},
	{"Append", func(t *testing.T, s zhengzhao.Store) {
		explicit := at(-time.Hour)
		first := []*zhengzhao.AuditEntry{
			{Actor: "admin", Action: zhengzhao.ActionUnitCreate, Subject: uscc(1)},
			{Actor: "unit:" + uscc(1), Action: zhengzhao.ActionLicenseIssue, License: "L1", LicenseBase: "B1",
				Details: map[string]string{"digest": "sha256:0f1e", "原因": "首次发证", "empty": ""}},
			{Actor: "system", Action: zhengzhao.ActionLicenseRevoke, Time: explicit, Details: map[string]string{}},
		}
		var now1 time.Time
		update(t, s, func(tx zhengzhao.Tx) error {
			now1 = tx.Now()
			for i, e := range first {
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
				if e.Index != int64(i) {
					t.Errorf("entry %d: AppendAudit set Index %d", i, e.Index)
				}
			}
			if n, err := tx.AuditSize(); err != nil || n != 3 {
				t.Errorf("AuditSize in the appending transaction = %d, %v; want 3", n, err)
			}
			return nil
		})
		for i, e := range first[:2] {
			if !e.Time.Equal(now1) {
				t.Errorf("entry %d: Time %v, want tx.Now() %v", i, e.Time, now1)
			}
		}
		if !first[2].Time.Equal(explicit) {
			t.Errorf("an explicit Time was replaced: %v, want %v", first[2].Time, explicit)
		}
		second := []*zhengzhao.AuditEntry{
			{Actor: "holder:111:310115199001011234", Action: zhengzhao.ActionLicenseRead, License: "L1", LicenseBase: "B1"},
			{Actor: "admin", Action: zhengzhao.ActionLicenseTypeCreate, Subject: "T"},
		}
		appendEntries(t, s, second...)
		if got := indexes(second); got[0] != 3 || got[1] != 4 {
			t.Errorf("second transaction's indexes %v, want [3 4]", got)
		}
		if n := auditSize(t, s); n != 5 {
			t.Errorf("AuditSize = %d, want 5", n)
		}
		want := append(first, second...)
		if d := diff(want, auditEntries(t, s, 0, 5)); d != "" {
			t.Errorf("AuditEntries(0, 5) (-want +got):\n%s", d)
		}
	}},
	{"Range", func(t *testing.T, s zhengzhao.Store) {
		var es []*zhengzhao.AuditEntry
		for i := range 10 {
			es = append(es, newEntry("admin", "", i))
		}
		appendEntries(t, s, es[:4]...)
		appendEntries(t, s, es[4:]...)
		tests := []struct {
			start, end int64
			want       []*zhengzhao.AuditEntry
		}{
			{0, 10, es},
			{3, 7, es[3:7]},
			{8, 20, es[8:]},
			{9, 10, es[9:]},
			{5, 5, nil},
			{10, 12, nil},
		}
		for _, tt := range tests {
			got := auditEntries(t, s, tt.start, tt.end)
			if d := diff(tt.want, got); d != "" {
				t.Errorf("AuditEntries(%d, %d) (-want +got):\n%s", tt.start, tt.end, d)
			}
		}
	}},
	{"Find", func(t *testing.T, s zhengzhao.Store) {
		actors := []string{"admin", "unit:" + uscc(1), "holder:111:310115199001011234"}
		bases := []string{"B1", "B2", ""}
		var es []*zhengzhao.AuditEntry
		for i := range 18 {
			es = append(es, newEntry(actors[i%3], bases[i/2%3], i))
		}
		appendEntries(t, s, es[:7]...)
		appendEntries(t, s, es[7:]...)
		match := func(actor, base string) []int64 {
			var out []int64
			for _, e := range es {
				if (actor == "" || e.Actor == actor) && (base == "" || e.LicenseBase == base) {
					out = append(out, e.Index)
				}
			}
			return out
		}
		tests := []struct {
			name string
			f    zhengzhao.AuditFilter
			want []int64
		}{
			{"all", zhengzhao.AuditFilter{}, match("", "")},
			{"base", zhengzhao.AuditFilter{LicenseBase: ptr("B1")}, match("", "B1")},
			{"actor", zhengzhao.AuditFilter{Actor: &actors[1]}, match(actors[1], "")},
			{"base+actor", zhengzhao.AuditFilter{LicenseBase: ptr("B2"), Actor: &actors[0]}, match(actors[0], "B2")},
			{"base/none", zhengzhao.AuditFilter{LicenseBase: ptr("B404")}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.name != "base/none" && len(tt.want) == 0 {
					t.Fatal("storetest: the fixture selects nothing")
				}
				view(t, s, func(tx zhengzhao.ReadTx) error {
					got, total, cursor, err := tx.FindAuditEntries(tt.f)
					if err != nil {
						return err
					}
					if d := diff(tt.want, indexes(got)); d != "" {
						t.Errorf("indexes (-want +got):\n%s", d)
					}
					if total != len(tt.want) || cursor != "" {
						t.Errorf("total %d, cursor %q; want %d, \"\"", total, cursor, len(tt.want))
					}
					return nil
				})
				for _, limit := range []int{1, 2, 5} {
					f := tt.f
					got, total := pages(t, s, limit, func(tx zhengzhao.ReadTx, p zhengzhao.Page) ([]*zhengzhao.AuditEntry, int, string, error) {
						f.Page = p
						return tx.FindAuditEntries(f)
					})
					if d := diff(tt.want, indexes(got)); d != "" || total != len(tt.want) {
						t.Errorf("limit %d: total %d (want %d), indexes (-want +got):\n%s", limit, total, len(tt.want), d)
					}
				}
			})
		}
		t.Run("entries", func(t *testing.T) {
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, _, _, err := tx.FindAuditEntries(zhengzhao.AuditFilter{})
				if err != nil {
					return err
				}
				if d := diff(es, got); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
				return nil
			})
		})
		t.Run("badCursor", func(t *testing.T) {
			var err error
			view(t, s, func(tx zhengzhao.ReadTx) error {
				_, _, _, err = tx.FindAuditEntries(zhengzhao.AuditFilter{Page: zhengzhao.Page{Cursor: "not a cursor!"}})
				return nil
			})
			wantCode(t, err, zhengzhao.EINVALID)
		})
	}},
	{"FailedUpdateUsesNoIndex", func(t *testing.T, s zhengzhao.Store) {
		appendEntries(t, s, newEntry("admin", "", 0))
		err := s.Update(t.Context(), func(tx zhengzhao.Tx) error {
			for i := range 3 {
				if err := tx.AppendAudit(newEntry("admin", "", i)); err != nil {
					return err
				}
			}
			return errRollback
		})
		if err != errRollback {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		e := newEntry("admin", "", 9)
		appendEntries(t, s, e)
		if e.Index != 1 {
			t.Errorf("index after a failed Update = %d, want 1", e.Index)
		}
		if n := auditSize(t, s); n != 2 {
			t.Errorf("AuditSize = %d, want 2", n)
		}
	}},
}

// hash returns a node hash for the tests.
func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

var treeTests = []test{
	{"UpdateAlone", func(t *testing.T, s zhengzhao.Store) {
		su, ok := s.(zhengzhao.SoloUpdater)
		if !ok {
			t.Skipf("%T has one writer at a time; SoloUpdater is optional", s)
		}
		ctx := context.Background()
		head := zhengzhao.TreeHead{Size: 1, Root: hash("leaf")}
		err := su.UpdateAlone(ctx, func(tx zhengzhao.Tx) error {
			if err := tx.SetTreeHead(head); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("UpdateAlone = %v, want fn's error", err)
		}
		view(t, s, func(tx zhengzhao.ReadTx) error {
			if got, err := tx.FindTreeHead(); err != nil || got.Size != 0 {
				t.Errorf("after a failed UpdateAlone the head is %+v, %v; want size 0", got, err)
			}
			return nil
		})
		// Beside a group-committed write that has not finished, it commits.
		started, release, written := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			written <- s.Update(ctx, func(tx zhengzhao.Tx) error {
				if err := tx.AppendAudit(newEntry("unit:x", "b1", 1)); err != nil {
					return err
				}
				close(started)
				<-release
				return nil
			})
		}()
		<-started
		done := make(chan error, 1)
		go func() {
			done <- su.UpdateAlone(ctx, func(tx zhengzhao.Tx) error {
				if _, err := tx.FindTreeHead(); err != nil {
					return err
				}
				return tx.SetTreeHead(head)
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("UpdateAlone: %v", err)
			}
		case <-time.After(patience):
			t.Fatal("UpdateAlone waited for the group commit")
		}
		close(release)
		if err := <-written; err != nil {
			t.Fatal(err)
		}
		view(t, s, func(tx zhengzhao.ReadTx) error {
			if got, err := tx.FindTreeHead(); err != nil || got.Size != 1 {
				t.Errorf("after UpdateAlone the head is %+v, %v; want size 1", got, err)
			}
			return nil
		})
	}},
	{"Nodes", func(t *testing.T, s zhengzhao.Store) {
		nodes := []zhengzhao.TreeNode{
			{Level: 0, Index: 0, Hash: hash("0/0")},
			{Level: 0, Index: 1, Hash: hash("0/1")},
			{Level: 1, Index: 0, Hash: hash("1/0")},
			{Level: 63, Index: 1 << 40, Hash: hash("63/2^40")},
		}
		update(t, s, func(tx zhengzhao.Tx) error { return tx.PutTreeNodes(nodes[:2]) })
		update(t, s, func(tx zhengzhao.Tx) error { return tx.PutTreeNodes(nodes[2:]) })
		find := func(ids ...zhengzhao.TreeNode) ([][]byte, error) {
			var got [][]byte
			var err error
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, err = tx.FindTreeNodes(ids)
				return nil
			})
			return got, err
		}
		id := func(level uint8, index int64) zhengzhao.TreeNode {
			return zhengzhao.TreeNode{Level: level, Index: index}
		}
		got, err := find(id(1, 0), id(63, 1<<40), id(0, 1), id(0, 0), id(0, 1))
		if err != nil {
			t.Fatal(err)
		}
		want := [][]byte{nodes[2].Hash, nodes[3].Hash, nodes[1].Hash, nodes[0].Hash, nodes[1].Hash}
		if d := diff(want, got); d != "" {
			t.Errorf("hashes in the order asked (-want +got):\n%s", d)
		}
		t.Run("empty", func(t *testing.T) {
			got, err := find()
			if err != nil || len(got) != 0 {
				t.Errorf("FindTreeNodes(nil) = %d hashes, %v; want none", len(got), err)
			}
		})
		t.Run("missing", func(t *testing.T) {
			_, err := find(id(0, 0), id(0, 2))
			wantCode(t, err, zhengzhao.ENOTFOUND)
			_, err = find(id(2, 0))
			wantCode(t, err, zhengzhao.ENOTFOUND)
		})
		t.Run("putAgain", func(t *testing.T) {
			update(t, s, func(tx zhengzhao.Tx) error {
				return tx.PutTreeNodes([]zhengzhao.TreeNode{nodes[0], {Level: 0, Index: 2, Hash: hash("0/2")}, nodes[1]})
			})
			got, err := find(id(0, 0), id(0, 1), id(0, 2))
			if err != nil {
				t.Fatal(err)
			}
			if d := diff([][]byte{nodes[0].Hash, nodes[1].Hash, hash("0/2")}, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
		t.Run("putOtherHash", func(t *testing.T) {
			err := s.Update(t.Context(), func(tx zhengzhao.Tx) error {
				return tx.PutTreeNodes([]zhengzhao.TreeNode{{Level: 0, Index: 0, Hash: hash("forged")}})
			})
			wantCode(t, err, zhengzhao.ECONFLICT)
			got, err := find(id(0, 0))
			if err != nil {
				t.Fatal(err)
			}
			if d := diff([][]byte{nodes[0].Hash}, got); d != "" {
				t.Errorf("a stored node changed (-want +got):\n%s", d)
			}
		})
	}},
	{"Head", func(t *testing.T, s zhengzhao.Store) {
		head := func() zhengzhao.TreeHead {
			var h zhengzhao.TreeHead
			view(t, s, func(tx zhengzhao.ReadTx) error {
				var err error
				h, err = tx.FindTreeHead()
				return err
			})
			return h
		}
		if h := head(); h.Size != 0 || h.Root != nil {
			t.Errorf("initial head %+v, want size 0 and a nil root", h)
		}
		for _, want := range []zhengzhao.TreeHead{{Size: 3, Root: hash("r3")}, {Size: 7, Root: hash("r7")}} {
			update(t, s, func(tx zhengzhao.Tx) error {
				if _, err := tx.FindTreeHead(); err != nil {
					return err
				}
				return tx.SetTreeHead(want)
			})
			if d := diff(want, head()); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		}
	}},
}

func newCheckpoint(size int64) *zhengzhao.Checkpoint {
	root := hash(fmt.Sprint("root", size))
	return &zhengzhao.Checkpoint{
		Origin: "zhengzhao.example.gov.cn/audit",
		Size:   size,
		Root:   root,
		Note:   fmt.Sprintf("zhengzhao.example.gov.cn/audit\n%d\nROOT=\n\n— zhengzhao sig\n", size),
		Time:   at(time.Duration(size) * time.Minute),
	}
}

var checkpointTests = []test{
	{"Latest", func(t *testing.T, s zhengzhao.Store) {
		var err error
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.LatestCheckpoint()
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
		cps := []*zhengzhao.Checkpoint{newCheckpoint(5), newCheckpoint(10), newCheckpoint(3)}
		for _, c := range cps {
			update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateCheckpoint(c) })
		}
		view(t, s, func(tx zhengzhao.ReadTx) error {
			got, err := tx.LatestCheckpoint()
			if err != nil {
				return err
			}
			if d := diff(cps[1], got); d != "" {
				t.Errorf("latest (-want +got):\n%s", d)
			}
			return nil
		})
	}},
	{"Find", func(t *testing.T, s zhengzhao.Store) {
		cps := map[int64]*zhengzhao.Checkpoint{}
		update(t, s, func(tx zhengzhao.Tx) error {
			for _, n := range []int64{8, 2, 5, 13} {
				cps[n] = newCheckpoint(n)
				if err := tx.CreateCheckpoint(cps[n]); err != nil {
					return err
				}
			}
			return nil
		})
		tests := []struct {
			after int64
			limit int
			want  []int64
		}{
			{0, 10, []int64{2, 5, 8, 13}},
			{2, 10, []int64{5, 8, 13}},
			{4, 2, []int64{5, 8}},
			{0, 1, []int64{2}},
			{13, 10, nil},
		}
		for _, tt := range tests {
			var want []*zhengzhao.Checkpoint
			for _, n := range tt.want {
				want = append(want, cps[n])
			}
			view(t, s, func(tx zhengzhao.ReadTx) error {
				got, err := tx.FindCheckpoints(tt.after, tt.limit)
				if err != nil {
					return err
				}
				if d := diff(want, got); d != "" {
					t.Errorf("FindCheckpoints(%d, %d) (-want +got):\n%s", tt.after, tt.limit, d)
				}
				return nil
			})
		}
	}},
	{"Conflict", func(t *testing.T, s zhengzhao.Store) {
		c := newCheckpoint(4)
		update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateCheckpoint(c) })
		again := newCheckpoint(4)
		again.Note = "another signature"
		err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return tx.CreateCheckpoint(again) })
		wantCode(t, err, zhengzhao.ECONFLICT)
	}},
}
