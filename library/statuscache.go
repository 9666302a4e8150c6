package library

import (
	"context"
	"time"

	"github.com/zhengzhao-project/zhengzhao"
)

// DefaultVerifyStatusTTL is the default of Config.VerifyStatusTTL.
const DefaultVerifyStatusTTL = time.Second

// statusCache keeps what online verification read of recent licenses for
// a short time, so that the same license verified many times a second
// costs the database one read a second. Changes made through this server
// take effect at once: the store is wrapped (trackingStore) so that every
// committed change of a license's lifecycle or objections marks its base
// changed, and an entry read before the last change of its base is not
// used. Changes made through other servers on the same database take
// effect within the TTL.
type statusCache struct {
	ttl      time.Duration
	statuses *cache[string, statusEntry] // by license ID
	changed  *cache[string, time.Time]   // by base: when this server last changed it
}

type statusEntry struct {
	status  *zhengzhao.LicenseStatus
	fetched time.Time // taken before the read
}

// newStatusCache bounds the statuses at statusBytes and the change marks
// at changedBytes (cache.go).
func newStatusCache(ttl time.Duration, statusBytes, changedBytes int) *statusCache {
	return &statusCache{ttl: ttl, statuses: newCache(statusBytes, statusEntrySize),
		changed: newCache(changedBytes, changedSize)}
}

// get returns a usable entry for a license ID at now.
func (c *statusCache) get(id, base string, now time.Time) (*zhengzhao.LicenseStatus, bool) {
	if c.ttl <= 0 {
		return nil, false
	}
	e, ok := c.statuses.get(id)
	if !ok || now.Sub(e.fetched) >= c.ttl || now.Before(e.fetched) {
		return nil, false
	}
	if at, ok := c.changed.get(base); ok && !e.fetched.After(at) {
		return nil, false
	}
	return e.status, true
}

func (c *statusCache) put(id string, st *zhengzhao.LicenseStatus, fetched time.Time) {
	if c.ttl > 0 {
		c.statuses.put(id, statusEntry{status: st, fetched: fetched})
	}
}

// markChanged records that the licenses with these bases changed, after
// the commit.
func (c *statusCache) markChanged(bases []string, at time.Time) {
	for _, b := range bases {
		c.changed.put(b, at)
	}
}

// trackingStore is the library's view of its store: Update notes the
// bases of the licenses whose lifecycle or objections fn changed, and
// marks them changed in the status cache once the change is committed.
// The store's optional interfaces are passed through.
type trackingStore struct {
	zhengzhao.Store
	changed func(bases []string)
}

func (s trackingStore) Update(ctx context.Context, fn func(zhengzhao.Tx) error) error {
	return s.track(s.Store.Update, ctx, fn)
}

// UpdateAlone runs fn in a transaction of its own where the store can run
// one beside its group commit (zhengzhao.SoloUpdater), in Update
// otherwise.
func (s trackingStore) UpdateAlone(ctx context.Context, fn func(zhengzhao.Tx) error) error {
	if solo, ok := s.Store.(zhengzhao.SoloUpdater); ok {
		return s.track(solo.UpdateAlone, ctx, fn)
	}
	return s.Update(ctx, fn)
}

// track runs fn through update with a Tx that notes the bases fn changes,
// and reports them once update has committed.
func (s trackingStore) track(update func(context.Context, func(zhengzhao.Tx) error) error, ctx context.Context, fn func(zhengzhao.Tx) error) error {
	var bases []string
	err := update(ctx, func(tx zhengzhao.Tx) error {
		bases = bases[:0] // fn may run again
		return fn(trackingTx{Tx: tx, bases: &bases})
	})
	if err == nil && len(bases) > 0 {
		s.changed(bases)
	}
	return err
}

// Peek reads outside a transaction where the store offers it
// (zhengzhao.Peeker), in a read transaction otherwise.
func (s trackingStore) Peek(ctx context.Context, fn func(zhengzhao.ReadTx) error) error {
	if p, ok := s.Store.(zhengzhao.Peeker); ok {
		return p.Peek(ctx, fn)
	}
	return s.Store.View(ctx, fn)
}

// trackingTx notes the bases of the licenses a transaction changes in
// ways verification reports.
type trackingTx struct {
	zhengzhao.Tx
	bases *[]string
}

func (t trackingTx) UpdateLicenseLifecycle(l *zhengzhao.License) error {
	*t.bases = append(*t.bases, l.Base())
	return t.Tx.UpdateLicenseLifecycle(l)
}

func (t trackingTx) CreateObjection(o *zhengzhao.Objection) error {
	*t.bases = append(*t.bases, o.LicenseBase)
	return t.Tx.CreateObjection(o)
}

func (t trackingTx) UpdateObjection(o *zhengzhao.Objection) error {
	*t.bases = append(*t.bases, o.LicenseBase)
	return t.Tx.UpdateObjection(o)
}
