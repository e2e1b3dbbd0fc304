package cloudrun

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var lowerCamel = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// dataMaps hold keys that are data, not result fields: env param names, the
// API's own PascalCase request bodies and items, config.
var dataMaps = map[string]bool{"envParams": true, "request": true, "requests": true, "wouldSend": true, "config": true,
	"items": true, "changes": true, "before": true, "after": true, "mergedFromRemote": true, "diff": true}

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

// TestResultsShape runs every action and checks the result contract:
// structuredContent is the same JSON as the text, keys are lowerCamelCase,
// nothing is null; failures are isError with what, why and a next step or a hint.
func TestResultsShape(t *testing.T) {
	h := newHarness(t)
	h.emu.SetSpeed(400)
	h.project(t, "container-node")
	calls := []struct {
		tool string
		args map[string]any
	}{
		{QueryToolName, map[string]any{"action": "list"}},
		{QueryToolName, map[string]any{"action": "list", "serverName": "zzz-nothing"}},
		{QueryToolName, map[string]any{"action": "detail", "detailServerName": "hello-api"}},
		{QueryToolName, map[string]any{"action": "templates"}},
		{QueryToolName, map[string]any{"action": "getDeployLog", "detailServerName": "broken-build"}},
		{QueryToolName, map[string]any{"action": "getDeployLog", "detailServerName": "todo-func"}},
		{QueryToolName, map[string]any{"action": "getProcessLog", "detailServerName": "hello-api"}},
		{QueryToolName, map[string]any{"action": "getDeployRecords", "detailServerName": "hello-api"}},
		{QueryToolName, map[string]any{"action": "envStatus"}},
		{QueryToolName, map[string]any{"action": "getManageTask", "detailServerName": "canary-web"}},
		{QueryToolName, map[string]any{"action": "localRuns"}},
		{ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node", "dryRun": true}},
		{ManageToolName, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node"}},
		{ManageToolName, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 1}, "dryRun": true}},
		{ManageToolName, map[string]any{"action": "traffic", "serverName": "canary-web", "trafficOp": "set", "stablePercent": 80, "canaryPercent": 20}},
		{ManageToolName, map[string]any{"action": "initEnv"}},
		{ManageToolName, map[string]any{"action": "init", "serverName": "new-app"}},
		{ManageToolName, map[string]any{"action": "createAgent", "serverName": "bot-app", "agentConfig": map[string]any{"agentName": "bot"}}},
		{ManageToolName, map[string]any{"action": "delete", "serverName": "todo-func", "dryRun": true}},
		{ManageToolName, map[string]any{"action": "delete", "serverName": "todo-func", "force": true}},
		// failures
		{QueryToolName, map[string]any{"action": "detail", "detailServerName": "no-such-svc"}},
		{ManageToolName, map[string]any{"action": "delete", "serverName": "hello-api"}},
		{ManageToolName, map[string]any{"action": "stop", "serverName": "hello-api"}},
		{ManageToolName, map[string]any{"action": "traffic", "serverName": "hello-api", "trafficOp": "promote"}},
	}
	for _, c := range calls {
		name := c.tool + "/" + c.args["action"].(string)
		res, _ := h.call(t, c.tool, c.args)
		require.NotNil(t, res.StructuredContent, name)
		b, err := json.Marshal(res.StructuredContent)
		require.NoError(t, err)
		var structured map[string]any
		require.NoError(t, json.Unmarshal(b, &structured))
		if res.IsError {
			text := resultText(res)
			assert.NotEmpty(t, path(structured, "error", "what"), name)
			assert.NotEmpty(t, path(structured, "error", "why"), name)
			assert.True(t, strings.Contains(text, "What to do:") || strings.Contains(text, "Next step:"), "%s: a failure says what to do: %s", name, text)
		} else {
			assert.JSONEq(t, string(b), resultText(res), "%s: the text is the structured content", name)
		}
		walk(t, name, structured)
	}
}
