package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startHostedBinary runs the built binary in hosted mode and returns its
// MCP endpoint, once it says where it listens.
func startHostedBinary(t *testing.T, env ...string) (endpoint string, cmd *exec.Cmd, stderr *testutil.Buffer) {
	t.Helper()
	cmd = exec.Command(binPath, "--transport", "http", "--http-addr", "127.0.0.1:0")
	cmd.Env = cleanEnv(t, env...)
	pipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	stderr = &testutil.Buffer{}
	t.Cleanup(func() { assert.NotContains(t, stderr.String(), emulator.WireViolationLog) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			_, _ = stderr.Write([]byte(line + "\n"))
			if m := regexp.MustCompile(`msg="hosted mode: listening" url=(\S+)`).FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	select {
	case endpoint = <-found:
	case <-time.After(20 * time.Second):
		t.Fatalf("the server never said where it listens: %s", stderr.String())
	}
	return endpoint, cmd, stderr
}

// TestHostedBinaryDeploysItsOwnImage runs the binary in hosted mode against
// its sandbox, and makes, over HTTP, the call the README shows for running
// the server itself on CloudRun: a deploy of its container image with the
// hosted-mode variables. SIGTERM then ends it cleanly.
func TestHostedBinaryDeploysItsOwnImage(t *testing.T) {
	t.Parallel()
	const stateKey = "readme-example-state-key-0123456789abcdef"
	endpoint, cmd, stderr := startHostedBinary(t, "CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_SINGLE_INSTANCE=true",
		"CLOUDBASE_MCP_SANDBOX_SPEED=400")
	mc, err := client.NewStreamableHttpClient(endpoint)
	require.NoError(t, err)
	require.NoError(t, mc.Start(context.Background()))
	defer mc.Close()
	_, err = mc.Initialize(context.Background(), mcp.InitializeRequest{})
	require.NoError(t, err)

	res, out, err := callTool(t, mc, "manageCloudRun", map[string]any{
		"action": "deploy", "serverName": "cloudbase-mcp", "imageUrl": "ccr.ccs.tencentyun.com/my-team/cloudbase-mcp:v1",
		"serverConfig": map[string]any{"Port": 8080, "MinNum": 1, "MaxNum": 3, "EnvParams": map[string]any{
			"CLOUDBASE_MCP_TRANSPORT": "http", "CLOUDBASE_MCP_HTTP_AUTH": "headers", "CLOUDBASE_MCP_STATE_KEY": stateKey,
		}},
	})
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Equal(t, "image", out["deployType"])
	assert.Equal(t, "create", out["operation"])

	res, out, err = callTool(t, mc, "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "cloudbase-mcp", "revealEnvParams": true})
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	cfg := out["service"].(map[string]any)["config"].(map[string]any)
	assert.EqualValues(t, 8080, cfg["Port"])
	env := cfg["EnvParams"].(map[string]any)
	assert.Equal(t, "http", env["CLOUDBASE_MCP_TRANSPORT"])
	assert.Equal(t, "headers", env["CLOUDBASE_MCP_HTTP_AUTH"])

	base := strings.TrimSuffix(endpoint, "/mcp")
	resp, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, err = http.Get(base + "/metrics")
	require.NoError(t, err)
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(metrics), `cloudbase_mcp_tool_calls_total{action="deploy",outcome="ok",tool="manageCloudRun"} 1`)
	assert.Contains(t, string(metrics), `cloudbase_mcp_upstream_calls_total{action="CreateCloudRunServer",outcome="ok"} 1`)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "exit code 0 after SIGTERM; stderr:\n%s", stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit after SIGTERM: %s", stderr.String())
	}
	assert.Contains(t, stderr.String(), "server stopped")
	assert.NotContains(t, stderr.String(), stateKey, "an argument's secret is never logged")
}

// TestHostedBinaryRefusesUnsafeStarts: no auth on a public address, or no
// shared key without a single-instance declaration, stops the server before
// it listens, with what to set.
func TestHostedBinaryRefusesUnsafeStarts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--http-addr", "0.0.0.0:0", "--single-instance"}, "no auth is configured"},
		{[]string{"--http-auth", "headers", "--http-addr", "127.0.0.1:0"}, "CLOUDBASE_MCP_STATE_KEY"},
	} {
		cmd := exec.Command(binPath, append([]string{"--transport", "http"}, tc.args...)...)
		cmd.Env = cleanEnv(t)
		out, err := cmd.CombinedOutput()
		require.Error(t, err, "%s", out)
		assert.Contains(t, string(out), tc.want)
	}
}
