// Command gohttp checks cloudbase-mcp's hosted mode (Streamable HTTP) with
// the official Go MCP SDK's client transport, at both protocol eras: its
// default, 2026-07-28 (stateless: every request stands alone, confirmations
// are multi round-trip requests), and 2025-11-25 (a session; the server asks
// the user with elicitation/create on the call's SSE stream).
//
//	go run . <path-to-binary>
//
// Each era gets its own server process (sandbox, --transport http on a free
// loopback port, callers' keys in headers). Checks print "ok <name>" or
// "FAIL <name>: <why>"; the exit status is 1 if any failed.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The emulator's demo key pair (internal/emulator), sent as a caller's own
// keys.
const (
	demoSecretID  = "AKIDemulatorDEMO0000000000000000000"
	demoSecretKey = "emulator-demo-secret-key-0000000000"
	envID         = "demo-env-1a2b3c"
	image         = "ccr.ccs.tencentyun.com/conformance/app:v1"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run . <path-to-binary>")
		os.Exit(2)
	}
	bin, err := filepath.Abs(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("cloudbase-mcp hosted mode (Streamable HTTP), Go SDK client v1.8.0:", bin)
	failed := 0
	for _, era := range []string{"2026-07-28", "2025-11-25"} {
		for _, c := range checks {
			if !run(bin, era, c) {
				failed++
			}
		}
	}
	if failed > 0 {
		fmt.Printf("\n%d failed\n", failed)
		os.Exit(1)
	}
	fmt.Println("\nall passed")
}

type check struct {
	name string
	fn   func(ctx context.Context, s *server, era string) (string, error)
}

var checks = []check{
	{"handshake", checkHandshake},
	{"tools-cloud-mode", checkTools},
	{"roots-absent", checkRootsAbsent},
	{"progress-sse", checkProgress},
	{"elicitation-accept", checkAccept},
	{"elicitation-decline", checkDecline},
}

func run(bin, era string, c check) bool {
	name := c.name + "-" + era
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := startServer(ctx, bin)
	var note string
	if err == nil {
		note, err = c.fn(ctx, s, era)
		if stopErr := s.stop(); err == nil {
			err = stopErr
		}
		if err == nil && strings.Contains(s.log.String(), demoSecretKey) {
			err = errors.New("the secret key reached the server log")
		}
	}
	if err != nil {
		fmt.Printf("FAIL %s: %v\n", name, err)
		if s != nil {
			for _, l := range strings.Split(strings.TrimSpace(s.log.String()), "\n") {
				fmt.Println("     |", l)
			}
		}
		return false
	}
	fmt.Printf("ok   %s (%s)\n", name, note)
	return true
}

// --- the server

type server struct {
	cmd      *exec.Cmd
	endpoint string
	log      *syncBuffer
	done     chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) add(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.WriteString(line + "\n")
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`msg="hosted mode: listening" url=(\S+)`)

func startServer(ctx context.Context, bin string) (*server, error) {
	dir, err := os.MkdirTemp("", "cbmcp-gohttp-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + dir,
		"CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_SANDBOX_SPEED=60",
		"CLOUDBASE_MCP_TRANSPORT=http", "CLOUDBASE_MCP_HTTP_ADDR=127.0.0.1:0", "CLOUDBASE_MCP_HTTP_AUTH=headers",
		"CLOUDBASE_MCP_STATE_KEY=go-sdk-conformance-state-key-0123456789",
		"CLOUDBASE_MCP_AUDIT_LOG=" + filepath.Join(dir, "audit.log"), "CLOUDBASE_MCP_WORKSPACE=" + dir,
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, log: &syncBuffer{}, done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.log.add(sc.Text())
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		s.done <- cmd.Wait()
		_ = os.RemoveAll(dir)
	}()
	select {
	case s.endpoint = <-found:
		return s, nil
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return s, errors.New("the server never said where it listens")
	}
}

func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			return fmt.Errorf("the server exited with %v after SIGTERM", err)
		}
		return nil
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		return errors.New("the server did not exit within 15 s of SIGTERM")
	}
}

// keys adds the caller's keys to every request and notes the answers' headers.
type keys struct {
	base       http.RoundTripper
	mu         sync.Mutex
	sessionIDs []string
	sse        int
}

func (k *keys) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-TencentCloud-SecretId", demoSecretID)
	r.Header.Set("X-TencentCloud-SecretKey", demoSecretKey)
	resp, err := k.base.RoundTrip(r)
	if err == nil {
		k.mu.Lock()
		if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
			k.sessionIDs = append(k.sessionIDs, id)
		}
		if r.Method == http.MethodPost && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			k.sse++
		}
		k.mu.Unlock()
	}
	return resp, err
}

type session struct {
	cs       *mcp.ClientSession
	rt       *keys
	asked    atomic.Int32
	progress chan *mcp.ProgressNotificationParams
}

// connect opens a session at era; answer (nil: no elicitation capability)
// is how the user answers confirmations. The client offers no roots.
func (s *server) connect(ctx context.Context, era string, answer *mcp.ElicitResult) (*session, error) {
	se := &session{rt: &keys{base: http.DefaultTransport}, progress: make(chan *mcp.ProgressNotificationParams, 64)}
	opts := &mcp.ClientOptions{
		Capabilities: &mcp.ClientCapabilities{}, // no roots
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			se.progress <- r.Params
		},
	}
	if answer != nil {
		opts.ElicitationHandler = func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			se.asked.Add(1)
			return answer, nil
		}
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "cloudbase-mcp-gohttp-conformance", Version: "1.0.0"}, opts)
	tr := &mcp.StreamableClientTransport{Endpoint: s.endpoint + "?env_id=" + envID, HTTPClient: &http.Client{Transport: se.rt}}
	cs, err := c.Connect(ctx, tr, &mcp.ClientSessionOptions{ProtocolVersion: era})
	if err != nil {
		return nil, fmt.Errorf("connect at %s: %w", era, err)
	}
	se.cs = cs
	return se, nil
}

func (se *session) call(ctx context.Context, tool string, args map[string]any, progress any) (*mcp.CallToolResult, map[string]any, error) {
	p := &mcp.CallToolParams{Name: tool, Arguments: args}
	if progress != nil {
		p.SetProgressToken(progress)
	}
	res, err := se.cs.CallTool(ctx, p)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %v: %w", tool, args, err)
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
		if t, ok := c.(*mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// --- the checks

func checkHandshake(ctx context.Context, s *server, era string) (string, error) {
	se, err := s.connect(ctx, era, nil)
	if err != nil {
		return "", err
	}
	defer se.cs.Close()
	got := se.cs.InitializeResult()
	if got == nil || got.ProtocolVersion != era {
		return "", fmt.Errorf("negotiated %+v, want %s", got, era)
	}
	if got.ServerInfo == nil || got.ServerInfo.Name != "cloudbase-mcp" {
		return "", fmt.Errorf("serverInfo %+v", got.ServerInfo)
	}
	res, out, err := se.call(ctx, "queryCloudRun", map[string]any{"action": "list"}, nil)
	if err != nil {
		return "", err
	}
	if res.IsError || out["services"] == nil {
		return "", fmt.Errorf("list: %s", text(res))
	}
	se.rt.mu.Lock()
	ids := len(se.rt.sessionIDs)
	se.rt.mu.Unlock()
	if era >= "2026-07-28" && ids > 0 {
		return "", errors.New("the server minted an Mcp-Session-Id for a 2026-07-28 client: that era has no sessions")
	}
	if era < "2026-07-28" && ids == 0 {
		return "", errors.New("no Mcp-Session-Id for a session-era client")
	}
	return fmt.Sprintf("protocolVersion %s, %d Mcp-Session-Id header(s)", got.ProtocolVersion, ids), nil
}

func checkTools(ctx context.Context, s *server, era string) (string, error) {
	se, err := s.connect(ctx, era, nil)
	if err != nil {
		return "", err
	}
	defer se.cs.Close()
	tools, err := se.cs.ListTools(ctx, nil)
	if err != nil {
		return "", err
	}
	actions := map[string][]string{}
	for _, t := range tools.Tools {
		var schema struct {
			Properties struct {
				Action struct {
					Enum []string `json:"enum"`
				} `json:"action"`
			} `json:"properties"`
		}
		b, _ := json.Marshal(t.InputSchema)
		if err := json.Unmarshal(b, &schema); err != nil {
			return "", err
		}
		actions[t.Name] = schema.Properties.Action.Enum
	}
	if got := strings.Join(actions["manageCloudRun"], ","); got != "deploy,delete,updateConfig,initEnv,traffic" {
		return "", fmt.Errorf("manageCloudRun actions over HTTP: %s", got)
	}
	for _, local := range []string{"localRuns", "templates"} {
		if slices.Contains(actions["queryCloudRun"], local) {
			return "", fmt.Errorf("queryCloudRun offers %s over HTTP", local)
		}
	}
	return fmt.Sprintf("%d tools; manageCloudRun: %s", len(tools.Tools), strings.Join(actions["manageCloudRun"], ", ")), nil
}

func checkRootsAbsent(ctx context.Context, s *server, era string) (string, error) {
	se, err := s.connect(ctx, era, nil)
	if err != nil {
		return "", err
	}
	defer se.cs.Close()
	res, _, err := se.call(ctx, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "from-dir", "targetPath": "."}, nil)
	if err != nil {
		return "", err
	}
	if !res.IsError || !strings.Contains(text(res), "imageUrl") {
		return "", fmt.Errorf("deploy from a directory: want a refusal pointing to imageUrl, got %s", text(res))
	}
	res, out, err := se.call(ctx, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "from-image", "imageUrl": image}, nil)
	if err != nil {
		return "", err
	}
	if res.IsError || out["deployType"] != "image" {
		return "", fmt.Errorf("deploy an image: %s", text(res))
	}
	return "no roots offered: a directory deploy is refused with imageUrl, an image deploys", nil
}

func checkProgress(ctx context.Context, s *server, era string) (string, error) {
	se, err := s.connect(ctx, era, nil)
	if err != nil {
		return "", err
	}
	defer se.cs.Close()
	res, _, err := se.call(ctx, "manageCloudRun", map[string]any{"action": "deploy", "serverName": "progress-img", "imageUrl": image}, "deploy-1")
	if err != nil {
		return "", err
	}
	if res.IsError {
		return "", fmt.Errorf("deploy: %s", text(res))
	}
	var got []*mcp.ProgressNotificationParams
	for drained := false; !drained; {
		select {
		case p := <-se.progress:
			got = append(got, p)
		case <-time.After(200 * time.Millisecond):
			drained = true
		}
	}
	if len(got) == 0 {
		return "", errors.New("no progress notification")
	}
	for _, p := range got {
		if fmt.Sprint(p.ProgressToken) != "deploy-1" || p.Message == "" {
			return "", fmt.Errorf("progress notification %+v: want token deploy-1 and a message", p)
		}
	}
	se.rt.mu.Lock()
	sse := se.rt.sse
	se.rt.mu.Unlock()
	if sse == 0 {
		return "", errors.New("the call's answer did not come as an SSE stream")
	}
	return fmt.Sprintf("%d notification(s) on the call's SSE stream, first %q", len(got), got[0].Message), nil
}

func checkAccept(ctx context.Context, s *server, era string) (string, error) {
	se, err := s.connect(ctx, era, &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}})
	if err != nil {
		return "", err
	}
	defer se.cs.Close()
	res, out, err := se.call(ctx, "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"}, nil)
	if err != nil {
		return "", err
	}
	if res.IsError || out["deleted"] != true {
		return "", fmt.Errorf("delete after accept: %s", text(res))
	}
	if n := se.asked.Load(); n != 1 {
		return "", fmt.Errorf("the user was asked %d times, want 1", n)
	}
	return "asked once, deleted", nil
}

func checkDecline(ctx context.Context, s *server, era string) (string, error) {
	se, err := s.connect(ctx, era, &mcp.ElicitResult{Action: "decline"})
	if err != nil {
		return "", err
	}
	defer se.cs.Close()
	res, _, err := se.call(ctx, "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"}, nil)
	if err != nil {
		return "", err
	}
	if !res.IsError || !strings.Contains(text(res), "declined") {
		return "", fmt.Errorf("delete after decline: want isError saying declined, got %s", text(res))
	}
	res, _, err = se.call(ctx, "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "hello-api", "refresh": true}, nil)
	if err != nil {
		return "", err
	}
	if res.IsError {
		return "", fmt.Errorf("hello-api is gone after a decline: %s", text(res))
	}
	return "asked, declined, nothing deleted", nil
}
