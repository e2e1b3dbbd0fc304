package cloudrun

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var lowerCamel = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// dataMaps hold keys that are data, not result fields: env param names, the
// API's own PascalCase request bodies and items, next-step arguments.
var dataMaps = map[string]bool{"config": true, "envParams": true, "wouldSend": true, "items": true, "mergedFromRemote": true, "to": true}

// walk checks every key below v and that no value is null.
func walk(t *testing.T, where string, v any) {
	switch x := v.(type) {
	case nil:
		t.Errorf("%s is null (empty lists must be [], absent fields omitted)", where)
	case map[string]any:
		for k, val := range x {
			if !lowerCamel.MatchString(k) {
				t.Errorf("%s: key %q is not lowerCamelCase", where, k)
			}
			if dataMaps[k] {
				continue
			}
			walk(t, where+"."+k, val)
		}
	case []any:
		for i, val := range x {
			walk(t, where+"["+itoa(i)+"]", val)
		}
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// decodeAs decodes a success's structured content strictly into the typed
// result the action declares: every field it sent is one the type has.
func decodeAs[T any](t *testing.T, res *mcp.CallToolResult) *T {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	out := new(T)
	require.NoError(t, dec.Decode(out), "the result decodes as %T: %s", out, b)
	return out
}

type contractCall struct {
	tool   string
	args   map[string]any
	decode func(t *testing.T, res *mcp.CallToolResult) // nil for failures
}

func as[T any]() func(t *testing.T, res *mcp.CallToolResult) {
	return func(t *testing.T, res *mcp.CallToolResult) { decodeAs[T](t, res) }
}

// TestResultsShape runs every action and checks the result contract:
// structuredContent is the same JSON as the text and decodes as the
// action's typed result, keys are lowerCamelCase, nothing is null; failures
// are isError with what, why and a next step or a hint.
func TestResultsShape(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	h.project(t, "container-node")
	calls := []contractCall{
		{QueryToolName, map[string]any{"action": "list"}, as[listResult]()},
		{QueryToolName, map[string]any{"action": "list", "serverName": "zzz-nothing"}, as[listResult]()},
		{QueryToolName, map[string]any{"action": "detail", "detailServerName": "hello-api"}, as[detailResult]()},
		{QueryToolName, map[string]any{"action": "detail", "detailServerName": "hello-api", "revealEnvParams": true}, as[detailResult]()},
		{QueryToolName, map[string]any{"action": "templates"}, as[templatesResult]()},
		{QueryToolName, map[string]any{"action": "getDeployLog", "detailServerName": "broken-build"}, as[deployLogResult]()},
		{QueryToolName, map[string]any{"action": "getDeployLog", "detailServerName": "broken-build", "fromLine": 1}, as[deployLogResult]()},
		{QueryToolName, map[string]any{"action": "getDeployLog", "detailServerName": "todo-func"}, as[noBuildResult]()},
		{QueryToolName, map[string]any{"action": "getProcessLog", "detailServerName": "hello-api"}, as[processLogResult]()},
		{QueryToolName, map[string]any{"action": "getDeployRecords", "detailServerName": "hello-api"}, as[recordsResult]()},
		{QueryToolName, map[string]any{"action": "envStatus"}, as[envStatusResult]()},
		{QueryToolName, map[string]any{"action": "getManageTask", "detailServerName": "canary-web"}, as[taskResult]()},
		{QueryToolName, map[string]any{"action": "localRuns"}, as[localRunsResult]()},
		{ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node", "dryRun": true}, as[deployResult]()},
		{ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node"}, as[deployResult]()},
		{ManageToolName, map[string]any{"action": "deploy", "serverName": "img-api", "imageUrl": "ccr.ccs.tencentyun.com/ns/app:v1"}, as[deployResult]()},
		{ManageToolName, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 1}, "dryRun": true}, as[updateConfigResult]()},
		{ManageToolName, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 2}}, as[updateConfigResult]()},
		{ManageToolName, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 2}}, as[updateConfigResult]()},
		{ManageToolName, map[string]any{"action": "traffic", "serverName": "canary-web", "trafficOp": "set", "stablePercent": 80, "canaryPercent": 20, "dryRun": true}, as[trafficResult]()},
		{ManageToolName, map[string]any{"action": "traffic", "serverName": "canary-web", "trafficOp": "set", "stablePercent": 80, "canaryPercent": 20}, as[trafficResult]()},
		{ManageToolName, map[string]any{"action": "traffic", "serverName": "canary-web", "trafficOp": "rollback", "dryRun": true}, as[trafficResult]()},
		{ManageToolName, map[string]any{"action": "initEnv"}, as[initEnvResult]()},
		{ManageToolName, map[string]any{"action": "init", "serverName": "new-app"}, as[initResult]()},
		{ManageToolName, map[string]any{"action": "download", "serverName": "hello-api", "targetPath": "pulled"}, as[downloadResult]()},
		{ManageToolName, map[string]any{"action": "createAgent", "serverName": "bot-app", "agentConfig": map[string]any{"agentName": "bot"}}, as[createAgentResult]()},
		{ManageToolName, map[string]any{"action": "delete", "serverName": "todo-func", "dryRun": true}, as[deleteDryRunResult]()},
		{ManageToolName, map[string]any{"action": "delete", "serverName": "todo-func", "force": true}, as[deleteResult]()},
		// failures
		{QueryToolName, map[string]any{"action": "detail", "detailServerName": "no-such-svc"}, nil},
		{ManageToolName, map[string]any{"action": "delete", "serverName": "hello-api"}, nil},
		{ManageToolName, map[string]any{"action": "stop", "serverName": "hello-api"}, nil},
		{ManageToolName, map[string]any{"action": "traffic", "serverName": "hello-api", "trafficOp": "promote"}, nil},
		{ManageToolName, map[string]any{"action": "run", "serverName": "hello-api", "targetPath": "."}, nil},
	}
	if _, err := exec.LookPath("node"); err == nil {
		// A local run of a project whose framework is a stub (no npm install).
		fakeFramework(t, filepath.Join(h.cfg.Workspace, "fn-local"))
		calls = append(calls,
			contractCall{ManageToolName, map[string]any{"action": "run", "serverName": "fn-local", "runOptions": map[string]any{"port": freePort(t)}}, as[runResult]()},
			contractCall{ManageToolName, map[string]any{"action": "run", "serverName": "ctr-local", "targetPath": "container-node", "runOptions": map[string]any{"port": freePort(t)}}, as[runResult]()},
			contractCall{QueryToolName, map[string]any{"action": "localRuns"}, as[localRunsResult]()},
			contractCall{ManageToolName, map[string]any{"action": "stop", "serverName": "fn-local"}, as[stopResult]()},
			contractCall{ManageToolName, map[string]any{"action": "stop", "serverName": "ctr-local"}, as[stopResult]()})
		t.Cleanup(func() { _ = h.plugin.Close() })
	}
	for _, c := range calls {
		name := c.tool + "/" + c.args["action"].(string)
		res, _ := h.call(t, c.tool, c.args)
		require.NotNil(t, res.StructuredContent, name)
		b, err := json.Marshal(res.StructuredContent)
		require.NoError(t, err)
		var structured map[string]any
		require.NoError(t, json.Unmarshal(b, &structured))
		if c.decode == nil {
			require.True(t, res.IsError, "%s is expected to fail: %s", name, resultText(res))
			text := resultText(res)
			assert.NotEmpty(t, path(structured, "error", "what"), name)
			assert.NotEmpty(t, path(structured, "error", "why"), name)
			assert.True(t, strings.Contains(text, "What to do:") || strings.Contains(text, "Next step:"), "%s: a failure says what to do: %s", name, text)
		} else {
			require.False(t, res.IsError, "%s: %s", name, resultText(res))
			assert.JSONEq(t, string(b), resultText(res), "%s: the text is the structured content", name)
			c.decode(t, res)
		}
		walk(t, name, structured)
	}
}
