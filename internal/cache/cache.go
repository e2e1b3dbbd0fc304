// Package cache is a small generic TTL cache for upstream reads, with an
// injectable clock and one load per key at a time (singleflight).
//
// Expired entries are removed lazily, when a read finds them and whenever a
// value is stored, never by a background goroutine: nothing has to be started
// or stopped with the server, no goroutine outlives the handlers that use the
// cache, and tests driven by a FakeClock see expiry exactly when they advance
// it. The caches here hold a handful of entries per env (list pages, service
// details, one template list) and every store follows an upstream call that
// costs far more than a sweep, so a full sweep on store keeps memory bounded
// at negligible cost.
package cache

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
)

// Clock tells the time; tests inject a FakeClock. It is the server's one
// clock (internal/clock); the names here are kept for the cache's callers.
type Clock = clock.Clock

// SystemClock is the real clock.
type SystemClock = clock.System

// FakeClock is a manually driven clock for tests.
type FakeClock = clock.Fake

// NewFakeClock returns a FakeClock reading t.
func NewFakeClock(t time.Time) *FakeClock { return clock.NewFake(t) }

// Outcome says how GetOrLoad produced its value (handlers report it, e.g. as
// fromCache).
type Outcome string

const (
	// Hit: a fresh cached value was returned; load was not called.
	Hit Outcome = "hit"
	// Miss: nothing fresh was cached, so the value was loaded.
	Miss Outcome = "miss"
	// Refresh: the caller asked to bypass the cached value; it was loaded.
	Refresh Outcome = "refresh"
	// Bypass: caching is disabled for the call (ttl <= 0); it was loaded.
	Bypass Outcome = "bypass"
)

// PanicError is returned to every caller sharing a load that panicked, so a
// panic never leaves waiters blocked.
type PanicError struct {
	Key   string
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("cache: load for key %q panicked: %v", e.Key, e.Value)
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// call is one in-flight load shared by every caller of the same key.
type call[V any] struct {
	done chan struct{}
	v    V
	err  error
	// leaderCanceled: the load failed while its ctx (the first caller's) had
	// ended, so the error says nothing about the key; waiters retry.
	leaderCanceled bool
	// detached: a Set/Delete/DeletePrefix touched the key during the load,
	// so its result is older than the write and must not be stored.
	detached bool
	// waiters counts callers sharing the call besides the first (tests use it
	// to prove callers really overlapped).
	waiters int
}

// Cache is a goroutine-safe TTL cache from string keys to V.
type Cache[V any] struct {
	clock Clock

	mu      sync.RWMutex
	entries map[string]entry[V]
	calls   map[string]*call[V]

	// observe hears every GetOrLoad outcome (metrics); nil = nobody.
	observe func(Outcome)
}

// Observe makes fn hear the outcome of every GetOrLoad that returns a value
// (metrics). Set it before the cache is shared.
func (c *Cache[V]) Observe(fn func(Outcome)) { c.observe = fn }

// New returns an empty cache reading time from clock (nil = SystemClock).
func New[V any](clock Clock) *Cache[V] {
	if clock == nil {
		clock = SystemClock{}
	}
	return &Cache[V]{
		clock:   clock,
		entries: make(map[string]entry[V]),
		calls:   make(map[string]*call[V]),
	}
}

// GetOrLoad returns the cached value for key while it is fresh, unless refresh
// is set; otherwise it calls load and, when load succeeds and asks to store
// (its bool), caches the value for ttl. ttl <= 0 disables caching for the
// call: it always loads and stores nothing.
//
// Concurrent callers for one key share a single load call and its result,
// whatever their ttl or refresh. The load runs in the first caller's goroutine
// with the first caller's ctx. A waiting caller whose own ctx ends returns
// ctx.Err() at once while the load goes on for the others; if the load fails
// because the first caller's ctx ended, waiters that are still live start a
// new load instead of inheriting that cancellation. Errors are never cached.
// A panic in load is recovered and returned to every sharer as *PanicError.
func (c *Cache[V]) GetOrLoad(ctx context.Context, key string, ttl time.Duration, refresh bool,
	load func(ctx context.Context) (V, bool, error)) (V, Outcome, error) {
	v, outcome, err := c.getOrLoad(ctx, key, ttl, refresh, load)
	if c.observe != nil && err == nil {
		c.observe(outcome)
	}
	return v, outcome, err
}

func (c *Cache[V]) getOrLoad(ctx context.Context, key string, ttl time.Duration, refresh bool,
	load func(ctx context.Context) (V, bool, error)) (V, Outcome, error) {
	outcome := Miss
	switch {
	case ttl <= 0:
		outcome = Bypass
	case refresh:
		outcome = Refresh
	}
	var zero V
	for {
		if outcome == Miss {
			if v, ok := c.Get(key); ok {
				return v, Hit, nil
			}
		}

		c.mu.Lock()
		if outcome == Miss {
			// Re-check under the write lock: a load may have stored the
			// key since the read above.
			if v, ok := c.freshLocked(key); ok {
				c.mu.Unlock()
				return v, Hit, nil
			}
		}
		if cl, ok := c.calls[key]; ok {
			cl.waiters++
			c.mu.Unlock()
			select {
			case <-cl.done:
			case <-ctx.Done():
				return zero, outcome, ctx.Err()
			}
			if cl.err != nil && cl.leaderCanceled && ctx.Err() == nil {
				continue
			}
			return cl.v, outcome, cl.err
		}
		cl := &call[V]{done: make(chan struct{})}
		c.calls[key] = cl
		c.mu.Unlock()

		c.lead(ctx, key, ttl, cl, load)
		return cl.v, outcome, cl.err
	}
}

// lead runs load for the callers of key and publishes the result.
func (c *Cache[V]) lead(ctx context.Context, key string, ttl time.Duration, cl *call[V],
	load func(ctx context.Context) (V, bool, error)) {
	store := false
	defer func() {
		if r := recover(); r != nil {
			var zero V
			cl.v, store = zero, false
			cl.err = &PanicError{Key: key, Value: r, Stack: debug.Stack()}
		}
		if cl.err != nil && ctx.Err() != nil {
			cl.leaderCanceled = true
		}
		c.mu.Lock()
		if c.calls[key] == cl {
			delete(c.calls, key)
		}
		if cl.err == nil && store && ttl > 0 && !cl.detached {
			c.setLocked(key, cl.v, ttl)
		}
		c.mu.Unlock()
		close(cl.done)
	}()
	cl.v, store, cl.err = load(ctx)
}

// Get returns the value cached for key if it is still fresh.
func (c *Cache[V]) Get(key string) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[key]
	c.mu.RUnlock()
	if !ok {
		var zero V
		return zero, false
	}
	if c.clock.Now().Before(e.expires) {
		return e.v, true
	}
	c.mu.Lock()
	// Remove it only if nobody stored a fresh value meanwhile.
	if cur, ok := c.entries[key]; ok && !c.clock.Now().Before(cur.expires) {
		delete(c.entries, key)
	}
	c.mu.Unlock()
	var zero V
	return zero, false
}

// freshLocked is Get for a caller that holds the write lock.
func (c *Cache[V]) freshLocked(key string) (V, bool) {
	e, ok := c.entries[key]
	if ok && c.clock.Now().Before(e.expires) {
		return e.v, true
	}
	if ok {
		delete(c.entries, key)
	}
	var zero V
	return zero, false
}

// Set caches v for key for ttl (ttl <= 0 removes the key instead). A load of
// key that is in flight will not overwrite it.
func (c *Cache[V]) Set(key string, v V, ttl time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.detachLocked(key)
	if ttl <= 0 {
		delete(c.entries, key)
		return
	}
	c.setLocked(key, v, ttl)
}

func (c *Cache[V]) setLocked(key string, v V, ttl time.Duration) {
	now := c.clock.Now()
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	c.entries[key] = entry[V]{v: v, expires: now.Add(ttl)}
}

// detachLocked stops an in-flight load of key from storing its (now older)
// result and lets later callers start a fresh load rather than join it.
func (c *Cache[V]) detachLocked(key string) {
	if cl, ok := c.calls[key]; ok {
		cl.detached = true
		delete(c.calls, key)
	}
}

// Delete removes key, and keeps an in-flight load of key from storing a
// result read before the write that prompted the delete.
func (c *Cache[V]) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.detachLocked(key)
	delete(c.entries, key)
}

// DeletePrefix removes every key starting with prefix (writes use it to drop,
// for example, all list pages of an env; see ScopePrefix) and returns how many
// cached entries it removed. In-flight loads of such keys will not store.
func (c *Cache[V]) DeletePrefix(prefix string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.calls {
		if strings.HasPrefix(k, prefix) {
			c.detachLocked(k)
		}
	}
	n := 0
	for k := range c.entries {
		if strings.HasPrefix(k, prefix) {
			delete(c.entries, k)
			n++
		}
	}
	return n
}

// Len returns the number of fresh entries.
func (c *Cache[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	now := c.clock.Now()
	n := 0
	for _, e := range c.entries {
		if now.Before(e.expires) {
			n++
		}
	}
	return n
}
