package cloudrun

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tiktoken-go/tokenizer"
)

func tokens(t *testing.T, s string) int {
	t.Helper()
	enc, err := tokenizer.Get(tokenizer.O200kBase)
	require.NoError(t, err)
	ids, _, err := enc.Encode(s)
	require.NoError(t, err)
	return len(ids)
}

// TestInstructionsAreTheRules: the initialize result carries the rules an
// agent must never break, in about 150 tokens.
func TestInstructionsAreTheRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, res := initialized(t, serverOf(t, h, false))
	n := tokens(t, res.Instructions)
	t.Logf("instructions: %d bytes, %d o200k tokens", len(res.Instructions), n)
	assert.LessOrEqual(t, n, 170)
	for _, rule := range []string{"PORT", "Mem is 2 x Cpu", "PUBLIC", "MINIAPP", "VpcConf", "initEnv", "nextStep", "cloudrun://guide"} {
		assert.Contains(t, res.Instructions, rule)
	}
}

// serverOf builds a server over the harness's plugin, read-only or not.
// initialized starts an in-process client on srv and completes the
// handshake at 2025-11-25.
func initialized(t *testing.T, srv *mcpserver.MCPServer) (*client.Client, *mcp.InitializeResult) {
	t.Helper()
	c, err := client.NewInProcessClient(srv)
	require.NoError(t, err)
	require.NoError(t, c.Start(context.Background()))
	res, err := c.Initialize(context.Background(), mcp.InitializeRequest{Params: mcp.InitializeParams{ProtocolVersion: mcp.ProtocolVersion20251125}})
	require.NoError(t, err)
	return c, res
}

func serverOf(t *testing.T, h *harness, readOnly bool) *mcpserver.MCPServer {
	t.Helper()
	built, err := server.New(server.Options{Version: "test", ReadOnly: readOnly}, h.plugin)
	require.NoError(t, err)
	return built.Server
}

func TestPromptsListAndRender(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	list, err := h.mcp.ListPrompts(ctx, mcp.ListPromptsRequest{})
	require.NoError(t, err)
	names := []string{}
	for _, p := range list.Prompts {
		names = append(names, p.Name)
		assert.NotEmpty(t, p.Description, p.Name)
		assert.NotEmpty(t, p.Title, p.Name)
	}
	// mcp-go lists prompts sorted by name.
	assert.Equal(t, []string{"deploy-project", "diagnose-service", "release-safely", "start-service"}, names)

	for _, c := range []struct {
		name string
		args map[string]string
		want []string
	}{
		{"start-service", map[string]string{"serverName": "todo-api", "needs": "a REST API for todos", "mode": "function"},
			[]string{"todo-api", "Use function mode", `"action":"init"`, `"action":"run"`, `"dryRun":true`, `"action":"detail"`, "PORT"}},
		{"deploy-project", map[string]string{"serverName": "shop", "targetPath": "/ws/shop"},
			[]string{`"targetPath":"/ws/shop"`, `"dryRun":true`, "nextStep"}},
		{"deploy-project", map[string]string{"serverName": "shop", "imageUrl": "ccr.ccs.tencentyun.com/ns/shop:v2"},
			[]string{`"imageUrl":"ccr.ccs.tencentyun.com/ns/shop:v2"`, "nothing is built"}},
		{"diagnose-service", map[string]string{"serverName": "broken-build"},
			[]string{`"action":"detail"`, `"action":"getDeployLog"`, `"action":"getProcessLog"`, `"action":"getManageTask"`}},
		{"release-safely", map[string]string{"serverName": "web", "targetPath": "/ws/web", "canaryPercent": "20"},
			[]string{`"releaseType":"GRAY"`, `"canaryPercent":20`, `"trafficOp":"promote"`, `"trafficOp":"rollback"`}},
	} {
		res, err := h.mcp.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: c.name, Arguments: c.args}})
		require.NoError(t, err, c.name)
		require.Len(t, res.Messages, 1)
		text := res.Messages[0].Content.(mcp.TextContent).Text
		for _, w := range c.want {
			assert.Contains(t, text, w, c.name)
		}
		t.Logf("prompt %s: %d o200k tokens", c.name, tokens(t, text))
	}
	_, err = h.mcp.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "diagnose-service"}})
	assert.ErrorContains(t, err, "needs the argument serverName")
	_, err = h.mcp.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "release-safely", Arguments: map[string]string{"serverName": "web", "canaryPercent": "half"}}})
	assert.ErrorContains(t, err, "canaryPercent")
}

func TestCompletions(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	complete := func(ref any, arg, value string) []string {
		res, err := h.mcp.Complete(ctx, mcp.CompleteRequest{Params: mcp.CompleteParams{Ref: ref, Argument: mcp.CompleteArgument{Name: arg, Value: value}}})
		require.NoError(t, err)
		return res.Completion.Values
	}
	prompt := mcp.PromptReference{Type: "ref/prompt", Name: "diagnose-service"}
	assert.Subset(t, complete(prompt, "serverName", ""), []string{"hello-api", "canary-web", "broken-build"})
	assert.Equal(t, []string{"hello-api"}, complete(prompt, "serverName", "hel"))
	assert.Equal(t, []string{"container", "function"}, complete(mcp.PromptReference{Type: "ref/prompt", Name: "start-service"}, "mode", ""))
	res := mcp.ResourceReference{Type: "ref/resource", URI: serviceURI}
	assert.Equal(t, []string{"canary-web"}, complete(res, "name", "can"))
	assert.Equal(t, 1, h.emu.RequestCount("DescribeCloudRunServers"), "completions are answered from the cached list")
}

func TestResources(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	list, err := h.mcp.ListResources(ctx, mcp.ListResourcesRequest{})
	require.NoError(t, err)
	require.Len(t, list.Resources, 1)
	assert.Equal(t, guideURI, list.Resources[0].URI)
	guide, err := h.mcp.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: guideURI}})
	require.NoError(t, err)
	text := guide.Contents[0].(mcp.TextResourceContents).Text
	assert.Contains(t, text, "## Rules a service must follow")
	t.Logf("guide: %d o200k tokens", tokens(t, text))

	templates, err := h.mcp.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	require.NoError(t, err)
	require.Len(t, templates.ResourceTemplates, 2)

	detail, err := h.mcp.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "cloudrun://services/hello-api"}})
	require.NoError(t, err)
	body := detail.Contents[0].(mcp.TextResourceContents).Text
	var d detailResult
	require.NoError(t, json.Unmarshal([]byte(body), &d))
	assert.Equal(t, "hello-api", d.Service.Name)
	assert.Equal(t, "***", d.Service.Config["EnvParams"].(map[string]any)["DB_PASSWORD"])
	assert.NotContains(t, body, "s3cret-demo", "secrets are masked as in detail")

	log, err := h.mcp.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "cloudrun://services/broken-build/deploy-log"}})
	require.NoError(t, err)
	assert.Contains(t, log.Contents[0].(mcp.TextResourceContents).Text, `"buildId"`)

	_, err = h.mcp.ReadResource(ctx, mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "cloudrun://services/../etc"}})
	assert.Error(t, err)
	// The same cache as the tools: the detail read above is served again without an upstream call.
	before := h.emu.RequestCount("DescribeCloudRunServerDetail")
	_, out := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api"})
	assert.Equal(t, true, out["fromCache"])
	assert.Equal(t, before, h.emu.RequestCount("DescribeCloudRunServerDetail"))
}

// TestTogglesApplyToPromptsAndResources: read-only mode offers only the
// prompt that reads; a disabled plugin offers nothing at all.
func TestTogglesApplyToPromptsAndResources(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	c, _ := initialized(t, serverOf(t, h, true))
	list, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Prompts, 1)
	assert.Equal(t, "diagnose-service", list.Prompts[0].Name)

	built, err := server.New(server.Options{Version: "test", Disabled: []string{PluginName}}, h.plugin)
	require.NoError(t, err)
	_, init := initialized(t, built.Server)
	assert.Nil(t, init.Capabilities.Prompts)
	assert.Nil(t, init.Capabilities.Resources)
	assert.False(t, strings.Contains(init.Instructions, "PORT"), "nor its instructions")
}

// TestHostedContentOffersOnlyWhatItServes: a hosted server reads no local
// project, so its instructions, prompts and prompt arguments name images,
// never init, run or targetPath, and a deploy prompt without an image is
// refused with what to give.
func TestHostedContentOffersOnlyWhatItServes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, inCloudMode())
	ctx := context.Background()
	c, res := initialized(t, serverOf(t, h, false))
	assert.Contains(t, res.Instructions, "imageUrl")
	assert.NotContains(t, res.Instructions, "run locally")
	n := tokens(t, res.Instructions)
	t.Logf("hosted instructions: %d bytes, %d o200k tokens", len(res.Instructions), n)
	assert.LessOrEqual(t, n, 170)

	list, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	require.NoError(t, err)
	names := []string{}
	for _, p := range list.Prompts {
		names = append(names, p.Name)
		for _, a := range p.Arguments {
			assert.NotEqual(t, "targetPath", a.Name, p.Name)
			if a.Name == "imageUrl" {
				assert.True(t, a.Required, p.Name)
			}
		}
	}
	assert.Equal(t, []string{"deploy-project", "diagnose-service", "release-safely"}, names)

	_, err = c.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "start-service", Arguments: map[string]string{"serverName": "svc-a"}}})
	require.Error(t, err, "start-service needs init and run")
	_, err = c.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "deploy-project", Arguments: map[string]string{"serverName": "svc-a"}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "imageUrl")

	got, err := c.GetPrompt(ctx, mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "release-safely", Arguments: map[string]string{"serverName": "svc-a", "imageUrl": "ccr.ccs.tencentyun.com/demo/app:2"}}})
	require.NoError(t, err)
	text := got.Messages[0].Content.(mcp.TextContent).Text
	assert.Contains(t, text, `"imageUrl":"ccr.ccs.tencentyun.com/demo/app:2"`)
	assert.NotContains(t, text, "targetPath")
}
