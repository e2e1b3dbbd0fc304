package mcpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Roots learns each session's workspace roots from the client (asked once,
// kept until the client says they changed).
type Roots struct {
	confirm *Confirmer
	logger  *slog.Logger

	mu       sync.Mutex
	sessions map[string]rootsState
}

// rootsState is what one session's client said its roots are.
type rootsState struct {
	paths []string // the file:// roots, as paths
	asked bool     // false: ask the client; true with no paths: use the fallback
}

// NewRoots returns an empty roots cache; confirm signs the roots question.
func NewRoots(confirm *Confirmer, logger *slog.Logger) *Roots {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Roots{confirm: confirm, logger: logger, sessions: map[string]rootsState{}}
}

func (r *Roots) get(id string) rootsState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[id]
}

func (r *Roots) set(id string, paths []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions[id] = rootsState{paths: paths, asked: true}
}

// Forget drops a session's roots; "" (a notification that came without its
// session, as the in-process transport sends them) drops every session's.
func (r *Roots) Forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id == "" {
		clear(r.sessions)
		return
	}
	delete(r.sessions, id)
}

// OnChanged handles notifications/roots/list_changed: the next call that
// needs a path asks again.
func (r *Roots) OnChanged(ctx context.Context, _ mcp.JSONRPCNotification) {
	r.Forget(rootsKey(ctx))
	r.logger.Info("the client's roots changed; they are asked again on the next call that uses a path")
}

// rootsKey is whose roots they are: the session's, and on a hosted server
// the caller's too. Requests of protocol 2026-07-28 have no session (their
// key is ""): without the caller in it, one caller's roots would be another's.
func rootsKey(ctx context.Context) string {
	if t, ok := tenant.From(ctx); ok {
		return t.ID + "|" + SessionID(ctx)
	}
	return SessionID(ctx)
}

// Workspace returns the directories paths must stay in: the client's roots
// when it offers them, else fallback. A *NeedInput error means the call must
// end with it (the roots are being asked for, protocol 2026-07-28).
func (r *Roots) Workspace(ctx context.Context, req mcp.CallToolRequest, fallback string) ([]string, error) {
	if ClientCaps(ctx).Roots == nil {
		return []string{fallback}, nil
	}
	id := rootsKey(ctx)
	// Roots are only taken from an answer to the server's own question.
	if answer := mcpserver.RootsResponse(req.Params.InputResponses, inputRoots); answer != nil &&
		r.confirm.Verify(req.Params.RequestState, askRoots, "") {
		r.set(id, r.paths(answer.Roots))
	}
	st := r.get(id)
	paths := st.paths
	if !st.asked {
		if mcpserver.IsModernRequest(ctx) {
			return nil, &NeedInput{Result: InputRequest(r.confirm.State(askRoots, "")).Roots(inputRoots).ToolResult()}
		}
		paths = r.ask(ctx)
		r.set(id, paths)
	}
	if len(paths) == 0 {
		return []string{fallback}, nil
	}
	return paths, nil
}

// ask sends roots/list (protocol versions before 2026-07-28).
func (r *Roots) ask(ctx context.Context) []string {
	srv := mcpserver.ServerFromContext(ctx)
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := srv.RequestRoots(ctx, mcp.ListRootsRequest{Request: mcp.Request{Method: string(mcp.MethodListRoots)}})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			r.logger.Warn("roots/list failed; using the configured workspace", "err", err)
		}
		return nil
	}
	paths := r.paths(res.Roots)
	r.logger.Info("workspace roots from the client", "roots", paths)
	return paths
}

// paths keeps the roots that are plain local file:// URIs, as paths; the
// others are logged and ignored.
func (r *Roots) paths(list []mcp.Root) []string {
	var out []string
	for _, root := range list {
		p, err := RootPath(root.URI, runtime.GOOS == "windows")
		if err != nil {
			r.logger.Warn("ignoring a root the client offered", "uri", truncate(root.URI, 200), "err", err)
			continue
		}
		out = append(out, p)
	}
	return out
}

// RootPath turns a file:// root URI into a local path. Only the plain forms
// real clients send are taken: no host but localhost, no query or fragment,
// no ".." segment, no percent-encoded separator, NUL or control character
// (which would make the path mean something else once decoded). On Windows
// the path must start with a drive letter: file:///C:/src and
// file:///c%3A/src are C:\src.
func RootPath(uri string, windows bool) (string, error) {
	u, err := parseFileURI(uri)
	if err != nil {
		return "", err
	}
	if err := checkEscapes(u.EscapedPath()); err != nil {
		return "", err
	}
	p := u.Path
	if p == "" || p[0] != '/' || strings.ContainsRune(p, 0) || strings.ContainsRune(p, '\\') {
		return "", errors.New("not an absolute path")
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == ".." {
			return "", errors.New("a .. segment")
		}
	}
	if !windows {
		return filepath.Clean(p), nil
	}
	return windowsPath(p)
}

func parseFileURI(uri string) (*url.URL, error) {
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		return nil, fmt.Errorf("not a URI: %w", err)
	case !strings.EqualFold(u.Scheme, "file"):
		return nil, errors.New("not a file:// URI")
	case u.Host != "" && !strings.EqualFold(u.Host, "localhost"):
		return nil, errors.New("a file URI with a host names another machine")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return nil, errors.New("a file URI with user info, a query or a fragment")
	}
	return u, nil
}

// checkEscapes refuses percent-encoded separators and control characters.
func checkEscapes(raw string) error {
	raw = strings.ToLower(raw)
	for i := strings.IndexByte(raw, '%'); i >= 0; i = strings.IndexByte(raw, '%') {
		if len(raw) < i+3 {
			return errors.New("a truncated percent-encoding")
		}
		code := raw[i+1 : i+3]
		if code == "2f" || code == "5c" || code < "20" || code == "7f" {
			return fmt.Errorf("an encoded separator or control character (%%%s)", code)
		}
		raw = raw[i+3:]
	}
	return nil
}

// windowsPath turns /C:/dir into C:\dir.
func windowsPath(p string) (string, error) {
	if len(p) < 3 || p[2] != ':' || !isLetter(p[1]) || (len(p) > 3 && p[3] != '/') {
		return "", errors.New("not a drive path (file:///C:/...)")
	}
	clean := path.Clean(p[1:])
	if len(clean) == 2 { // "C:" alone
		clean += "/"
	}
	return strings.ReplaceAll(clean, "/", `\`), nil
}

func isLetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// truncate shortens s for a log line.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
