package http_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zhengzhao-project/zhengzhao"
)

func TestCreateUnit(t *testing.T) {
	const body = `{"code":"91310000MA1FL8XQ30","name":"上海市市场监督管理局","roles":["issuer"],"region":"310000","signing_alg":"ES256"}`

	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.CreateUnitFn = func(ctx context.Context, u *zhengzhao.Unit) error {
			mustActor(t, ctx, zhengzhao.ActorAdmin, "")
			want := &zhengzhao.Unit{Code: "91310000MA1FL8XQ30", Name: "上海市市场监督管理局", Roles: []zhengzhao.Role{"issuer"}, Region: "310000", SigningAlg: "ES256"}
			if diff := cmp.Diff(want, u); diff != "" {
				t.Fatalf("unit (-want +got):\n%s", diff)
			}
			u.CreatedAt = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			return nil
		}
		rec := s.Do(t, request{method: "POST", path: "/v1/units", token: adminToken, body: body})
		var got zhengzhao.Unit
		mustJSON(t, rec, http.StatusCreated, &got)
		if loc := rec.Header().Get("Location"); loc != "/v1/units/91310000MA1FL8XQ30" {
			t.Fatalf("Location: got %q", loc)
		}
		if got.Code != "91310000MA1FL8XQ30" || got.CreatedAt.IsZero() {
			t.Fatalf("unit: got %+v", got)
		}
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/units", body: body}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
	t.Run("fail/unit-forbidden", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.CreateUnitFn = func(ctx context.Context, u *zhengzhao.Unit) error {
			mustActor(t, ctx, zhengzhao.ActorUnit, issuerUnit.Code)
			return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator registers units")
		}
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/units", token: issuerToken, body: body}), http.StatusForbidden, zhengzhao.EFORBIDDEN)
	})
	t.Run("fail/validation", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.CreateUnitFn = func(ctx context.Context, u *zhengzhao.Unit) error { return u.Validate() }
		rec := s.Do(t, request{method: "POST", path: "/v1/units", token: adminToken,
			body: `{"code":"123","name":"","roles":["issuer","boss"],"region":"990000"}`})
		p := mustInvalid(t, rec, "code", "name", "roles[1]", "region")
		if p.Detail != "invalid unit" {
			t.Fatalf("detail: got %q", p.Detail)
		}
	})
	t.Run("fail/wrong-type-in-array", func(t *testing.T) {
		s := MustOpenServer(t)
		mustInvalid(t, s.Do(t, request{method: "POST", path: "/v1/units", token: adminToken,
			body: `{"code":"91310000MA1FL8XQ30","name":"x","roles":["issuer",7],"region":310000}`}), "roles[1]", "region")
	})
	t.Run("fail/read-only-member", func(t *testing.T) {
		s := MustOpenServer(t)
		mustInvalid(t, s.Do(t, request{method: "POST", path: "/v1/units", token: adminToken,
			body: `{"code":"91310000MA1FL8XQ30","name":"x","roles":["issuer"],"region":"310000","created_at":"2020-01-01T00:00:00Z"}`}), "created_at")
	})
	t.Run("fail/conflict", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.CreateUnitFn = func(ctx context.Context, u *zhengzhao.Unit) error {
			return zhengzhao.Errorf(zhengzhao.ECONFLICT, "unit %s exists", u.Code)
		}
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/units", token: adminToken, body: body}), http.StatusConflict, zhengzhao.ECONFLICT)
	})
}

func TestListUnits(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.FindUnitsFn = func(ctx context.Context, f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
			mustActor(t, ctx, zhengzhao.ActorAdmin, "")
			role := zhengzhao.RoleIssuer
			want := zhengzhao.UnitFilter{Role: &role, Page: zhengzhao.Page{Limit: 2, Cursor: "c1"}}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Fatalf("filter (-want +got):\n%s", diff)
			}
			return []*zhengzhao.Unit{issuerUnit, {Code: "91310000MA1FL8XQ30", Name: "no roles", Region: "310000"}}, 5, "c2", nil
		}
		var got struct {
			Items []map[string]any `json:"items"`
			Total int              `json:"total"`
			Next  string           `json:"next"`
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/units?role=issuer&limit=2&cursor=c1", token: adminToken}), http.StatusOK, &got)
		if len(got.Items) != 2 || got.Total != 5 || got.Next != "c2" {
			t.Fatalf("list: got %+v", got)
		}
		if roles, ok := got.Items[1]["roles"].([]any); !ok || len(roles) != 0 {
			t.Fatalf("nil roles must render as []: %v", got.Items[1]["roles"])
		}
	})
	t.Run("ok/default-limit-last-page", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.FindUnitsFn = func(ctx context.Context, f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
			if f.Limit != zhengzhao.DefaultPageLimit || f.Cursor != "" || f.Role != nil {
				t.Fatalf("filter: got %+v", f)
			}
			return nil, 0, "", nil
		}
		rec := s.Do(t, request{method: "GET", path: "/v1/units", token: adminToken})
		mustJSON(t, rec, http.StatusOK, nil)
		if got := rec.Body.String(); got != `{"items":[],"total":0}`+"\n" {
			t.Fatalf("empty list: got %s", got)
		}
	})
	for name, q := range map[string][]string{
		"limit-zero":     {"limit=0", "limit"},
		"limit-too-big":  {"limit=1001", "limit"},
		"limit-negative": {"limit=-1", "limit"},
		"limit-text":     {"limit=ten", "limit"},
		"role":           {"role=boss", "role"},
		"empty-role":     {"role=", "role"},
		"unknown":        {"sort=name", "sort"},
	} {
		t.Run("fail/"+name, func(t *testing.T) {
			s := MustOpenServer(t)
			mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/units?" + q[0], token: adminToken}), q[1])
		})
	}
	t.Run("ok/limit-max", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.FindUnitsFn = func(ctx context.Context, f zhengzhao.UnitFilter) ([]*zhengzhao.Unit, int, string, error) {
			if f.Limit != 1000 {
				t.Fatalf("limit: got %d", f.Limit)
			}
			return nil, 0, "", nil
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/units?limit=1000", token: adminToken}), http.StatusOK, nil)
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/units"}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}

func TestGetUnit(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.FindUnitByCodeFn = func(ctx context.Context, code string) (*zhengzhao.Unit, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, issuerUnit.Code)
			if code != issuerUnit.Code {
				t.Fatalf("code: got %q", code)
			}
			return issuerUnit, nil
		}
		var got zhengzhao.Unit
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/units/" + issuerUnit.Code, token: issuerToken}), http.StatusOK, &got)
		if diff := cmp.Diff(*issuerUnit, got); diff != "" {
			t.Fatalf("unit (-want +got):\n%s", diff)
		}
	})
	t.Run("fail/not-found", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.FindUnitByCodeFn = func(ctx context.Context, code string) (*zhengzhao.Unit, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no unit %s", code)
		}
		p := mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/units/NOPE", token: adminToken}), http.StatusNotFound, zhengzhao.ENOTFOUND)
		if p.Detail != "no unit NOPE" {
			t.Fatalf("detail: got %q", p.Detail)
		}
	})
}

func TestCreateUnitKey(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.CreateUnitKeyFn = func(ctx context.Context, unit string) (string, *zhengzhao.UnitKey, error) {
			mustActor(t, ctx, zhengzhao.ActorAdmin, "")
			if unit != issuerUnit.Code {
				t.Fatalf("unit: got %q", unit)
			}
			return "zz_secret", &zhengzhao.UnitKey{ID: "key-1", Unit: unit, Hash: []byte("hash"), CreatedAt: signedAt}, nil
		}
		rec := s.Do(t, request{method: "POST", path: "/v1/units/" + issuerUnit.Code + "/keys", token: adminToken})
		var got map[string]any
		mustJSON(t, rec, http.StatusCreated, &got)
		want := map[string]any{"key": "zz_secret", "id": "key-1", "unit": issuerUnit.Code, "created_at": "2025-03-01T08:00:00Z"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("key (-want +got):\n%s", diff)
		}
	})
	t.Run("fail/not-found", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Units.CreateUnitKeyFn = func(ctx context.Context, unit string) (string, *zhengzhao.UnitKey, error) {
			return "", nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no unit %s", unit)
		}
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/units/X/keys", token: adminToken}), http.StatusNotFound, zhengzhao.ENOTFOUND)
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/units/X/keys"}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}
