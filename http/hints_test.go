package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/zhengzhao-project/zhengzhao"
)

// TestCredentialErrorsNameTheFix: the 401s a newcomer meets say what to
// send and where to get it — no header, an empty bearer (the key that a
// failed command did not print), a wrong token.
func TestCredentialErrorsNameTheFix(t *testing.T) {
	s := MustOpenServer(t)
	for name, tc := range map[string]struct {
		header string
		want   []string
	}{
		"none":    {"", []string{"Authorization: Bearer", "POST /v1/units/{code}/keys", "demo-credentials.txt"}},
		"empty":   {"Bearer", []string{"empty bearer token", "POST /v1/units/{code}/keys", "demo-credentials.txt"}},
		"empty-2": {"Bearer   ", []string{"empty bearer token"}},
		"wrong":   {"Bearer zzk_nope", []string{"invalid bearer token", "POST /v1/units/{code}/keys"}},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Authorization", tc.header)
			}
			s.Units.AuthenticateFn = func(ctx context.Context, key string) (*zhengzhao.Unit, error) {
				return nil, zhengzhao.Errorf(zhengzhao.EUNAUTHENTICATED, "unknown key")
			}
			rec := s.Do(t, request{method: "POST", path: "/v1/licenses", body: "{}", header: h})
			mustProblem(t, rec, http.StatusUnauthorized, zhengzhao.EUNAUTHENTICATED)
			for _, w := range tc.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("the 401 does not say %q: %s", w, rec.Body)
				}
			}
		})
	}
}
