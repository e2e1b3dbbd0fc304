package emulator

import (
	"sync"
	"time"
)

// defaultStart is the virtual clock origin when Options.Start is zero.
var defaultStart = time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC)

// cst is the zone every time in a response is rendered in (Asia/Shanghai has
// no DST, so a fixed zone needs no tzdata).
var cst = time.FixedZone("CST", 8*3600)

const timeLayout = "2006-01-02 15:04:05"

// fmtTime renders t as the API does; the zero time renders as "".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(cst).Format(timeLayout)
}

// clock is the virtual clock: base + real elapsed × speed. Advances and speed
// changes re-anchor it, so it never runs backwards.
type clock struct {
	mu       sync.Mutex
	real     func() time.Time
	baseVirt time.Time
	baseReal time.Time
	speed    float64
}

func newClock(origin time.Time, speed float64) *clock {
	c := &clock{real: time.Now}
	c.reset(origin, speed)
	return c
}

func (c *clock) reset(origin time.Time, speed float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.baseVirt, c.baseReal, c.speed = origin, c.real(), max(speed, 0)
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nowLocked()
}

func (c *clock) nowLocked() time.Time {
	elapsed := c.real().Sub(c.baseReal)
	return c.baseVirt.Add(time.Duration(float64(elapsed) * c.speed))
}

// advance moves the clock forward by d; negative durations are ignored.
func (c *clock) advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.baseVirt, c.baseReal = c.nowLocked().Add(d), c.real()
}

// setSpeed changes the rate; 0 freezes the clock, negative values count as 0.
func (c *clock) setSpeed(x float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.baseVirt, c.baseReal, c.speed = c.nowLocked(), c.real(), max(x, 0)
}

func (c *clock) getSpeed() float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.speed
}
