package auditlog_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/auditlog"
	"golang.org/x/mod/sumdb/note"
)

func TestCheck(t *testing.T) {
	s, v := testKey(t)
	forger, _, err := auditlog.GenerateLogKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := note.NewSigner(forger)
	if err != nil {
		t.Fatal(err)
	}

	// The log has 300 entries integrated with a checkpoint every 25, and 7
	// entries not integrated yet.
	const n, every, tail = 300, 25, 7
	type want struct {
		index int64
		kind  string
	}
	tests := map[string]struct {
		change func(t *testing.T, m *memLog)
		want   []want // leading problems expected, in order; none means OK
	}{
		"ok": {change: func(t *testing.T, m *memLog) {}},
		"ok/empty": {change: func(t *testing.T, m *memLog) {
			*m = *newMemLog()
		}},
		"ok/checkpoint of size 0": {change: func(t *testing.T, m *memLog) {
			empty, err := auditlog.RootAt(0, m.FindTreeNodes)
			must(t, err)
			text, err := auditlog.SignCheckpoint(s, testOrigin, 0, empty)
			must(t, err)
			c := &zhengzhao.Checkpoint{Origin: testOrigin, Root: empty, Note: text}
			m.checkpoints = slices.Insert(m.checkpoints, 0, c)
		}},
		"ok/no checkpoints": {change: func(t *testing.T, m *memLog) {
			m.checkpoints = nil
		}},
		// Entries not yet integrated nor checkpointed are not protected:
		// this is why the integrator runs often.
		"ok/changed tail": {change: func(t *testing.T, m *memLog) {
			m.entries[n+2].Actor = "intruder"
		}},
		"ok/deleted tail": {change: func(t *testing.T, m *memLog) {
			m.entries = m.entries[:n]
		}},
		"changed": {
			change: func(t *testing.T, m *memLog) { m.entries[137].Actor = "intruder" },
			want:   []want{{137, auditlog.KindChanged}},
		},
		"changed/details": {
			change: func(t *testing.T, m *memLog) { m.entries[1].Details["reason"] = "other" },
			want:   []want{{1, auditlog.KindChanged}},
		},
		"changed/two": {
			change: func(t *testing.T, m *memLog) {
				m.entries[299].Action = zhengzhao.ActionLicenseRead
				m.entries[3].Subject = "x"
			},
			want: []want{{3, auditlog.KindChanged}, {299, auditlog.KindChanged}},
		},
		"changed/leaf node": {
			change: func(t *testing.T, m *memLog) { m.nodes[nodeID{0, 42}][0] ^= 1 },
			want:   []want{{42, auditlog.KindChanged}},
		},
		"deleted/middle": {
			change: func(t *testing.T, m *memLog) { m.entries = slices.Delete(m.entries, 100, 101) },
			want:   []want{{100, auditlog.KindMissing}},
		},
		"deleted/middle many": {
			change: func(t *testing.T, m *memLog) { m.entries = slices.Delete(m.entries, 10, 290) },
			want:   []want{{10, auditlog.KindMissing}},
		},
		"deleted/first": {
			change: func(t *testing.T, m *memLog) { m.entries = m.entries[1:] },
			want:   []want{{0, auditlog.KindMissing}},
		},
		"deleted/newest": {
			change: func(t *testing.T, m *memLog) { m.entries = m.entries[:n-1] },
			want:   []want{{n - 1, auditlog.KindMissing}},
		},
		// The administrator also rolls the stored tree back; the checkpoint
		// of size 300 still covers the deleted entries.
		"deleted/newest with tree": {
			change: func(t *testing.T, m *memLog) {
				m.entries = m.entries[:n-10]
				must(t, m.recompute(n-10))
			},
			want: []want{{n - 10, auditlog.KindMissing}},
		},
		"inserted": {
			change: func(t *testing.T, m *memLog) {
				e := *m.entries[50]
				e.Action = zhengzhao.ActionLicenseRevoke
				m.entries = slices.Insert(m.entries, 51, &e)
			},
			want: []want{{50, auditlog.KindInserted}},
		},
		"checkpoint/forged": {
			change: func(t *testing.T, m *memLog) {
				c := m.checkpoints[3]
				c.Note, _ = auditlog.SignCheckpoint(fs, testOrigin, c.Size, c.Root)
			},
			want: []want{{-1, auditlog.KindCheckpoint}},
		},
		"checkpoint/tampered note": {
			change: func(t *testing.T, m *memLog) {
				c := m.checkpoints[3]
				c.Note = strings.Replace(c.Note, fmt.Sprintf("\n%d\n", c.Size), "\n1\n", 1)
			},
			want: []want{{-1, auditlog.KindCheckpoint}},
		},
		"checkpoint/fields": {
			change: func(t *testing.T, m *memLog) { m.checkpoints[5].Root = m.checkpoints[4].Root },
			want:   []want{{-1, auditlog.KindCheckpoint}},
		},
		// The entry is changed and the stored tree and head recomputed, so
		// that every entry matches its stored leaf hash; only the signed
		// checkpoints remember. Entries up to the last matching checkpoint
		// (125) are proven good.
		"recomputed": {
			change: func(t *testing.T, m *memLog) {
				m.entries[137].Details = map[string]string{"reason": "forged"}
				must(t, m.recompute(n))
			},
			want: []want{{125, auditlog.KindCheckpoint}},
		},
		"recomputed/first": {
			change: func(t *testing.T, m *memLog) {
				m.entries[0].Actor = "intruder"
				must(t, m.recompute(n))
			},
			want: []want{{0, auditlog.KindCheckpoint}},
		},
		"tree/head root": {
			change: func(t *testing.T, m *memLog) { m.head.Root = m.checkpoints[0].Root },
			want:   []want{{-1, auditlog.KindTree}},
		},
		// Entries integrated but not yet checkpointed are deleted; the tree
		// head still covers them.
		"deleted/newest integrated": {
			change: func(t *testing.T, m *memLog) {
				must(t, m.integrate(nil))
				m.entries = m.entries[:n+2]
			},
			want: []want{{n + 2, auditlog.KindMissing}},
		},
		"tree/checkpoint beyond head": {
			change: func(t *testing.T, m *memLog) {
				m.head.Size = 260
				m.head.Root, _ = auditlog.RootAt(260, m.FindTreeNodes)
			},
			want: []want{{260, auditlog.KindTree}},
		},
		"tree/node": {
			change: func(t *testing.T, m *memLog) { m.nodes[nodeID{3, 5}][0] ^= 1 },
			want:   []want{{40, auditlog.KindTree}},
		},
		"tree/node missing": {
			change: func(t *testing.T, m *memLog) { delete(m.nodes, nodeID{2, 20}) },
			want:   []want{{80, auditlog.KindTree}},
		},
		"tree/leaf missing": {
			change: func(t *testing.T, m *memLog) { delete(m.nodes, nodeID{0, 33}) },
			want:   []want{{33, auditlog.KindTree}},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := buildLog(t, s, n, every, tail)
			tt.change(t, m)
			r, err := auditlog.Check(m, v)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Problems {
				t.Logf("problem: %d %s: %s", p.Index, p.Kind, p.Message)
			}
			if len(tt.want) == 0 && !r.OK() {
				t.Fatalf("got %d problems, want none", len(r.Problems))
			}
			if len(r.Problems) < len(tt.want) {
				t.Fatalf("got %d problems, want at least %d", len(r.Problems), len(tt.want))
			}
			for i, w := range tt.want {
				if p := r.Problems[i]; p.Index != w.index || p.Kind != w.kind {
					t.Errorf("problem %d: got %d %s, want %d %s", i, p.Index, p.Kind, w.index, w.kind)
				}
			}
			if len(tt.want) == 1 && len(r.Problems) > 1 {
				t.Errorf("got %d problems, want 1", len(r.Problems))
			}
			if r.TreeSize != m.head.Size {
				t.Errorf("got TreeSize %d, want %d", r.TreeSize, m.head.Size)
			}
			if want := len(m.checkpoints); r.Checkpoints != want {
				t.Errorf("got Checkpoints %d, want %d", r.Checkpoints, want)
			}
			// Batch boundaries do not matter.
			for _, batch := range []int64{1, 7, 64} {
				rb, err := auditlog.CheckBatch(m, v, batch)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(rb, r) {
					t.Errorf("batch %d: got %+v, want %+v", batch, rb, r)
				}
			}
		})
	}
}

func TestCheckCounts(t *testing.T) {
	s, v := testKey(t)
	m := buildLog(t, s, 100, 10, 3)
	r, err := auditlog.Check(m, v)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() || r.Entries != 103 || r.Checkpoints != 10 || r.TreeSize != 100 {
		t.Errorf("got %+v, want OK with 103 entries, 10 checkpoints, tree size 100", r)
	}
}

func TestCheckManyProblems(t *testing.T) {
	s, v := testKey(t)
	m := buildLog(t, s, 200, 50, 0)
	for i := 199; i >= 10; i -= 3 {
		m.entries[i].Actor = "intruder"
	}
	m.checkpoints[2].Note = "forged"
	r, err := auditlog.Check(m, v)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 20 {
		t.Fatalf("got %d problems, want 20", len(r.Problems))
	}
	if p := r.Problems[0]; p.Index != -1 || p.Kind != auditlog.KindCheckpoint {
		t.Errorf("first problem: got %d %s, want -1 checkpoint", p.Index, p.Kind)
	}
	for i, p := range r.Problems[1:] {
		if want := int64(10 + 3*i); p.Index != want || p.Kind != auditlog.KindChanged {
			t.Errorf("problem %d: got %d %s, want %d changed", i+1, p.Index, p.Kind, want)
		}
	}
}

// failing is a Source whose every method fails.
type failing struct{ *memLog }

var errBroken = fmt.Errorf("database is broken")

func (failing) FindTreeNodes([]zhengzhao.TreeNode) ([][]byte, error) { return nil, errBroken }

func TestCheckSourceError(t *testing.T) {
	s, v := testKey(t)
	m := buildLog(t, s, 10, 10, 0)
	if _, err := auditlog.Check(failing{m}, v); err == nil || !strings.Contains(err.Error(), errBroken.Error()) {
		t.Errorf("got %v, want the source's error", err)
	}
}

func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
