package cloudrun

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listTools(t *testing.T, h *harness) (map[string]mcp.Tool, []byte) {
	t.Helper()
	res, err := h.mcp.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	raw, err := json.Marshal(res)
	require.NoError(t, err)
	tools := map[string]mcp.Tool{}
	for _, tool := range res.Tools {
		tools[tool.Name] = tool
	}
	return tools, raw
}

func TestToolsListAnnotations(t *testing.T) {
	t.Parallel()
	tools, _ := listTools(t, newHarness(t))
	require.Len(t, tools, 2)
	b := func(p *bool) any {
		if p == nil {
			return nil
		}
		return *p
	}
	q := tools[QueryToolName].Annotations
	assert.Equal(t, "Query CloudRun", q.Title)
	assert.Equal(t, []any{true, false, true, true}, []any{b(q.ReadOnlyHint), b(q.DestructiveHint), b(q.IdempotentHint), b(q.OpenWorldHint)})
	m := tools[ManageToolName].Annotations
	assert.Equal(t, "Manage CloudRun", m.Title)
	assert.Equal(t, []any{false, true, false, true}, []any{b(m.ReadOnlyHint), b(m.DestructiveHint), b(m.IdempotentHint), b(m.OpenWorldHint)})
	for _, tool := range tools {
		require.NotNil(t, tool.Meta)
		assert.Equal(t, PluginName, tool.Meta.AdditionalFields["category"])
	}
}

// TestToolSchemaSnapshots pins each tool's published definition to a file;
// UPDATE_SNAPSHOTS=1 rewrites them after an intended change.
func TestToolSchemaSnapshots(t *testing.T) {
	t.Parallel()
	tools, _ := listTools(t, newHarness(t))
	for name, tool := range tools {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(tool, "", "  ")
			require.NoError(t, err)
			got = append(got, '\n')
			file := filepath.Join("..", "..", "testdata", "schemas", name+".json")
			if os.Getenv("UPDATE_SNAPSHOTS") == "1" {
				require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
				require.NoError(t, os.WriteFile(file, got, 0o644))
			}
			want, err := os.ReadFile(file)
			require.NoError(t, err, "missing snapshot; run make snapshots")
			assert.JSONEq(t, string(want), string(got), "tool schema changed; run make snapshots if intended")
		})
	}
}

// TestToolsListSize keeps the tools/list payload small: every byte is read
// by the model on every session. The reference server spends ~24.5 kB.
func TestToolsListSize(t *testing.T) {
	t.Parallel()
	_, raw := listTools(t, newHarness(t))
	t.Logf("tools/list result: %d bytes", len(raw))
	assert.Less(t, len(raw), 12*1024)
}

func TestSchemaErrorsThroughMCP(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res, _ := h.query(t, map[string]any{"action": "lst"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "list, detail, templates, getDeployLog, getProcessLog, getDeployRecords, envStatus, getManageTask, localRuns")

	res, _ = h.query(t, map[string]any{"action": "list", "page": 2})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), `unknown parameter "page"`)
	assert.Contains(t, resultText(res), "pageNum")

	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "svc", "serverConfig": map[string]any{"memory": 1}})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), `unknown parameter "memory"`)
	assert.Contains(t, resultText(res), "Cpu, Mem", "the valid keys are listed")

	res, _ = h.manage(t, map[string]any{"action": "traffic", "serverName": "svc", "trafficOp": "half"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "set, promote, rollback")

	res, _ = h.manage(t, map[string]any{"action": "delete", "serverName": "x"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "serverName")
	assert.Equal(t, 0, h.emu.RequestCount("DeleteCloudRunServer"))
}

func TestUnknownTool(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	req := mcp.CallToolRequest{}
	req.Params.Name = "deployEverything"
	_, err := h.mcp.CallTool(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "deployEverything")
}

func TestDelete(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Warm the list cache so the test sees the write invalidate it.
	_, out := h.query(t, map[string]any{"action": "list"})
	require.Contains(t, serviceNames(out), "hello-api")

	t.Run("without force nothing happens", func(t *testing.T) {
		res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api"})
		require.True(t, res.IsError)
		assert.Contains(t, resultText(res), "force: true")
		assert.Equal(t, true, path(out, "error", "nextStep", "args", "force"))
		assert.Equal(t, 0, h.emu.RequestCount("DeleteCloudRunServer"))
	})
	t.Run("dry run reads, writes nothing", func(t *testing.T) {
		res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api", "dryRun": true})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, true, out["dryRun"])
		assert.Equal(t, "hello-api", path(out, "wouldDelete", "name"))
		assert.Equal(t, 0, h.emu.RequestCount("DeleteCloudRunServer"))
	})
	t.Run("with force", func(t *testing.T) {
		res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api", "force": "true"})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, true, out["deleted"])
		assert.Equal(t, "list", path(out, "nextStep", "action"))
		body := h.lastRequest(t, "DeleteCloudRunServer")
		assert.JSONEq(t, `{"EnvId":"demo-env-1a2b3c","ServerName":"hello-api"}`, body)

		_, detail := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api"})
		assert.Equal(t, "deleting", path(detail, "service", "status"))
		h.emu.Advance(11 * time.Second)
		_, list := h.query(t, map[string]any{"action": "list"})
		assert.Equal(t, false, list["fromCache"], "the delete invalidated the list cache")
		assert.NotContains(t, serviceNames(list), "hello-api")
	})
	t.Run("refused while a gray release is open", func(t *testing.T) {
		res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "canary-web", "force": true})
		require.True(t, res.IsError)
		assert.Equal(t, "ResourceInUse", path(out, "error", "code"))
		assert.Equal(t, "getManageTask", path(out, "error", "nextStep", "action"))
	})
	t.Run("unknown service", func(t *testing.T) {
		res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "no-such-svc", "force": true})
		require.True(t, res.IsError)
		assert.Equal(t, "ResourceNotFound.ServerNotFound", path(out, "error", "code"))
	})
}

func (h *harness) lastRequest(t *testing.T, action string) string {
	t.Helper()
	reqs := h.emu.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Action == action {
			return string(bytes.TrimSpace(reqs[i].Body))
		}
	}
	t.Fatalf("no %s request recorded", action)
	return ""
}

// requestsOf returns the bodies of every recorded request of action.
func (h *harness) requestsOf(t *testing.T, action string) []string {
	t.Helper()
	var out []string
	for _, r := range h.emu.Requests() {
		if r.Action == action {
			out = append(out, string(bytes.TrimSpace(r.Body)))
		}
	}
	return out
}
