package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/zhengzhao-project/zhengzhao"
)

func TestIssueLicense(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.IssueLicenseFn = func(ctx context.Context, r *zhengzhao.IssueRequest, key string) (*zhengzhao.License, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, issuerUnit.Code)
			want := &zhengzhao.IssueRequest{
				Type: typeCode, Number: "SH-2025-0001",
				Holder:   zhengzhao.Holder{Kind: "person", IDType: "111", ID: "11010519491231002X", Name: "张三"},
				IssuedOn: "2025-03-01", ValidFrom: "2025-03-01", ValidUntil: ptr("2030-02-28"),
				// Numbers stay exact: 12.50, not 12.5.
				Fields: map[string]any{"capital": json.Number("12.50"), "scope": "零售"},
			}
			if diff := cmp.Diff(want, r); diff != "" {
				t.Fatalf("request (-want +got):\n%s", diff)
			}
			if key != "" {
				t.Fatalf("idempotency key: got %q, want none", key)
			}
			return newLicense(1), nil
		}
		rec := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: issueBody})
		var got map[string]any
		mustJSON(t, rec, http.StatusCreated, &got)
		if loc := rec.Header().Get("Location"); loc != "/v1/licenses/"+licenseID(1) {
			t.Fatalf("Location: got %q", loc)
		}
		if got["id"] != licenseID(1) || got["proof"] == nil || got["valid_until"] != "2030-02-28" {
			t.Fatalf("license: got %v", got)
		}
		if !strings.Contains(rec.Body.String(), `"capital":12.50`) {
			t.Fatalf("face-field number not exact: %s", rec.Body)
		}
	})

	t.Run("ok/idempotency-key", func(t *testing.T) {
		s := MustOpenServer(t)
		issued := map[string]*zhengzhao.License{}
		calls := 0
		s.Licenses.IssueLicenseFn = func(ctx context.Context, r *zhengzhao.IssueRequest, key string) (*zhengzhao.License, error) {
			calls++
			if key != "7f1c2a9e-retry-1" {
				t.Fatalf("idempotency key: got %q", key)
			}
			if l, ok := issued[key]; ok {
				return l, nil
			}
			issued[key] = newLicense(1)
			return issued[key], nil
		}
		h := http.Header{"Idempotency-Key": {"7f1c2a9e-retry-1"}}
		first := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: issueBody, header: h})
		second := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: issueBody, header: h})
		mustJSON(t, first, http.StatusCreated, nil)
		mustJSON(t, second, http.StatusCreated, nil)
		if calls != 2 || first.Body.String() != second.Body.String() {
			t.Fatalf("replay: %d calls, bodies differ: %v", calls, first.Body.String() != second.Body.String())
		}
	})

	t.Run("fail/idempotency-conflict", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.IssueLicenseFn = func(ctx context.Context, r *zhengzhao.IssueRequest, key string) (*zhengzhao.License, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "idempotency key %s was used with another request", key)
		}
		rec := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: issueBody, header: http.Header{"Idempotency-Key": {"k1"}}})
		mustProblem(t, rec, http.StatusConflict, zhengzhao.ECONFLICT)
	})

	for name, keys := range map[string][]string{
		"too-long":  {strings.Repeat("k", 256)},
		"space":     {"a b"},
		"non-ascii": {"键"},
		"empty":     {""},
		"twice":     {"a", "b"},
	} {
		t.Run("fail/idempotency-key-"+name, func(t *testing.T) {
			s := MustOpenServer(t)
			rec := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: issueBody, header: http.Header{"Idempotency-Key": keys}})
			mustInvalid(t, rec, "Idempotency-Key")
		})
	}

	// Bodies the decoder rejects before the service is called, and the
	// fields each must name.
	for name, tc := range map[string]struct {
		body   string
		fields []string
	}{
		"malformed":          {`{"type": "x",`, []string{""}},
		"syntax":             {`{"type" "x"}`, []string{""}},
		"empty":              {``, []string{""}},
		"whitespace":         {" \n ", []string{""}},
		"array":              {`[1,2]`, []string{""}},
		"null":               {`null`, []string{""}},
		"string":             {`"x"`, []string{""}},
		"trailing":           {`{"type":"x"} {"type":"y"}`, []string{""}},
		"trailing-garbage":   {`{"type":"x"}]`, []string{""}},
		"wrong-type":         {`{"type":"x","holder":{"kind":"person","id":11010519491231002}}`, []string{"holder.id"}},
		"wrong-type-top":     {`{"type":21,"number":["SH"]}`, []string{"type", "number"}},
		"wrong-type-object":  {`{"holder":"张三"}`, []string{"holder"}},
		"wrong-type-fields":  {`{"fields":[1]}`, []string{"fields"}},
		"valid-until-number": {`{"valid_until":20300228}`, []string{"valid_until"}},
		"unknown":            {`{"type":"x","holder_name":"张三"}`, []string{"holder_name"}},
		"unknown-nested":     {`{"type":"x","holder":{"kind":"person","nickname":"三"}}`, []string{"holder.nickname"}},
		"unknown-and-type":   {`{"type":1,"extra":true,"holder":{"id":1}}`, []string{"type", "extra", "holder.id"}},
		"lifecycle-member":   {`{"type":"x","status":"valid"}`, []string{"status"}},
	} {
		t.Run("fail/decode/"+name, func(t *testing.T) {
			s := MustOpenServer(t)
			rec := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: tc.body})
			mustInvalid(t, rec, tc.fields...)
		})
	}

	t.Run("fail/validation", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.IssueLicenseFn = func(ctx context.Context, r *zhengzhao.IssueRequest, key string) (*zhengzhao.License, error) {
			return nil, r.Validate(newLicenseType())
		}
		body := `{"type":"` + typeCode + `","number":"","holder":{"kind":"person","id_type":"111","id":"110105194912310021","name":"张三"},
			"issued_on":"2025-13-01","valid_from":"2025-03-01","valid_until":"2025-01-01","fields":{"capital":"many","kind":"c","color":"red"}}`
		rec := s.Do(t, request{method: "POST", path: "/v1/licenses", token: issuerToken, body: body})
		p := mustInvalid(t, rec, "number", "holder.id", "issued_on", "valid_until", "fields.capital", "fields.kind", "fields.color")
		if p.Detail != "invalid license" {
			t.Fatalf("detail: got %q", p.Detail)
		}
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/licenses", body: issueBody}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
	t.Run("fail/not-an-issuer", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.IssueLicenseFn = func(ctx context.Context, r *zhengzhao.IssueRequest, key string) (*zhengzhao.License, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, userUnit.Code)
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "unit %s does not issue licenses", userUnit.Code)
		}
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/licenses", token: userToken, body: issueBody}), http.StatusForbidden, zhengzhao.EFORBIDDEN)
	})
}

func TestGetLicense(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.FindLicenseByIDFn = func(ctx context.Context, id string) (*zhengzhao.License, error) {
			mustActor(t, ctx, zhengzhao.ActorAdmin, "")
			if id != licenseID(1) {
				t.Fatalf("id: got %q", id)
			}
			return newLicense(1), nil
		}
		var got zhengzhao.License
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/licenses/" + licenseID(1), token: adminToken}), http.StatusOK, &got)
		if diff := cmp.Diff(newLicense(1), &got); diff != "" {
			t.Fatalf("license (-want +got):\n%s", diff)
		}
	})
	t.Run("fail/not-found", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.FindLicenseByIDFn = func(ctx context.Context, id string) (*zhengzhao.License, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no license %s", id)
		}
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/licenses/nope", token: issuerToken}), http.StatusNotFound, zhengzhao.ENOTFOUND)
	})
	t.Run("fail/other-unit", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.FindLicenseByIDFn = func(ctx context.Context, id string) (*zhengzhao.License, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, userUnit.Code)
			return nil, zhengzhao.Errorf(zhengzhao.EFORBIDDEN, "not your license")
		}
		// Answered like a made-up ID, so that it does not reveal the license exists.
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/licenses/" + licenseID(1), token: userToken}), http.StatusNotFound, zhengzhao.ENOTFOUND)
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/licenses/" + licenseID(1)}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}

func TestListLicenses(t *testing.T) {
	t.Run("ok/filters-and-page", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.FindLicensesFn = func(ctx context.Context, f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, issuerUnit.Code)
			want := zhengzhao.LicenseFilter{
				HolderID: ptr("11010519491231002X"), Type: ptr(typeCode), Issuer: ptr(issuerUnit.Code), Status: ptr("revoked"),
				Page: zhengzhao.Page{Limit: 1, Cursor: "next-1"},
			}
			if diff := cmp.Diff(want, f); diff != "" {
				t.Fatalf("filter (-want +got):\n%s", diff)
			}
			return []*zhengzhao.License{newLicense(1)}, 3, "next-2", nil
		}
		path := "/v1/licenses?holder_id=11010519491231002X&type=" + typeCode + "&issuer=" + issuerUnit.Code + "&status=revoked&limit=1&cursor=next-1"
		var got struct {
			Items []zhengzhao.License `json:"items"`
			Total int                 `json:"total"`
			Next  string              `json:"next"`
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: path, token: issuerToken}), http.StatusOK, &got)
		if len(got.Items) != 1 || got.Items[0].ID != licenseID(1) || got.Total != 3 || got.Next != "next-2" {
			t.Fatalf("list: got %+v", got)
		}
	})
	t.Run("ok/no-filter", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.FindLicensesFn = func(ctx context.Context, f zhengzhao.LicenseFilter) ([]*zhengzhao.License, int, string, error) {
			if diff := cmp.Diff(zhengzhao.LicenseFilter{Page: zhengzhao.Page{Limit: 100}}, f); diff != "" {
				t.Fatalf("filter (-want +got):\n%s", diff)
			}
			return nil, 0, "", nil
		}
		mustJSON(t, s.Do(t, request{method: "GET", path: "/v1/licenses", token: adminToken}), http.StatusOK, nil)
	})
	t.Run("fail/params", func(t *testing.T) {
		s := MustOpenServer(t)
		rec := s.Do(t, request{method: "GET", path: "/v1/licenses?status=expired&limit=0&type=", token: adminToken})
		mustInvalid(t, rec, "status", "limit", "type")
		// Unknown parameters are rejected before the others are read.
		rec = s.Do(t, request{method: "GET", path: "/v1/licenses?holder=x&limit=0&cursor=a&cursor=b", token: adminToken})
		mustInvalid(t, rec, "holder", "cursor")
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "GET", path: "/v1/licenses?holder_id=x"}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}

func TestUpdateLicense(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.UpdateLicenseFn = func(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, issuerUnit.Code)
			if id != licenseID(1) {
				t.Fatalf("id: got %q", id)
			}
			want := &zhengzhao.LicenseUpdate{
				Number:   "SH-2025-0001",
				Holder:   zhengzhao.Holder{Kind: "person", IDType: "111", ID: "11010519491231002X", Name: "张三丰"},
				IssuedOn: "2025-04-01", ValidFrom: "2025-04-01",
				Fields: map[string]any{"capital": json.Number("20")},
			}
			if diff := cmp.Diff(want, u); diff != "" {
				t.Fatalf("update (-want +got):\n%s", diff)
			}
			l := newLicense(2)
			l.Supersedes = licenseID(1)
			return l, nil
		}
		rec := s.Do(t, request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken, body: updateBody})
		var got zhengzhao.License
		mustJSON(t, rec, http.StatusOK, &got)
		if got.ID != licenseID(2) || got.Version != "002" || got.Supersedes != licenseID(1) {
			t.Fatalf("new version: got %+v", got)
		}
		if loc := rec.Header().Get("Content-Location"); loc != "/v1/licenses/"+licenseID(2) {
			t.Fatalf("Content-Location: got %q", loc)
		}
	})
	t.Run("fail/decode", func(t *testing.T) {
		s := MustOpenServer(t)
		rec := s.Do(t, request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken,
			body: `{"type":7,"signature":"x","holder":{"name":7}}`})
		mustInvalid(t, rec, "type", "signature", "holder.name")
	})
	// The issue document sent back with changes is an update; its type and
	// serial must be the license's, and the error names the one that differs.
	t.Run("ok/issue-shape", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.UpdateLicenseFn = func(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
			if err := u.Validate(newLicenseType(), newLicense(1)); err != nil {
				return nil, err
			}
			return newLicense(2), nil
		}
		current := newLicense(1)
		body := `{"type":"` + current.Type + `","serial":"` + current.Serial + `",` + updateBody[1:]
		mustJSON(t, s.Do(t, request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken, body: body}), http.StatusOK, nil)
		body = `{"type":"` + current.Type + `",` + updateBody[1:]
		mustJSON(t, s.Do(t, request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken, body: body}), http.StatusOK, nil)
		body = `{"type":"11100000MB0143028R002","serial":"X9",` + updateBody[1:]
		rec := s.Do(t, request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken, body: body})
		mustInvalid(t, rec, "type", "serial")
		if !strings.Contains(rec.Body.String(), "cannot change (it is "+current.Type+")") {
			t.Fatalf("the error does not say what the type is: %s", rec.Body)
		}
	})
	t.Run("fail/holder-changes", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.UpdateLicenseFn = func(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
			current := newLicense(1)
			current.Holder.ID = "110105194912310021"
			return nil, u.Validate(newLicenseType(), current)
		}
		rec := s.Do(t, request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken, body: updateBody})
		mustInvalid(t, rec, "holder.id")
	})
	t.Run("fail/superseded", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.UpdateLicenseFn = func(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is superseded", id)
		}
		mustProblem(t, s.Do(t, request{method: "PUT", path: "/v1/licenses/" + licenseID(1), token: issuerToken, body: updateBody}),
			http.StatusConflict, zhengzhao.ECONFLICT)
	})
	t.Run("fail/not-found", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.UpdateLicenseFn = func(ctx context.Context, id string, u *zhengzhao.LicenseUpdate) (*zhengzhao.License, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ENOTFOUND, "no license %s", id)
		}
		mustProblem(t, s.Do(t, request{method: "PUT", path: "/v1/licenses/x", token: issuerToken, body: updateBody}),
			http.StatusNotFound, zhengzhao.ENOTFOUND)
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "PUT", path: "/v1/licenses/x", body: updateBody}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}

func TestRevokeLicense(t *testing.T) {
	t.Run("ok", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.RevokeLicenseFn = func(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, issuerUnit.Code)
			if id != licenseID(1) || reason != "企业注销" {
				t.Fatalf("revoke %q %q", id, reason)
			}
			l := newLicense(1)
			l.Status, l.RevocationReason, l.RevokedAt = zhengzhao.StatusRevoked, reason, ptr(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC))
			return l, nil
		}
		var got zhengzhao.License
		mustJSON(t, s.Do(t, request{method: "POST", path: "/v1/licenses/" + licenseID(1) + "/revoke", token: issuerToken, body: `{"reason":"企业注销"}`}),
			http.StatusOK, &got)
		if got.Status != zhengzhao.StatusRevoked || got.RevocationReason != "企业注销" || got.RevokedAt == nil {
			t.Fatalf("revoked: got %+v", got)
		}
	})
	t.Run("fail/reason-required", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.RevokeLicenseFn = func(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
			if reason != "" {
				t.Fatalf("reason: got %q", reason)
			}
			return nil, zhengzhao.Invalid("invalid revocation", []zhengzhao.FieldError{{Field: "reason", Message: "required"}})
		}
		mustInvalid(t, s.Do(t, request{method: "POST", path: "/v1/licenses/x/revoke", token: issuerToken, body: `{}`}), "reason")
	})
	t.Run("fail/decode", func(t *testing.T) {
		s := MustOpenServer(t)
		mustInvalid(t, s.Do(t, request{method: "POST", path: "/v1/licenses/x/revoke", token: issuerToken, body: `{"reason":1,"why":"x"}`}), "reason", "why")
	})
	t.Run("fail/already-revoked", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.RevokeLicenseFn = func(ctx context.Context, id, reason string) (*zhengzhao.License, error) {
			return nil, zhengzhao.Errorf(zhengzhao.ECONFLICT, "license %s is revoked", id)
		}
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/licenses/x/revoke", token: issuerToken, body: `{"reason":"r"}`}),
			http.StatusConflict, zhengzhao.ECONFLICT)
	})
	t.Run("fail/anonymous", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/licenses/x/revoke", body: `{"reason":"r"}`}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}
