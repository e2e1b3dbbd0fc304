//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

const (
	latencyEnv    = "demo-env-1a2b3c" // the emulator's default scenario
	listAction    = "DescribeCloudRunServers"
	concurrentN   = 10
	proofDelay    = 50 * time.Millisecond
	latencyRegion = "ap-shanghai"
)

// stack is the production wiring over loopback: emulator (httptest server) ←
// signed HTTP ← tcbr SDK client ← cloudrun plugin ← MCP server ← mcp-go's
// in-process client. Only the plugin's clock is fake, so a cache entry can be
// expired without waiting for its TTL.
type stack struct {
	emu    *emulator.Emulator
	srv    *httptest.Server
	clock  *cache.FakeClock
	plugin *cloudrun.Plugin
	mcp    *client.Client
	ttl    time.Duration
	dir    string
}

func newStack() (*stack, error) {
	dir, err := os.MkdirTemp("", "cloudbase-mcp-bench-latency-")
	if err != nil {
		return nil, err
	}
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		return nil, err
	}
	srv := httptest.NewServer(emu.Handler())
	s := &stack{emu: emu, srv: srv, dir: dir, ttl: config.DefaultListTTL}
	cfg := &config.Config{
		Region: latencyRegion, EnvID: latencyEnv,
		Credentials:  config.Credentials{SecretID: emulator.DemoSecretID, SecretKey: emulator.DemoSecretKey, Source: "bench"},
		CacheTTL:     config.CacheTTL{List: config.DefaultListTTL, Detail: config.DefaultDetailTTL, Templates: config.DefaultTemplatesTTL},
		Workspace:    dir,
		AuditLog:     filepath.Join(dir, "audit.log"),
		APIBaseURL:   srv.URL,
		TemplatesURL: srv.URL + "/func_tpl/v1.0/function_list/find?skip=0&limit=500",
	}
	tc, err := tcbr.NewSDKClient(tcbr.Options{ // as cmd/cloudbase-mcp/serve.go builds it
		Credential: tcbr.Credential{SecretID: emulator.DemoSecretID, SecretKey: emulator.DemoSecretKey},
		Region:     latencyRegion, BaseURL: srv.URL, Timeout: config.DefaultRequestTimeout,
	})
	if err != nil {
		s.close()
		return nil, err
	}
	s.clock = cache.NewFakeClock(time.Now())
	s.plugin = cloudrun.New(cloudrun.Deps{Config: cfg, Client: tc, Clock: s.clock, RunLogDir: filepath.Join(dir, "runs")})
	built, err := server.New(server.Options{Version: "bench"}, s.plugin)
	if err != nil {
		s.close()
		return nil, err
	}
	c, err := client.NewInProcessClient(built.Server)
	if err != nil {
		s.close()
		return nil, err
	}
	s.mcp = c
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		s.close()
		return nil, err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "cloudbase-mcp-bench", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func (s *stack) close() {
	if s.mcp != nil {
		_ = s.mcp.Close()
	}
	if s.plugin != nil {
		_ = s.plugin.Close()
	}
	s.srv.Close()
	_ = s.emu.Close()
	_ = os.RemoveAll(s.dir)
}

// list calls queryCloudRun {action: list} and reports whether the answer came
// from the cache.
func (s *stack) list(ctx context.Context) (fromCache bool, err error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = cloudrun.QueryToolName
	req.Params.Arguments = map[string]any{"action": "list"}
	res, err := s.mcp.CallTool(ctx, req)
	if err != nil {
		return false, err
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return false, err
	}
	if res.IsError {
		return false, fmt.Errorf("tool error: %s", b)
	}
	var out struct {
		FromCache *bool `json:"fromCache"`
		Services  []any `json:"services"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.FromCache == nil {
		return false, fmt.Errorf("unexpected list result: %s", b)
	}
	if len(out.Services) == 0 {
		return false, errors.New("list returned no services: the emulator scenario changed?")
	}
	return *out.FromCache, nil
}

// adminCounts reads GET /__emulator/requests (the emulator's request log).
func (s *stack) adminCounts() (map[string]int, error) {
	resp, err := http.Get(s.srv.URL + "/__emulator/requests")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Counts map[string]int `json:"counts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, err
	}
	return out.Counts, nil
}

type dist struct {
	N                 int
	Median, P90, P99  time.Duration
	Mean              time.Duration
	Upstream, Batches int // misses: upstream calls seen in the emulator log
}

func summarize(d []time.Duration) dist {
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	q := func(p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
	return dist{N: len(d), Median: d[len(d)/2], P90: q(0.90), P99: q(0.99), Mean: sum / time.Duration(len(d))}
}

type latencyResult struct {
	Hit, Miss, Concurrent dist
	// Concurrent batches: upstream calls per batch and how many of the 10
	// callers were misses (shared the load) rather than later cache hits.
	ConcUpstreamMin, ConcUpstreamMax, ConcMissesMin, ConcMissesMax int
	// Proof batch: 10 identical calls while the upstream answer is delayed
	// by proofDelay, counted through GET /__emulator/requests.
	ProofUpstream, ProofMisses int
	ProofWall                  time.Duration
}

func measureLatency(hitN, missN, batches int) (*latencyResult, error) {
	s, err := newStack()
	if err != nil {
		return nil, err
	}
	defer s.close()
	ctx := context.Background()
	r := &latencyResult{}
	if r.Hit, err = s.measureHits(ctx, hitN); err != nil {
		return nil, err
	}
	if r.Miss, err = s.measureMisses(ctx, missN); err != nil {
		return nil, err
	}
	if err := s.measureConcurrent(ctx, r, batches); err != nil {
		return nil, err
	}
	if err := s.proveCoalesced(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// expire moves the plugin's clock past the list TTL.
func (s *stack) expire() { s.clock.Advance(s.ttl + time.Second) }

// measureHits times n cache hits, after one call that fills the cache and n/10
// hits of warm-up.
func (s *stack) measureHits(ctx context.Context, n int) (dist, error) {
	if _, err := s.list(ctx); err != nil {
		return dist{}, err
	}
	d := make([]time.Duration, 0, n)
	for range n + n/10 {
		t := time.Now()
		hit, err := s.list(ctx)
		el := time.Since(t)
		if err != nil {
			return dist{}, err
		}
		if !hit {
			return dist{}, errors.New("expected a cache hit")
		}
		d = append(d, el)
	}
	return summarize(d[n/10:]), nil // the first tenth is warm-up
}

// measureMisses times n cache misses (after n/10 of warm-up): expire, then
// one call reads the emulator over loopback.
func (s *stack) measureMisses(ctx context.Context, n int) (dist, error) {
	before := s.emu.RequestCount(listAction)
	d := make([]time.Duration, 0, n)
	for i := range n + n/10 {
		s.expire()
		t := time.Now()
		hit, err := s.list(ctx)
		el := time.Since(t)
		if err != nil {
			return dist{}, err
		}
		if hit {
			return dist{}, errors.New("expected a cache miss")
		}
		if i >= n/10 {
			d = append(d, el)
		}
	}
	miss := summarize(d)
	miss.Upstream = s.emu.RequestCount(listAction) - before
	miss.Batches = n + n/10
	return miss, nil
}

// batch expires the cache and makes concurrentN identical list calls at
// once: how long they took, the upstream calls they caused and how many were
// misses.
func (s *stack) batch(ctx context.Context) (wall time.Duration, upstream, misses int, err error) {
	s.expire()
	before := s.emu.RequestCount(listAction)
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range concurrentN {
		wg.Go(func() {
			<-start
			hit, err := s.list(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if err == nil && !hit {
				misses++
			}
		})
	}
	t := time.Now()
	close(start)
	wg.Wait()
	return time.Since(t), s.emu.RequestCount(listAction) - before, misses, firstErr
}

// measureConcurrent runs batches of concurrentN concurrent identical misses.
func (s *stack) measureConcurrent(ctx context.Context, r *latencyResult, batches int) error {
	d := make([]time.Duration, 0, batches)
	r.ConcUpstreamMin, r.ConcMissesMin = 1<<30, 1<<30
	for range batches {
		wall, up, misses, err := s.batch(ctx)
		if err != nil {
			return err
		}
		d = append(d, wall)
		r.ConcUpstreamMin, r.ConcUpstreamMax = min(r.ConcUpstreamMin, up), max(r.ConcUpstreamMax, up)
		r.ConcMissesMin, r.ConcMissesMax = min(r.ConcMissesMin, misses), max(r.ConcMissesMax, misses)
		r.Concurrent.Upstream += up
	}
	up, bt := r.Concurrent.Upstream, batches
	r.Concurrent = summarize(d)
	r.Concurrent.Upstream, r.Concurrent.Batches = up, bt
	return nil
}

// proveCoalesced: with the upstream answer delayed, all concurrentN callers
// certainly overlap; the emulator's admin request log must show one call.
func (s *stack) proveCoalesced(ctx context.Context, r *latencyResult) error {
	s.emu.InjectFault(emulator.Fault{Action: listAction, Delay: proofDelay})
	c0, err := s.adminCounts()
	if err != nil {
		return err
	}
	wall, _, misses, err := s.batch(ctx)
	if err != nil {
		return err
	}
	c1, err := s.adminCounts()
	if err != nil {
		return err
	}
	r.ProofUpstream, r.ProofMisses, r.ProofWall = c1[listAction]-c0[listAction], misses, wall
	return nil
}
