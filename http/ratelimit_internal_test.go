package http

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// TestClientAddr checks that X-Forwarded-For names the client only when
// the connection comes from a configured trusted proxy, and that IPv6
// clients count by their /64.
func TestClientAddr(t *testing.T) {
	l := newAuthLimits(RateLimits{}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	for _, c := range []struct{ remote, xff, want string }{
		{"203.0.113.7:1234", "", "203.0.113.7"},
		{"203.0.113.7:1234", "198.51.100.1", "203.0.113.7"}, // not a proxy: header ignored
		{"10.0.0.5:1234", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.5:1234", "1.2.3.4, 198.51.100.1, 10.0.0.9", "198.51.100.1"}, // the client cannot pick 1.2.3.4
		{"10.0.0.5:1234", "", "10.0.0.5"},
		{"[2001:db8:1:2:3:4:5:6]:1234", "", "2001:db8:1:2::/64"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := l.clientAddr(r); got != c.want {
			t.Errorf("remote %s, X-Forwarded-For %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}

// TestBucketSetBounded checks that a flood of new keys keeps the set at
// its bound.
func TestBucketSetBounded(t *testing.T) {
	b := newBucketSet(10, time.Second, 1000)
	now := time.Now()
	for i := range 100000 {
		b.get(string(rune(i)), now)
	}
	if n := len(b.m); n > 1000 {
		t.Errorf("%d buckets kept, bound 1000", n)
	}
}
