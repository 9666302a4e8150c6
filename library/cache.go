package library

import "sync"

// cache is a bounded map for values that never go stale: two generations,
// and when the current one is full it becomes the previous one, so the
// entries used since the last turn survive and memory stays bounded at
// twice max entries.
type cache[K comparable, V any] struct {
	mu        sync.Mutex
	cur, prev map[K]V
	max       int
}

func newCache[K comparable, V any](max int) *cache[K, V] {
	return &cache[K, V]{cur: make(map[K]V), max: max}
}

func (c *cache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.prev[k]
	if ok {
		c.putLocked(k, v)
	}
	return v, ok
}

func (c *cache[K, V]) put(k K, v V) {
	c.mu.Lock()
	c.putLocked(k, v)
	c.mu.Unlock()
}

func (c *cache[K, V]) putLocked(k K, v V) {
	if len(c.cur) >= c.max {
		c.prev, c.cur = c.cur, make(map[K]V, c.max)
	}
	c.cur[k] = v
}
