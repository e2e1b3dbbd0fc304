package hosted

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	aliceID  = "AKIDaliceSecretId000001"
	aliceKey = "alice-secret-key-never-logged"
	token    = "ci-token-never-logged-0001"
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// whoami answers with what the handler sees of its caller.
type whoami struct {
	Label, Env string
	Own, Found bool
	EnvOnly    bool
}

// testMCP is a server with two tools: whoami (the tenant the handler sees)
// and block (returns once release is closed, or its ctx ends).
func testMCP(release chan struct{}, started chan<- struct{}) *mcpserver.MCPServer {
	s := mcpserver.NewMCPServer("test", "1", mcpserver.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("whoami"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		w := whoami{}
		if t, ok := tenant.From(ctx); ok {
			w = whoami{Label: t.Label, Env: t.EnvID, Own: t.OwnCredentials(), Found: true, EnvOnly: t.EnvOnly}
		}
		b, _ := json.Marshal(w)
		return mcp.NewToolResultText(string(b)), nil
	})
	s.AddTool(mcp.NewTool("block"), func(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if started != nil {
			started <- struct{}{}
		}
		select {
		case <-release:
			return mcp.NewToolResultText("finished"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	return s
}

type fixture struct {
	srv  *Server
	url  string // the MCP endpoint
	base string
	logs *testutil.Buffer
	ln   net.Listener
	done chan error
}

func start(t *testing.T, cfg config.HTTP, mods ...func(*Options)) *fixture {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = "/mcp"
	}
	logs := &testutil.Buffer{}
	o := Options{Config: cfg, MCP: testMCP(nil, nil), Logger: slog.New(slog.NewTextHandler(logs, nil)), Version: "test",
		Metrics: NewMetrics([]string{"whoami", "block"}, nil)}
	for _, m := range mods {
		m(&o)
	}
	s, err := New(o)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fixture{srv: s, base: "http://" + ln.Addr().String(), logs: logs, ln: ln, done: make(chan error, 1)}
	f.url = f.base + cfg.Path
	go func() { f.done <- s.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return f
}

// post sends one JSON-RPC message of the 2026-07-28 era (no session).
func post(t *testing.T, url string, headers map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// callWhoami calls the whoami tool with a modern (stateless) request.
func callWhoami(t *testing.T, url string, headers map[string]string) (int, whoami, string) {
	t.Helper()
	h := map[string]string{"Mcp-Protocol-Version": mcp.ProtocolVersion20260728, "Mcp-Method": "tools/call", "Mcp-Name": "whoami"}
	for k, v := range headers {
		h[k] = v
	}
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{},"_meta":{%q:%q,%q:{}}}}`,
		mcp.MetaKeyProtocolVersion, mcp.ProtocolVersion20260728, mcp.MetaKeyClientCapabilities)
	resp, text := post(t, url, h, body)
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, whoami{}, text
	}
	var rpc struct {
		Result mcp.CallToolResult `json:"result"`
		Error  any                `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(text), &rpc), text)
	require.Nil(t, rpc.Error, text)
	var w whoami
	require.NoError(t, json.Unmarshal([]byte(rpc.Result.Content[0].(mcp.TextContent).Text), &w))
	return resp.StatusCode, w, text
}

func TestHeadersAuthCarriesTheCallersKeys(t *testing.T) {
	f := start(t, config.HTTP{Auth: []string{config.AuthHeaders}})
	code, w, _ := callWhoami(t, f.url+"?env_id=env-alice", map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: aliceKey})
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, whoami{Label: "AKID****0001", Env: "env-alice", Own: true, Found: true}, w)

	for name, tc := range map[string]struct {
		headers map[string]string
		query   string
		status  int
		want    string
	}{
		"nothing":       {nil, "", http.StatusUnauthorized, "authentication required: send your Tencent Cloud keys as X-TencentCloud-SecretId"},
		"id only":       {map[string]string{HeaderSecretID: aliceID}, "", http.StatusUnauthorized, "send both"},
		"key only":      {map[string]string{HeaderSecretKey: aliceKey}, "", http.StatusUnauthorized, "send both"},
		"key with sp":   {map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: "a b"}, "", http.StatusUnauthorized, "printable ASCII"},
		"bearer":        {map[string]string{"Authorization": "Bearer " + token}, "", http.StatusUnauthorized, "does not take bearer tokens"},
		"bad env":       {map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: aliceKey}, "?env_id=../x", http.StatusBadRequest, "invalid env_id"},
		"oversized tok": {map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: aliceKey, HeaderSessionToken: strings.Repeat("t", 9000)}, "", http.StatusUnauthorized, "SessionToken"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, body := callWhoami(t, f.url+tc.query, tc.headers)
			assert.Equal(t, tc.status, code)
			assert.Contains(t, body, tc.want)
			assert.NotContains(t, body, aliceKey)
		})
	}
	assert.NotContains(t, f.logs.String(), aliceKey, "a secret from a header is never logged")
	assert.Contains(t, f.logs.String(), "caller=AKID****0001")
}

func TestTokensAuthUsesTheServersKeys(t *testing.T) {
	tokens, err := ParseTokens([]byte(`[{"name":"ci","sha256":"`+sha(token)+`","envId":"env-ci"},{"name":"alice","sha256":"`+sha("alice-token")+`"}]`), "test")
	require.NoError(t, err)
	f := start(t, config.HTTP{Auth: []string{config.AuthTokens, config.AuthHeaders}}, func(o *Options) { o.Tokens = tokens })

	code, w, _ := callWhoami(t, f.url, map[string]string{"Authorization": "Bearer " + token})
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, whoami{Label: "token ci", Env: "env-ci", Found: true, EnvOnly: true}, w, "the token's env holds")
	code, w, _ = callWhoami(t, f.url+"?env_id=env-free", map[string]string{"Authorization": "bearer alice-token"})
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, whoami{Label: "token alice", Env: "env-free", Found: true}, w, "a token without env takes env_id")
	code, _, body := callWhoami(t, f.url+"?env_id=env-other", map[string]string{"Authorization": "Bearer " + token})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, body, "limited to the env env-ci")
	code, w, _ = callWhoami(t, f.url, map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: aliceKey})
	require.Equal(t, http.StatusOK, code, "both ways in at once")
	assert.True(t, w.Own)

	resp, body := post(t, f.url, map[string]string{"Authorization": "Bearer wrong"}, `{}`)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer realm="cloudbase-mcp"`, resp.Header.Get("WWW-Authenticate"))
	assert.Contains(t, body, "unknown bearer token")
	assert.NotContains(t, f.logs.String(), token)
}

func TestParseTokens(t *testing.T) {
	good := `{"tokens":[{"name":"a","sha256":"` + strings.ToUpper(sha("x")) + `"}]}`
	list, err := ParseTokens([]byte(good), "f")
	require.NoError(t, err)
	assert.Equal(t, []TokenEntry{{Name: "a", SHA256: sha("x")}}, list)
	for body, want := range map[string]string{
		`[]`:                            "lists no token",
		`[{"name":"a","sha256":"abc"}]`: "64 hex digits",
		`[{"name":"a b","sha256":"` + sha("x") + `"}]`:                                        "name",
		`[{"name":"a","sha256":"` + sha("x") + `","token":"x"}]`:                              "unknown field",
		`[{"name":"a","sha256":"` + sha("x") + `"},{"name":"a","sha256":"` + sha("y") + `"}]`: "used twice",
		`[{"name":"a","sha256":"` + sha("x") + `"},{"name":"b","sha256":"` + sha("x") + `"}]`: "same hash",
		`[{"name":"a","sha256":"` + sha("x") + `","envId":"a/b"}]`:                            "invalid envId",
	} {
		_, err := ParseTokens([]byte(body), "f")
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), want, body)
	}
}

func TestNoAuthServesTheServersConfiguration(t *testing.T) {
	f := start(t, config.HTTP{})
	code, w, _ := callWhoami(t, f.url, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, whoami{}, w, "no tenant: the server's own configuration applies")
	code, w, _ = callWhoami(t, f.url+"?env_id=env-x", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, whoami{Label: "local", Env: "env-x", Found: true}, w)
	code, _, body := callWhoami(t, f.url, map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: aliceKey})
	assert.Equal(t, http.StatusUnauthorized, code, "keys sent to a server without auth are refused, not ignored")
	assert.Contains(t, body, "does not take credentials in headers")
}

func TestOriginIsChecked(t *testing.T) {
	f := start(t, config.HTTP{AllowedOrigins: []string{"https://studio.example.com"}})
	for origin, ok := range map[string]bool{
		"":                           true, // not a browser
		"https://studio.example.com": true,
		"https://STUDIO.example.com": true,
		"http://localhost:6274":      true,
		"http://127.0.0.1:5173":      true,
		"http://[::1]:3000":          true,
		"https://evil.example":       false,
		"http://localhost.evil.com":  false,
		"null":                       false,
	} {
		h := map[string]string{}
		if origin != "" {
			h["Origin"] = origin
		}
		code, _, body := callWhoami(t, f.url, h)
		if ok {
			assert.Equal(t, http.StatusOK, code, origin)
		} else {
			assert.Equal(t, http.StatusForbidden, code, origin)
			assert.Contains(t, body, "is not allowed")
		}
	}
	// The allowed origin gets CORS headers, and a preflight is answered.
	req, _ := http.NewRequest(http.MethodOptions, f.url, nil)
	req.Header.Set("Origin", "https://studio.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "x-tencentcloud-secretid")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "https://studio.example.com", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-tencentcloud-secretid")
}

func TestDNSRebindingIsRefused(t *testing.T) {
	f := start(t, config.HTTP{})
	req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(`{}`))
	req.Host = "attacker.example:8080" // a rebound name resolving to 127.0.0.1
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestBodySizeIsBounded(t *testing.T) {
	f := start(t, config.HTTP{})
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", MaxBody) + `"}}`
	resp, body := post(t, f.url, nil, big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.Contains(t, body, "the limit is")
	// Chunked, without a length: still bounded.
	req, _ := http.NewRequest(http.MethodPost, f.url, io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	r2, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, r2.StatusCode)
}

func TestRateLimitIsPerCaller(t *testing.T) {
	f := start(t, config.HTTP{Auth: []string{config.AuthHeaders}, RateLimit: 0.001}) // a burst of 1, then nothing for ~17 min
	alice := map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: aliceKey}
	code, _, _ := callWhoami(t, f.url, alice)
	require.Equal(t, http.StatusOK, code)
	resp, body := post(t, f.url, alice, `{"jsonrpc":"2.0","id":2,"method":"ping"}`)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	assert.Contains(t, body, "rate limit")
	code, _, _ = callWhoami(t, f.url, map[string]string{HeaderSecretID: "AKIDbobSecretId00000002", HeaderSecretKey: "bob-key"})
	assert.Equal(t, http.StatusOK, code, "another caller has its own budget")
	// The same SecretId with another key is another caller too: a SecretId
	// alone cannot spend (or use) someone's budget.
	code, _, _ = callWhoami(t, f.url, map[string]string{HeaderSecretID: aliceID, HeaderSecretKey: "guessed"})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, metricsText(t, f), "cloudbase_mcp_http_rate_limited_total 1")
}

func metricsText(t *testing.T, f *fixture) string {
	t.Helper()
	resp, err := http.Get(f.base + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func TestHealthzAndMetrics(t *testing.T) {
	f := start(t, config.HTTP{})
	resp, err := http.Get(f.base + "/healthz")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"status":"ok","version":"test"}`, string(b))

	callWhoami(t, f.url, nil)
	m := metricsText(t, f)
	assert.Contains(t, m, `cloudbase_mcp_http_requests_total{code="200"} 1`)
	assert.Contains(t, m, "process_resident_memory_bytes")
	assert.Contains(t, m, "go_goroutines")
	assert.Contains(t, f.logs.String(), `msg="http request" method=POST path=/mcp status=200`)
	assert.Contains(t, f.logs.String(), "rpc=tools/call tool=whoami")
	assert.Contains(t, f.logs.String(), "protocol=2026-07-28")
}

// TestShutdownDrainsCallsInFlight: a call running when the server is told
// to stop finishes and is answered; new connections are refused; /healthz
// says draining to a probe on an open connection.
func TestShutdownDrainsCallsInFlight(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{}, 1)
	f := start(t, config.HTTP{}, func(o *Options) { o.MCP = testMCP(release, started) })

	// A keep-alive connection, opened before the drain, for the probe.
	probe := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	resp, err := probe.Get(f.base + "/healthz")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	type answer struct {
		status int
		body   string
	}
	answered := make(chan answer, 1)
	go func() {
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"block","arguments":{},"_meta":{%q:%q,%q:{}}}}`,
			mcp.MetaKeyProtocolVersion, mcp.ProtocolVersion20260728, mcp.MetaKeyClientCapabilities)
		req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", mcp.ProtocolVersion20260728)
		req.Header.Set("Mcp-Method", "tools/call")
		req.Header.Set("Mcp-Name", "block")
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- answer{0, err.Error()}
			return
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		answered <- answer{r.StatusCode, string(b)}
	}()
	select {
	case <-started:
	case a := <-answered:
		t.Fatalf("the call did not start: %d %s", a.status, a.body)
	}

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		shutdown <- f.srv.Shutdown(ctx)
	}()
	require.Eventually(t, func() bool {
		_, err := net.DialTimeout("tcp", f.ln.Addr().String(), time.Second)
		return err != nil
	}, 10*time.Second, 10*time.Millisecond, "the listener closes at once")
	select {
	case a := <-answered:
		t.Fatalf("the call was cut short: %d %s", a.status, a.body)
	default:
	}
	close(release)
	a := <-answered
	assert.Equal(t, http.StatusOK, a.status)
	assert.Contains(t, a.body, "finished")
	require.NoError(t, <-shutdown)
	require.NoError(t, <-f.done)
}

// TestShutdownCancelsWhatOutlivesTheDrain: past the drain timeout the calls
// still running are cancelled and Shutdown says so.
func TestShutdownCancelsWhatOutlivesTheDrain(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{}, 1)
	defer close(release)
	f := start(t, config.HTTP{}, func(o *Options) { o.MCP = testMCP(release, started) })
	c, err := client.NewStreamableHttpClient(f.url)
	require.NoError(t, err)
	require.NoError(t, c.Start(context.Background()))
	defer c.Close()
	_, err = c.Initialize(context.Background(), mcp.InitializeRequest{})
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	var callErr error
	go func() {
		defer wg.Done()
		req := mcp.CallToolRequest{}
		req.Params.Name = "block"
		_, callErr = c.CallTool(context.Background(), req)
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err = f.srv.Shutdown(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "drain timed out")
	wg.Wait()
	assert.Error(t, callErr, "the client hears that the call did not finish")
}

func TestMetricsLabelsAreBounded(t *testing.T) {
	m := NewMetrics([]string{"queryCloudRun"}, []string{"list"})
	h := m.ToolMiddleware(func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultError("no"), nil
	})
	for _, tc := range []struct{ tool, action string }{{"queryCloudRun", "list"}, {"queryCloudRun", "random-" + strings.Repeat("x", 10)}, {"evil", "list"}} {
		req := mcp.CallToolRequest{}
		req.Params.Name = tc.tool
		req.Params.Arguments = map[string]any{"action": tc.action}
		_, _ = h(context.Background(), req)
	}
	var buf bytes.Buffer
	rec := &recorderWriter{buf: &buf}
	m.Handler().ServeHTTP(rec, httptestRequest())
	out := buf.String()
	assert.Contains(t, out, `cloudbase_mcp_tool_calls_total{action="list",outcome="error",tool="queryCloudRun"} 1`)
	assert.Contains(t, out, `cloudbase_mcp_tool_calls_total{action="other",outcome="error",tool="queryCloudRun"} 1`)
	assert.Contains(t, out, `cloudbase_mcp_tool_calls_total{action="list",outcome="error",tool="other"} 1`)
	assert.NotContains(t, out, "random-")
	assert.NotContains(t, out, "evil")
}

type recorderWriter struct {
	buf *bytes.Buffer
	h   http.Header
}

func (r *recorderWriter) Header() http.Header {
	if r.h == nil {
		r.h = http.Header{}
	}
	return r.h
}
func (r *recorderWriter) Write(b []byte) (int, error) { return r.buf.Write(b) }
func (r *recorderWriter) WriteHeader(int)             {}

func httptestRequest() *http.Request {
	req, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
	return req
}
