package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// errRollback is returned by transaction functions that must leave no
// trace.
var errRollback = errors.New("storetest: roll back")

// patience bounds how long the suite waits for something that should
// happen at once.
const patience = 10 * time.Second

// settle is how long the suite lets goroutines reach a store call before
// it goes on (they queue behind a blocked Update).
const settle = 100 * time.Millisecond

// everything is one object of every kind, all referring to each other.
type everything struct {
	unit       *zhengzhao.Unit
	key        *zhengzhao.UnitKey
	signingKey *zhengzhao.SigningKey
	typ        *zhengzhao.LicenseType
	license    *zhengzhao.License
	record     *zhengzhao.IdempotencyRecord
	entry      *zhengzhao.AuditEntry
	node       zhengzhao.TreeNode
	head       zhengzhao.TreeHead
	checkpoint *zhengzhao.Checkpoint
}

func newEverything(n int) everything {
	u := newUnit(n)
	typ := newLicenseType(typeCode(n, 1), u.Code)
	l := newLicense(typ.Code, u.Code, "E1", 1, uscc(n+1))
	return everything{
		unit:       u,
		key:        &zhengzhao.UnitKey{ID: fmt.Sprint("key-", n), Unit: u.Code, Hash: hash(fmt.Sprint("key", n)), CreatedAt: t0},
		signingKey: newSigningKey(fmt.Sprint("kid-", n), u.Code, t0, true),
		typ:        typ,
		license:    l,
		record:     &zhengzhao.IdempotencyRecord{Unit: u.Code, Key: "k", RequestHash: hash("body"), LicenseID: l.ID, CreatedAt: t0},
		entry:      newEntry("unit:"+u.Code, l.Base(), n),
		node:       zhengzhao.TreeNode{Level: 0, Index: 0, Hash: hash("leaf")},
		head:       zhengzhao.TreeHead{Size: 1, Root: hash("leaf")},
		checkpoint: newCheckpoint(1),
	}
}

// create stores every object in tx.
func (e everything) create(tx zhengzhao.Tx) error {
	steps := []func() error{
		func() error { return tx.CreateUnit(e.unit) },
		func() error { return tx.CreateUnitKey(e.key) },
		func() error { return tx.CreateSigningKey(e.signingKey) },
		func() error { return tx.CreateLicenseType(e.typ) },
		func() error { return tx.CreateLicense(e.license) },
		func() error { return tx.CreateIdempotencyRecord(e.record) },
		func() error { return tx.AppendAudit(e.entry) },
		func() error { return tx.PutTreeNodes([]zhengzhao.TreeNode{e.node}) },
		func() error { return tx.SetTreeHead(e.head) },
		func() error { return tx.CreateCheckpoint(e.checkpoint) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

// absent checks that none of e's objects is visible.
func (e everything) absent(t *testing.T, s zhengzhao.Store) {
	t.Helper()
	var errs []error
	var size int64
	var head zhengzhao.TreeHead
	var licenses, entries int
	view(t, s, func(tx zhengzhao.ReadTx) error {
		var err error
		_, err = tx.FindUnitByCode(e.unit.Code)
		errs = append(errs, err)
		_, err = tx.FindUnitKeyByHash(e.key.Hash)
		errs = append(errs, err)
		_, err = tx.FindSigningKeyByKID(e.signingKey.KID)
		errs = append(errs, err)
		_, err = tx.FindLicenseTypeByCode(e.typ.Code)
		errs = append(errs, err)
		_, err = tx.FindLicenseByID(e.license.ID)
		errs = append(errs, err)
		_, err = tx.FindIdempotencyRecord(e.record.Unit, e.record.Key)
		errs = append(errs, err)
		_, err = tx.FindTreeNodes([]zhengzhao.TreeNode{e.node})
		errs = append(errs, err)
		_, err = tx.LatestCheckpoint()
		errs = append(errs, err)
		if size, err = tx.AuditSize(); err != nil {
			return err
		}
		if head, err = tx.FindTreeHead(); err != nil {
			return err
		}
		if _, licenses, _, err = tx.FindLicenses(zhengzhao.LicenseFilter{}); err != nil {
			return err
		}
		_, entries, _, err = tx.FindAuditEntries(zhengzhao.AuditFilter{})
		return err
	})
	for i, err := range errs {
		if zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
			t.Errorf("object %d of a rolled-back Update: got %v, want not found", i, err)
		}
	}
	if size != 0 || entries != 0 {
		t.Errorf("audit log after a rolled-back Update: size %d, %d entries; want empty", size, entries)
	}
	if head.Size != 0 || head.Root != nil {
		t.Errorf("tree head after a rolled-back Update: %+v, want zero", head)
	}
	if licenses != 0 {
		t.Errorf("%d licenses after a rolled-back Update, want 0", licenses)
	}
}

var txTests = []test{
	{"RollbackLeavesNoTrace", func(t *testing.T, s zhengzhao.Store) {
		e := newEverything(1)
		err := s.Update(t.Context(), func(tx zhengzhao.Tx) error {
			if err := e.create(tx); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("Update returned %v, want fn's error %v", err, errRollback)
		}
		e.absent(t, s)
		// Nothing was left behind that makes the same objects clash.
		e = newEverything(1)
		update(t, s, e.create)
		if e.entry.Index != 0 {
			t.Errorf("first committed audit entry has index %d, want 0", e.entry.Index)
		}
	}},
	{"FnErrorReturnedAsIs", func(t *testing.T, s zhengzhao.Store) {
		want := zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "not your license")
		err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return want })
		if !errors.Is(err, want) || zhengzhao.ErrorCode(err) != zhengzhao.EFORBIDDEN {
			t.Errorf("Update returned %v, want %v", err, want)
		}
		err = s.View(t.Context(), func(tx zhengzhao.ReadTx) error { return want })
		if !errors.Is(err, want) {
			t.Errorf("View returned %v, want %v", err, want)
		}
	}},
	{"StoreErrorRollsBackFn", func(t *testing.T, s zhengzhao.Store) {
		u := newUnit(1)
		e := newEntry("admin", "", 0)
		err := s.Update(t.Context(), func(tx zhengzhao.Tx) error {
			if err := tx.AppendAudit(e); err != nil {
				return err
			}
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			return tx.CreateUnit(u)
		})
		wantCode(t, err, zhengzhao.ECONFLICT)
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindUnitByCode(u.Code)
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
		if n := auditSize(t, s); n != 0 {
			t.Errorf("AuditSize = %d, want 0", n)
		}
	}},
	{"UsableAfterMethodError", func(t *testing.T, s zhengzhao.Store) {
		// A Tx method that fails does not spoil the transaction: fn may
		// handle the error and go on (PostgreSQL aborts a transaction on
		// a failed statement unless the store prevents it).
		a, b := newUnit(1), newUnit(2)
		update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateUnit(a) })
		update(t, s, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(a); zhengzhao.ErrorCode(err) != zhengzhao.ECONFLICT {
				t.Errorf("CreateUnit of an existing unit: %v, want conflict", err)
			}
			if _, err := tx.FindUnitByCode(uscc(404)); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
				t.Errorf("FindUnitByCode of a missing unit: %v, want not found", err)
			}
			if err := tx.CreateUnit(b); err != nil {
				return err
			}
			return tx.AppendAudit(newEntry("admin", "", 0))
		})
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err := tx.FindUnitByCode(b.Code)
			return err
		})
		if n := auditSize(t, s); n != 1 {
			t.Errorf("AuditSize = %d, want 1", n)
		}
	}},
	{"Now", func(t *testing.T, s zhengzhao.Store) {
		check := func(what string, now func() time.Time) time.Time {
			first := now()
			time.Sleep(2 * time.Millisecond)
			if second := now(); !second.Equal(first) {
				t.Errorf("%s: Now changed within the transaction: %v, then %v", what, first, second)
			}
			if first.Location() != time.UTC {
				t.Errorf("%s: Now is in %v, want UTC", what, first.Location())
			}
			if first.Nanosecond()%1000 != 0 {
				t.Errorf("%s: Now %v has sub-microsecond digits", what, first)
			}
			if first.IsZero() {
				t.Errorf("%s: Now is zero", what)
			}
			return first
		}
		var u, v time.Time
		update(t, s, func(tx zhengzhao.Tx) error { u = check("Update", tx.Now); return nil })
		view(t, s, func(tx zhengzhao.ReadTx) error { v = check("View", tx.Now); return nil })
		var u2 time.Time
		update(t, s, func(tx zhengzhao.Tx) error { u2 = check("Update", tx.Now); return nil })
		if v.Before(u) || u2.Before(v) {
			t.Errorf("Now went back between transactions: %v, %v, %v", u, v, u2)
		}
	}},
	{"ViewSeesCommitted", func(t *testing.T, s zhengzhao.Store) {
		for i := range 5 {
			u := newUnit(i)
			update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateUnit(u) })
			view(t, s, func(tx zhengzhao.ReadTx) error {
				_, err := tx.FindUnitByCode(u.Code)
				return err
			})
		}
	}},
	{"ViewDoesNotWaitForUpdate", func(t *testing.T, s zhengzhao.Store) {
		// A View runs while an Update is in progress and does not see
		// its uncommitted changes.
		u := newUnit(1)
		written := make(chan struct{})
		release := make(chan struct{})
		res := make(chan error, 1)
		go func() {
			res <- s.Update(context.Background(), func(tx zhengzhao.Tx) error {
				if err := tx.CreateUnit(u); err != nil {
					return err
				}
				if err := tx.AppendAudit(newEntry("admin", "", 0)); err != nil {
					return err
				}
				close(written)
				<-release
				return nil
			})
		}()
		defer func() {
			close(release)
			if err := <-res; err != nil {
				t.Errorf("blocked Update: %v", err)
			}
		}()
		select {
		case <-written:
		case err := <-res:
			t.Fatalf("Update returned early: %v", err)
		}
		viewed := make(chan error, 1)
		go func() {
			viewed <- s.View(context.Background(), func(tx zhengzhao.ReadTx) error {
				if _, err := tx.FindUnitByCode(u.Code); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
					return fmt.Errorf("uncommitted unit: got %v, want not found", err)
				}
				if n, err := tx.AuditSize(); err != nil || n != 0 {
					return fmt.Errorf("uncommitted audit entry: size %d, %v; want 0", n, err)
				}
				return nil
			})
		}()
		select {
		case err := <-viewed:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(patience):
			t.Fatal("View waited for an Update in progress")
		}
	}},
	{"ViewSnapshot", func(t *testing.T, s zhengzhao.Store) {
		appendEntries(t, s, newEntry("admin", "", 0))
		updated := make(chan error, 1)
		waited := false
		err := s.View(t.Context(), func(tx zhengzhao.ReadTx) error {
			before, err := tx.AuditSize()
			if err != nil {
				return err
			}
			// Another writer commits while this View is open.
			go func() {
				updated <- s.Update(context.Background(), func(tx zhengzhao.Tx) error {
					if err := tx.CreateUnit(newUnit(1)); err != nil {
						return err
					}
					return tx.AppendAudit(newEntry("admin", "", 1))
				})
			}()
			select {
			case err := <-updated:
				if err != nil {
					return fmt.Errorf("concurrent Update: %w", err)
				}
				waited = true
			case <-time.After(patience):
				return errors.New("an Update waits for an open View")
			}
			after, err := tx.AuditSize()
			if err != nil {
				return err
			}
			if after != before {
				t.Errorf("AuditSize changed within one View: %d, then %d", before, after)
			}
			if es, err := tx.AuditEntries(0, 10); err != nil || int64(len(es)) != before {
				t.Errorf("AuditEntries within the View: %d entries, %v; want %d", len(es), err, before)
			}
			if _, err := tx.FindUnitByCode(newUnit(1).Code); zhengzhao.ErrorCode(err) != zhengzhao.ENOTFOUND {
				t.Errorf("a unit committed after the View began is visible: %v", err)
			}
			return nil
		})
		if !waited {
			// The Update may finish once the View has ended.
			if err := <-updated; err != nil {
				t.Errorf("concurrent Update: %v", err)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := auditSize(t, s); n != 2 {
			t.Errorf("AuditSize after the View = %d, want 2", n)
		}
	}},
}

var groupCommitTests = []test{
	{"ConcurrentUpdates", func(t *testing.T, s zhengzhao.Store) {
		// Every fifth Update fails after writing; the others must commit
		// with audit indexes 0..39 and no gaps.
		const n = 50
		errBad := errors.New("storetest: bad call")
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, n)
		seen := make([]int64, n) // the index each fn saw AppendAudit assign
		units := make([]*zhengzhao.Unit, n)
		for i := range n {
			units[i] = newUnit(i)
			wg.Go(func() {
				<-start
				errs[i] = s.Update(context.Background(), func(tx zhengzhao.Tx) error {
					if err := tx.CreateUnit(units[i]); err != nil {
						return err
					}
					e := &zhengzhao.AuditEntry{Actor: "admin", Action: zhengzhao.ActionUnitCreate, Subject: units[i].Code}
					if err := tx.AppendAudit(e); err != nil {
						return err
					}
					seen[i] = e.Index
					if i%5 == 0 {
						return errBad
					}
					return nil
				})
			})
		}
		close(start)
		wait(t, &wg, "concurrent Update calls")
		var subjects []string
		for i, err := range errs {
			if i%5 == 0 {
				if !errors.Is(err, errBad) {
					t.Errorf("call %d: got %v, want its fn's error", i, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			}
			subjects = append(subjects, units[i].Code)
		}
		if t.Failed() {
			return
		}
		var entries []*zhengzhao.AuditEntry
		var found []string
		view(t, s, func(tx zhengzhao.ReadTx) error {
			size, err := tx.AuditSize()
			if err != nil {
				return err
			}
			if size != n-n/5 {
				t.Errorf("AuditSize = %d, want %d", size, n-n/5)
			}
			if entries, err = tx.AuditEntries(0, n); err != nil {
				return err
			}
			us, _, _, err := tx.FindUnits(zhengzhao.UnitFilter{})
			for _, u := range us {
				found = append(found, u.Code)
			}
			return err
		})
		var got []string
		for i, e := range entries {
			if e.Index != int64(i) {
				t.Errorf("entry %d has index %d", i, e.Index)
			}
			got = append(got, e.Subject)
		}
		slices.Sort(got)
		slices.Sort(found)
		slices.Sort(subjects)
		if d := diff(subjects, got); d != "" {
			t.Errorf("audit entries are those of the good calls, once each (-want +got):\n%s", d)
		}
		if d := diff(subjects, found); d != "" {
			t.Errorf("units are those of the good calls (-want +got):\n%s", d)
		}
		for i := range n {
			if i%5 == 0 || seen[i] >= int64(len(entries)) {
				continue
			}
			if e := entries[seen[i]]; e.Subject != units[i].Code {
				t.Errorf("call %d saw index %d, which holds %s's entry", i, seen[i], e.Subject)
			}
		}
	}},
	{"PanicDoesNotPoisonOthers", func(t *testing.T, s zhengzhao.Store) {
		// Calls queue behind a blocked Update so that they commit
		// together; one of them panics.
		release, blocked := blockUpdates(t, s)
		type boom struct{ msg string }
		panicValue := &boom{"storetest: boom"}
		const n = 9
		const panicker = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		recovered := make([]any, n)
		units := make([]*zhengzhao.Unit, n)
		for i := range n {
			units[i] = newUnit(10 + i)
			wg.Go(func() {
				defer func() { recovered[i] = recover() }()
				errs[i] = s.Update(context.Background(), func(tx zhengzhao.Tx) error {
					if err := tx.CreateUnit(units[i]); err != nil {
						return err
					}
					if err := tx.AppendAudit(newEntry("admin", "", i)); err != nil {
						return err
					}
					if i == panicker {
						panic(panicValue)
					}
					return nil
				})
			})
			if i == panicker-1 || i == panicker {
				time.Sleep(settle) // the panicker comes in the middle
			}
		}
		time.Sleep(settle)
		if err := release(); err != nil {
			t.Fatalf("blocking Update: %v", err)
		}
		wait(t, &wg, "Update calls committed with a panicking one")
		for i := range n {
			switch {
			case i == panicker && recovered[i] != panicValue:
				t.Errorf("the panicking call's caller recovered %v, want the panic value %v", recovered[i], panicValue)
			case i != panicker && (recovered[i] != nil || errs[i] != nil):
				t.Errorf("call %d: error %v, panic %v; want neither", i, errs[i], recovered[i])
			}
		}
		var present []bool
		view(t, s, func(tx zhengzhao.ReadTx) error {
			for _, u := range units {
				_, err := tx.FindUnitByCode(u.Code)
				present = append(present, err == nil)
			}
			return nil
		})
		for i, ok := range present {
			if ok != (i != panicker) {
				t.Errorf("unit of call %d stored: %v", i, ok)
			}
		}
		es := auditEntries(t, s, 0, 100)
		if len(es) != n-1+len(blocked) {
			t.Errorf("%d audit entries, want %d", len(es), n-1+len(blocked))
		}
		for i, e := range es {
			if e.Index != int64(i) {
				t.Errorf("entry %d has index %d", i, e.Index)
			}
		}
	}},
	{"CancelledBeforeUpdate", func(t *testing.T, s zhengzhao.Store) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		u := newUnit(1)
		err := s.Update(ctx, func(tx zhengzhao.Tx) error { return tx.CreateUnit(u) })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want %v", err, context.Canceled)
		}
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindUnitByCode(u.Code)
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
	}},
	{"CancelledBeforeCommit", func(t *testing.T, s zhengzhao.Store) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		u := newUnit(1)
		err := s.Update(ctx, func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			if err := tx.AppendAudit(newEntry("admin", "", 0)); err != nil {
				return err
			}
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want %v", err, context.Canceled)
		}
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindUnitByCode(u.Code)
			return nil
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
		if n := auditSize(t, s); n != 0 {
			t.Errorf("AuditSize = %d, want 0", n)
		}
	}},
	{"CancelledWhileWaiting", func(t *testing.T, s zhengzhao.Store) {
		// An Update waiting behind another returns when its context
		// ends, without waiting for the other, and commits nothing.
		release, blocked := blockUpdates(t, s)
		ctx, cancel := context.WithCancel(t.Context())
		gate := make(chan struct{})
		u := newUnit(1)
		res := make(chan error, 1)
		go func() {
			res <- s.Update(ctx, func(tx zhengzhao.Tx) error {
				if err := tx.CreateUnit(u); err != nil {
					return err
				}
				<-gate // a store that runs this at once must not commit it before the cancel
				return nil
			})
		}()
		time.Sleep(settle)
		cancel()
		close(gate)
		select {
		case err := <-res:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want %v", err, context.Canceled)
			}
		case <-time.After(patience):
			t.Error("Update did not return when its context was cancelled")
		}
		if err := release(); err != nil {
			t.Fatalf("blocking Update: %v", err)
		}
		var err error
		view(t, s, func(tx zhengzhao.ReadTx) error {
			_, err = tx.FindUnitByCode(u.Code)
			_, err2 := tx.FindUnitByCode(blocked[0].Code)
			return err2 // the blocking Update committed
		})
		wantCode(t, err, zhengzhao.ENOTFOUND)
	}},
}

// wait waits for wg, failing the test if that takes longer than patience
// (a call that never returns would otherwise hang the suite).
func wait(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(patience):
		t.Fatalf("%s did not return within %v", what, patience)
	}
}

// blockUpdates starts an Update whose fn waits until release is called, so
// that later Updates queue behind it. It returns once the fn runs.
func blockUpdates(t *testing.T, s zhengzhao.Store) (release func() error, units []*zhengzhao.Unit) {
	t.Helper()
	u := newUnit(999)
	entered := make(chan struct{})
	unblock := make(chan struct{})
	res := make(chan error, 1)
	go func() {
		res <- s.Update(context.Background(), func(tx zhengzhao.Tx) error {
			if err := tx.CreateUnit(u); err != nil {
				return err
			}
			if err := tx.AppendAudit(newEntry("admin", "", 999)); err != nil {
				return err
			}
			close(entered)
			<-unblock
			return nil
		})
	}()
	select {
	case <-entered:
	case err := <-res:
		t.Fatalf("blocking Update returned early: %v", err)
	}
	var once sync.Once
	var err error
	release = func() error {
		once.Do(func() { close(unblock); err = <-res })
		return err
	}
	t.Cleanup(func() { release() })
	return release, []*zhengzhao.Unit{u}
}

var storeTests = []test{
	{"Ping", func(t *testing.T, s zhengzhao.Store) {
		p, ok := s.(zhengzhao.Pinger)
		if !ok {
			t.Skip("the store does not implement zhengzhao.Pinger")
		}
		if err := p.Ping(t.Context()); err != nil {
			t.Errorf("Ping: %v", err)
		}
	}},
	{"ReadersAndWriters", func(t *testing.T, s zhengzhao.Store) {
		// Readers always see a gapless audit log that only grows.
		const writers, perWriter, readers = 4, 15, 3
		done := make(chan struct{})
		var wg, rg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range perWriter {
					err := s.Update(context.Background(), func(tx zhengzhao.Tx) error {
						return tx.AppendAudit(newEntry(fmt.Sprint("writer-", w), "", i))
					})
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		for r := range readers {
			rg.Go(func() {
				var last int64
				for {
					select {
					case <-done:
						return
					default:
					}
					err := s.View(context.Background(), func(tx zhengzhao.ReadTx) error {
						size, err := tx.AuditSize()
						if err != nil {
							return err
						}
						if size < last {
							return fmt.Errorf("AuditSize went from %d to %d", last, size)
						}
						last = size
						es, err := tx.AuditEntries(0, size)
						if err != nil {
							return err
						}
						if int64(len(es)) != size {
							return fmt.Errorf("AuditSize %d, but %d entries", size, len(es))
						}
						for i, e := range es {
							if e.Index != int64(i) {
								return fmt.Errorf("entry %d has index %d", i, e.Index)
							}
						}
						return nil
					})
					if err != nil {
						t.Errorf("reader %d: %v", r, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(done)
		rg.Wait()
		if n := auditSize(t, s); n != writers*perWriter {
			t.Errorf("AuditSize = %d, want %d", n, writers*perWriter)
		}
	}},
	{"Close", func(t *testing.T, s zhengzhao.Store) {
		update(t, s, func(tx zhengzhao.Tx) error { return tx.CreateUnit(newUnit(1)) })
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := s.Update(t.Context(), func(tx zhengzhao.Tx) error { return nil }); err == nil {
			t.Error("Update after Close succeeded")
		}
		if err := s.View(t.Context(), func(tx zhengzhao.ReadTx) error { return nil }); err == nil {
			t.Error("View after Close succeeded")
		}
		s.Close() // a second Close must not panic or hang
	}},
}
