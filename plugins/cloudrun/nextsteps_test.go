package cloudrun

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNextStepsAreCompleteAndAcyclic runs every action on services in every
// state the emulator has (normal, image-deployed, build failed, gray
// release open, a deploy still registering) and follows each nextStep: every
// suggested call has complete arguments (it is not refused as invalid), and
// no chain comes back to an action it already left (a poll repeats itself,
// nothing else repeats).
func TestNextStepsAreCompleteAndAcyclic(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.project(t, "container-node")
	h.emu.SetSpeed(0) // states stand still while the chains are followed
	res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "fresh-svc", "targetPath": "container-node", "waitRegistration": false})
	require.False(t, res.IsError, resultText(res))

	services := []string{"hello-api", "todo-func", "orders-svc", "broken-build", "canary-web", "fresh-svc", "no-such-svc"}
	var starts []map[string]any
	starts = append(starts,
		map[string]any{"tool": QueryToolName, "action": "list"},
		map[string]any{"tool": QueryToolName, "action": "envStatus"},
		map[string]any{"tool": QueryToolName, "action": "templates"},
		map[string]any{"tool": QueryToolName, "action": "localRuns"},
		map[string]any{"tool": ManageToolName, "action": "initEnv", "dryRun": true},
		map[string]any{"tool": ManageToolName, "action": "init", "serverName": "starter"},
		map[string]any{"tool": ManageToolName, "action": "deploy", "serverName": "img-svc", "imageUrl": "ccr.ccs.tencentyun.com/ns/app:v1", "waitRegistration": false})
	for _, svc := range services {
		for _, action := range []string{"detail", "getDeployLog", "getProcessLog", "getDeployRecords", "getManageTask"} {
			starts = append(starts, map[string]any{"tool": QueryToolName, "action": action, "detailServerName": svc})
		}
		for _, args := range []map[string]any{
			{"action": "traffic", "trafficOp": "promote"},
			{"action": "traffic", "trafficOp": "rollback", "dryRun": true},
			{"action": "updateConfig", "serverConfig": map[string]any{"MinNum": 1}, "dryRun": true},
			{"action": "delete"},
			{"action": "stop"},
		} {
			args["tool"], args["serverName"] = ManageToolName, svc
			starts = append(starts, args)
		}
	}
	followed := 0
	for _, start := range starts {
		tool := start["tool"].(string)
		delete(start, "tool")
		followed += followChain(t, h, tool, start)
	}
	t.Logf("%d starting calls, %d next steps followed", len(starts), followed)
	assert.Greater(t, followed, len(services), "the chains were really followed")
}

// followChain makes the call and follows its next steps; it returns how many.
func followChain(t *testing.T, h *harness, tool string, args map[string]any) int {
	t.Helper()
	where := tool + " " + jsonText(args)
	var visited []string
	steps := 0
	for hop := 0; hop < 8; hop++ {
		res, out := h.call(t, tool, args)
		if res.IsError {
			assert.NotEqual(t, "Invalid arguments", path(out, "error", "what"), "%s: a suggested call was refused as invalid: %s", where, resultText(res))
		}
		step := nextStepOf(out)
		if step == nil {
			return steps
		}
		name := step.Tool + "/" + step.Action
		if len(visited) > 0 && visited[len(visited)-1] == name {
			return steps // a poll: the same call again later
		}
		for _, v := range visited[:max(len(visited)-1, 0)] {
			assert.NotEqual(t, v, name, "%s: the chain %v comes back to %s", where, visited, name)
			if v == name {
				return steps
			}
		}
		visited = append(visited, name)
		assert.Equal(t, step.Action, step.Args["action"], "%s: the arguments name the action", where)
		tool, args = step.Tool, step.Args
		where += " -> " + name
		steps++
		if tool == ManageToolName && !safeToFollow(args) {
			checkArgsBind(t, where, args)
			return steps
		}
	}
	return steps
}

type looseStep struct {
	Tool, Action string
	Args         map[string]any
}

func nextStepOf(out map[string]any) *looseStep {
	raw, ok := out["nextStep"].(map[string]any)
	if !ok {
		raw, ok = path(out, "error", "nextStep").(map[string]any)
	}
	if !ok {
		return nil
	}
	s := &looseStep{Tool: raw["tool"].(string), Action: raw["action"].(string), Args: map[string]any{}}
	for k, v := range raw["args"].(map[string]any) {
		s.Args[k] = v
	}
	return s
}

// safeToFollow: write suggestions are followed as dry runs; those that would
// start processes or write files are only checked for complete arguments.
func safeToFollow(args map[string]any) bool {
	switch args["action"] {
	case "deploy", "updateConfig", "delete", "initEnv", "traffic":
		args["dryRun"] = true
		return args["action"] != "deploy" || args["targetPath"] != nil || args["imageUrl"] != nil
	}
	return false
}

// checkArgsBind checks that a suggested call is complete: it binds, names
// its service, and names its project or image where the action needs one.
func checkArgsBind(t *testing.T, where string, args map[string]any) {
	req := mcp.CallToolRequest{}
	req.Params.Arguments = args
	a, err := bind[ManageArgs](req)
	require.NoError(t, err, where)
	if a.Action != "initEnv" {
		assert.NoError(t, checkServerName("serverName", a.ServerName), where)
	}
	if a.Action == "deploy" {
		assert.True(t, a.TargetPath != "" || a.ImageURL != "", "%s: a suggested deploy names targetPath or imageUrl", where)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return strings.TrimSpace(string(b))
}
