// Package ratelimit is a keyed token bucket: one bucket per key (a caller, or
// a caller and an upstream action), refilled at a steady rate up to a burst.
// Callers either ask whether a token is there now (Allow: the HTTP layer
// answers 429) or wait for one (Wait: upstream calls queue instead of
// failing). The number of buckets is bounded: a bucket that has refilled is
// the same as no bucket and is dropped first.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
)

// DefaultMaxKeys bounds the buckets kept at once.
const DefaultMaxKeys = 10000

// Limiter is a set of token buckets, one per key; goroutine-safe. A nil
// *Limiter or a rate <= 0 allows everything.
type Limiter struct {
	rate    float64 // tokens per second
	burst   float64
	maxKeys int
	clock   clock.Clock

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64 // may go negative: tokens promised to waiters
	last   time.Time
}

// New returns a limiter of rate tokens per second per key, holding at most
// burst (at least 1); clk nil = the system clock, maxKeys <= 0 =
// DefaultMaxKeys.
func New(rate float64, burst int, maxKeys int, clk clock.Clock) *Limiter {
	if clk == nil {
		clk = clock.System{}
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Limiter{rate: rate, burst: math.Max(1, float64(burst)), maxKeys: maxKeys, clock: clk, buckets: map[string]*bucket{}}
}

func (l *Limiter) off() bool { return l == nil || l.rate <= 0 }

// Allow takes a token for key if one is there now. When none is, it takes
// nothing and says how long until one will be.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l.off() {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.refill(key)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, l.deficit(b.tokens)
}

// Wait takes a token for key, waiting until there is one or ctx ends (then
// the token is given back and ctx's error returned).
func (l *Limiter) Wait(ctx context.Context, key string) error {
	if l.off() {
		return nil
	}
	l.mu.Lock()
	b := l.refill(key)
	b.tokens--
	wait := time.Duration(0)
	if b.tokens < 0 {
		wait = l.deficit(b.tokens + 1)
	}
	l.mu.Unlock()
	if wait <= 0 {
		return nil
	}
	if ctx.Err() == nil {
		select {
		case <-l.clock.After(wait):
			return nil
		case <-ctx.Done():
		}
	}
	l.mu.Lock()
	l.refill(key).tokens++
	l.mu.Unlock()
	return ctx.Err()
}

// deficit is how long until the bucket holds one whole token again.
func (l *Limiter) deficit(tokens float64) time.Duration {
	return time.Duration((1 - tokens) / l.rate * float64(time.Second))
}

// refill returns key's bucket brought up to now; l.mu is held.
func (l *Limiter) refill(key string) *bucket {
	now := l.clock.Now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= l.maxKeys {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
		return b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	return b
}

// sweep drops the buckets that have refilled (they hold nothing a new bucket
// would not); if every bucket is busy, it drops some anyway: forgetting a
// bucket only makes the limiter more lenient, never stuck.
func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.maxKeys {
			return
		}
		delete(l.buckets, k)
	}
}

// Len is how many buckets are kept (tests).
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
