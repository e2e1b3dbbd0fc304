package cache

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// counter returns a load func that yields v with store, and counts its calls.
func counter(v string, store bool, err error) (func(context.Context) (string, bool, error), *atomic.Int32) {
	var n atomic.Int32
	return func(context.Context) (string, bool, error) {
		n.Add(1)
		return v, store, err
	}, &n
}

func TestGetOrLoad(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	tests := []struct {
		name string
		run  func(t *testing.T, c *Cache[string], clk *FakeClock)
	}{
		{"hit after Set", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			c.Set("k", "cached", time.Minute)
			load, n := counter("loaded", true, nil)
			v, out, err := c.GetOrLoad(ctx, "k", time.Minute, false, load)
			require.NoError(t, err)
			assert.Equal(t, "cached", v)
			assert.Equal(t, Hit, out)
			assert.Zero(t, n.Load())
		}},
		{"miss then hit", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			load, n := counter("v1", true, nil)
			v, out, err := c.GetOrLoad(ctx, "k", time.Minute, false, load)
			require.NoError(t, err)
			assert.Equal(t, "v1", v)
			assert.Equal(t, Miss, out)
			v, out, err = c.GetOrLoad(ctx, "k", time.Minute, false, load)
			require.NoError(t, err)
			assert.Equal(t, "v1", v)
			assert.Equal(t, Hit, out)
			assert.EqualValues(t, 1, n.Load())
		}},
		{"expiry", func(t *testing.T, c *Cache[string], clk *FakeClock) {
			load, n := counter("v", true, nil)
			_, _, err := c.GetOrLoad(ctx, "k", time.Minute, false, load)
			require.NoError(t, err)
			clk.Advance(time.Minute - time.Nanosecond)
			_, out, _ := c.GetOrLoad(ctx, "k", time.Minute, false, load)
			assert.Equal(t, Hit, out)
			clk.Advance(time.Nanosecond)
			_, ok := c.Get("k")
			assert.False(t, ok, "an entry is stale exactly at its expiry")
			_, out, _ = c.GetOrLoad(ctx, "k", time.Minute, false, load)
			assert.Equal(t, Miss, out)
			assert.EqualValues(t, 2, n.Load())
		}},
		{"ttl 0 bypasses", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			c.Set("k", "old", time.Minute)
			load, n := counter("new", true, nil)
			for range 2 {
				v, out, err := c.GetOrLoad(ctx, "k", 0, false, load)
				require.NoError(t, err)
				assert.Equal(t, "new", v)
				assert.Equal(t, Bypass, out)
			}
			assert.EqualValues(t, 2, n.Load())
			v, _ := c.Get("k")
			assert.Equal(t, "old", v, "a bypassing call stores nothing")
		}},
		{"refresh bypasses and replaces", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			c.Set("k", "old", time.Minute)
			load, n := counter("new", true, nil)
			v, out, err := c.GetOrLoad(ctx, "k", time.Minute, true, load)
			require.NoError(t, err)
			assert.Equal(t, "new", v)
			assert.Equal(t, Refresh, out)
			v, out, _ = c.GetOrLoad(ctx, "k", time.Minute, false, load)
			assert.Equal(t, "new", v)
			assert.Equal(t, Hit, out)
			assert.EqualValues(t, 1, n.Load())
		}},
		{"store=false is not cached", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			load, n := counter("running", false, nil)
			for range 2 {
				v, out, err := c.GetOrLoad(ctx, "k", time.Minute, false, load)
				require.NoError(t, err)
				assert.Equal(t, "running", v)
				assert.Equal(t, Miss, out)
			}
			assert.EqualValues(t, 2, n.Load())
			assert.Zero(t, c.Len())
		}},
		{"errors are not cached", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			load, n := counter("ignored", true, boom)
			for range 2 {
				_, _, err := c.GetOrLoad(ctx, "k", time.Minute, false, load)
				assert.ErrorIs(t, err, boom)
			}
			assert.EqualValues(t, 2, n.Load())
			assert.Zero(t, c.Len())
		}},
		{"panic becomes an error", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			_, _, err := c.GetOrLoad(ctx, "k", time.Minute, false, func(context.Context) (string, bool, error) {
				panic("kaboom")
			})
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "kaboom", pe.Value)
			assert.Contains(t, err.Error(), "kaboom")
			assert.Zero(t, c.Len())
		}},
		{"Set ttl 0 deletes", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			c.Set("k", "v", time.Minute)
			c.Set("k", "v", 0)
			_, ok := c.Get("k")
			assert.False(t, ok)
		}},
		{"Set sweeps expired entries", func(t *testing.T, c *Cache[string], clk *FakeClock) {
			c.Set("a", "v", time.Second)
			c.Set("b", "v", time.Hour)
			clk.Advance(time.Minute)
			assert.Equal(t, 1, c.Len())
			c.Set("c", "v", time.Hour)
			c.mu.RLock()
			_, stillThere := c.entries["a"]
			c.mu.RUnlock()
			assert.False(t, stillThere)
			assert.Equal(t, 2, c.Len())
		}},
		{"Delete", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			c.Set("k", "v", time.Minute)
			c.Delete("k")
			_, ok := c.Get("k")
			assert.False(t, ok)
		}},
		{"DeletePrefix", func(t *testing.T, c *Cache[string], _ *FakeClock) {
			list := ScopePrefix("ap-shanghai", "env-1", "AKID1", "list")
			c.Set(Key("ap-shanghai", "env-1", "AKID1", "list", "10", "1"), "p1", time.Minute)
			c.Set(Key("ap-shanghai", "env-1", "AKID1", "list", "10", "2"), "p2", time.Minute)
			c.Set(Key("ap-shanghai", "env-1", "AKID1", "listx", "1"), "other part", time.Minute)
			c.Set(Key("ap-shanghai", "env-2", "AKID1", "list", "10", "1"), "other env", time.Minute)
			c.Set(Key("ap-shanghai", "env-1", "AKID1", "detail", "svc"), "detail", time.Minute)
			assert.Equal(t, 2, c.DeletePrefix(list))
			assert.Equal(t, 3, c.Len())
			assert.Zero(t, c.DeletePrefix(list))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := NewFakeClock(t0)
			tt.run(t, New[string](clk), clk)
		})
	}
}

func TestNewNilClockUsesSystemClock(t *testing.T) {
	c := New[int](nil)
	c.Set("k", 1, time.Hour)
	v, ok := c.Get("k")
	assert.True(t, ok)
	assert.Equal(t, 1, v)
}

func TestFakeClock(t *testing.T) {
	clk := NewFakeClock(t0)
	clk.Advance(time.Hour)
	assert.Equal(t, t0.Add(time.Hour), clk.Now())
	clk.Set(t0)
	assert.Equal(t, t0, clk.Now())
}

func TestSingleflight(t *testing.T) {
	const callers = 50
	c := New[string](NewFakeClock(t0))

	var loads atomic.Int32
	release := make(chan struct{})
	load := func(context.Context) (string, bool, error) {
		loads.Add(1)
		<-release
		return "shared", true, nil
	}

	type result struct {
		v   string
		err error
	}
	results := make(chan result, callers)
	for range callers {
		go func() {
			v, _, err := c.GetOrLoad(context.Background(), "k", time.Minute, false, load)
			results <- result{v, err}
		}()
	}
	// Barrier: the load is held open until every other caller has joined
	// it, so the callers provably overlap rather than hit a stored value.
	waitForWaiters(t, c, "k", callers-1)
	close(release)

	for range callers {
		r := <-results
		require.NoError(t, r.err)
		assert.Equal(t, "shared", r.v)
	}
	assert.EqualValues(t, 1, loads.Load())
}

// waitForWaiters blocks until n callers besides the loader share key's
// in-flight call.
func waitForWaiters(t *testing.T, c *Cache[string], key string, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		c.mu.RLock()
		defer c.mu.RUnlock()
		cl, ok := c.calls[key]
		return ok && cl.waiters == n
	}, 5*time.Second, time.Millisecond)
}

func TestWaiterContextCancelReturnsPromptly(t *testing.T) {
	c := New[string](NewFakeClock(t0))
	started := make(chan struct{})
	release := make(chan struct{})
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := c.GetOrLoad(context.Background(), "k", time.Minute, false, func(context.Context) (string, bool, error) {
			close(started)
			<-release
			return "v", true, nil
		})
		leaderDone <- err
	}()
	<-started

	ctx, cancel := context.WithCancel(context.Background())
	waiterDone := make(chan error, 1)
	go func() {
		_, _, err := c.GetOrLoad(ctx, "k", time.Minute, false, func(context.Context) (string, bool, error) {
			t.Error("a waiter must not load while a load is in flight")
			return "", false, nil
		})
		waiterDone <- err
	}()
	cancel()
	select {
	case err := <-waiterDone:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("waiter did not return after its context was cancelled")
	}

	close(release)
	require.NoError(t, <-leaderDone)
	v, ok := c.Get("k")
	assert.True(t, ok, "the load went on for the others and stored")
	assert.Equal(t, "v", v)
}

func TestWaiterRetriesWhenLeaderIsCancelled(t *testing.T) {
	c := New[string](NewFakeClock(t0))
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	started := make(chan struct{})
	leaderDone := make(chan error, 1)
	go func() {
		_, _, err := c.GetOrLoad(leaderCtx, "k", time.Minute, false, func(ctx context.Context) (string, bool, error) {
			close(started)
			<-ctx.Done()
			return "", false, ctx.Err()
		})
		leaderDone <- err
	}()
	<-started

	waiterDone := make(chan string, 1)
	go func() {
		v, _, err := c.GetOrLoad(context.Background(), "k", time.Minute, false, func(context.Context) (string, bool, error) {
			return "second load", true, nil
		})
		assert.NoError(t, err)
		waiterDone <- v
	}()
	waitForWaiters(t, c, "k", 1)
	cancelLeader()

	assert.ErrorIs(t, <-leaderDone, context.Canceled)
	select {
	case v := <-waiterDone:
		assert.Equal(t, "second load", v)
	case <-time.After(5 * time.Second):
		t.Fatal("waiter did not finish")
	}
}

func TestPanicDoesNotDeadlockWaiters(t *testing.T) {
	c := New[string](NewFakeClock(t0))
	started := make(chan struct{})
	release := make(chan struct{})
	errs := make(chan error, 2)
	go func() {
		_, _, err := c.GetOrLoad(context.Background(), "k", time.Minute, false, func(context.Context) (string, bool, error) {
			close(started)
			<-release
			panic("kaboom")
		})
		errs <- err
	}()
	<-started
	go func() {
		_, _, err := c.GetOrLoad(context.Background(), "k", time.Minute, false, func(context.Context) (string, bool, error) {
			return "v", true, nil
		})
		errs <- err
	}()
	waitForWaiters(t, c, "k", 1)
	close(release)
	for range 2 {
		select {
		case err := <-errs:
			var pe *PanicError
			assert.ErrorAs(t, err, &pe)
		case <-time.After(5 * time.Second):
			t.Fatal("a caller hung after a panicking load")
		}
	}
}

func TestDeleteDuringLoadPreventsStaleStore(t *testing.T) {
	c := New[string](NewFakeClock(t0))
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan string, 1)
	key := Key("r", "e", "id", "list", "1")
	go func() {
		v, _, _ := c.GetOrLoad(context.Background(), key, time.Minute, false, func(context.Context) (string, bool, error) {
			close(started)
			<-release
			return "read before the write", true, nil
		})
		done <- v
	}()
	<-started
	c.DeletePrefix(ScopePrefix("r", "e", "id", "list"))
	close(release)
	assert.Equal(t, "read before the write", <-done, "the caller still gets its value")
	_, ok := c.Get(key)
	assert.False(t, ok, "a load overtaken by an invalidation must not store")
}

func TestKeyScoping(t *testing.T) {
	const secretID = "AKIDexampleSecretId1234"
	base := Key("ap-shanghai", "env-1", secretID, "detail", "svc")
	assert.True(t, strings.HasPrefix(base, "ap-shanghai|env-1|"))
	assert.True(t, strings.HasSuffix(base, "|detail|svc"))
	assert.NotContains(t, base, secretID)
	assert.Len(t, strings.Split(base, "|")[2], 16, "8 bytes of sha256 in hex")

	variants := map[string]string{
		"region":     Key("ap-guangzhou", "env-1", secretID, "detail", "svc"),
		"env":        Key("ap-shanghai", "env-2", secretID, "detail", "svc"),
		"credential": Key("ap-shanghai", "env-1", "AKIDother", "detail", "svc"),
		"parts":      Key("ap-shanghai", "env-1", secretID, "detail", "svc2"),
	}
	for name, k := range variants {
		assert.NotEqual(t, base, k, name)
	}
	assert.NotEqual(t, Key("r", "e", "c", "a|b"), Key("r", "e", "c", "a", "b"), "separators in parts are escaped")
	assert.True(t, strings.HasPrefix(base, ScopePrefix("ap-shanghai", "env-1", secretID, "detail")))
	assert.False(t, strings.HasPrefix(Key("r", "e", "c", "listx"), ScopePrefix("r", "e", "c", "list")))
}

func BenchmarkGetHit(b *testing.B) {
	c := New[string](nil)
	load := func(context.Context) (string, bool, error) { return "v", true, nil }
	ctx := context.Background()
	_, _, _ = c.GetOrLoad(ctx, "k", time.Hour, false, load)
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = c.GetOrLoad(ctx, "k", time.Hour, false, load)
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	c := New[string](nil)
	load := func(context.Context) (string, bool, error) { return "v", true, nil }
	ctx := context.Background()
	_, _, _ = c.GetOrLoad(ctx, "k", time.Hour, false, load)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _, _ = c.GetOrLoad(ctx, "k", time.Hour, false, load)
		}
	})
}

func TestObserveHearsEveryOutcome(t *testing.T) {
	ctx := context.Background()
	c := New[string](NewFakeClock(t0))
	var heard []Outcome
	c.Observe(func(o Outcome) { heard = append(heard, o) })
	load, _ := counter("v", true, nil)
	for _, refresh := range []bool{false, false, true} {
		_, _, err := c.GetOrLoad(ctx, "k", time.Minute, refresh, load)
		require.NoError(t, err)
	}
	_, _, err := c.GetOrLoad(ctx, "k", 0, false, load)
	require.NoError(t, err)
	failing, _ := counter("", false, errors.New("boom"))
	_, _, err = c.GetOrLoad(ctx, "other", time.Minute, false, failing)
	require.Error(t, err)
	assert.Equal(t, []Outcome{Miss, Hit, Refresh, Bypass}, heard, "failed loads are not outcomes")
}
