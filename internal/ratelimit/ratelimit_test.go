package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllowSpendsTheBurstThenRefills(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	l := New(2, 3, 0, clk) // 2/s, burst 3
	for i := range 3 {
		ok, _ := l.Allow("a")
		assert.True(t, ok, "call %d is within the burst", i)
	}
	ok, wait := l.Allow("a")
	assert.False(t, ok)
	assert.Equal(t, 500*time.Millisecond, wait, "one token every 1/rate")
	ok, _ = l.Allow("b")
	assert.True(t, ok, "another key has its own bucket")

	clk.Advance(500 * time.Millisecond)
	ok, _ = l.Allow("a")
	assert.True(t, ok)
	ok, _ = l.Allow("a")
	assert.False(t, ok)

	clk.Advance(time.Hour)
	for range 3 {
		ok, _ = l.Allow("a")
		assert.True(t, ok)
	}
	ok, _ = l.Allow("a")
	assert.False(t, ok, "refilling stops at the burst")
}

func TestWaitQueuesAndGivesBackOnCancel(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	l := New(1000, 1, 0, clk)
	require.NoError(t, l.Wait(context.Background(), "a"))
	// The next token is 1 ms away: Wait takes it after waiting (the fake
	// clock advances by the wait).
	before := clk.Now()
	require.NoError(t, l.Wait(context.Background(), "a"))
	assert.Equal(t, time.Millisecond, clk.Now().Sub(before))

	slow := New(0.001, 1, 0, clk)
	require.NoError(t, slow.Wait(context.Background(), "a"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, slow.Wait(ctx, "a"), context.Canceled)
	ok, _ := slow.Allow("a")
	assert.False(t, ok, "a cancelled wait gives its token back, and the bucket is still empty")
	clk.Advance(1000 * time.Second)
	ok, _ = slow.Allow("a")
	assert.True(t, ok, "the cancelled wait left no debt")
}

func TestOffAllowsEverything(t *testing.T) {
	var nilLimiter *Limiter
	ok, _ := nilLimiter.Allow("a")
	assert.True(t, ok)
	assert.NoError(t, nilLimiter.Wait(context.Background(), "a"))
	l := New(0, 1, 0, nil)
	for range 100 {
		ok, _ := l.Allow("a")
		assert.True(t, ok)
	}
}

func TestBucketsAreBounded(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	l := New(1, 1, 10, clk)
	for i := range 100 {
		ok, _ := l.Allow(fmt.Sprint("caller-", i))
		assert.True(t, ok, "a new caller is never refused for lack of room")
	}
	assert.LessOrEqual(t, l.Len(), 10)
	// Refilled buckets go first: a busy caller keeps its empty bucket.
	l = New(1, 1, 3, clk)
	ok, _ := l.Allow("busy")
	require.True(t, ok)
	clk.Advance(2 * time.Second)
	ok, _ = l.Allow("busy")
	require.True(t, ok)
	for i := range 3 {
		_, _ = l.Allow(fmt.Sprint("idle-", i))
		clk.Advance(2 * time.Second)
	}
	_, _ = l.Allow("busy") // refilled by now too; kept or not, it is allowed
	assert.LessOrEqual(t, l.Len(), 3)
}
