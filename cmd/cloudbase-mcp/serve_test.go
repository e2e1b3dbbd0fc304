package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A cleanup that outlives the grace period must not stop shutdown, and when
// it finishes later it must not panic (it once closed a channel the wait
// loop had already dropped).
func TestAwaitShutdownLeavesASlowCleanupToFinish(t *testing.T) {
	base := runtime.NumGoroutine()
	eof := make(chan struct{})
	close(eof) // stdin ended
	release := make(chan struct{})
	cleanupDone := make(chan struct{})
	cleanup := func() { <-release; close(cleanupDone) }
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	// Listen never returns: a call is stuck too.
	err := awaitShutdown(context.Background(), eof, make(chan error), cleanup, 20*time.Millisecond, logger)
	require.NoError(t, err)

	close(release)
	<-cleanupDone
	// The cleanup goroutine closes its channel and exits; a panic there
	// would end this test binary.
	// (Polled by hand: testify's Eventually runs its condition in a
	// goroutine of its own, which would be counted.)
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > base; {
		require.True(t, time.Now().Before(deadline), "the cleanup goroutine did not exit")
		time.Sleep(5 * time.Millisecond)
	}
}

// When every call returns and cleanup is quick, shutdown returns what the
// transport returned, without waiting for the grace period.
func TestAwaitShutdownReturnsTheTransportError(t *testing.T) {
	done := make(chan error, 1)
	want := errors.New("transport closed")
	done <- want
	cleaned := false
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))

	err := awaitShutdown(context.Background(), make(chan struct{}), done, func() { cleaned = true }, time.Hour, logger)
	assert.ErrorIs(t, err, want)
	assert.True(t, cleaned, "cleanup ran before shutdown returned")
}
