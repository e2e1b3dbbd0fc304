package cloudrun

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func inCloudMode() harnessOpt { return func(s *setup) { s.deps.CloudMode = true } }

// localOnly are the actions that use the server's own files or processes.
var localOnly = []string{"init", "download", "run", "stop", "createAgent", "localRuns", "templates"}

func actionSchema(t *testing.T, tool mcp.Tool) (enum []string, description string) {
	t.Helper()
	var s struct {
		Properties struct {
			Action struct {
				Enum        []string `json:"enum"`
				Description string   `json:"description"`
			} `json:"action"`
		} `json:"properties"`
	}
	raw, err := json.Marshal(tool.InputSchema)
	if len(tool.RawInputSchema) > 0 {
		raw, err = tool.RawInputSchema, nil
	}
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &s))
	return s.Properties.Action.Enum, s.Properties.Action.Description
}

func TestCloudModePublishesOnlyRemoteActions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, inCloudMode())
	tools, err := h.mcp.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	require.Len(t, tools.Tools, 2)
	got := map[string][]string{}
	for _, tool := range tools.Tools {
		enum, desc := actionSchema(t, tool)
		got[tool.Name] = enum
		for _, name := range enum {
			assert.Contains(t, desc, name+": ", "%s: every offered action is described", tool.Name)
		}
		for _, name := range localOnly {
			assert.NotContains(t, desc, name+": ", "%s: %s is not described", tool.Name, name)
		}
	}
	assert.Equal(t, []string{"list", "detail", "getDeployLog", "getProcessLog", "getDeployRecords", "envStatus", "getManageTask"}, got[QueryToolName])
	assert.Equal(t, []string{"deploy", "delete", "updateConfig", "initEnv", "traffic"}, got[ManageToolName])
	_, desc := actionSchema(t, tools.Tools[slices.IndexFunc(tools.Tools, func(t mcp.Tool) bool { return t.Name == ManageToolName })])
	assert.True(t, strings.HasSuffix(desc, cloudDeployNote))

	// Over stdio nothing changes: the schema is the tables'.
	for _, tool := range New(Deps{Config: h.cfg}).Tools() {
		enum, _ := actionSchema(t, tool.Tool)
		if tool.Tool.Name == QueryToolName {
			assert.Equal(t, QueryActions(), enum)
		} else {
			assert.Equal(t, ManageActions(), enum)
		}
	}
}

func TestCloudModeRefusesLocalCalls(t *testing.T) {
	t.Parallel()
	h := newHarness(t, inCloudMode())
	// Through the schema check: the action is not a valid value.
	res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "new-svc"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "not one of the valid values: deploy, delete, updateConfig, initEnv, traffic")

	// The boundary refuses it too, should a call get past the schema.
	for _, tc := range []struct {
		tool string
		args map[string]any
	}{
		{ManageToolName, map[string]any{"action": "run", "serverName": "new-svc", "targetPath": "."}},
		{ManageToolName, map[string]any{"action": "stop", "serverName": "new-svc"}},
		{QueryToolName, map[string]any{"action": "localRuns"}},
		{QueryToolName, map[string]any{"action": "templates"}},
	} {
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = tc.tool, tc.args
		var out *mcp.CallToolResult
		if tc.tool == ManageToolName {
			out, _ = h.plugin.handleManage(context.Background(), req)
		} else {
			out, _ = h.plugin.handleQuery(context.Background(), req)
		}
		require.True(t, out.IsError, tc.args["action"])
		assert.Contains(t, resultText(out), "Not available on a hosted server: "+tc.args["action"].(string))
		assert.Contains(t, resultText(out), "run cloudbase-mcp on your machine over stdio")
	}

	// deploy from a directory: refused before anything is read or sent.
	dir := filepath.Join(h.cfg.Workspace, "app")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644))
	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "dir-svc", "targetPath": "app"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "deploy it with imageUrl")
	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "dir-svc", "targetPath": "app", "imageUrl": "ccr.ccs.tencentyun.com/demo/app:v1"})
	require.True(t, res.IsError, "an image with a path is still a path")
	for _, action := range []string{"DescribeCloudBaseBuildService", "CreateCloudRunServer", "UpdateCloudRunServer"} {
		assert.Zero(t, h.emu.RequestCount(action), action)
	}
}

func TestCloudModeServesTheCloudActions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, inCloudMode())
	h.emu.SetSpeed(400)
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "img-svc", "imageUrl": "ccr.ccs.tencentyun.com/demo/app:v1"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "image", out["deployType"])
	res, _ = h.query(t, map[string]any{"action": "detail", "detailServerName": "img-svc"})
	require.False(t, res.IsError, resultText(res))
	res, _ = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MaxNum": 4}})
	require.False(t, res.IsError, resultText(res))
	res, out = h.manage(t, map[string]any{"action": "delete", "serverName": "broken-build", "force": true})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, true, out["deleted"])
}

func TestDescribeOffered(t *testing.T) {
	t.Parallel()
	all := []string{"list", "detail", "templates", "localRuns"}
	desc := "list: services. detail: a service's config (list: not this). templates: for init. localRuns: what run started."
	assert.Equal(t, "list: services. detail: a service's config (list: not this).", describeOffered(desc, all, []string{"list", "detail"}))
	assert.Equal(t, "templates: for init.", describeOffered(desc, all, []string{"templates"}))
}
