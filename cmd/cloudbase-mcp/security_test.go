//go:build unix

package main

// Attacks on the built binary over stdio: a hostile project, a hostile or
// broken client, and the server's own exits.

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: install Node.js 18 or later to run this test")
	}
}

// envDumpingFramework is a fake functions framework that prints the
// environment it was given, and spawns a grandchild in its process group
// whose pid it writes to grandchild.pid.
func envDumpingFramework(t *testing.T, dir string) {
	t.Helper()
	fakeFramework(t, dir)
	bin := filepath.Join(dir, "node_modules", "@cloudbase", "functions-framework", "bin", "tcb-ff.js")
	require.NoError(t, os.WriteFile(bin, []byte(`
const fs = require("fs"), cp = require("child_process");
console.log("ENV " + JSON.stringify(process.env));
const g = cp.spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], {stdio: "ignore"});
fs.writeFileSync("grandchild.pid", String(g.pid));
require("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1",
  () => console.log("Server listening on port " + process.env.PORT));
process.on("SIGTERM", () => {});
`), 0o755))
}

func structured(t *testing.T, r map[string]any) map[string]any {
	t.Helper()
	res := result(t, r)
	require.Nil(t, res["isError"], "the call succeeded: %v", res)
	sc, ok := res["structuredContent"].(map[string]any)
	require.True(t, ok, "%v", res)
	return sc
}

func TestLocalRunGetsNoCredentials(t *testing.T) {
	t.Parallel()
	needNode(t)
	_, url := newEmulator(t, 400)
	p := startProc(t, url, "TENCENTCLOUD_SESSIONTOKEN=session-token-must-not-leak", "XDG_CACHE_HOME="+t.TempDir())
	envDumpingFramework(t, filepath.Join(p.ws, "fn-svc"))
	p.call(1, "manageCloudRun", map[string]any{"action": "run", "serverName": "fn-svc", "runOptions": map[string]any{"port": freePortT(t)}})
	run := structured(t, p.wait(1, 30*time.Second))["run"].(map[string]any)
	logFile := run["logFile"].(string)
	require.Eventually(t, func() bool {
		b, _ := os.ReadFile(logFile)
		return strings.Contains(string(b), "ENV {")
	}, 10*time.Second, 50*time.Millisecond, "the service printed its environment")
	p.call(2, "queryCloudRun", map[string]any{"action": "localRuns"})
	runs, _ := json.Marshal(structured(t, p.wait(2, 10*time.Second))["runs"])
	logged, err := os.ReadFile(logFile)
	require.NoError(t, err)
	for where, text := range map[string]string{"log file": string(logged), "localRuns logTail": string(runs)} {
		for _, secret := range []string{emulator.DemoSecretKey, emulator.DemoSecretID, "session-token-must-not-leak", "TENCENTCLOUD_", "CLOUDBASE_"} {
			assert.NotContains(t, text, secret, "%s", where)
		}
	}
	assert.Contains(t, string(logged), `"PORT":"`, "the documented run variables are there")

	// The log lives in the user's private cache directory.
	st, err := os.Stat(filepath.Dir(logFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	assert.True(t, strings.HasPrefix(logFile, os.Getenv("XDG_CACHE_HOME")) || strings.Contains(logFile, "cloudbase-mcp/runs"))
}

func TestLocalRunsWholeProcessGroupEndsWithTheServer(t *testing.T) {
	t.Parallel()
	needNode(t)
	for _, how := range []string{"stdin EOF", "SIGTERM", "SIGINT"} {
		t.Run(how, func(t *testing.T) {
			_, url := newEmulator(t, 400)
			p := startProc(t, url, "XDG_CACHE_HOME="+t.TempDir())
			dir := filepath.Join(p.ws, "fn-svc")
			envDumpingFramework(t, dir)
			p.call(1, "manageCloudRun", map[string]any{"action": "run", "serverName": "fn-svc", "runOptions": map[string]any{"port": freePortT(t)}})
			pid := int(structured(t, p.wait(1, 30*time.Second))["run"].(map[string]any)["pid"].(float64))
			var grandchild int
			require.Eventually(t, func() bool {
				b, err := os.ReadFile(filepath.Join(dir, "grandchild.pid"))
				grandchild, _ = strconv.Atoi(strings.TrimSpace(string(b)))
				return err == nil && grandchild > 0
			}, 10*time.Second, 20*time.Millisecond)
			t.Cleanup(func() { _ = syscall.Kill(grandchild, syscall.SIGKILL) })
			require.NoError(t, syscall.Kill(grandchild, 0), "the grandchild runs")

			switch how {
			case "SIGTERM":
				require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
			case "SIGINT":
				require.NoError(t, p.cmd.Process.Signal(syscall.SIGINT))
			default:
				require.NoError(t, p.in.Close())
			}
			err := p.exits()
			require.NoError(t, err, "stderr:\n%s", p.stderr.String())
			for name, id := range map[string]int{"child": pid, "grandchild": grandchild} {
				assert.Eventually(t, func() bool { return gone(id) }, 3*time.Second, 20*time.Millisecond,
					"the %s (which ignores SIGTERM) is gone", name)
			}
		})
	}
}

// gone: no such process, or a zombie nobody reaps (a container's PID 1 may not).
func gone(pid int) bool {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return true
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}

func TestSymlinkedServiceDirectoryIsNotRun(t *testing.T) {
	t.Parallel()
	needNode(t)
	_, url := newEmulator(t, 400)
	p := startProc(t, url, "XDG_CACHE_HOME="+t.TempDir())
	outside := t.TempDir()
	envDumpingFramework(t, outside)
	require.NoError(t, os.Symlink(outside, filepath.Join(p.ws, "fn-svc")))
	p.call(1, "manageCloudRun", map[string]any{"action": "run", "serverName": "fn-svc", "runOptions": map[string]any{"port": freePortT(t)}})
	res := result(t, p.wait(1, 30*time.Second))
	assert.Equal(t, true, res["isError"])
	assert.Contains(t, fmt.Sprint(res["content"]), "outside the workspace")
	_, err := os.Stat(filepath.Join(outside, "grandchild.pid"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing of the outside project ran")
}

func TestLoaderVariablesAreRefusedThroughTheTool(t *testing.T) {
	t.Parallel()
	_, url := newEmulator(t, 400)
	p := startProc(t, url)
	require.NoError(t, os.MkdirAll(filepath.Join(p.ws, "fn-svc"), 0o755))
	for i, key := range []string{"NODE_OPTIONS", "LD_PRELOAD", "DYLD_INSERT_LIBRARIES", "NODE_PATH"} {
		p.call(i+1, "manageCloudRun", map[string]any{"action": "run", "serverName": "fn-svc",
			"runOptions": map[string]any{"envParams": map[string]any{key: "--import=data:text/javascript,1"}}})
		res := result(t, p.wait(i+1, 10*time.Second))
		assert.Equal(t, true, res["isError"])
		assert.Contains(t, fmt.Sprint(res["content"]), key, "the error names the key")
	}
}

func TestSpecialFilesCannotHoldTheServer(t *testing.T) {
	t.Parallel()
	_, url := newEmulator(t, 400)
	p := startProc(t, url)
	// Five projects made of FIFOs: once they filled the worker pool for good.
	for i := 1; i <= 5; i++ {
		dir := filepath.Join(p.ws, fmt.Sprintf("fifo%d", i))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, name := range []string{"Dockerfile", "package.json", ".dockerignore", "app.js"} {
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, name), 0o644))
		}
		p.call(i, "manageCloudRun", map[string]any{"action": "deploy", "serverName": fmt.Sprintf("fifo-svc%d", i),
			"targetPath": fmt.Sprintf("fifo%d", i), "dryRun": true})
	}
	for i := 1; i <= 5; i++ {
		res := result(t, p.wait(i, 20*time.Second))
		assert.Equal(t, true, res["isError"], "a project of FIFOs is refused, not read: %v", res)
	}
	p.call(6, "queryCloudRun", map[string]any{"action": "list"})
	structured(t, p.wait(6, 10*time.Second))
	require.NoError(t, p.in.Close())
	err := p.exits()
	require.NoError(t, err)
}

func TestWorkspaceFIFODoesNotBlockInitialize(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(ws, "cloudbaserc.json"), 0o644))
	lines := []string{rpc(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "fifo", "version": "1"}})}
	stdout, stderr, _, err := rawSession(t, cleanEnv(t, "CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_WORKSPACE="+ws), lines, 500*time.Millisecond)
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, `"serverInfo"`, "initialize was answered")
}

func TestOversizedInputIsRefusedWithoutEcho(t *testing.T) {
	t.Parallel()
	_, url := newEmulator(t, 400)
	p := startProc(t, url)
	// A 10 MB argument is over the message limit: a protocol error, no echo.
	p.call(1, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "svc-big", "targetPath": strings.Repeat("A", 10<<20)})
	r := p.wait(1, 30*time.Second)
	raw, _ := json.Marshal(r)
	assert.Less(t, len(raw), 4096, "the answer does not echo the argument")
	assert.Contains(t, string(raw), "message too large")
	// A 100 KB one fits a message but not the argument limit: a tool error naming it.
	p.call(4, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "svc-big", "targetPath": strings.Repeat("A", 100<<10)})
	r = p.wait(4, 30*time.Second)
	res := result(t, r)
	assert.Equal(t, true, res["isError"])
	raw, _ = json.Marshal(r)
	assert.Less(t, len(raw), 4096, "the answer does not echo the argument")
	assert.Contains(t, string(raw), "targetPath is 102400 bytes long")

	// A 64 MB line: answered with an error for its id, never held whole.
	_, err := io.WriteString(p.in, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"queryCloudRun","arguments":{"action":"list","serverName":"`)
	require.NoError(t, err)
	chunk := strings.Repeat("B", 1<<20)
	for range 64 {
		_, err := io.WriteString(p.in, chunk)
		require.NoError(t, err)
	}
	_, err = io.WriteString(p.in, "\"}}}\n")
	require.NoError(t, err)
	r = p.wait(2, 60*time.Second)
	require.NotNil(t, r["error"], "a protocol error for the oversized message")
	assert.Contains(t, fmt.Sprint(r["error"]), "message too large")

	p.call(3, "queryCloudRun", map[string]any{"action": "list"})
	structured(t, p.wait(3, 10*time.Second))
}

// modernCall is a tools/call of protocol 2026-07-28 (everything in the request).
func modernCall(id int, args map[string]any, caps map[string]any, state string, responses map[string]any) string {
	params := map[string]any{"name": "manageCloudRun", "arguments": args,
		"_meta": map[string]any{"io.modelcontextprotocol/protocolVersion": "2026-07-28",
			"io.modelcontextprotocol/clientCapabilities": caps,
			"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "forger", "version": "1"}}}
	if state != "" {
		params["requestState"] = state
	}
	if responses != nil {
		params["inputResponses"] = responses
	}
	return rpc(id, "tools/call", params)
}

func TestForgedAnswersAreRefused(t *testing.T) {
	t.Parallel()
	emu, url := newEmulator(t, 400)
	p := startProc(t, url)
	elicit := map[string]any{"elicitation": map[string]any{}}
	yes := map[string]any{"confirm": map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}

	// The state the server hands out for deleting hello-api...
	p.send(modernCall(1, map[string]any{"action": "delete", "serverName": "hello-api"}, elicit, "", nil))
	asked := result(t, p.wait(1, 10*time.Second))
	require.Equal(t, "input_required", asked["resultType"], "%v", asked)
	state, _ := asked["requestState"].(string)
	require.NotEmpty(t, state)

	// ...replayed for another service, another action, or forged: the user is asked again.
	require.NoError(t, os.MkdirAll(filepath.Join(p.ws, "hello-api"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(p.ws, "hello-api", "keep.txt"), []byte("mine"), 0o644))
	for i, c := range []struct {
		args  map[string]any
		state string
	}{
		{map[string]any{"action": "delete", "serverName": "todo-func"}, state},
		{map[string]any{"action": "init", "serverName": "hello-api"}, state},
		{map[string]any{"action": "delete", "serverName": "todo-func"}, "forged-state"},
		{map[string]any{"action": "delete", "serverName": "todo-func"}, ""},
	} {
		p.send(modernCall(10+i, c.args, elicit, c.state, yes))
		r := result(t, p.wait(10+i, 10*time.Second))
		assert.NotEqual(t, true, r["isError"])
		assert.Equal(t, "input_required", r["resultType"], "case %d: the user is asked, the answer not taken", i)
	}
	assert.Zero(t, emu.RequestCount("DeleteCloudRunServer"), "nothing was deleted")
	kept, err := os.ReadFile(filepath.Join(p.ws, "hello-api", "keep.txt"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(kept), "nothing was replaced")

	// The genuine answer with its own state goes through.
	p.send(modernCall(20, map[string]any{"action": "delete", "serverName": "hello-api"}, elicit, state, yes))
	done := structured(t, p.wait(20, 10*time.Second))
	assert.Equal(t, true, done["deleted"])

	// Roots nobody asked for are ignored: the server asks for them itself.
	rootsCaps := map[string]any{"roots": map[string]any{}}
	unsolicited := map[string]any{"roots": map[string]any{"roots": []any{map[string]any{"uri": "file:///"}}}}
	p.send(modernCall(30, map[string]any{"action": "init", "serverName": "rooted"}, rootsCaps, "", unsolicited))
	r := result(t, p.wait(30, 10*time.Second))
	assert.Equal(t, "input_required", r["resultType"], "roots are asked for, not taken: %v", r)
}
