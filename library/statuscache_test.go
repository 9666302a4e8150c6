package library_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
	"github.com/zhengzhao-project/zhengzhao/library"
)

// TestVerifyStatusCache: a revocation through this server shows in the
// next verification at once; through another server on the same store,
// within that server's VerifyStatusTTL; with a negative TTL, at once.
func TestVerifyStatusCache(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		ctx := e.unit(t, codeA, zhengzhao.AlgSM2SM3, zhengzhao.RoleIssuer)
		if err := e.lib.Catalog.CreateLicenseType(ctx, bizType(codeA)); err != nil {
			t.Fatal(err)
		}
		var clock atomic.Int64
		clock.Store(time.Now().UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()) }
		cached := e.another(t, func(c *library.Config) { c.VerifyStatusTTL, c.Now = time.Minute, now })
		uncached := e.another(t, func(c *library.Config) { c.VerifyStatusTTL, c.Now = -1, now })

		status := func(lib *library.Services, lic *zhengzhao.License) string {
			t.Helper()
			doc, _ := json.Marshal(lic)
			res, err := lib.Licenses.VerifyLicense(context.Background(), doc)
			if err != nil {
				t.Fatal(err)
			}
			return res.Status
		}
		issue := func(n int) *zhengzhao.License {
			t.Helper()
			lic, err := e.lib.Licenses.IssueLicense(ctx, request(bizType(codeA).Code, n), "")
			if err != nil {
				t.Fatal(err)
			}
			return lic
		}

		// Through this server: at once, although the status was just cached.
		a := issue(1)
		if got := status(e.lib, a); got != zhengzhao.StatusValid {
			t.Fatalf("status %s, want valid", got)
		}
		if _, err := e.lib.Licenses.RevokeLicense(ctx, a.ID, "测试注销"); err != nil {
			t.Fatal(err)
		}
		if got := status(e.lib, a); got != zhengzhao.StatusRevoked {
			t.Errorf("after a revocation through this server: %s, want revoked at once", got)
		}

		// Through another server: within the TTL.
		b := issue(2)
		for _, lib := range []*library.Services{cached, uncached} {
			if got := status(lib, b); got != zhengzhao.StatusValid {
				t.Fatalf("status %s, want valid", got)
			}
		}
		if _, err := e.lib.Licenses.RevokeLicense(ctx, b.ID, "测试注销"); err != nil {
			t.Fatal(err)
		}
		if got := status(uncached, b); got != zhengzhao.StatusRevoked {
			t.Errorf("without a status cache: %s, want revoked at once", got)
		}
		if got := status(cached, b); got != zhengzhao.StatusValid {
			t.Errorf("within the TTL of the other server's cache: %s, want the cached valid", got)
		}
		clock.Add(int64(time.Minute))
		if got := status(cached, b); got != zhengzhao.StatusRevoked {
			t.Errorf("after the TTL: %s, want revoked", got)
		}
	})
}
