package cloudrun

import (
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"
)

const demoEnv = "demo-env-1a2b3c"

// harness is the whole stack over loopback: emulator ← signed HTTP ← SDK
// client ← plugin ← MCP server ← in-process MCP client.
type harness struct {
	emu    *emulator.Emulator
	base   string
	cfg    *config.Config
	clock  *cache.FakeClock
	plugin *Plugin
	mcp    *client.Client
}

// setup is what options may change before the harness is built.
type setup struct {
	cfg    *config.Config
	client *tcbr.Options
	emu    *emulator.Options
	deps   *Deps
	// the MCP client: its options (elicitation and roots handlers), the
	// protocol version it asks for and the capabilities it declares.
	clientOpts []client.ClientOption
	protocol   string
	caps       mcp.ClientCapabilities
}

// withMCPClient sets how the in-process client presents itself.
func withMCPClient(protocol string, caps mcp.ClientCapabilities, opts ...client.ClientOption) harnessOpt {
	return func(s *setup) { s.protocol, s.caps, s.clientOpts = protocol, caps, opts }
}

type harnessOpt func(s *setup)

func withSecretKey(key string) harnessOpt {
	return func(s *setup) { s.client.Credential.SecretKey = key }
}

func withTimeout(d time.Duration) harnessOpt {
	return func(s *setup) { s.client.Timeout = d }
}

func withoutCredentials() harnessOpt {
	return func(s *setup) {
		s.cfg.Credentials = config.Credentials{}
		s.client.Credential = tcbr.Credential{}
	}
}

func withScenario(sc *emulator.Scenario) harnessOpt {
	return func(s *setup) { s.emu.Scenario = sc }
}

func withMaxWait(d time.Duration) harnessOpt {
	return func(s *setup) { s.deps.MaxWait = d }
}

func newHarness(t testing.TB, opts ...harnessOpt) *harness {
	t.Helper()
	st := &setup{
		emu: &emulator.Options{},
		cfg: &config.Config{
			Region:      "ap-shanghai",
			EnvID:       demoEnv,
			Credentials: config.Credentials{SecretID: emulator.DemoSecretID, SecretKey: emulator.DemoSecretKey, Source: "test"},
			CacheTTL:    config.CacheTTL{List: 5 * time.Minute, Detail: 2 * time.Minute, Templates: 30 * time.Minute},
			Workspace:   t.TempDir(),
		},
		client: &tcbr.Options{
			Credential:     tcbr.Credential{SecretID: emulator.DemoSecretID, SecretKey: emulator.DemoSecretKey},
			Region:         "ap-shanghai",
			Timeout:        5 * time.Second,
			ReadRetries:    2,
			RetryBaseDelay: time.Millisecond,
		},
		deps: &Deps{MaxWait: 5 * time.Second, PollInterval: 10 * time.Millisecond, RunLogDir: filepath.Join(t.TempDir(), "runs")},
	}
	st.cfg.AuditLog = filepath.Join(t.TempDir(), "audit", "audit.log")
	for _, o := range opts {
		o(st)
	}
	emu, err := emulator.New(*st.emu)
	require.NoError(t, err)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = emu.Close() })
	// The emulator is as strict as the cloud: a field our client sends that
	// the real API would refuse fails the test that sent it, even when the
	// call was best effort and its error swallowed.
	t.Cleanup(func() { require.Empty(t, emu.WireViolations(), "requests the real API would refuse") })
	st.cfg.APIBaseURL = srv.URL
	st.cfg.TemplatesURL = srv.URL + "/func_tpl/v1.0/function_list/find?skip=0&limit=500"
	st.client.BaseURL = srv.URL

	tc, err := tcbr.NewSDKClient(*st.client)
	require.NoError(t, err)
	clock := cache.NewFakeClock(time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC))
	deps := *st.deps
	deps.Config, deps.Client, deps.Clock = st.cfg, tc, clock
	p := New(deps)
	built, err := server.New(server.Options{Version: "test"}, p)
	require.NoError(t, err)
	c, err := client.NewInProcessClientWithOptions(built.Server, st.clientOpts...)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if st.protocol != "" {
		init.Params.ProtocolVersion = st.protocol
	}
	init.Params.Capabilities = st.caps
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &harness{emu: emu, base: srv.URL, cfg: st.cfg, clock: clock, plugin: p, mcp: c}
}

// call invokes a tool and returns the result and its JSON payload (the
// structured content for successes, {"error": …} plus the text for failures).
func (h *harness) call(t testing.TB, tool string, args map[string]any) (*mcp.CallToolResult, map[string]any) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	res, err := h.mcp.CallTool(context.Background(), req)
	require.NoError(t, err)
	return res, payload(t, res)
}

func (h *harness) query(t testing.TB, args map[string]any) (*mcp.CallToolResult, map[string]any) {
	return h.call(t, QueryToolName, args)
}

func (h *harness) manage(t testing.TB, args map[string]any) (*mcp.CallToolResult, map[string]any) {
	return h.call(t, ManageToolName, args)
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

func payload(t testing.TB, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	out := map[string]any{}
	if res.StructuredContent != nil {
		b, err := json.Marshal(res.StructuredContent)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &out))
	}
	if !res.IsError {
		// The text must be the same JSON as the structured content.
		var fromText map[string]any
		require.NoError(t, json.Unmarshal([]byte(resultText(res)), &fromText), "success text must be JSON")
		require.Equal(t, out, fromText)
	}
	return out
}

// path digs into nested maps: path(m, "service", "config", "cpu").
func path(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

// fakeFramework makes dir a function project whose functions framework is a
// stub HTTP server, so that run needs node but no npm install.
func fakeFramework(t *testing.T, dir string) {
	t.Helper()
	bin := filepath.Join(dir, "node_modules", "@cloudbase", "functions-framework", "bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"),
		[]byte(`{"name":"fake","version":"1.0.0","dependencies":{"@cloudbase/functions-framework":"^1.18.0"}}`), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.js"), []byte("exports.main = async () => ({ ok: true })\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(bin, "tcb-ff.js"), []byte(`
require("http").createServer((q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1",
  () => console.log("Server listening on port " + process.env.PORT));
`), 0o755))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}
