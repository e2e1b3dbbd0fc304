//go:build unix

package cloudrun

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLocalLoopEndToEnd is the new user's path through the tools alone:
// init helloworld, run it (npm install from the registry on first use), GET
// its port, see it in localRuns, stop it, and check the process is gone.
func TestLocalLoopEndToEnd(t *testing.T) {
	t.Parallel()
	testutil.NeedsE2E(t) // npm install from the registry
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: install Node.js 18 or later (https://nodejs.org) to run the local-run end-to-end test")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH: install Node.js 18 or later with npm to run the local-run end-to-end test")
	}
	h := newHarness(t)
	t.Cleanup(func() { _ = h.plugin.Close() })

	res, out := h.manage(t, map[string]any{"action": "init", "serverName": "hello", "template": "helloworld"})
	require.False(t, res.IsError, resultText(res))
	dir := out["projectDir"].(string)
	assert.Equal(t, filepath.Join(h.cfg.Workspace, "hello"), dir)

	port := freeTCPPort(t)
	res, out = h.manage(t, map[string]any{"action": "run", "serverName": "hello",
		"runOptions": map[string]any{"port": port, "envParams": map[string]any{"GREETING": "hi"}}})
	require.False(t, res.IsError, resultText(res))
	run := out["run"].(map[string]any)
	pid := int(run["pid"].(float64))
	url := run["url"].(string)
	assert.Equal(t, fmt.Sprintf("http://127.0.0.1:%d/", port), url)
	assert.Equal(t, "running", run["status"])

	resp, err := http.Get(url + "greet")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var answer map[string]any
	require.NoError(t, json.Unmarshal(body, &answer), string(body))
	assert.Equal(t, "Hello from CloudBase Run!", answer["message"])
	assert.Equal(t, "helloworld", answer["template"])
	assert.Equal(t, "/greet", answer["path"])

	res, out = h.query(t, map[string]any{"action": "localRuns"})
	require.False(t, res.IsError, resultText(res))
	runs := out["runs"].([]any)
	require.Len(t, runs, 1)
	listed := runs[0].(map[string]any)
	assert.Equal(t, "hello", listed["serverName"])
	assert.Equal(t, float64(pid), listed["pid"])
	assert.NotEmpty(t, listed["logTail"], "localRuns shows the output")

	res, _ = h.manage(t, map[string]any{"action": "run", "serverName": "hello"})
	require.False(t, res.IsError, resultText(res))
	assert.Contains(t, resultText(res), `"alreadyRunning":true`, "one process per service name")

	res, out = h.manage(t, map[string]any{"action": "stop", "serverName": "hello"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, true, out["stopped"])
	assert.Equal(t, syscall.ESRCH, syscall.Kill(pid, 0), "the node process is gone after stop")
	_, err = net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 200*time.Millisecond)
	assert.Error(t, err, "nothing listens on the port any more")

	res, _ = h.manage(t, map[string]any{"action": "stop", "serverName": "hello"})
	assert.True(t, res.IsError, "stopping twice says there is nothing to stop")

	// The scaffolded agent, run in agent mode with the arguments createAgent suggests.
	res, out = h.manage(t, map[string]any{"action": "createAgent", "serverName": "helpdesk",
		"agentConfig": map[string]any{"agentName": "Help Desk", "botTag": "e2e"}})
	require.False(t, res.IsError, resultText(res))
	botID := out["botId"].(string)
	next := out["nextStep"].(map[string]any)
	args := next["args"].(map[string]any)
	args["runOptions"].(map[string]any)["port"] = freeTCPPort(t)
	res, out = h.manage(t, args)
	require.False(t, res.IsError, resultText(res))
	url = out["run"].(map[string]any)["url"].(string)
	resp, err = http.Post(url+"v1/aibot/bots/"+botID+"/send-message", "application/json", strings.NewReader(`{"msg":"hi"}`))
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), `You said: \"hi\"`)
	assert.Contains(t, string(body), botID)
	require.NoError(t, h.plugin.Close())
	res, out = h.query(t, map[string]any{"action": "localRuns"})
	require.False(t, res.IsError, resultText(res))
	for _, r := range out["runs"].([]any) {
		assert.NotEqual(t, "running", r.(map[string]any)["status"], "Close ends every run")
	}
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
