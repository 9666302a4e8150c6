package library

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

func TestCacheRetainedBytesStayWithinBound(t *testing.T) {
	const bound = 10_000
	c := newCache(bound, func(k int, v string) int { return 8 + len(v) })
	for i := 0; i < 100_000; i++ { // ~100 times the bound
		c.put(i, strings.Repeat("x", i%200))
		if got := c.bytes(); got > bound {
			t.Fatalf("after %d puts the cache holds %d bytes, bound %d", i+1, got, bound)
		}
	}
	// The most recent entry is always there; an entry read since the
	// last turn survives the next one.
	if _, ok := c.get(99_999); !ok {
		t.Error("the last entry put is not cached")
	}
	if _, ok := c.get(0); ok {
		t.Error("the first entry is still cached after 100 times the bound")
	}
	// An entry larger than a generation is not cached at all.
	c.put(-1, strings.Repeat("x", bound))
	if _, ok := c.get(-1); ok {
		t.Error("an entry larger than half the bound was cached")
	}
}

// testOfflineCheck returns the offline check VerifyLicense caches for a
// ~3 KB license document, built the way VerifyLicense builds it.
func testOfflineCheck(t testing.TB, i int) ([32]byte, *offlineCheck) {
	until := "2031-12-31"
	full := zhengzhao.License{ID: fmt.Sprintf("ZZDL.110000.%010d.01", i), Type: "ZZDL", Version: "01",
		Serial: fmt.Sprintf("%010d", i), ValidFrom: "2026-01-01", ValidUntil: &until, SignedAt: time.Now(),
		Issuer: zhengzhao.Party{Code: "110000", Name: "北京市某某局"},
		Holder: zhengzhao.Holder{ID: "11010119900101123X", Name: "张三"},
		Fields: map[string]any{"address": strings.Repeat("北京市海淀区", 40), "note": strings.Repeat("n", 600)},
		Proof:  &zhengzhao.Proof{Alg: "SM2", KID: "k1", Cert: strings.Repeat("C", 1200), Value: strings.Repeat("v", 96)}}
	doc, err := json.Marshal(&full)
	if err != nil {
		t.Fatal(err)
	}
	var lic zhengzhao.License
	if err := json.Unmarshal(doc, &lic); err != nil {
		t.Fatal(err)
	}
	var key [32]byte
	copy(key[:], fmt.Sprintf("%032d", i))
	return key, &offlineCheck{signature: true, trusted: true, license: slimLicense(&lic)}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestVerifyCacheRetainedSize fills the offline-check cache far past its
// bound with entries as VerifyLicense makes them and measures the heap
// it retains: within the bound, so the accounted sizes do not
// underestimate what the entries cost.
func TestVerifyCacheRetainedSize(t *testing.T) {
	const bound = 8 << 20
	before := heapInUse()
	c := newCache(bound, offlineCheckSize)
	for i := 0; i < 60_000; i++ { // about 5 times the bound at ~600 bytes each
		c.put(testOfflineCheck(t, i))
	}
	retained := int64(heapInUse()) - int64(before)
	runtime.KeepAlive(c)
	t.Logf("%d entries, %d bytes accounted, %d bytes retained on the heap (%d per entry)",
		c.len(), c.bytes(), retained, retained/int64(c.len()))
	if c.bytes() > bound {
		t.Errorf("accounted %d bytes, bound %d", c.bytes(), bound)
	}
	if retained > bound {
		t.Errorf("the cache retains %d bytes of heap, bound %d: the size function underestimates", retained, bound)
	}
	if c.len() < 5_000 {
		t.Errorf("only %d entries fit in %d bytes: the size function overestimates badly", c.len(), bound)
	}
}

// TestStatusCacheRetainedSize does the same for the status cache, with
// entries as the store's FindLicenseStatus returns them.
func TestStatusCacheRetainedSize(t *testing.T) {
	const bound = 4 << 20
	before := heapInUse()
	c := newCache(bound, statusEntrySize)
	now := time.Now()
	for i := 0; i < 40_000; i++ { // about 5 times the bound
		l := &zhengzhao.License{ID: fmt.Sprintf("ZZDL.110000.%010d.01", i), Type: "ZZDL", Serial: fmt.Sprintf("%010d", i),
			Version: "01", Issuer: zhengzhao.Party{Code: "110000"}, Status: zhengzhao.StatusValid}
		c.put(l.ID, statusEntry{status: &zhengzhao.LicenseStatus{License: l}, fetched: now})
	}
	retained := int64(heapInUse()) - int64(before)
	runtime.KeepAlive(c)
	t.Logf("%d entries, %d bytes accounted, %d bytes retained on the heap (%d per entry)",
		c.len(), c.bytes(), retained, retained/int64(c.len()))
	if c.bytes() > bound {
		t.Errorf("accounted %d bytes, bound %d", c.bytes(), bound)
	}
	if retained > bound {
		t.Errorf("the cache retains %d bytes of heap, bound %d: the size function underestimates", retained, bound)
	}
}
