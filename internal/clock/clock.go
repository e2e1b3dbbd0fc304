// Package clock is the one source of time for the server: handlers, caches,
// waits, progress and the audit log read it instead of the time package, so
// that tests can drive it. Poll is the one wait-with-backoff loop.
package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	Now() time.Time
	// After fires once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
}

// System is the real clock.
type System struct{}

// Now is time.Now.
func (System) Now() time.Time { return time.Now() }

// After is time.After.
func (System) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Fake is a manually driven clock for tests; goroutine-safe. Now moves only
// with Advance, Set and After. After moves it by d and fires once d has also
// passed in real time: a wait takes as long as it would with the real clock
// (what the code waits for, an emulator or a child process, runs in real
// time), and the fake never lags behind what was waited.
type Fake struct {
	mu  sync.Mutex
	now time.Time
}

// NewFake returns a Fake reading t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Advance moves the fake time forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// Set moves the fake time to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
}

// After advances the fake time by d and fires after d of real time.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.Advance(d)
	return time.After(d)
}

// Backoff describes a wait: the first interval, growing by Factor up to Max,
// for at most Budget of total waiting (0 = no bound but ctx).
type Backoff struct {
	First  time.Duration
	Max    time.Duration
	Factor float64 // <= 1 means 1.5
	Budget time.Duration
}

// ErrBudget is returned by Poll when the budget ran out before fn said done.
var ErrBudget = budgetError{}

type budgetError struct{}

func (budgetError) Error() string { return "stopped waiting: the time budget ran out" }

// Poll calls fn until it reports done (or fails), waiting on c between
// calls with the backoff. It returns nil once done, fn's error, ctx's error
// when ctx ends (a wait is cut short at once), or ErrBudget once the next
// wait would exceed the budget. attempt counts fn's calls from 0.
func Poll(ctx context.Context, c Clock, b Backoff, fn func(ctx context.Context, attempt int) (done bool, err error)) error {
	if b.Factor <= 1 {
		b.Factor = 1.5
	}
	if b.First <= 0 {
		b.First = 100 * time.Millisecond
	}
	if b.Max < b.First {
		b.Max = b.First
	}
	interval, waited := b.First, time.Duration(0)
	for attempt := 0; ; attempt++ {
		done, err := fn(ctx, attempt)
		if err != nil || done {
			return err
		}
		if b.Budget > 0 && waited+interval > b.Budget {
			return ErrBudget
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.After(interval):
		}
		waited += interval
		interval = min(time.Duration(float64(interval)*b.Factor), b.Max)
	}
}
