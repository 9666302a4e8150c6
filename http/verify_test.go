package http_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

func TestVerify(t *testing.T) {
	// A tampered document: the holder's name differs from what was signed.
	const tampered = `{"id":"1.2.156.3005.2.X","holder":{"name":"李四"},  "proof":{"alg":"SM2-SM3","kid":"k","value":"x"}}`

	t.Run("ok/invalid-document-is-200", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.VerifyLicenseFn = func(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
			mustActor(t, ctx, zhengzhao.ActorAnonymous, "")
			if string(doc) != tampered {
				t.Fatalf("document not passed byte for byte: %q", doc)
			}
			return &zhengzhao.VerifyResult{Valid: false, Status: zhengzhao.StatusValid,
				Checks:  zhengzhao.VerifyChecks{Signature: false, IssuerTrusted: true, InValidityPeriod: true, Current: true},
				Reasons: []string{"the signature does not match the document"}, ID: "1.2.156.3005.2.X", VerifiedAt: signedAt}, nil
		}
		var got zhengzhao.VerifyResult
		mustJSON(t, s.Do(t, request{method: "POST", path: "/v1/verify", body: tampered}), http.StatusOK, &got)
		if got.Valid || got.Checks.Signature || len(got.Reasons) != 1 {
			t.Fatalf("result: got %+v", got)
		}
	})
	t.Run("ok/valid", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.VerifyLicenseFn = func(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
			mustActor(t, ctx, zhengzhao.ActorUnit, userUnit.Code)
			return &zhengzhao.VerifyResult{Valid: true, Status: zhengzhao.StatusValid,
				Checks: zhengzhao.VerifyChecks{Signature: true, IssuerTrusted: true, InValidityPeriod: true, Current: true}, VerifiedAt: signedAt}, nil
		}
		rec := s.Do(t, request{method: "POST", path: "/v1/verify", token: userToken, body: `{"id":"x"}`})
		var got map[string]any
		mustJSON(t, rec, http.StatusOK, &got)
		if got["valid"] != true {
			t.Fatalf("result: got %v", got)
		}
		if reasons, ok := got["reasons"].([]any); !ok || len(reasons) != 0 {
			t.Fatalf("nil reasons must render as []: %v", got["reasons"])
		}
	})
	t.Run("fail/not-an-object", func(t *testing.T) {
		s := MustOpenServer(t)
		s.Licenses.VerifyLicenseFn = func(ctx context.Context, doc []byte) (*zhengzhao.VerifyResult, error) {
			return nil, zhengzhao.Errorf(zhengzhao.EINVALID, "a license document is a JSON object")
		}
		p := mustInvalid(t, s.Do(t, request{method: "POST", path: "/v1/verify", body: `[1]`}), "")
		if p.Detail != "a license document is a JSON object" {
			t.Fatalf("detail: got %q", p.Detail)
		}
	})
	t.Run("fail/empty", func(t *testing.T) {
		s := MustOpenServer(t)
		mustInvalid(t, s.Do(t, request{method: "POST", path: "/v1/verify"}), "")
	})
	t.Run("fail/wrong-token", func(t *testing.T) {
		s := MustOpenServer(t)
		mustProblem(t, s.Do(t, request{method: "POST", path: "/v1/verify", token: "stale", body: `{}`}), http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
	})
}
