package cloudrun

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A model-style session: the four tasks of issue 13 done the way an agent
// does them, by calling what the user asked for and then following nextStep
// until none is left. Each call is logged with what it cost the model (the
// result's bytes and o200k tokens), which is the transcript the note
// quotes (go test -run TestModelStyleSession -v ./plugins/cloudrun/).

// agent drives a harness and keeps the transcript.
type agent struct {
	t      *testing.T
	h      *harness
	calls  int
	bytes  int
	tokens int
}

// do makes one call and logs it; the payload comes back.
func (a *agent) do(tool string, args map[string]any) (*mcp.CallToolResult, map[string]any) {
	a.t.Helper()
	res, out := a.h.call(a.t, tool, args)
	text := resultText(res)
	n := tokens(a.t, text)
	a.calls++
	a.bytes += len(text)
	a.tokens += n
	shown, _ := json.Marshal(args)
	status := "ok"
	if res.IsError {
		status = "isError"
	}
	next := ""
	if s := nextStepOf(out); s != nil {
		next = " → nextStep " + s.Tool + " " + s.Action
	}
	a.t.Logf("%-14s %s\n      ← %s, %d bytes, %d tokens%s", tool, shown, status, len(text), n, next)
	return res, out
}

// follow makes the call, then every nextStep it is given (a poll is made
// again after the wait the step asks for), until no step is left or the
// step is a write the user must ask for. It returns the last payload.
func (a *agent) follow(tool string, args map[string]any, stopAt ...string) map[string]any {
	a.t.Helper()
	_, out := a.do(tool, args)
	for hop := 0; hop < 12; hop++ {
		s := nextStepOf(out)
		if s == nil || s.Tool == ManageToolName || contains(stopAt, s.Action) {
			return out
		}
		a.h.emu.Advance(20 * time.Second) // the model waits before polling again
		_, out = a.do(s.Tool, s.Args)
	}
	a.t.Fatalf("still following next steps after 12 hops")
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (a *agent) summary(task string) {
	a.t.Logf("== %s: %d calls, %d bytes, %d o200k tokens of results", task, a.calls, a.bytes, a.tokens)
	a.calls, a.bytes, a.tokens = 0, 0, 0
}

func TestModelStyleSession(t *testing.T) {
	t.Parallel()
	u := &user{answer: answer(mcp.ElicitationResponseActionDecline, nil)}
	h := newHarness(t, elicitingClient(mcp.ProtocolVersion20251125, u))
	h.emu.SetSpeed(0) // time moves only when the agent waits
	a := &agent{t: t, h: h}

	t.Run("1 a template run locally", func(t *testing.T) {
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("node is not installed")
		}
		a.t = t
		_, out := a.do(QueryToolName, map[string]any{"action": "templates"})
		require.NotEmpty(t, out["templates"])
		_, out = a.do(ManageToolName, map[string]any{"action": "init", "serverName": "node-hello", "template": "nodejs"})
		require.Nil(t, out["error"], out)
		step := nextStepOf(out)
		require.NotNil(t, step)
		require.Equal(t, "run", step.Action, "init suggests the local run")
		step.Args["runOptions"] = map[string]any{"port": freePort(t)}
		res, out := a.do(ManageToolName, step.Args)
		require.False(t, res.IsError, resultText(res))
		url, _ := path(out, "run", "url").(string)
		require.NotEmpty(t, url, out)
		resp, err := http.Get(url)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		_, out = a.do(QueryToolName, map[string]any{"action": "localRuns"})
		assert.Len(t, out["runs"], 1)
		res, _ = a.do(ManageToolName, map[string]any{"action": "stop", "serverName": "node-hello"})
		require.False(t, res.IsError, resultText(res))
		a.summary("task 1")
	})

	t.Run("2 a container app deployed, then a canary rolled back", func(t *testing.T) {
		a.t = t
		h.project(t, "container-node")
		_, out := a.do(ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node", "dryRun": true})
		require.Nil(t, out["error"], out)
		a.h.emu.SetSpeed(400) // the build id registers within the deploy's wait
		_, out = a.do(ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node"})
		require.Nil(t, out["error"], out)
		a.h.emu.SetSpeed(0)
		step := nextStepOf(out)
		require.NotNil(t, step, "a deploy says what to read next")
		last := a.follow(step.Tool, step.Args)
		_, detail := a.do(QueryToolName, map[string]any{"action": "detail", "detailServerName": "shop-api"})
		assert.Equal(t, "normal", path(detail, "service", "status"), "followed to the end: %v", last)

		writeFile(t, filepath.Join(h.cfg.Workspace, "container-node", "index.js"),
			"require('http').createServer((q, s) => s.end('v2')).listen(process.env.PORT || 8080)\n")
		a.h.emu.SetSpeed(400)
		_, out = a.do(ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node", "releaseType": "GRAY"})
		require.Nil(t, out["error"], out)
		a.h.emu.SetSpeed(0)
		if step := nextStepOf(out); step != nil {
			a.follow(step.Tool, step.Args)
		}
		a.h.emu.Advance(15 * time.Minute)
		res, _ := a.do(ManageToolName, map[string]any{"action": "traffic", "serverName": "shop-api", "trafficOp": "set", "stablePercent": 90, "canaryPercent": 10})
		require.False(t, res.IsError, resultText(res))
		res, _ = a.do(ManageToolName, map[string]any{"action": "traffic", "serverName": "shop-api", "trafficOp": "rollback"})
		require.False(t, res.IsError, resultText(res))
		a.h.emu.Advance(time.Minute)
		_, detail = a.do(QueryToolName, map[string]any{"action": "detail", "detailServerName": "shop-api", "refresh": true})
		versions := path(detail, "service", "onlineVersions").([]any)
		require.Len(t, versions, 1, "the canary is gone")
		assert.EqualValues(t, 100, versions[0].(map[string]any)["flowRatio"])
		a.summary("task 2")
	})

	t.Run("3 a failing service diagnosed", func(t *testing.T) {
		a.t = t
		last := a.follow(QueryToolName, map[string]any{"action": "detail", "detailServerName": "broken-build"})
		text, _ := json.Marshal(last)
		assert.Contains(t, strings.ToLower(string(text)), "error", "the chain ends at the build log's failure")
		a.summary("task 3")
	})

	t.Run("4 a delete declined, then accepted", func(t *testing.T) {
		a.t = t
		res, _ := a.do(ManageToolName, map[string]any{"action": "delete", "serverName": "hello-api"})
		require.True(t, res.IsError)
		assert.Contains(t, resultText(res), "declined")
		u.mu.Lock()
		u.answer = answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": true})
		u.mu.Unlock()
		res, out := a.do(ManageToolName, map[string]any{"action": "delete", "serverName": "hello-api"})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, true, out["deleted"])
		assert.Len(t, u.questions(), 2, "the user was asked both times")
		a.summary("task 4")
	})
}
