package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// checkCtx is one check's state: its sessions, temp dirs and the servers' stderr.
type checkCtx struct {
	name     string
	era      string // the protocol version asked for; "" = the SDK's default
	bin      string
	sessions []*session
	tmpDirs  []string
	stderr   *lockedBuffer
}

// session is one server process, with its own temp workspace, and one SDK client.
type session struct {
	cs        *mcp.ClientSession
	client    *mcp.Client
	tap       *tapTransport
	workspace string
	root      string
}

type sessionOpts struct {
	opts  mcp.ClientOptions
	roots []string // directories offered as roots (none: the SDK's default capabilities, no roots)
	env   []string // extra KEY=VALUE for the server
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (c *checkCtx) tmpDir(label string) string {
	d, err := os.MkdirTemp("", "cbmcp-gosdk-"+label+"-")
	if err != nil {
		panic(err)
	}
	c.tmpDirs = append(c.tmpDirs, d)
	return d
}

// open starts a sandbox server and connects an SDK client to it at the check's era.
func (c *checkCtx) open(ctx context.Context, so sessionOpts) (*session, error) {
	root := c.tmpDir("run")
	ws := filepath.Join(root, "workspace")
	if err := os.Mkdir(ws, 0o755); err != nil {
		return nil, err
	}
	cmd := exec.Command(c.bin)
	cmd.Dir = root
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"CLOUDBASE_MCP_SANDBOX=true",
		"CLOUDBASE_MCP_SANDBOX_SPEED=60",
		"CLOUDBASE_MCP_WORKSPACE=" + ws,
		"CLOUDBASE_MCP_AUDIT_LOG=" + filepath.Join(root, "audit.log"),
		"CLOUDBASE_MCP_LOG_LEVEL=warn",
	}, so.env...)
	n := len(c.sessions) + 1
	cmd.Stderr = prefixWriter{w: c.stderr, prefix: fmt.Sprintf("[session %d] ", n)}

	tap := &tapTransport{inner: &mcp.CommandTransport{Command: cmd, TerminateDuration: 2 * time.Second}}
	client := mcp.NewClient(&mcp.Implementation{Name: "cloudbase-mcp-conformance-gosdk", Version: "1.0.0"}, &so.opts)
	for _, r := range so.roots {
		client.AddRoots(&mcp.Root{URI: fileURI(r), Name: filepath.Base(r)})
	}
	cs, err := client.Connect(ctx, tap, &mcp.ClientSessionOptions{ProtocolVersion: c.era})
	if err != nil {
		return nil, fmt.Errorf("connect (initialize/discover) failed: %w", err)
	}
	s := &session{cs: cs, client: client, tap: tap, workspace: ws, root: root}
	c.sessions = append(c.sessions, s)
	return s, nil
}

func (c *checkCtx) close() {
	for _, s := range c.sessions {
		_ = s.cs.Close()
	}
	for _, d := range c.tmpDirs {
		_ = os.RemoveAll(d)
	}
}

type prefixWriter struct {
	w      *lockedBuffer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			_, _ = p.w.Write([]byte(p.prefix + line))
		}
	}
	return len(b), nil
}

func fileURI(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// call runs tools/call; a protocol error is returned as an error naming the call.
func (s *session) call(ctx context.Context, tool string, args map[string]any) (*mcp.CallToolResult, error) {
	return s.callWith(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
}

func (s *session) callWith(ctx context.Context, p *mcp.CallToolParams) (*mcp.CallToolResult, error) {
	res, err := s.cs.CallTool(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("%s %s: protocol error instead of a result: %w", p.Name, short(p.Arguments, 200), err)
	}
	return res, nil
}

// okCall runs tools/call and requires a successful result; what names the call in errors.
func (s *session) okCall(ctx context.Context, what, tool string, args map[string]any) (map[string]any, error) {
	res, err := s.call(ctx, tool, args)
	return ok(res, err, what)
}

// ok requires a successful tool result and returns its structuredContent as a map.
func ok(res *mcp.CallToolResult, err error, what string) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	if res.IsError {
		return nil, fmt.Errorf("%s: isError result: %s", what, short(text(res), 600))
	}
	sc, isMap := structured(res)
	if !isMap {
		return nil, fmt.Errorf("%s: structuredContent is not an object: %s", what, short(res.StructuredContent, 300))
	}
	return sc, nil
}

// toolError requires an isError tool result and returns its text.
func toolError(res *mcp.CallToolResult, err error, what string) (string, error) {
	if err != nil {
		return "", err
	}
	if !res.IsError {
		return "", fmt.Errorf("%s: expected isError, got a success: %s", what, short(res.StructuredContent, 400))
	}
	return text(res), nil
}

func structured(res *mcp.CallToolResult) (map[string]any, bool) {
	// The SDK leaves structuredContent as the decoded JSON value.
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, isText := c.(*mcp.TextContent); isText {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func short(v any, max int) string {
	var s string
	if str, isStr := v.(string); isStr {
		s = str
	} else if b, err := json.Marshal(v); err == nil {
		s = string(b)
	} else {
		s = fmt.Sprint(v)
	}
	if len(s) > max {
		return fmt.Sprintf("%s… (%d chars)", s[:max], len(s))
	}
	return s
}
