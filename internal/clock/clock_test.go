package clock

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPollStopsWhenDone(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	calls := 0
	err := Poll(context.Background(), c, Backoff{First: time.Millisecond, Max: 4 * time.Millisecond, Factor: 2}, func(context.Context, int) (bool, error) {
		calls++
		return calls == 4, nil
	})
	require.NoError(t, err)
	assert.Equal(t, 4, calls)
	assert.Equal(t, time.Unix(0, 0).Add(7*time.Millisecond), c.Now(), "waits of 1, 2 and 4 ms")
}

func TestPollBudgetAndErrors(t *testing.T) {
	c := NewFake(time.Unix(0, 0))
	calls := 0
	err := Poll(context.Background(), c, Backoff{First: time.Millisecond, Max: 2 * time.Millisecond, Factor: 2, Budget: 5 * time.Millisecond},
		func(context.Context, int) (bool, error) { calls++; return false, nil })
	assert.ErrorIs(t, err, ErrBudget)
	assert.Equal(t, 4, calls, "1 + 2 + 2 ms waited; the next 2 ms would exceed 5")

	boom := errors.New("boom")
	err = Poll(context.Background(), c, Backoff{}, func(context.Context, int) (bool, error) { return false, boom })
	assert.ErrorIs(t, err, boom)
}

func TestPollEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	err := Poll(ctx, System{}, Backoff{First: time.Hour}, func(context.Context, int) (bool, error) {
		cancel()
		return false, nil
	})
	assert.ErrorIs(t, err, context.Canceled)
}
