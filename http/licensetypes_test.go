package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zhengzhao-project/zhengzhao"
)

func TestCreateLicenseType(t *testing.T) {
	const body = `{"code":"91310000MA1FL8XQ30001","name":"营业执照","holder_kind":"person","level":"municipal","public":true,
		"collect_since":"2020-01-01","fields":[{"key":"capital","label":"注册资本","type":"number","required":true},
		{"key":"kind","label":"类型","type":"enum","values":["a","b"]}]}`

	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.CreateLicenseTypeFn = func(ctx context.Context, lt *zhengzhao.LicenseType) error {
			mustActor(t, ctx, zhengzhao.ActorUnit, issuerUnit.Code)
			want := newLicenseType()
			want.Definer, want.Issuers, want.Owner, want.CreatedAt = "", nil, "", signedAt.AddDate(-1, 0, 0)
			lt.CreatedAt = want.CreatedAt
			if diff := cmp.Diff(want, lt); diff != "" {
				t.Fatalf("type (-want +got):\n%s", diff)
			}
			lt.Definer, lt.Owner = issuerUnit.Code, issuerUnit.Code // as the library does
			return nil
		}
		rec := s.Do(t, request{method: "POST", path: "/v1/license-types", token: issuerToken, body: body})
		var got map[string]any
		mustJSON(t, rec, http.StatusCreated, &got)
		if loc := rec.Header().Get("Location"); loc != "/v1/license-types/"+typeCode {
			t.Fatalf("Location: got %q", loc)
		}
		if issuers, ok := got["issuers"].([]any); !ok || len(issuers) != 0 {
			t.Fatalf("nil issuers must render as []: %v", got["issuers"])
		}
	})
	t.Run("fail/validation", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.CreateLicenseTypeFn = func(ctx context.Context, lt *zhengzhao.LicenseType) error { return lt.Validate() }
		rec := s.Do(t, request{method: "POST", path: "/v1/license-types", token: adminToken,
			body: `{"code":"x","name":"n","holder_kind":"robot","level":"national","collect_since":"2020-02-30","fields":[{"key":"Bad","label":"l","type":"string"}]}`})
		mustInvalid(t, rec, "code", "holder_kind", "collect_since", "fields[0].key")
	})
	t.Run("fail/wrong-type-nested", func(t *testing.T) {
		s := MustOpenServer(t)
		rec := s.Do(t, request{method: "POST", path: "/v1/license-types", token: adminToken,
			body: `{"code":"x","public":"yes","fields":[{"key":"a","label":"l","type":"string"},{"key":"b","required":1,"values":"v","extra":true}]}`})
		mustInvalid(t, rec, "public", "fields[1].required", "fields[1].values", "fields[1].extra")
	})
	t.Run("fail/definer-not-settable", func(t *testing.T) {
		s := MustOpenServer(t)
		mustInvalid(t, s.Do(t, request{method: "POST", path: "/v1/license-types", token: adminToken, body: `{"code":"x","definer":"y","owner":"z"}`}),
			"definer", "owner")
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/license-types", body: body}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
	t.Run("fail/user-unit-forbidden", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.CreateLicenseTypeFn = func(ctx context.Context, lt *zhengzhao.LicenseType) error {
			return zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "only the administrator and issuing units add types")
		}
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/license-types", token: userToken, body: body}), http.StatusForbidden, zhengzhao.EFORBIDDEN)
	})
}

func TestListLicenseTypes(t *testing.T) {
	t.Run("ok/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.FindLicenseTypesFn = func(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
			mustActor(t, ctx, zhengzhao.ActorAnonymous, "")
			if diff := cmp.Diff(zhengzhao.LicenseTypeFilter{Page: zhengzhao.Page{Limit: 100}}, f); diff != "" {
				t.Fatalf("filter (-want +got):\n%s", diff)
			}
			return []*zhengzhao.LicenseType{newLicenseType()}, 1, "", nil
		}
		var got struct {
			Items []zhengzhao.LicenseType
			Total int
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/license-types"}), http.StatusOK, &got)
		if len(got.Items) != 1 || got.Total != 1 || got.Items[0].Code != typeCode {
			t.Fatalf("list: got %+v", got)
		}
	})
	t.Run("ok/filters", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.FindLicenseTypesFn = func(ctx context.Context, f zhengzhao.LicenseTypeFilter) ([]*zhengzhao.LicenseType, int, string, error) {
			mustActor(t, ctx, zhengzhao.ActorAdmin, "")
			want := zhengzhao.LicenseTypeFilter{PublicOnly: true, Issuer: ptr(issuerUnit.Code), Page: zhengzhao.Page{Limit: 10, Cursor: "abc"}}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Fatalf("filter (-want +got):\n%s", diff)
			}
			return nil, 0, "", nil
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/license-types?public_only=true&issuer=" + issuerUnit.Code + "&limit=10&cursor=abc", token: adminToken}), http.StatusOK, nil)
	})
	t.Run("fail/params", func(t *testing.T) {
		s := MustOpenServer(t)
		mustInvalid(t, s.Do(t, request{method: "GET", path: "/v1/license-types?public_only=maybe&issuer=&limit=5000"}), "public_only", "issuer", "limit")
	})
}

func TestGetLicenseType(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.FindLicenseTypeByCodeFn = func(ctx context.Context, code string) (*zhengzhao.LicenseType, error) {
			if code != typeCode {
				t.Fatalf("code: got %q", code)
			}
			return newLicenseType(), nil
		}
		var got zhengzhao.LicenseType
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/license-types/" + typeCode}), http.StatusOK, &got)
		if diff := cmp.Diff(*newLicenseType(), got); diff != "" {
			t.Fatalf("type (-want +got):\n%s", diff)
		}
	})
	t.Run("fail/not-found", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Catalog.FindLicenseTypeByCodeFn = func(ctx context.Context, code string) (*zhengzhao.LicenseType, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no license type %s", code)
		}
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/license-types/X"}), http.StatusNotFound, zhengzhao.ENOTFOUND)
	})
}
