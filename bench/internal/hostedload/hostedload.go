// Package hostedload is a bounded load run of hosted mode: N concurrent MCP
// clients, each with keys of its own (so each is a tenant with its own cache
// and rate budget), make M calls each over Streamable HTTP (protocol
// 2026-07-28, no session) to two instances of the built binary, which share
// one emulator on loopback. Clients are spread evenly over the instances, as
// a round-robin load balancer spreads connections. The run stops when every
// call has returned.
//
// Calls alternate between a cached read (queryCloudRun list, after the
// client's first) and an uncached one (list with refresh: true, one
// upstream call each). Errors are transport failures and isError results;
// RSS is read from /proc for each instance at the end (current and peak).
package hostedload

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/hosted"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Options size the run.
type Options struct {
	Bin       string // the built server
	Clients   int    // concurrent clients (default 100)
	Calls     int    // calls per client (default 20)
	Instances int    // server processes (default 2)
	// Timeout bounds the whole run (default 5 min).
	Timeout time.Duration
	// Env is added to the instances' environment (e.g. a rate limit).
	Env []string
}

// Result is what the run measured.
type Result struct {
	Clients, Calls, Instances int
	Total, Errors             int
	FirstErrors               []string
	Wall                      time.Duration
	Cached, Uncached, First   Latency
	RSS                       []RSS // per instance
}

// Latency summarises one kind of call.
type Latency struct {
	N             int
	P50, P99, Max time.Duration
}

// RSS is one instance's memory at the end of the run.
type RSS struct {
	Now, Peak int64 // bytes: VmRSS and VmHWM
}

// Throughput is calls per second over the run.
func (r Result) Throughput() float64 { return float64(r.Total) / r.Wall.Seconds() }

const envID = "demo-env-1a2b3c"

// Run starts the emulator and the instances, drives the clients and stops
// everything.
func Run(o Options) (*Result, error) {
	if o.Clients <= 0 {
		o.Clients = 100
	}
	if o.Calls <= 0 {
		o.Calls = 20
	}
	if o.Instances <= 0 {
		o.Instances = 2
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.Timeout)
	defer cancel()

	sc := emulator.DefaultScenario()
	keys := make([]emulator.Credential, o.Clients)
	for i := range keys {
		keys[i] = emulator.Credential{SecretID: fmt.Sprintf("AKIDload%026d", i), SecretKey: fmt.Sprintf("load-secret-key-%019d", i)}
	}
	sc.Credentials = append(sc.Credentials, keys...)
	emu, err := emulator.New(emulator.Options{Scenario: sc, Speed: 60})
	if err != nil {
		return nil, err
	}
	defer emu.Close()
	base, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}

	var servers []*instance
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for range o.Instances {
		s, err := startInstance(ctx, o.Bin, base, o.Env)
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}

	res := &Result{Clients: o.Clients, Calls: o.Calls, Instances: o.Instances}
	samples := make([]clientSamples, o.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			samples[i] = runClient(ctx, servers[i%len(servers)].endpoint, keys[i], o.Calls)
		}()
	}
	wg.Wait()
	res.Wall = time.Since(start)
	for _, s := range servers {
		res.RSS = append(res.RSS, s.rss())
	}
	summarise(res, samples)
	return res, nil
}

type clientSamples struct {
	first, cached, uncached []time.Duration
	errors                  []string
}

func runClient(ctx context.Context, endpoint string, k emulator.Credential, calls int) clientSamples {
	var s clientSamples
	tr, err := transport.NewStreamableHTTP(endpoint+"?env_id="+envID, transport.WithHTTPHeaders(map[string]string{
		hosted.HeaderSecretID: k.SecretID, hosted.HeaderSecretKey: k.SecretKey,
	}))
	if err != nil {
		s.errors = append(s.errors, err.Error())
		return s
	}
	c := client.NewClient(tr)
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		s.errors = append(s.errors, "start: "+err.Error())
		return s
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.ProtocolVersion20260728
	init.Params.ClientInfo = mcp.Implementation{Name: "hostedload", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		s.errors = append(s.errors, "initialize: "+err.Error())
		return s
	}
	for n := range calls {
		args := map[string]any{"action": "list"}
		uncached := n > 0 && n%2 == 0
		if uncached {
			args["refresh"] = true
		}
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = "queryCloudRun", args
		t0 := time.Now()
		r, err := c.CallTool(ctx, req)
		took := time.Since(t0)
		switch {
		case err != nil:
			s.errors = append(s.errors, err.Error())
			continue
		case r.IsError:
			s.errors = append(s.errors, "isError: "+text(r))
			continue
		}
		switch {
		case n == 0:
			s.first = append(s.first, took)
		case uncached:
			s.uncached = append(s.uncached, took)
		default:
			s.cached = append(s.cached, took)
		}
	}
	return s
}

func text(r *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if t, ok := c.(mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	s := b.String()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func summarise(res *Result, samples []clientSamples) {
	var first, cached, uncached []time.Duration
	for _, s := range samples {
		first = append(first, s.first...)
		cached = append(cached, s.cached...)
		uncached = append(uncached, s.uncached...)
		res.Errors += len(s.errors)
		for _, e := range s.errors {
			if len(res.FirstErrors) < 5 {
				res.FirstErrors = append(res.FirstErrors, e)
			}
		}
	}
	res.First, res.Cached, res.Uncached = latency(first), latency(cached), latency(uncached)
	res.Total = res.First.N + res.Cached.N + res.Uncached.N + res.Errors
}

func latency(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Latency{N: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1]}
}

// --- an instance of the binary

type instance struct {
	cmd      *exec.Cmd
	endpoint string
	done     chan struct{}
}

var listening = regexp.MustCompile(`msg="hosted mode: listening" url=(\S+)`)

func startInstance(ctx context.Context, bin, apiBase string, env []string) (*instance, error) {
	dir, err := os.MkdirTemp("", "hostedload-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"CLOUDBASE_MCP_TRANSPORT=http", "CLOUDBASE_MCP_HTTP_ADDR=127.0.0.1:0", "CLOUDBASE_MCP_HTTP_AUTH=headers",
		"CLOUDBASE_MCP_STATE_KEY=hostedload-shared-state-key-0123456789",
		"CLOUDBASE_API_BASE_URL=" + apiBase,
		"CLOUDBASE_TEMPLATES_URL=" + apiBase + "/func_tpl/v1.0/function_list/find?skip=0&limit=500",
		// As in production: the access log is on (one line per request).
		"CLOUDBASE_MCP_AUDIT_LOG=" + dir + "/audit.log", "CLOUDBASE_MCP_WORKSPACE=" + dir,
	}
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &instance{cmd: cmd, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if m := listening.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}()
	select {
	case s.endpoint = <-found:
		return s, nil
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return nil, errors.New("an instance never said where it listens")
	}
}

func (s *instance) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// rss reads VmRSS and VmHWM of the instance.
func (s *instance) rss() RSS {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return RSS{}
	}
	var r RSS
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			r.Now = kb << 10
		case "VmHWM:":
			r.Peak = kb << 10
		}
	}
	return r
}
