package library

import "sync"

// cache is a bounded map for values that never go stale: two generations,
// and when the current one has used half the budget it becomes the
// previous one, so the entries used since the last turn survive and the
// retained size stays within maxBytes. The size of an entry is what the
// cache's size function says it costs on the heap (key, value and map
// slot); see the size functions beside each cache and the tests that
// measure them.
type cache[K comparable, V any] struct {
	mu        sync.Mutex
	cur, prev map[K]V
	curBytes  int // sum of size over cur
	prevBytes int // sum of size over prev
	maxBytes  int
	size      func(K, V) int
}

func newCache[K comparable, V any](maxBytes int, size func(K, V) int) *cache[K, V] {
	return &cache[K, V]{cur: make(map[K]V), maxBytes: maxBytes, size: size}
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
	n := c.size(k, v)
	if 2*n > c.maxBytes {
		return // larger than a generation: not cached
	}
	if old, ok := c.cur[k]; ok {
		c.curBytes -= c.size(k, old)
	}
	if 2*(c.curBytes+n) > c.maxBytes {
		c.prev, c.prevBytes = c.cur, c.curBytes
		c.cur, c.curBytes = make(map[K]V), 0
	}
	c.cur[k] = v
	c.curBytes += n
}

// bytes returns the accounted size of both generations.
func (c *cache[K, V]) bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.curBytes + c.prevBytes
}

// len returns the number of entries in both generations.
func (c *cache[K, V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.prev)
}
