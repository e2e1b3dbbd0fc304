//go:build unix

package main

// Load, lifecycle and secrets suites: the built binary over stdio, against
// an emulator in this test process (so the test can count its requests and
// inject faults).

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testEnvID = "demo-env-1a2b3c"

// proc is the binary under test with a raw JSON-RPC pipe.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr *testutil.Buffer
	tmp    string // the child's TMPDIR
	ws     string // its workspace

	wmu       sync.Mutex
	mu        sync.Mutex
	responses map[int]map[string]any
	notes     []map[string]any
	lines     []string
	arrived   chan struct{}
	eof       chan struct{}
}

// startProc runs the binary against emu with demo credentials.
func startProc(t *testing.T, emuURL string, extra ...string) *proc {
	t.Helper()
	p := &proc{t: t, stderr: &testutil.Buffer{}, tmp: t.TempDir(), ws: t.TempDir(),
		responses: map[int]map[string]any{}, arrived: make(chan struct{}, 1), eof: make(chan struct{})}
	env := cleanEnv(t,
		"TENCENTCLOUD_SECRETID="+emulator.DemoSecretID, "TENCENTCLOUD_SECRETKEY="+emulator.DemoSecretKey,
		"CLOUDBASE_ENV_ID="+testEnvID, "CLOUDBASE_API_BASE_URL="+emuURL,
		"CLOUDBASE_TEMPLATES_URL="+emuURL+"/func_tpl/v1.0/function_list/find?skip=0&limit=500",
		"CLOUDBASE_MCP_WORKSPACE="+p.ws, "TMPDIR="+p.tmp,
		"CLOUDBASE_MCP_AUDIT_LOG="+filepath.Join(t.TempDir(), "audit.log"))
	p.cmd = exec.Command(binPath)
	p.cmd.Env = append(env, extra...)
	var err error
	p.in, err = p.cmd.StdinPipe()
	require.NoError(t, err)
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	p.cmd.Stderr = p.stderr
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		// Stdin EOF first, as a client ends a session, so the server ends
		// its local runs (whole process groups); SIGKILL would leave their
		// grandchildren behind. Killed only if it does not exit.
		_ = p.in.Close()
		done := make(chan struct{})
		go func() { _, _ = p.cmd.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
	})
	go p.read(out)
	p.send(rpc(0, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "hardening", "version": "1"}}))
	p.wait(0, 10*time.Second)
	p.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return p
}

func (p *proc) read(out io.Reader) {
	defer close(p.eof)
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var msg map[string]any
		line := sc.Text()
		p.mu.Lock()
		p.lines = append(p.lines, line)
		if err := json.Unmarshal([]byte(line), &msg); err != nil {
			p.mu.Unlock()
			p.t.Errorf("stdout line is not JSON: %q", line)
			continue
		}
		if id, ok := msg["id"].(float64); ok {
			if _, dup := p.responses[int(id)]; dup {
				p.t.Errorf("two responses for id %d", int(id))
			}
			p.responses[int(id)] = msg
		} else {
			p.notes = append(p.notes, msg)
		}
		p.mu.Unlock()
		select {
		case p.arrived <- struct{}{}:
		default:
		}
	}
}

func (p *proc) send(line string) {
	p.t.Helper()
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, err := io.WriteString(p.in, line+"\n")
	require.NoError(p.t, err)
}

// write sends one line; safe from several goroutines (lines never interleave).
func (p *proc) write(line string) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, err := io.WriteString(p.in, line+"\n")
	assert.NoError(p.t, err)
}

func (p *proc) call(id int, tool string, args map[string]any) {
	p.send(rpc(id, "tools/call", map[string]any{"name": tool, "arguments": args}))
}

// wait returns the response to id, failing the test after limit.
func (p *proc) wait(id int, limit time.Duration) map[string]any {
	p.t.Helper()
	deadline := time.After(limit)
	for {
		p.mu.Lock()
		r, ok := p.responses[id]
		p.mu.Unlock()
		if ok {
			return r
		}
		select {
		case <-p.arrived:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			p.t.Fatalf("no response to id %d within %s; stderr:\n%s", id, limit, p.stderr.String())
		}
	}
}

func (p *proc) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.responses)
}

// exits waits for the process to end and returns its exit error. The wait
// is a liveness bound, not a measurement: how fast the server exits is
// measured by BenchmarkShutdown.
func (p *proc) exits() error {
	p.t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(15 * time.Second):
		p.t.Fatalf("the server did not exit; stderr:\n%s", p.stderr.String())
		return nil
	}
}

func (p *proc) rss() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			n, _ := strconv.Atoi(strings.Fields(l)[1])
			return n // KiB
		}
	}
	return -1
}

func newEmulator(t *testing.T, speed float64) (*emulator.Emulator, string) {
	t.Helper()
	emu, err := emulator.New(emulator.Options{Speed: speed})
	require.NoError(t, err)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = emu.Close() })
	t.Cleanup(func() { assert.Empty(t, emu.WireViolations(), "requests the real API would refuse") })
	return emu, srv.URL
}

func result(t *testing.T, r map[string]any) map[string]any {
	t.Helper()
	require.Nil(t, r["error"], "a tool call is never a protocol error here: %v", r["error"])
	res, ok := r["result"].(map[string]any)
	require.True(t, ok, "response has a result: %v", r)
	return res
}

func copyProject(t *testing.T, ws, name string) {
	t.Helper()
	require.NoError(t, os.CopyFS(filepath.Join(ws, name), os.DirFS(filepath.Join("..", "..", "testdata", "projects", "container-node"))))
}

// TestLoad: 200 concurrent mixed calls through stdio. Every request gets
// exactly one response, nothing deadlocks, identical cold reads share one
// upstream call, and memory settles back.
func TestLoad(t *testing.T) {
	t.Parallel()
	testutil.NeedsE2E(t)
	emu, url := newEmulator(t, 400)
	p := startProc(t, url)
	copyProject(t, p.ws, "app")

	// Warm up, then take the baseline.
	p.call(1, "queryCloudRun", map[string]any{"action": "envStatus"})
	p.wait(1, 10*time.Second)
	time.Sleep(300 * time.Millisecond)
	baseline := p.rss()

	// Phase 1: 50 identical cold reads at once, the upstream slow for them:
	// one upstream call.
	emu.InjectFault(emulator.Fault{Action: "DescribeCloudRunServers", Delay: 400 * time.Millisecond, Times: 1})
	emu.InjectFault(emulator.Fault{Action: "DescribeCloudRunServerDetail", Delay: 400 * time.Millisecond, Times: 1})
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		args := map[string]any{"action": "list", "pageSize": 20}
		if i%2 == 1 {
			args = map[string]any{"action": "detail", "detailServerName": "todo-func"}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.write(rpc(10+i, "tools/call", map[string]any{"name": "queryCloudRun", "arguments": args}))
		}()
	}
	wg.Wait()
	for i := 0; i < 50; i++ {
		assert.Nil(t, result(t, p.wait(10+i, 30*time.Second))["isError"])
	}
	assert.Equal(t, 1, emu.RequestCount("DescribeCloudRunServers"), "25 identical list calls, one upstream call")
	assert.Equal(t, 1, emu.RequestCount("DescribeCloudRunServerDetail"), "25 identical detail calls, one upstream call")

	// Phase 2: 200 mixed reads and writes at once.
	const n = 200
	kinds := map[int]string{}
	for i := 0; i < n; i++ {
		id := 100 + i
		var tool string
		var args map[string]any
		switch i % 10 {
		case 0, 1, 2, 3:
			tool, args = "queryCloudRun", map[string]any{"action": "list", "pageSize": 20}
		case 4:
			tool, args = "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "hello-api"}
		case 5:
			tool, args = "queryCloudRun", map[string]any{"action": "getDeployRecords", "detailServerName": "canary-web"}
		case 6:
			tool, args = "queryCloudRun", map[string]any{"action": "templates"}
		case 7:
			tool, args = "manageCloudRun", map[string]any{"action": "init", "serverName": fmt.Sprintf("svc-%03d", i), "template": "helloworld"}
		case 8:
			tool, args = "manageCloudRun", map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": i % 3}}
		case 9:
			tool, args = "manageCloudRun", map[string]any{"action": "deploy", "serverName": "app", "targetPath": "app", "dryRun": true}
		}
		kinds[id] = tool + "/" + args["action"].(string)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.write(rpc(id, "tools/call", map[string]any{"name": tool, "arguments": args}))
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return p.count() == n+52 }, 120*time.Second, 50*time.Millisecond,
		"every request answered (got %d of %d); stderr:\n%s", p.count()-52, n, p.stderr.String())

	errorsByKind := map[string]int{}
	for id, kind := range kinds {
		res := result(t, p.wait(id, time.Second))
		if res["isError"] == true {
			errorsByKind[kind]++
		}
	}
	for kind, count := range errorsByKind {
		// Concurrent config changes of one service conflict upstream; everything else succeeds.
		if kind != "manageCloudRun/updateConfig" {
			t.Errorf("%d isError results for %s", count, kind)
		}
	}

	// Memory is measured by the benchmarks (bench/), not asserted here.
	t.Logf("RSS: baseline %d KiB, after 200 calls %d KiB", baseline, p.rss())

	// Still serving, and exits cleanly.
	p.call(9999, "queryCloudRun", map[string]any{"action": "list", "pageSize": 20})
	assert.Nil(t, result(t, p.wait(9999, 5*time.Second))["isError"])
	require.NoError(t, p.in.Close())
	err := p.exits()
	require.NoError(t, err)
}

// tmpEntries lists what the child left in its TMPDIR (local run logs aside).
func tmpEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestStdinClosedWhileADeployWaits(t *testing.T) {
	t.Parallel()
	emu, url := newEmulator(t, 0) // the clock stands still: the build never registers
	p := startProc(t, url)
	copyProject(t, p.ws, "app")
	p.call(1, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "app", "targetPath": "app"})
	require.Eventually(t, func() bool { return emu.RequestCount("CreateCloudRunServer") == 1 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(200 * time.Millisecond) // now waiting for registration

	require.NoError(t, p.in.Close())
	err := p.exits()
	require.NoError(t, err, "exit code 0; stderr:\n%s", p.stderr.String())
	assert.Empty(t, tmpEntries(t, p.tmp), "the package zip is removed")
}

func TestSIGTERMDuringADownload(t *testing.T) {
	t.Parallel()
	emu, url := newEmulator(t, 400)
	p := startProc(t, url)
	copyProject(t, p.ws, "app")
	p.call(1, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "app", "targetPath": "app"})
	require.Nil(t, result(t, p.wait(1, 30*time.Second))["isError"])
	emu.Advance(15 * time.Minute)

	emu.InjectFault(emulator.Fault{Action: "COSDownload", Delay: 30 * time.Second})
	p.call(2, "manageCloudRun", map[string]any{"action": "download", "serverName": "app", "targetPath": "pulled"})
	require.Eventually(t, func() bool { return emu.RequestCount("DescribeCloudBaseBuildService") >= 2 }, 10*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond) // the GET hangs now

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	err := p.exits()
	require.NoError(t, err, "exit code 0; stderr:\n%s", p.stderr.String())
	assert.NoDirExists(t, filepath.Join(p.ws, "pulled"), "nothing half-written")
	assert.Empty(t, tmpEntries(t, p.tmp), "the partial download is removed")
}

func TestClientCancelsALongCall(t *testing.T) {
	t.Parallel()
	emu, url := newEmulator(t, 0)
	p := startProc(t, url)
	copyProject(t, p.ws, "app")
	p.call(1, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "app", "targetPath": "app"})
	require.Eventually(t, func() bool { return emu.RequestCount("CreateCloudRunServer") == 1 }, 10*time.Second, 20*time.Millisecond)
	p.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1,"reason":"user pressed stop"}}`)

	// The server goes on serving at once.
	p.call(2, "queryCloudRun", map[string]any{"action": "envStatus"})
	assert.Nil(t, result(t, p.wait(2, 5*time.Second))["isError"])
	// The cancelled call ended: its temp package is gone without the server exiting.
	require.Eventually(t, func() bool { return len(tmpEntries(t, p.tmp)) == 0 }, 5*time.Second, 20*time.Millisecond,
		"the cancelled deploy cleaned up: %v", tmpEntries(t, p.tmp))
	require.NoError(t, p.in.Close())
	err := p.exits()
	require.NoError(t, err)
}

// fakeFramework makes dir a function project whose framework is a tiny node
// HTTP server, so run needs no npm install.
func fakeFramework(t *testing.T, dir string) {
	t.Helper()
	bin := filepath.Join(dir, "node_modules", "@cloudbase", "functions-framework", "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"),
		[]byte(`{"name":"fake","version":"1.0.0","dependencies":{"@cloudbase/functions-framework":"^1.18.0"}}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.js"), []byte("exports.main = async () => ({ ok: true })\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "node_modules", "@cloudbase", "functions-framework", "package.json"),
		[]byte(`{"name":"@cloudbase/functions-framework","version":"1.18.0","bin":{"tcb-ff":"bin/tcb-ff.js"}}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "tcb-ff.js"), []byte(`
require("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1",
  () => console.log("Server listening on port " + process.env.PORT));
process.on("SIGTERM", () => {}); // ignores SIGTERM: the server must escalate
`), 0o755))
}

func TestLocalRunsEndWithTheServer(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: install Node.js 18 or later to run this test")
	}
	for _, how := range []string{"stdin EOF", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			_, url := newEmulator(t, 400)
			p := startProc(t, url)
			fakeFramework(t, filepath.Join(p.ws, "fn-svc"))
			p.call(1, "manageCloudRun", map[string]any{"action": "run", "serverName": "fn-svc", "runOptions": map[string]any{"port": freePortT(t)}})
			res := result(t, p.wait(1, 30*time.Second))
			require.Nil(t, res["isError"], "%v", res)
			pid := int(res["structuredContent"].(map[string]any)["run"].(map[string]any)["pid"].(float64))
			require.NoError(t, syscall.Kill(pid, 0), "the run is alive")

			if how == "SIGTERM" {
				require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
			} else {
				require.NoError(t, p.in.Close())
			}
			err := p.exits()
			require.NoError(t, err, "stderr:\n%s", p.stderr.String())
			assert.Eventually(t, func() bool { return syscall.Kill(pid, 0) == syscall.ESRCH }, 2*time.Second, 20*time.Millisecond,
				"the child (which ignores SIGTERM) is gone")
		})
	}
}

func freePortT(t *testing.T) int {
	t.Helper()
	port, err := freePort()
	require.NoError(t, err)
	return port
}

// TestSecretsNeverLeak runs every action with known credentials, a session
// token and EnvParams values, then greps stdout, stderr, the audit log and
// every result for them.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const (
		token    = "SESSION-TOKEN-7f3a9c"
		envValue = "p4ss-VALUE-91b2"
	)
	emu, url := newEmulator(t, 400)
	audit := filepath.Join(t.TempDir(), "audit.log")
	p := startProc(t, url, "TENCENTCLOUD_SESSIONTOKEN="+token, "CLOUDBASE_MCP_LOG_LEVEL=debug", "CLOUDBASE_MCP_AUDIT_LOG="+audit)
	copyProject(t, p.ws, "app")
	envParams := map[string]any{"DB_PASSWORD": envValue}
	type call struct {
		tool    string
		args    map[string]any
		wantErr bool // the calls that must fail do, and every other one succeeds
		settle  bool // let the emulator's deploys finish first
	}
	calls := []call{
		{"manageCloudRun", map[string]any{"action": "deploy", "serverName": "app", "targetPath": "app", "serverConfig": map[string]any{"EnvParams": envParams}, "dryRun": true}, false, false},
		{"manageCloudRun", map[string]any{"action": "deploy", "serverName": "app", "targetPath": "app", "serverConfig": map[string]any{"EnvParams": envParams}}, false, false},
		{"queryCloudRun", map[string]any{"action": "list"}, false, false},
		{"queryCloudRun", map[string]any{"action": "detail", "detailServerName": "app", "refresh": true}, false, false},
		{"queryCloudRun", map[string]any{"action": "detail", "detailServerName": "app", "refresh": true, "revealEnvParams": false}, false, false},
		{"queryCloudRun", map[string]any{"action": "templates"}, false, false},
		{"queryCloudRun", map[string]any{"action": "getDeployLog", "detailServerName": "app"}, false, false},
		{"queryCloudRun", map[string]any{"action": "getProcessLog", "detailServerName": "hello-api"}, false, false},
		{"queryCloudRun", map[string]any{"action": "getDeployRecords", "detailServerName": "app"}, false, false},
		{"queryCloudRun", map[string]any{"action": "envStatus"}, false, false},
		{"queryCloudRun", map[string]any{"action": "getManageTask", "detailServerName": "app"}, false, false},
		{"queryCloudRun", map[string]any{"action": "localRuns"}, false, false},
		{"manageCloudRun", map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"EnvParams": envParams}, "dryRun": true}, false, false},
		{"manageCloudRun", map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"EnvParams": envParams}}, false, false},
		{"manageCloudRun", map[string]any{"action": "traffic", "serverName": "canary-web", "trafficOp": "set", "stablePercent": 70, "canaryPercent": 30}, false, false},
		{"manageCloudRun", map[string]any{"action": "initEnv"}, false, false},
		{"manageCloudRun", map[string]any{"action": "init", "serverName": "fresh"}, false, false},
		{"manageCloudRun", map[string]any{"action": "createAgent", "serverName": "bot", "agentConfig": map[string]any{"agentName": "bot"}}, false, false},
		{"manageCloudRun", map[string]any{"action": "download", "serverName": "hello-api", "targetPath": "pulled"}, false, false},
		{"manageCloudRun", map[string]any{"action": "delete", "serverName": "app", "force": true}, false, true},
		{"manageCloudRun", map[string]any{"action": "delete", "serverName": "nope-svc", "force": true}, true, false},
	}
	if _, err := exec.LookPath("node"); err == nil {
		// A local run whose code prints its environment (no npm install needed).
		envDumpingFramework(t, filepath.Join(p.ws, "fn-svc"))
		calls = append(calls,
			call{"manageCloudRun", map[string]any{"action": "run", "serverName": "fn-svc", "runOptions": map[string]any{"envParams": envParams, "port": freePortT(t)}}, false, false},
			call{"queryCloudRun", map[string]any{"action": "localRuns"}, false, false},
			call{"manageCloudRun", map[string]any{"action": "stop", "serverName": "fn-svc"}, false, false})
	}
	for i, c := range calls {
		if c.settle {
			emu.Advance(15 * time.Minute)
		}
		p.call(i+1, c.tool, c.args)
		res := result(t, p.wait(i+1, 60*time.Second))
		assert.Equal(t, c.wantErr, res["isError"] == true, "call %d %v: %v", i+1, c.args, res)
	}
	require.NoError(t, p.in.Close())
	err := p.exits()
	require.NoError(t, err)

	p.mu.Lock()
	stdout := strings.Join(p.lines, "\n")
	p.mu.Unlock()
	auditLog, err := os.ReadFile(audit)
	require.NoError(t, err)
	require.NotEmpty(t, auditLog)
	for name, text := range map[string]string{"stdout (every result)": stdout, "stderr": p.stderr.String(), "audit log": string(auditLog)} {
		for _, secret := range []string{emulator.DemoSecretKey, token, envValue} {
			assert.NotContains(t, text, secret, "%s holds a secret", name)
		}
	}
	assert.Contains(t, p.stderr.String(), "tool call", "debug logging was on, so the check saw the logs")
}
