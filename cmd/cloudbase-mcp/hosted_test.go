package main

// Hosted mode with the real wiring (buildServer, the hosted endpoint, the
// tenant router), several instances in this process against one emulator,
// reached over loopback HTTP by mcp-go's Streamable HTTP client.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/hosted"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	hostedStateKey = "shared-state-key-of-every-instance-0001"
	// The emulator's second key pair (demo scenario), with its session token.
	tokenSecretID  = "AKIDemulatorTOKEN00000000000000000"
	tokenSecretKey = "emulator-token-secret-key-000000000"
	tokenSession   = "emulator-session-token-0000"
)

// cloud is one emulator the instances share, as they would share the
// platform.
type cloud struct {
	emu *emulator.Emulator
	url string
}

func newCloud(t *testing.T) *cloud {
	t.Helper()
	emu, err := emulator.New(emulator.Options{Speed: 400})
	require.NoError(t, err)
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	t.Cleanup(func() { _ = emu.Close() })
	t.Cleanup(func() { assert.Empty(t, emu.WireViolations(), "requests the real API would refuse") })
	return &cloud{emu: emu, url: srv.URL}
}

// signers lists the SecretIds that signed the calls of one action.
func (c *cloud) signers(action string) []string {
	var out []string
	for _, r := range c.emu.Requests() {
		if r.Action == action {
			out = append(out, r.SecretID)
		}
	}
	return out
}

// instance starts one hosted server with env settings over defaults.
func (c *cloud) instance(t *testing.T, env map[string]string) *hostedServer {
	t.Helper()
	vars := map[string]string{
		"CLOUDBASE_MCP_TRANSPORT":       "http",
		"CLOUDBASE_MCP_HTTP_ADDR":       "127.0.0.1:0",
		"CLOUDBASE_MCP_HTTP_AUTH":       "headers",
		"CLOUDBASE_MCP_STATE_KEY":       hostedStateKey,
		"CLOUDBASE_API_BASE_URL":        c.url,
		"CLOUDBASE_TEMPLATES_URL":       c.url + "/func_tpl/v1.0/function_list/find?skip=0&limit=500",
		"CLOUDBASE_MCP_AUDIT_LOG":       t.TempDir() + "/audit.log",
		"CLOUDBASE_MCP_WORKSPACE":       t.TempDir(),
		"CLOUDBASE_MCP_HTTP_RATE_LIMIT": "0",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(config.Sources{Getenv: func(k string) string { return vars[k] }, HomeDir: t.TempDir(),
		Getwd: func() (string, error) { return t.TempDir(), nil }, UserConfigDir: t.TempDir()})
	require.NoError(t, err)
	logs := &testutil.Buffer{}
	s, err := startHosted(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = s.stop(5 * time.Second)
		for _, secret := range []string{emulator.DemoSecretKey, tokenSecretKey, tokenSession} {
			assert.NotContains(t, logs.String(), secret, "a secret reached the log")
		}
	})
	return s
}

// hop is one request that went through the proxy.
type hop struct {
	backend int
	rpc     string // JSON-RPC method, "" for GET/DELETE
	tool    string
	result  string // the answer's body (for tools/call)
}

// proxy spreads requests over backends: round robin, or with affinity on
// Mcp-Session-Id (the session goes where its initialize went).
type proxy struct {
	srv      *httptest.Server
	backends []*httputil.ReverseProxy
	affinity bool
	next     atomic.Int64

	mu       sync.Mutex
	sessions map[string]int
	hops     []hop
}

func newProxy(t *testing.T, affinity bool, backends ...*hostedServer) *proxy {
	t.Helper()
	p := &proxy{affinity: affinity, sessions: map[string]int{}}
	for _, b := range backends {
		u, err := url.Parse(b.base)
		require.NoError(t, err)
		rp := httputil.NewSingleHostReverseProxy(u)
		rp.FlushInterval = -1 // SSE passes through as it comes
		p.backends = append(p.backends, rp)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *proxy) url() string { return p.srv.URL + "/mcp?env_id=" + sandboxEnvID }

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	var msg struct {
		Method string `json:"method"`
		Params struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	_ = json.Unmarshal(body, &msg)
	i := -1
	if p.affinity {
		p.mu.Lock()
		if b, ok := p.sessions[r.Header.Get("Mcp-Session-Id")]; ok {
			i = b
		}
		p.mu.Unlock()
	}
	if i < 0 {
		i = int(p.next.Add(1)-1) % len(p.backends)
	}
	rec := httptest.NewRecorder()
	sw := &teeWriter{ResponseWriter: w, rec: rec}
	p.backends[i].ServeHTTP(sw, r)
	p.mu.Lock()
	defer p.mu.Unlock()
	if id := w.Header().Get("Mcp-Session-Id"); id != "" {
		p.sessions[id] = i
	}
	p.hops = append(p.hops, hop{backend: i, rpc: msg.Method, tool: msg.Params.Name, result: rec.Body.String()})
}

// teeWriter copies what the backend answers, streaming it on.
type teeWriter struct {
	http.ResponseWriter
	rec *httptest.ResponseRecorder
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.rec.Body.Write(b)
	return t.ResponseWriter.Write(b)
}

func (t *teeWriter) Flush() {
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (p *proxy) hopsWhere(keep func(hop) bool) []hop {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []hop
	for _, h := range p.hops {
		if keep(h) {
			out = append(out, h)
		}
	}
	return out
}

func (p *proxy) toolCalls() []hop {
	return p.hopsWhere(func(h hop) bool { return h.rpc == "tools/call" })
}

func (p *proxy) backendsUsed() map[int]bool {
	used := map[int]bool{}
	for _, h := range p.hopsWhere(func(hop) bool { return true }) {
		used[h.backend] = true
	}
	return used
}

// confirmingUser answers every question with confirm: true, and counts.
type confirmingUser struct{ asked atomic.Int32 }

func (u *confirmingUser) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	u.asked.Add(1)
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{
		Action: mcp.ElicitationResponseActionAccept, Content: map[string]any{"confirm": true}}}, nil
}

func keyHeaders(id, key, token string) map[string]string {
	h := map[string]string{hosted.HeaderSecretID: id, hosted.HeaderSecretKey: key}
	if token != "" {
		h[hosted.HeaderSessionToken] = token
	}
	return h
}

func demoKeys() map[string]string {
	return keyHeaders(emulator.DemoSecretID, emulator.DemoSecretKey, "")
}

// connect opens an MCP session over Streamable HTTP at the protocol given
// ("" = the newest, 2026-07-28).
func connect(t *testing.T, endpoint string, headers map[string]string, protocol string, opts ...client.ClientOption) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(endpoint, transport.WithHTTPHeaders(headers))
	require.NoError(t, err)
	if protocol != "" {
		opts = append(opts, client.WithProtocolVersion(protocol))
	}
	c := client.NewClient(tr, opts...)
	ctx := context.Background()
	require.NoError(t, c.Start(ctx))
	t.Cleanup(func() { _ = c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if protocol != "" {
		init.Params.ProtocolVersion = protocol
	}
	init.Params.ClientInfo = mcp.Implementation{Name: "hosted-test", Version: "1"}
	init.Params.Capabilities = mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}}
	_, err = c.Initialize(ctx, init)
	require.NoError(t, err)
	return c
}

func callTool(t *testing.T, c *client.Client, tool string, args map[string]any) (*mcp.CallToolResult, map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = tool, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	out := map[string]any{}
	if res.StructuredContent != nil {
		b, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(b, &out)
	}
	return res, out, nil
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

// TestConfirmationRetryLandsOnAnotherInstance: at 2026-07-28 a delete asks
// the user by ending the call with input_required and a signed
// requestState; the client's retry, with the answer, goes to the other
// instance behind a round-robin proxy, which accepts the state because the
// instances share CLOUDBASE_MCP_STATE_KEY.
func TestConfirmationRetryLandsOnAnotherInstance(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	p := newProxy(t, false, c.instance(t, nil), c.instance(t, nil))
	u := &confirmingUser{}
	mc := connect(t, p.url(), demoKeys(), "", client.WithElicitationHandler(u))

	res, out, err := callTool(t, mc, "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"})
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Equal(t, true, out["deleted"])
	assert.Equal(t, int32(1), u.asked.Load(), "the user was asked once")

	calls := p.toolCalls()
	require.Len(t, calls, 2, "the call, then its retry with the answer")
	assert.Contains(t, calls[0].result, "input_required")
	assert.Contains(t, calls[0].result, "requestState")
	assert.NotEqual(t, calls[0].backend, calls[1].backend, "the retry landed on the other instance")
	assert.Equal(t, []string{emulator.DemoSecretID}, c.signers("DeleteCloudRunServer"), "deleted once, with the caller's keys")
}

// TestConfirmationNeedsTheSharedKey: instances with keys of their own
// cannot verify each other's requestState: the retry is asked again, round
// after round, and nothing is deleted.
func TestConfirmationNeedsTheSharedKey(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	a := c.instance(t, map[string]string{"CLOUDBASE_MCP_STATE_KEY": "", "CLOUDBASE_MCP_SINGLE_INSTANCE": "true"})
	b := c.instance(t, map[string]string{"CLOUDBASE_MCP_STATE_KEY": "", "CLOUDBASE_MCP_SINGLE_INSTANCE": "true"})
	p := newProxy(t, false, a, b)
	u := &confirmingUser{}
	mc := connect(t, p.url(), demoKeys(), "", client.WithElicitationHandler(u), client.WithMaxInputRoundTrips(3))
	_, _, err := callTool(t, mc, "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"})
	require.Error(t, err)
	assert.ErrorIs(t, err, client.ErrMaxInputRoundTripsExceeded)
	assert.Empty(t, c.signers("DeleteCloudRunServer"))
}

// TestOlderClientsNeedSessionAffinity: before 2026-07-28 the server asks the
// user with a request of its own (elicitation/create on the call's stream)
// and waits on the instance for the answer, which the client posts back as
// a separate request of the session. With affinity on Mcp-Session-Id the
// whole session stays on one instance and the delete completes; round robin
// sends the answer to the other instance, which knows nothing of the
// question (404), and the call waits in vain: nothing is deleted.
func TestOlderClientsNeedSessionAffinity(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	a, b := c.instance(t, nil), c.instance(t, nil)

	sticky := newProxy(t, true, a, b)
	u := &confirmingUser{}
	mc := connect(t, sticky.url(), demoKeys(), mcp.ProtocolVersion20251125, client.WithElicitationHandler(u))
	res, out, err := callTool(t, mc, "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"})
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Equal(t, true, out["deleted"])
	assert.Equal(t, int32(1), u.asked.Load())
	assert.Len(t, sticky.backendsUsed(), 1, "every request of the session went to one instance")

	// Round robin: initialize → A, initialized → B, the call → A (which asks
	// the user), the answer → B.
	roundRobin := newProxy(t, false, a, b)
	u2 := &confirmingUser{}
	mc2 := connect(t, roundRobin.url(), demoKeys(), mcp.ProtocolVersion20251125, client.WithElicitationHandler(u2))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = "manageCloudRun", map[string]any{"action": "delete", "serverName": "todo-func"}
	_, err = mc2.CallTool(ctx, req)
	require.Error(t, err, "the call never completes")
	assert.Equal(t, int32(1), u2.asked.Load(), "the user answered")
	answer := roundRobin.hopsWhere(func(h hop) bool { return h.rpc == "" && strings.Contains(h.result, "No active session") })
	require.Len(t, answer, 1, "the answer reached the instance that did not ask")
	assert.Equal(t, []string{emulator.DemoSecretID}, c.signers("DeleteCloudRunServer"), "only the sticky session deleted")
}

// TestTenantsNeverShareCachedData: two callers with keys of their own, and
// a third who knows the first one's SecretId but not its key, against one
// instance: each read is signed with the caller's own keys, and a cached
// read is only ever served to the keys that made it.
func TestTenantsNeverShareCachedData(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	s := c.instance(t, nil)
	endpoint := s.url + "?env_id=" + sandboxEnvID
	alice := connect(t, endpoint, demoKeys(), "")
	bob := connect(t, endpoint, keyHeaders(tokenSecretID, tokenSecretKey, tokenSession), "")
	mallory := connect(t, endpoint, keyHeaders(emulator.DemoSecretID, "guessed-the-key-0000000000000000000", ""), "")
	list := map[string]any{"action": "list"}

	res, out, err := callTool(t, alice, "queryCloudRun", list)
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Equal(t, false, out["fromCache"])
	assert.NotEmpty(t, out["services"])
	_, out, err = callTool(t, alice, "queryCloudRun", list)
	require.NoError(t, err)
	assert.Equal(t, true, out["fromCache"], "alice's second read is her cached one")

	res, out, err = callTool(t, bob, "queryCloudRun", list)
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Equal(t, false, out["fromCache"], "bob is not served alice's cache")

	res, _, err = callTool(t, mallory, "queryCloudRun", list)
	require.NoError(t, err)
	require.True(t, res.IsError, "a SecretId without its key gets no cached data: %s", text(res))
	assert.Contains(t, text(res), "AuthFailure")
	assert.NotContains(t, text(res), "guessed-the-key")

	assert.Equal(t, []string{emulator.DemoSecretID, tokenSecretID}, c.signers("DescribeCloudRunServers"),
		"one upstream read each for alice and bob (mallory's was refused: the emulator records verified calls only)")
	for _, r := range c.emu.Requests() {
		if r.SecretID == tokenSecretID {
			assert.Equal(t, "DescribeCloudRunServers", r.Action)
		}
	}

	// A caller's env_id is its env: the same keys, another env, another
	// cache entry.
	other := connect(t, s.url+"?env_id=fresh-env-9z8y7x", demoKeys(), "")
	res, out, err = callTool(t, other, "queryCloudRun", map[string]any{"action": "envStatus"})
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Contains(t, fmt.Sprint(out), "fresh-env-9z8y7x")
}

// TestHostedServesTheCloudOnly: over HTTP the tools list no local action;
// progress of an image deploy reaches the client over the call's stream.
func TestHostedServesTheCloudOnly(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	s := c.instance(t, nil)
	mc := connect(t, s.url+"?env_id="+sandboxEnvID, demoKeys(), "")
	tools, err := mc.ListTools(context.Background(), mcp.ListToolsRequest{})
	require.NoError(t, err)
	for _, tool := range tools.Tools {
		schema, err := json.Marshal(tool.InputSchema)
		if len(tool.RawInputSchema) > 0 {
			schema, err = tool.RawInputSchema, nil
		}
		require.NoError(t, err)
		for _, local := range []string{`"init"`, `"download"`, `"run"`, `"stop"`, `"createAgent"`, `"localRuns"`} {
			assert.NotContains(t, string(schema), local, "%s offers %s over HTTP", tool.Name, local)
		}
	}
	var progress atomic.Int32
	mc.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			progress.Add(1)
		}
	})
	req := mcp.CallToolRequest{}
	req.Params.Name = "manageCloudRun"
	req.Params.Arguments = map[string]any{"action": "deploy", "serverName": "img-svc", "imageUrl": "ccr.ccs.tencentyun.com/demo/app:v1"}
	req.Params.Meta = &mcp.Meta{ProgressToken: "deploy-1"}
	res, err := mc.CallTool(context.Background(), req)
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Positive(t, progress.Load(), "progress notifications came over the call's SSE stream")
}

// TestTokensCallWithTheServersKeys: a bearer token caller signs with the
// server's own keys, and its token's env holds.
func TestTokensCallWithTheServersKeys(t *testing.T) {
	t.Parallel()
	c := newCloud(t)
	dir := t.TempDir()
	file := dir + "/tokens.json"
	sum := sha256Hex("team-token-0001")
	require.NoError(t, writeFileT(file, `[{"name":"team","sha256":"`+sum+`","envId":"demo-env-1a2b3c"}]`))
	s := c.instance(t, map[string]string{
		"CLOUDBASE_MCP_HTTP_AUTH": "tokens", "CLOUDBASE_MCP_HTTP_TOKENS_FILE": file,
		"TENCENTCLOUD_SECRETID": tokenSecretID, "TENCENTCLOUD_SECRETKEY": tokenSecretKey, "TENCENTCLOUD_SESSIONTOKEN": tokenSession,
	})
	mc := connect(t, s.url, map[string]string{"Authorization": "Bearer team-token-0001"}, "")
	res, out, err := callTool(t, mc, "queryCloudRun", map[string]any{"action": "list"})
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
	assert.Equal(t, "demo-env-1a2b3c", out["envId"])
	assert.Equal(t, []string{tokenSecretID}, c.signers("DescribeCloudRunServers"))
	res, _, err = callTool(t, mc, "queryCloudRun", map[string]any{"action": "list", "envId": "fresh-env-9z8y7x"})
	require.NoError(t, err)
	require.True(t, res.IsError)
	assert.Contains(t, text(res), "limited to the env demo-env-1a2b3c")

	resp, err := http.Post(s.url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func writeFileT(path, body string) error { return os.WriteFile(path, []byte(body), 0o600) }
