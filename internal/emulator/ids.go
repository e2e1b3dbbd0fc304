package emulator

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// idGen produces every generated identifier of the state deterministically
// from the seed (spec §9.2 formats). It is used under the state mutex.
type idGen struct {
	r           *rand.Rand
	nextTask    int64
	nextRelease int64
	nextBuild   int64
}

func newIDGen(seed int64) *idGen {
	r := rand.New(rand.NewPCG(uint64(seed), 0x7463627265))
	return &idGen{
		r:           r,
		nextTask:    2_300_000 + r.Int64N(20_000),
		nextRelease: 2_100_000 + r.Int64N(20_000),
		nextBuild:   2_600_000_000 + r.Int64N(10_000_000),
	}
}

func (g *idGen) taskID() int64    { g.nextTask += 1 + g.r.Int64N(40); return g.nextTask }
func (g *idGen) releaseID() int64 { g.nextRelease += 1 + g.r.Int64N(20); return g.nextRelease }
func (g *idGen) buildID() int64   { g.nextBuild += 1 + g.r.Int64N(5_000); return g.nextBuild }

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func (g *idGen) pick(set string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(set[g.r.IntN(len(set))])
	}
	return b.String()
}

func (g *idGen) runID() string       { return "multi_tenant_" + g.pick(alnum, 14) }
func (g *idGen) digits(n int) string { return g.pick("0123456789", n) }
func (g *idGen) hex(n int) string    { return g.pick("0123456789abcdef", n) }
func (g *idGen) lower(n int) string  { return g.pick("abcdefghijklmnopqrstuvwxyz0123456789", n) }

// ipv4 is a pod address in the 10.0.0.0/8 range, for log lines.
func (g *idGen) ipv4() string {
	return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 2+g.r.IntN(250))
}

// requestIDs makes UUIDv4 RequestIds; deterministic per seed and goroutine-safe.
type requestIDs struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newRequestIDs(seed int64) *requestIDs {
	return &requestIDs{r: rand.New(rand.NewPCG(uint64(seed), 0x52657149))}
}

func (q *requestIDs) next() string {
	var b [16]byte
	q.mu.Lock()
	for i := range b {
		b[i] = byte(q.r.UintN(256))
	}
	q.mu.Unlock()
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
