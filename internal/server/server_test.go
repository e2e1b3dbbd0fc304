package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePlugin records the arguments its tools receive.
type fakePlugin struct {
	name string
	mu   sync.Mutex
	got  []map[string]any
}

var fakeSchema = json.RawMessage(`{
  "type": "object", "additionalProperties": false, "required": ["action"],
  "properties": {
    "action": {"type": "string", "enum": ["list", "detail"]},
    "pageSize": {"type": "integer", "minimum": 1, "maximum": 100},
    "ratio": {"type": "number"},
    "refresh": {"type": "boolean"},
    "opts": {"type": "object", "additionalProperties": false, "properties": {"port": {"type": "integer"}}}
  }
}`)

func (f *fakePlugin) Name() string         { return f.name }
func (f *fakePlugin) Instructions() string { return "Plugin " + f.name + " does things." }
func (f *fakePlugin) Tools() []Tool {
	h := func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		f.mu.Lock()
		f.got = append(f.got, req.GetArguments())
		f.mu.Unlock()
		return mcp.NewToolResultText("ok"), nil
	}
	return []Tool{
		{Tool: mcp.NewToolWithRawSchema(f.name+"Read", "reads", fakeSchema), Handler: h, ReadOnly: true},
		{Tool: mcp.NewToolWithRawSchema(f.name+"Write", "writes", fakeSchema), Handler: h, ReadOnly: false},
	}
}

func names(ps []Plugin) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name())
	}
	return out
}

func TestSelect(t *testing.T) {
	all := []Plugin{&fakePlugin{name: "cloudrun"}, &fakePlugin{name: "storage"}}
	tests := []struct {
		name              string
		enabled, disabled []string
		want              []string
		warned            []string
	}{
		{"default is all", nil, nil, []string{"cloudrun", "storage"}, nil},
		{"enabled replaces the default", []string{"storage"}, nil, []string{"storage"}, nil},
		{"names trimmed and lower-cased", []string{" CloudRun ", ""}, nil, []string{"cloudrun"}, nil},
		{"disabled removes", nil, []string{"STORAGE"}, []string{"cloudrun"}, nil},
		{"enabled then disabled", []string{"cloudrun", "storage"}, []string{"cloudrun"}, []string{"storage"}, nil},
		{"unknown names warned", []string{"cloudrun", "nosuch"}, []string{"other"}, []string{"cloudrun"}, []string{"nosuch", "other"}},
		{"empty enabled list enables nothing", []string{}, nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var warned []string
			got := Select(all, tc.enabled, tc.disabled, func(n string) { warned = append(warned, n) })
			assert.Equal(t, tc.want, names(got))
			assert.Equal(t, tc.warned, warned)
		})
	}
}

func newClient(t *testing.T, b *Built) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClient(b.Server)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func call(t *testing.T, c *client.Client, tool string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	res, err := c.CallTool(context.Background(), req)
	require.NoError(t, err)
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func TestReadOnlyRegistersOnlyReadTools(t *testing.T) {
	p := &fakePlugin{name: "x"}
	b, err := New(Options{ReadOnly: true}, p)
	require.NoError(t, err)
	assert.Equal(t, []string{"xRead"}, b.Tools)
	tools, err := newClient(t, b).ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	require.Len(t, tools.Tools, 1)
	assert.Equal(t, "xRead", tools.Tools[0].Name)
}

func TestNothingEnabledStillServes(t *testing.T) {
	b, err := New(Options{Enabled: []string{}}, &fakePlugin{name: "x"})
	require.NoError(t, err)
	assert.Empty(t, b.Tools)
	c := newClient(t, b)
	_, err = c.ListTools(context.Background(), mcp.ListToolsRequest{})
	// No tool capability is advertised; the server answers with an error
	// rather than hanging. (Ping would prove nothing here: at 2026-07-28
	// the client answers it without a round trip.)
	assert.Error(t, err)
}

func TestInstructionsNameEnabledPlugins(t *testing.T) {
	b, err := New(Options{Enabled: []string{"a"}}, &fakePlugin{name: "a"}, &fakePlugin{name: "b"})
	require.NoError(t, err)
	c, err := client.NewInProcessClient(b.Server)
	require.NoError(t, err)
	require.NoError(t, c.Start(context.Background()))
	defer c.Close()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	res, err := c.Initialize(context.Background(), init)
	require.NoError(t, err)
	assert.Contains(t, res.Instructions, "Plugin a does things.")
	assert.NotContains(t, res.Instructions, "Plugin b")
}

func TestValidation(t *testing.T) {
	p := &fakePlugin{name: "x"}
	b, err := New(Options{Logger: slog.New(slog.DiscardHandler)}, p)
	require.NoError(t, err)
	c := newClient(t, b)

	tests := []struct {
		name    string
		args    map[string]any
		errText []string // empty = must pass
		want    map[string]any
	}{
		{"valid", map[string]any{"action": "list", "pageSize": 5}, nil, map[string]any{"action": "list", "pageSize": float64(5)}},
		{"numbers and booleans as strings are coerced", map[string]any{"action": "list", "pageSize": "42", "ratio": "0.5", "refresh": "true", "opts": map[string]any{"port": "8080"}}, nil,
			map[string]any{"action": "list", "pageSize": float64(42), "ratio": 0.5, "refresh": true, "opts": map[string]any{"port": float64(8080)}}},
		{"bad enum lists the valid values", map[string]any{"action": "bogus"}, []string{"action", `"bogus"`, "list, detail"}, nil},
		{"unknown key lists the valid keys", map[string]any{"action": "list", "colour": "red"}, []string{`unknown parameter "colour"`, "action, opts, pageSize, ratio, refresh"}, nil},
		{"unknown nested key", map[string]any{"action": "list", "opts": map[string]any{"prt": 1}}, []string{`"prt"`, "in opts", "valid parameters: port"}, nil},
		{"out of range", map[string]any{"action": "list", "pageSize": 500}, []string{"pageSize", "100"}, nil},
		{"wrong type that cannot be coerced", map[string]any{"action": "list", "pageSize": "many"}, []string{"pageSize", "must be integer"}, nil},
		{"missing required", map[string]any{}, []string{`missing required parameter "action"`}, nil},
		{"NaN is not a number (found by FuzzInputValidation)", map[string]any{"action": "list", "ratio": "NaN"}, []string{"ratio", "must be number"}, nil},
		{"Inf is not a number", map[string]any{"action": "list", "ratio": "-Inf"}, []string{"ratio", "must be number"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(p.got)
			res := call(t, c, "xRead", tc.args)
			if tc.errText == nil {
				require.False(t, res.IsError, text(res))
				require.Len(t, p.got, before+1)
				assert.Equal(t, tc.want, jsonRound(t, p.got[len(p.got)-1]))
				return
			}
			require.True(t, res.IsError)
			assert.Len(t, p.got, before, "handler must not run on invalid input")
			msg := text(res)
			assert.True(t, strings.HasPrefix(msg, "Input validation error: "), msg)
			for _, want := range tc.errText {
				assert.Contains(t, msg, want)
			}
		})
	}
}

func jsonRound(t *testing.T, v any) map[string]any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func TestUnknownToolIsProtocolError(t *testing.T) {
	b, err := New(Options{}, &fakePlugin{name: "x"})
	require.NoError(t, err)
	c := newClient(t, b)
	req := mcp.CallToolRequest{}
	req.Params.Name = "nosuchTool"
	_, err = c.CallTool(context.Background(), req)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nosuchTool")
}

func TestBadSchemaFailsConstruction(t *testing.T) {
	bad := &badPlugin{}
	_, err := New(Options{}, bad)
	assert.ErrorContains(t, err, "tool broken")
}

type badPlugin struct{}

func (badPlugin) Name() string         { return "bad" }
func (badPlugin) Instructions() string { return "" }
func (badPlugin) Tools() []Tool {
	return []Tool{{Tool: mcp.NewToolWithRawSchema("broken", "d", json.RawMessage(`{"type": 12}`)), Handler: nil, ReadOnly: true}}
}

// TestMiddlewareSeesEveryCall: Options.Middleware wraps the checks, so it
// hears refused calls too; the call log names the caller, never its keys.
func TestMiddlewareSeesEveryCall(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	mw := func(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			res, err := next(ctx, req)
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%v:%v", req.GetArguments()["action"], res.IsError))
			mu.Unlock()
			return res, err
		}
	}
	var logs testutil.Buffer
	b, err := New(Options{Middleware: []mcpserver.ToolHandlerMiddleware{mw},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}, &fakePlugin{name: "x"})
	require.NoError(t, err)
	c := newClient(t, b)
	call(t, c, "xRead", map[string]any{"action": "list"})
	call(t, c, "xRead", map[string]any{"action": "bogus"})
	assert.Equal(t, []string{"list:false", "bogus:true"}, seen)

	// A tenant in the call's context is named in the call log.
	tn := &tenant.Tenant{ID: "k:1", Label: "AKID****0001", SecretID: "AKIDexampleSecret0001", SecretKey: "never-logged"}
	ctx := tenant.With(context.Background(), tn)
	msg := `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"xRead","arguments":{"action":"list"}}}`
	_ = b.Server.HandleMessage(ctx, []byte(msg))
	assert.Contains(t, logs.String(), "caller=AKID****0001")
	assert.NotContains(t, logs.String(), "never-logged")
}
