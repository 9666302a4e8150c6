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

// TestRotatedKeyReachesOtherServers: two libraries on one store stand for
// two servers on one database. After a rotation on the first, the second
// signs with its cached key until its recheck time, then with the new key;
// licenses signed with either verify.
func TestRotatedKeyReachesOtherServers(t *testing.T) {
	eachStore(t, func(t *testing.T) {
		e := newEnv(t)
		ctx := e.unit(t, codeA, zhengzhao.AlgSM2SM3, zhengzhao.RoleIssuer)
		if err := e.lib.Catalog.CreateLicenseType(ctx, bizType(codeA)); err != nil {
			t.Fatal(err)
		}

		// The second server: same store and keys, its own caches and clock.
		var clock atomic.Int64
		clock.Store(time.Now().UnixNano())
		other := e.another(t, func(c *library.Config) {
			c.SignerRecheck = time.Minute
			c.Now = func() time.Time { return time.Unix(0, clock.Load()) }
		})

		n := 0
		issue := func(lib *library.Services) *zhengzhao.License {
			t.Helper()
			n++
			lic, err := lib.Licenses.IssueLicense(ctx, request(bizType(codeA).Code, n), "")
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := json.Marshal(lic)
			if res, err := e.lib.Licenses.VerifyLicense(context.Background(), doc); err != nil || !res.Valid {
				t.Fatalf("verify %s: %+v, %v", lic.ID, res, err)
			}
			return lic
		}
		oldKID := issue(other).Proof.KID // the second server caches the first key

		key, err := e.lib.Units.RotateSigningKey(e.admin, codeA)
		if err != nil {
			t.Fatal(err)
		}
		if key.KID == oldKID {
			t.Fatalf("rotation kept kid %s", oldKID)
		}
		if got := issue(e.lib).Proof.KID; got != key.KID {
			t.Errorf("the rotating server signs with %s, want the new key %s", got, key.KID)
		}
		if got := issue(other).Proof.KID; got != oldKID {
			t.Errorf("before its recheck the other server signs with %s, want its cached key %s", got, oldKID)
		}
		clock.Add(int64(time.Minute + time.Second))
		if got := issue(other).Proof.KID; got != key.KID {
			t.Errorf("after its recheck the other server signs with %s, want the new key %s", got, key.KID)
		}
	})
}
