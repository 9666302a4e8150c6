package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zhengzhao-project/zhengzhao"
)

func TestGetCheckpoint(t *testing.T) {
	t.Run("ok/json", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.LatestCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) { return newCheckpoint(), nil }
		var got zhengzhao.Checkpoint
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/audit/checkpoint"}), http.StatusOK, &got)
		if diff := cmp.Diff(*newCheckpoint(), got); diff != "" {
			t.Fatalf("checkpoint (-want +got):\n%s", diff)
		}
	})
	t.Run("ok/note", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.LatestCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) { return newCheckpoint(), nil }
		rec := s.Do(t, request{method: "GET", path: "/v1/audit/checkpoint", header: http.Header{"Accept": {"text/plain"}}})
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" || rec.Body.String() != newCheckpoint().Note {
			t.Fatalf("got %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	})
	t.Run("fail/none-yet", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.LatestCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no checkpoint signed yet")
		}
		// Errors are problem documents even when the note was asked for.
		rec := s.Do(t, request{method: "GET", path: "/v1/audit/checkpoint", header: http.Header{"Accept": {"text/plain"}}})
		mustProblem(t, rec, http.StatusNotFound, zhengzhao.ENOTFOUND)
	})
}

func TestSignCheckpoint(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.SignCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) {
			mustActor(t, ctx, zhengzhao.ActorAdmin, "")
			return newCheckpoint(), nil
		}
		var got zhengzhao.Checkpoint
		mustJSON(t, s.Do(t, request{method: "POST", path: "/v1/audit/checkpoint", token: adminToken}), http.StatusOK, &got)
		if got.Size != 42 {
			t.Fatalf("checkpoint: got %+v", got)
		}
	})
	t.Run("fail/unit", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.SignCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) {
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator signs checkpoints")
		}
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/audit/checkpoint", token: issuerToken}), http.StatusForbidden, zhengzhao.EFORBIDDEN)
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/audit/checkpoint"}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}

func TestAuditEntries(t *testing.T) {
	t.Run("ok/license", func(t *testing.T) {
		s := MustOpenServer(t)
		id, _ := zhengzhao.ParseLicenseID(licenseID(2))
		s.Audit.FindAuditEntriesFn = func(ctx context.Context, f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
			mustActor(t, ctx, zhengzhao.ActorAdmin, "")
			want := zhengzhao.AuditFilter{LicenseBase: ptr(id.Base()), Actor: ptr("unit:" + issuerUnit.Code), Page: zhengzhao.Page{Limit: 20, Cursor: "c"}}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Fatalf("filter (-want +got):\n%s", diff)
			}
			return []*zhengzhao.AuditEntry{
				{Index: 7, Time: signedAt, Actor: "unit:" + issuerUnit.Code, Action: zhengzhao.ActionLicenseIssue, License: licenseID(1), LicenseBase: id.Base(),
					Details: map[string]string{"digest": "abc"}},
			}, 1, "", nil
		}
		path := "/v1/audit/entries?license=" + licenseID(2) + "&actor=unit:" + issuerUnit.Code + "&limit=20&cursor=c"
		var got struct {
			Items []zhengzhao.AuditEntry `json:"items"`
			Total int                    `json:"total"`
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: path, token: adminToken}), http.StatusOK, &got)
		if len(got.Items) != 1 || got.Items[0].Index != 7 || got.Total != 1 {
			t.Fatalf("entries: got %+v", got)
		}
	})
	t.Run("ok/all", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.FindAuditEntriesFn = func(ctx context.Context, f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
			if f.LicenseBase != nil || f.Limit != 100 {
				t.Fatalf("filter: got %+v", f)
			}
			return nil, 0, "", nil
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/audit/entries", token: adminToken}), http.StatusOK, nil)
	})
	for name, q := range map[string]string{
		"malformed":   "license=1.2.3",
		"check-char":  "license=" + licenseID(1)[:len(licenseID(1))-1] + "0",
		"empty":       "license=",
		"limit-large": "license=" + licenseID(1) + "&limit=100000",
	} {
		t.Run("fail/"+name, func(t *testing.T) {
			s := MustOpenServer(t)
			field := "license"
			if name == "limit-large" {
				field = "limit"
			}
			mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/audit/entries?" + q, token: adminToken}), field)
		})
	}
	t.Run("fail/unit-forbidden", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.FindAuditEntriesFn = func(ctx context.Context, f zhengzhao.AuditFilter) ([]*zhengzhao.AuditEntry, int, string, error) {
			return nil, 0, "", zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator reads the audit log")
		}
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/audit/entries", token: issuerToken}), http.StatusForbidden, zhengzhao.EFORBIDDEN)
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/audit/entries"}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}

func TestInclusionProof(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.InclusionProofFn = func(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error) {
			if index != 3 || size != 42 {
				t.Fatalf("proof of %d in %d", index, size)
			}
			return &zhengzhao.InclusionProof{Index: 3, Size: 42, LeafHash: []byte{1}, Hashes: [][]byte{{2}, {3}}, Root: []byte{4}}, nil
		}
		var got map[string]any
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/audit/proof?index=3&size=42"}), http.StatusOK, &got)
		want := map[string]any{"index": 3.0, "size": 42.0, "leaf_hash": "AQ==", "hashes": []any{"Ag==", "Aw=="}, "root_hash": "BA=="}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("proof (-want +got):\n%s", diff)
		}
	})
	t.Run("ok/single-leaf", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.InclusionProofFn = func(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error) {
			return &zhengzhao.InclusionProof{Index: 0, Size: 1, LeafHash: []byte{1}, Root: []byte{1}}, nil
		}
		rec := s.Do(t, request{method: "GET", path: "/v1/audit/proof?index=0&size=1"})
		var got map[string]any
		mustJSON(t, rec, http.StatusOK, &got)
		if h, ok := got["hashes"].([]any); !ok || len(h) != 0 {
			t.Fatalf("hashes must be [], got %v", got["hashes"])
		}
	})
	for name, tc := range map[string]struct{ query, fields string }{
		"missing-both": {"", "index"},
		"negative":     {"index=-1&size=2", "index"},
		"text":         {"index=1&size=two", "size"},
		"overflow":     {"index=1&size=99999999999999999999", "size"},
		"float":        {"index=1.5&size=2", "index"},
	} {
		t.Run("fail/"+name, func(t *testing.T) {
			s := MustOpenServer(t)
			rec := s.Do(t, request{method: "GET", path: "/v1/audit/proof?" + tc.query})
			mustInvalid(t, rec, splitFields(tc.fields)...)
		})
	}
	// Without size the proof is against the latest signed checkpoint.
	t.Run("ok/default-size", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.LatestCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) {
			return &zhengzhao.Checkpoint{Size: 42}, nil
		}
		s.Audit.InclusionProofFn = func(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error) {
			if index != 3 || size != 42 {
				t.Fatalf("proof of %d in %d, want 3 in 42", index, size)
			}
			return &zhengzhao.InclusionProof{Index: 3, Size: 42, LeafHash: []byte{1}, Root: []byte{4}}, nil
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/audit/proof?index=3"}), http.StatusOK, nil)
		rec := s.Do(t, request{method: "GET", path: "/v1/audit/proof?index=42"})
		mustInvalid(t, rec, "index")
		if !strings.Contains(rec.Body.String(), "next checkpoint") {
			t.Fatalf("the error does not say to wait for the next checkpoint: %s", rec.Body)
		}
	})
	t.Run("fail/default-size-no-checkpoint", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.LatestCheckpointFn = func(ctx context.Context) (*zhengzhao.Checkpoint, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no checkpoint yet")
		}
		rec := s.Do(t, request{method: "GET", path: "/v1/audit/proof?index=0"})
		mustProblem(t, rec, http.StatusNotFound, zhengzhao.ENOTFOUND)
		if !strings.Contains(rec.Body.String(), "POST /v1/audit/checkpoint") {
			t.Fatalf("the error does not name the fix: %s", rec.Body)
		}
	})
	t.Run("fail/beyond-tree", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.InclusionProofFn = func(ctx context.Context, index, size int64) (*zhengzhao.InclusionProof, error) {
			return nil, zhengzhao.Invalid("invalid proof request", []zhengzhao.FieldError{{Field: "size", Message: "exceeds the integrated tree"}})
		}
		mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/audit/proof?index=1&size=1000"}), "size")
	})
}

func TestConsistencyProof(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.ConsistencyProofFn = func(ctx context.Context, size1, size2 int64) (*zhengzhao.ConsistencyProof, error) {
			if size1 != 10 || size2 != 42 {
				t.Fatalf("proof of %d to %d", size1, size2)
			}
			return &zhengzhao.ConsistencyProof{Size1: 10, Size2: 42, Hashes: [][]byte{{9}}}, nil
		}
		var got zhengzhao.ConsistencyProof
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/audit/consistency?size1=10&size2=42"}), http.StatusOK, &got)
		if got.Size2 != 42 || len(got.Hashes) != 1 {
			t.Fatalf("proof: got %+v", got)
		}
	})
	t.Run("fail/params", func(t *testing.T) {
		s := MustOpenServer(t)
		mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/audit/consistency?size1=x"}), "size1", "size2")
	})
	t.Run("fail/service", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Audit.ConsistencyProofFn = func(ctx context.Context, size1, size2 int64) (*zhengzhao.ConsistencyProof, error) {
			return nil, zhengzhao.Invalid("invalid proof request", []zhengzhao.FieldError{{Field: "size1", Message: "must not exceed size2"}})
		}
		mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/audit/consistency?size1=5&size2=3"}), "size1")
	})
}

func splitFields(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
