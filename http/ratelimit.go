package http

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math"
	nethttp "net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/zhengzhao-project/zhengzhao"
)

// Sign-in hardening (issue 13, item 7; the policy is in
// docs/access-control.md). Every authentication path asks authLimits
// before it checks a credential and tells it the outcome afterwards:
//
//   - Failures per client address: an address that keeps presenting wrong
//     credentials is throttled (429 with Retry-After) on every path. This is
//     the limit that stops a guesser; it never touches other addresses.
//   - Failures per credential, keyed by an HMAC (under a key that lives only
//     in this process) of what names the credential: "admin" for the admin
//     token, the non-secret-bearing prefix of a unit API key. When a
//     credential has too many recent failures, an address that has not
//     signed in with it recently may try it only once per pairInterval:
//     the lockout slows a guesser spread over many addresses but never
//     blocks the right key from any address, and an address that has used
//     the credential successfully within knownTTL is not slowed at all.
//   - Anonymous QR-token checks per token and per address, counting every
//     check, so that nobody can fill a holder's usage record with checks.
//
// The limiters are golang.org/x/time/rate token buckets; memory is bounded
// by evicting idle buckets (idle long enough to be full again, so evicting
// them loses nothing) and, under a flood of new keys, arbitrary ones.

// codeTooManyRequests is a transport-only error code: a rate limit
// refused the request. It never comes from a service.
const codeTooManyRequests = "too_many_requests"

// Limits of the sign-in hardening. Zero values take the defaults below.
type RateLimits struct {
	// Disabled turns every limit off (tests, benchmarks).
	Disabled bool
	// AddressFailures wrong credentials an address may present at once;
	// one more is forgiven every AddressEvery.
	AddressFailures int
	AddressEvery    time.Duration
	// CredentialFailures wrong attempts at one credential at once, from
	// anywhere; one more every CredentialEvery.
	CredentialFailures int
	CredentialEvery    time.Duration
	// AnonymousChecks anonymous checks of one QR token at once; one more
	// every AnonymousCheckEvery.
	AnonymousChecks     int
	AnonymousCheckEvery time.Duration
	// MaxEntries bounds the buckets each limiter keeps.
	MaxEntries int
}

const (
	pairInterval = time.Minute    // one try per address at a hot credential
	knownTTL     = 24 * time.Hour // how long a successful sign-in vouches for its address
)

func (c RateLimits) withDefaults() RateLimits {
	def := func(n *int, v int) {
		if *n <= 0 {
			*n = v
		}
	}
	defd := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.AddressFailures, 10)
	defd(&c.AddressEvery, 6*time.Second)
	def(&c.CredentialFailures, 20)
	defd(&c.CredentialEvery, 3*time.Second)
	def(&c.AnonymousChecks, 5)
	defd(&c.AnonymousCheckEvery, time.Minute)
	def(&c.MaxEntries, 50000)
	return c
}

// bucketSet is a set of token buckets by key with bounded memory.
type bucketSet struct {
	limit rate.Limit
	burst int
	max   int
	full  time.Duration // an untouched bucket is full again after this

	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newBucketSet(burst int, every time.Duration, max int) *bucketSet {
	return &bucketSet{limit: rate.Every(every), burst: burst, max: max,
		full: time.Duration(burst) * every, m: map[string]*bucket{}}
}

// get returns the bucket of key, creating it full.
func (b *bucketSet) get(key string, now time.Time) *rate.Limiter {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m[key]
	if e == nil {
		if len(b.m) >= b.max {
			b.evict(now)
		}
		e = &bucket{lim: rate.NewLimiter(b.limit, b.burst)}
		b.m[key] = e
	}
	e.last = now
	return e.lim
}

// evict drops the buckets that are full again, and if that is not enough
// an eighth of the set, chosen by the map's random order.
func (b *bucketSet) evict(now time.Time) {
	for k, e := range b.m {
		if now.Sub(e.last) >= b.full {
			delete(b.m, k)
		}
	}
	for k := range b.m {
		if len(b.m) < b.max-b.max/8 {
			break
		}
		delete(b.m, k)
	}
}

// has reports whether key's bucket holds a token, without taking it, and
// if not how long until it does.
func (b *bucketSet) has(key string, now time.Time) (bool, time.Duration) {
	lim := b.get(key, now)
	if t := lim.TokensAt(now); t < 1 {
		return false, b.wait(t)
	}
	return true, 0
}

// take takes a token from key's bucket if there is one.
func (b *bucketSet) take(key string, now time.Time) (bool, time.Duration) {
	lim := b.get(key, now)
	if !lim.AllowN(now, 1) {
		return false, b.wait(lim.TokensAt(now))
	}
	return true, 0
}

// wait is how long until a bucket holding t < 1 tokens holds one.
func (b *bucketSet) wait(t float64) time.Duration {
	return time.Duration((1 - t) / float64(b.limit) * float64(time.Second))
}

// seenSet remembers keys until they expire, with bounded memory.
type seenSet struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[string]time.Time
}

func (s *seenSet) add(key string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[key]; !ok && len(s.m) >= s.max {
		for k, t := range s.m {
			if now.Sub(t) > s.ttl || len(s.m) >= s.max {
				delete(s.m, k)
			}
		}
	}
	s.m[key] = now
}

func (s *seenSet) has(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[key]
	return ok && now.Sub(t) <= s.ttl
}

// authLimits holds the limiters of the authentication paths.
type authLimits struct {
	off      bool
	hashKey  []byte
	trusted  []netip.Prefix
	addrFail *bucketSet
	credFail *bucketSet
	pair     *bucketSet
	known    *seenSet
	check    *bucketSet // anonymous QR checks per token
	checkBy  *bucketSet // anonymous QR checks per address
}

func newAuthLimits(c RateLimits, trusted []netip.Prefix) *authLimits {
	c = c.withDefaults()
	key := make([]byte, 32)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return &authLimits{
		off:      c.Disabled,
		hashKey:  key,
		trusted:  trusted,
		addrFail: newBucketSet(c.AddressFailures, c.AddressEvery, c.MaxEntries),
		credFail: newBucketSet(c.CredentialFailures, c.CredentialEvery, c.MaxEntries),
		pair:     newBucketSet(1, pairInterval, c.MaxEntries),
		known:    &seenSet{ttl: knownTTL, max: c.MaxEntries, m: map[string]time.Time{}},
		check:    newBucketSet(c.AnonymousChecks, c.AnonymousCheckEvery, c.MaxEntries),
		checkBy:  newBucketSet(60, time.Second, c.MaxEntries),
	}
}

// credential names a credential for the limiters without keeping it: an
// HMAC under the process's own key of kind and name. name must not be the
// secret itself but what identifies it (see unitKeyName).
func (l *authLimits) credential(kind, name string) string {
	m := hmac.New(sha256.New, l.hashKey)
	m.Write([]byte(kind + "\x00" + name))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// bearerCredential names the credential a bearer token claims to be: a
// unit API key by its first characters (unit keys carry no separate key
// ID; the prefix holds 72 of their 256 random bits), anything else the admin
// token, the only other bearer credential.
func (l *authLimits) bearerCredential(token string) string {
	if strings.HasPrefix(token, "zzk_") {
		p := token
		if len(p) > 16 {
			p = p[:16]
		}
		return l.credential("unit", p)
	}
	return l.credential("admin", "")
}

// admit decides before a credential is checked whether addr may try it.
// cred is "" on paths without a per-credential limit.
func (l *authLimits) admit(addr, cred string, now time.Time) (bool, time.Duration) {
	if l.off {
		return true, 0
	}
	if ok, wait := l.addrFail.has(addr, now); !ok {
		return false, wait
	}
	if cred == "" {
		return true, 0
	}
	if ok, _ := l.credFail.has(cred, now); ok || l.known.has(cred+"|"+addr, now) {
		return true, 0
	}
	// The credential is under attack: this address may try once per
	// pairInterval, so the right key still gets through, slowly.
	return l.pair.take(cred+"|"+addr, now)
}

// failed records a wrong credential from addr.
func (l *authLimits) failed(addr, cred string, now time.Time) {
	if l.off {
		return
	}
	l.addrFail.get(addr, now).AllowN(now, 1)
	if cred != "" {
		l.credFail.get(cred, now).AllowN(now, 1)
	}
}

// succeeded records a right credential from addr: the address is then
// not slowed by the credential's failures.
func (l *authLimits) succeeded(addr, cred string, now time.Time) {
	if l.off || cred == "" {
		return
	}
	l.known.add(cred+"|"+addr, now)
}

// admitCheck decides whether an anonymous caller at addr may check the QR
// token; every check counts, valid or not.
func (l *authLimits) admitCheck(addr, token string, now time.Time) (bool, time.Duration) {
	if l.off {
		return true, 0
	}
	if ok, wait := l.addrFail.has(addr, now); !ok {
		return false, wait
	}
	if ok, wait := l.checkBy.take(addr, now); !ok {
		return false, wait
	}
	return l.check.take(l.credential("qr", token), now)
}

// clientAddr is the address the limits key on: the connection's remote
// address, or, when that is a configured trusted proxy, the last address
// in X-Forwarded-For that is not a trusted proxy. IPv6 addresses count by
// their /64, which one subscriber usually holds whole.
func (l *authLimits) clientAddr(r *nethttp.Request) string {
	addr := remoteAddr(r.RemoteAddr)
	if l.isTrusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // a malformed hop: trust nothing before it
			}
			addr = a.Unmap()
			if !l.isTrusted(addr) {
				break
			}
		}
	}
	if !addr.IsValid() {
		return r.RemoteAddr
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}

func (l *authLimits) isTrusted(a netip.Addr) bool {
	for _, p := range l.trusted {
		if a.IsValid() && p.Contains(a) {
			return true
		}
	}
	return false
}

func remoteAddr(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(s)
	return a.Unmap()
}

// tooMany answers 429 with Retry-After in whole seconds, at least one.
func (s *Server) tooMany(w nethttp.ResponseWriter, r *nethttp.Request, wait time.Duration, page bool) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	err := zhengzhao.Errorf(codeTooManyRequests, "too many attempts; try again in %d seconds", secs)
	if page {
		s.pageError(w, r, err)
		return
	}
	s.problem(w, r, err, codeTooManyRequests, zhengzhao.ErrorMessage(err))
}

// bearerToken returns the token of an Authorization header, or "".
func bearerToken(header []string) string {
	if len(header) != 1 {
		return ""
	}
	scheme, token, ok := cutSpace(header[0])
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return token
}

// checkPresentation checks a QR display token for handleVerifyPresentation
// and the verifier page. Anonymous callers are limited per token and per
// address (admitCheck) before the library is asked, because every check
// the library answers lands in the holder's usage record: the per-token
// bucket bounds how many entries anonymous checks can add to one record
// (AnonymousChecks at once, one more per AnonymousCheckEvery), while
// signed-in verifiers (units, the administrator, holders) are recorded
// individually and not limited per token. A forged or unknown token counts
// as a failed credential of the address. limited is true when the answer
// (429) has been written.
func (s *Server) checkPresentation(w nethttp.ResponseWriter, r *nethttp.Request, token string, page bool) (res *zhengzhao.PresentationResult, limited bool, err error) {
	addr, now := s.limits.clientAddr(r), time.Now()
	if zhengzhao.ActorFromContext(r.Context()).Kind == zhengzhao.ActorAnonymous {
		if ok, wait := s.limits.admitCheck(addr, token, now); !ok {
			s.tooMany(w, r, wait, page)
			return nil, true, nil
		}
	}
	res, err = s.holders.VerifyPresentation(r.Context(), token)
	if code := zhengzhao.ErrorCode(err); code == zhengzhao.EINVALID || code == zhengzhao.ENOTFOUND ||
		err == nil && !res.Checks.Signature {
		s.limits.failed(addr, "", now)
	}
	return res, false, err
}
