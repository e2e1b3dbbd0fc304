package main

// End-to-end tests: build the real binary and drive it over stdio.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cloudbase-mcp-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "cloudbase-mcp")
	args := []string{"build", "-o", binPath}
	if raceBuild && testutil.E2E() { // the race-built server is part of the end-to-end suite
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// cleanEnv is a minimal environment: no credentials leak in from the host,
// and HOME points at an empty directory.
func cleanEnv(t testing.TB, extra ...string) []string {
	home := t.TempDir()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		// A race-built server must not sleep its default second at exit: the
		// exit-time bounds measure the server, not the detector. A race it
		// finds still makes it exit non-zero, which the tests check.
		"GORACE=atexit_sleep_ms=0"}
	return append(env, extra...)
}

// rawSession runs the binary with the given stdin lines and returns stdout,
// stderr, the exit error and how long it took to exit after stdin closed.
func rawSession(t *testing.T, env []string, lines []string, pause time.Duration) (stdout, stderr string, exitAfterEOF time.Duration, exitErr error) {
	t.Helper()
	cmd := exec.Command(binPath)
	cmd.Env = env
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	require.NoError(t, cmd.Start())
	for _, l := range lines {
		_, err := io.WriteString(in, l+"\n")
		require.NoError(t, err)
	}
	time.Sleep(pause) // let the server answer before stdin closes
	closed := time.Now()
	require.NoError(t, in.Close())
	exitErr = cmd.Wait()
	assert.NotContains(t, errb.String(), emulator.WireViolationLog, "requests the real API would refuse")
	return out.String(), errb.String(), time.Since(closed), exitErr
}

func rpc(id int, method string, params any) string {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	return string(b)
}

func TestStdoutIsPureJSONRPCAndExitOnEOF(t *testing.T) {
	t.Parallel()
	lines := []string{
		rpc(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "e2e", "version": "1"}}),
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		rpc(2, "tools/list", map[string]any{}),
		rpc(3, "tools/call", map[string]any{"name": "queryCloudRun", "arguments": map[string]any{"action": "list"}}),
		rpc(4, "tools/call", map[string]any{"name": "queryCloudRun", "arguments": map[string]any{"action": "nope"}}),
		rpc(5, "tools/call", map[string]any{"name": "noSuchTool", "arguments": map[string]any{}}),
	}
	stdout, stderr, _, err := rawSession(t, cleanEnv(t, "CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_LOG_LEVEL=debug"), lines, 1500*time.Millisecond)
	require.NoError(t, err, "exit code 0 on stdin EOF; stderr:\n%s", stderr)

	ids := map[float64]map[string]any{}
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var msg map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &msg), "stdout line is not JSON: %q", sc.Text())
		assert.Equal(t, "2.0", msg["jsonrpc"], "stdout line is not JSON-RPC 2.0: %q", sc.Text())
		if id, ok := msg["id"].(float64); ok {
			ids[id] = msg
		}
	}
	require.Len(t, ids, 5, "one response per request; stdout:\n%s", stdout)
	assert.NotEmpty(t, stderr, "logs go to stderr")

	list := ids[3]["result"].(map[string]any)
	assert.Nil(t, list["isError"])
	assert.NotNil(t, list["structuredContent"])
	bad := ids[4]["result"].(map[string]any)
	assert.Equal(t, true, bad["isError"])
	assert.NotNil(t, ids[5]["error"], "an unknown tool is a protocol error")
}

func startClient(t *testing.T, env []string, args ...string) (*client.Client, *testutil.Buffer) {
	t.Helper()
	stderr := &testutil.Buffer{}
	c, err := client.NewStdioMCPClientWithOptions(binPath, env, args, transport.WithCommandStderrWriter(stderr))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	// A request the real API would refuse fails the test that sent it (the
	// sandbox emulator logs each one).
	t.Cleanup(func() { assert.NotContains(t, stderr.String(), emulator.WireViolationLog) })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err, "stderr: %s", stderr.String())
	return c, stderr
}

// toolNames lists the tools the server offers. With no tool enabled the
// server declares no tools capability at all, and tools/list is not asked.
func toolNames(t *testing.T, c *client.Client) []string {
	t.Helper()
	if c.GetServerCapabilities().Tools == nil {
		return nil
	}
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err, "the server declared tools, so tools/list answers")
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names
}

func TestPluginToggles(t *testing.T) {
	t.Parallel()
	both := []string{"manageCloudRun", "queryCloudRun"}
	tests := []struct {
		name   string
		env    []string
		args   []string
		want   []string
		warned string
	}{
		{"default: all plugins", nil, nil, both, ""},
		{"enabled list", []string{"CLOUDBASE_MCP_PLUGINS_ENABLED= CloudRun "}, nil, both, ""},
		{"enabled unknown name is warned", []string{"CLOUDBASE_MCP_PLUGINS_ENABLED=database"}, nil, nil, "database"},
		{"disabled", []string{"CLOUDBASE_MCP_PLUGINS_DISABLED=cloudrun"}, nil, nil, ""},
		{"disabled unknown name is warned", []string{"CLOUDBASE_MCP_PLUGINS_DISABLED=nosuch"}, nil, both, "nosuch"},
		{"read-only", []string{"CLOUDBASE_MCP_READ_ONLY=true"}, nil, []string{"queryCloudRun"}, ""},
		{"cloud mode alias", []string{"CLOUDBASE_MCP_CLOUD_MODE=true"}, nil, []string{"queryCloudRun"}, ""},
		{"read-only flag", nil, []string{"--read-only"}, []string{"queryCloudRun"}, ""},
		{"flag beats env", []string{"CLOUDBASE_MCP_PLUGINS_ENABLED=nosuch"}, []string{"--plugins-enabled=cloudrun"}, both, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, stderr := startClient(t, cleanEnv(t, append([]string{"CLOUDBASE_MCP_SANDBOX=true"}, tc.env...)...), tc.args...)
			got := toolNames(t, c)
			assert.ElementsMatch(t, tc.want, got)
			if tc.warned != "" {
				assert.Eventually(t, func() bool { return strings.Contains(stderr.String(), tc.warned) }, 2*time.Second, 20*time.Millisecond,
					"stderr should warn about %q: %s", tc.warned, stderr.String())
			}
		})
	}
}

func TestNoCredentialsStillServes(t *testing.T) {
	t.Parallel()
	c, _ := startClient(t, cleanEnv(t))
	req := mcp.CallToolRequest{}
	req.Params.Name = "queryCloudRun"
	req.Params.Arguments = map[string]any{"action": "list"}
	res, err := c.CallTool(context.Background(), req)
	require.NoError(t, err)
	require.True(t, res.IsError)
	text := res.Content[0].(mcp.TextContent).Text
	assert.Contains(t, text, "TENCENTCLOUD_SECRETID")
	assert.Contains(t, text, "CLOUDBASE_MCP_SANDBOX=true")
}

func TestExitOnSIGTERM(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binPath)
	cmd.Env = cleanEnv(t, "CLOUDBASE_MCP_SANDBOX=true")
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer in.Close()
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	_, err = io.WriteString(in, rpc(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{}, "clientInfo": map[string]any{"name": "e2e", "version": "1"}})+"\n")
	require.NoError(t, err)
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Contains(t, line, `"id":1`)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "exit code 0 on SIGTERM")
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(binPath, "version").Output()
	require.NoError(t, err)
	assert.Regexp(t, `^cloudbase-mcp \S+ \(commit \S+, built \S+, go1\.\d+`, string(out))
}

func TestHelpAndVersionFlags(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--version", "-v", "version"} {
		out, err := exec.Command(binPath, arg).Output()
		require.NoError(t, err, arg)
		assert.Regexp(t, `^cloudbase-mcp \S+ \(commit`, string(out), arg)
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"--read-only", "--help"}} {
		out, err := exec.Command(binPath, args...).CombinedOutput()
		require.NoError(t, err, "%v", args)
		text := string(out)
		for _, want := range []string{"cloudbase-mcp demo", "cloudbase-mcp emulator", "--sandbox", "CLOUDBASE_MCP_SANDBOX", "--read-only"} {
			assert.Contains(t, text, want, "%v", args)
		}
		assert.NotContains(t, text, "help requested", "%v", args)
	}
}

// TestGreetsAPersonAtATerminal: started by hand in a terminal, the server
// says on stderr what it is and how to use it, and still serves stdin.
func TestGreetsAPersonAtATerminal(t *testing.T) {
	t.Parallel()
	script, err := exec.LookPath("script") // util-linux: runs the binary on a pseudo-terminal
	if err != nil {
		t.Skip("script (util-linux) is not on PATH")
	}
	cmd := exec.Command(script, "-qec", binPath+" < /dev/null; "+binPath, "/dev/null")
	cmd.Env = cleanEnv(t, "CLOUDBASE_MCP_SANDBOX=true")
	cmd.Stdin = strings.NewReader("") // script's own stdin ends: the server on the terminal gets EOF
	out, _ := cmd.CombinedOutput()
	text := string(out)
	assert.Contains(t, text, "This is an MCP server")
	assert.Contains(t, text, "cloudbase-mcp demo")
	assert.Equal(t, 1, strings.Count(text, "This is an MCP server"), "only the run on a terminal is greeted, not the one reading a file")
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binPath, "frobnicate")
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), `unknown command "frobnicate"`)
}

func TestDemoRunsAFullSession(t *testing.T) {
	t.Parallel()
	testutil.NeedsE2E(t) // the local loop installs from the npm registry
	cmd := exec.Command(binPath, "demo", "--project", filepath.Join("..", "..", "testdata", "projects", "container-node"))
	cmd.Env = cleanEnv(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	s := string(out)
	for _, want := range []string{"tools/list: ", `"action":"templates"`, `"action":"getDeployLog"`, `"action":"initEnv"`,
		`"releaseType":"GRAY"`, `"trafficOp":"promote"`, `"trafficOp":"rollback"`, `"action":"updateConfig"`, `"action":"delete"`,
		`"deleted": true`, "isError", "Done:", `"action":"init"`, `"action":"createAgent"`, `"botId": "ibot-help-desk-`,
		`"action":"download"`, `"version": "shop-api-`,
		"?? the server asks the user: \"Delete the CloudRun service shop-api", "?? the user answers: decline", "?? the user answers: accept",
		".. progress 1: packaging", "uploading: ", ".. [info] shop-api: version shop-api-001 is building"} {
		assert.Contains(t, s, want)
	}
	if _, err := exec.LookPath("node"); err == nil {
		assert.Contains(t, s, `"Hello from CloudBase Run!"`, "the locally run helloworld answered over HTTP")
		assert.Contains(t, s, "hello-local was stopped.")
	} else {
		assert.Contains(t, s, "Skipping run: node is not on PATH")
	}
	assert.NotContains(t, s, "Skipping the deploy loop")
	assert.NotContains(t, s, "s3cret-demo", "EnvParams stay masked in the demo")
}
