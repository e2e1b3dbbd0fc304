package cloudrun

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	pathpkg "path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// This file is how the plugin talks back to the client mid-call: it asks the
// user to confirm (elicitation), learns the workspace (roots) and reports
// notable events (log notifications).
//
// Both eras of the protocol are served by one code path. Before 2026-07-28 the
// server sends elicitation/create and roots/list itself; from 2026-07-28 on it
// answers input_required and the client retries the call with the answers
// (multi round-trip requests). A client that declared neither capability is
// never asked: destructive actions then need force: true.

// Input request keys of the multi round-trip exchange.
const (
	inputConfirm = "confirm"
	inputRoots   = "roots"
)

// clientCaps returns what the client declared: per request from 2026-07-28,
// else at initialize.
func clientCaps(ctx context.Context) mcp.ClientCapabilities {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern && info.ClientCapabilities != nil {
		return *info.ClientCapabilities
	}
	if s, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithClientInfo); ok {
		return s.GetClientCapabilities()
	}
	return mcp.ClientCapabilities{}
}

// --- confirmation

// confirmer binds the answers of a multi round-trip exchange to the question
// the server asked: the requestState it hands out is an HMAC, under a key that
// lives only in this process, of what was asked ("roots", or a confirmation
// of one exact subject). An answer is only taken with a state that verifies
// for that question, so a confirmation given for one delete cannot be
// replayed for another, and roots the server never asked for are ignored.
type confirmer struct{ key []byte }

func newConfirmer() *confirmer {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &confirmer{key: k}
}

// Question kinds bound into a state.
const (
	askConfirm = "confirm"
	askRoots   = "roots"
)

func (c *confirmer) state(kind, subject string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify reports whether state is the one handed out for (kind, subject).
func (c *confirmer) verify(state, kind, subject string) bool {
	return state != "" && hmac.Equal([]byte(state), []byte(c.state(kind, subject)))
}

// confirmation is the outcome of asking the user.
type confirmation int

const (
	cannotAsk confirmation = iota // the client cannot be asked: fall back to force
	accepted                      // the user said yes
	answered                      // the result to return is ready (declined, or input required)
)

// askUser asks the user to confirm subject (a stable description of exactly
// what will be changed) with message. When it returns answered, res is the
// result to send back as is.
func (p *Plugin) askUser(ctx context.Context, req mcp.CallToolRequest, subject, title, message string) (confirmation, *mcp.CallToolResult) {
	if clientCaps(ctx).Elicitation == nil {
		return cannotAsk, nil
	}
	params := mcp.ElicitationParams{
		Message: message,
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				"confirm": map[string]any{"type": "boolean", "title": title, "description": message, "default": false},
			},
			"required": []string{"confirm"},
		},
	}
	var result *mcp.ElicitationResult
	if mcpserver.IsModernRequest(ctx) {
		result = mcpserver.ElicitationResponse(req.Params.InputResponses, inputConfirm)
		if result == nil || !p.confirm.verify(req.Params.RequestState, askConfirm, subject) {
			state := p.confirm.state(askConfirm, subject)
			return answered, mcpserver.NewInputRequestBuilder(state).Elicit(inputConfirm, params).ToolResult()
		}
	} else {
		srv := mcpserver.ServerFromContext(ctx)
		if srv == nil {
			return cannotAsk, nil
		}
		r, err := srv.RequestElicitation(ctx, mcp.ElicitationRequest{
			Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
			Params:  params,
		})
		if err != nil {
			if ctx.Err() != nil {
				return answered, failure{What: title + ": not done", Why: "the call was cancelled while waiting for the user's answer"}.result()
			}
			p.log.Warn("elicitation failed; falling back to force", "err", err)
			return cannotAsk, nil
		}
		result = r
	}
	if result.Action == mcp.ElicitationResponseActionAccept && confirmed(result.Content) {
		p.log.Info("user confirmed", "subject", subject)
		return accepted, nil
	}
	verb := "declined"
	switch result.Action {
	case mcp.ElicitationResponseActionCancel:
		verb = "cancelled (declined)"
	case mcp.ElicitationResponseActionAccept:
		verb = "answered without ticking confirm (declined)"
	}
	return answered, failure{
		Kind: "declined",
		What: title + ": not done",
		Why:  "the user " + verb + " the confirmation, so nothing was changed",
		Hint: "Do not retry unless the user asks for it again.",
	}.result()
}

// confirmed reads the "confirm" answer: only an object with confirm: true is
// a yes. Anything else (no content, a string, confirm missing or false)
// counts as a decline: a destructive action needs an explicit yes.
func confirmed(content any) bool {
	m, ok := content.(map[string]any)
	if !ok {
		return false
	}
	v, ok := m["confirm"].(bool)
	return ok && v
}

// --- roots

// rootsState is what one session's client said its roots are.
type rootsState struct {
	paths []string // the file:// roots, as paths
	asked bool     // false: ask the client; true with no paths: use the configured workspace
}

// roots caches each session's roots until the client says they changed.
type roots struct {
	mu       sync.Mutex
	sessions map[string]rootsState
}

func sessionID(ctx context.Context) string {
	if s := mcpserver.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}

func (r *roots) get(id string) rootsState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[id]
}

func (r *roots) set(id string, paths []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions == nil {
		r.sessions = map[string]rootsState{}
	}
	r.sessions[id] = rootsState{paths: paths, asked: true}
}

// forget drops a session's roots; "" (a notification that came without its
// session, as the in-process transport sends them) drops every session's.
func (r *roots) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if id == "" {
		clear(r.sessions)
		return
	}
	delete(r.sessions, id)
}

// onRootsChanged handles notifications/roots/list_changed: the next call
// that needs a path asks again.
func (p *Plugin) onRootsChanged(ctx context.Context, _ mcp.JSONRPCNotification) {
	p.roots.forget(sessionID(ctx))
	p.log.Info("the client's roots changed; they are asked again on the next call that uses a path")
}

// Notifications implements server.NotificationPlugin.
func (p *Plugin) Notifications() map[string]mcpserver.NotificationHandlerFunc {
	return map[string]mcpserver.NotificationHandlerFunc{
		mcp.MethodNotificationRootsListChanged: p.onRootsChanged,
	}
}

// workspaceRoots returns the directories paths must stay in: the client's
// roots when it offers them, else the configured workspace. When res is not
// nil the call must return it (the roots are being asked for).
func (p *Plugin) workspaceRoots(ctx context.Context, req mcp.CallToolRequest) ([]string, *mcp.CallToolResult) {
	fallback := p.cfg.Workspace
	if fallback == "" {
		fallback = "."
	}
	if clientCaps(ctx).Roots == nil {
		return []string{fallback}, nil
	}
	id := sessionID(ctx)
	// Roots are only taken from an answer to the server's own question.
	if answer := mcpserver.RootsResponse(req.Params.InputResponses, inputRoots); answer != nil &&
		p.confirm.verify(req.Params.RequestState, askRoots, "") {
		p.roots.set(id, p.rootPaths(answer.Roots))
	}
	st := p.roots.get(id)
	paths := st.paths
	if !st.asked {
		if mcpserver.IsModernRequest(ctx) {
			return nil, mcpserver.NewInputRequestBuilder(p.confirm.state(askRoots, "")).Roots(inputRoots).ToolResult()
		}
		paths = p.askRoots(ctx)
		p.roots.set(id, paths)
	}
	if len(paths) == 0 {
		return []string{fallback}, nil
	}
	return paths, nil
}

// askRoots sends roots/list (protocol versions before 2026-07-28).
func (p *Plugin) askRoots(ctx context.Context) []string {
	srv := mcpserver.ServerFromContext(ctx)
	if srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := srv.RequestRoots(ctx, mcp.ListRootsRequest{Request: mcp.Request{Method: string(mcp.MethodListRoots)}})
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			p.log.Warn("roots/list failed; using the configured workspace", "err", err)
		}
		return nil
	}
	paths := p.rootPaths(res.Roots)
	p.log.Info("workspace roots from the client", "roots", paths)
	return paths
}

// rootPaths keeps the roots that are plain local file:// URIs, as paths;
// the others are logged and ignored.
func (p *Plugin) rootPaths(list []mcp.Root) []string {
	var out []string
	for _, r := range list {
		path, err := rootPath(r.URI, runtime.GOOS == "windows")
		if err != nil {
			p.log.Warn("ignoring a root the client offered", "uri", truncate(r.URI, 200), "err", err)
			continue
		}
		out = append(out, path)
	}
	return out
}

// rootPath turns a file:// root URI into a local path. Only the plain forms
// real clients send are taken: no host but localhost, no query or fragment,
// no ".." segment, no percent-encoded separator, NUL or control character
// (which would make the path mean something else once decoded). On Windows
// the path must start with a drive letter: file:///C:/src and
// file:///c%3A/src are C:\src.
func rootPath(uri string, windows bool) (string, error) {
	u, err := url.Parse(uri)
	switch {
	case err != nil:
		return "", fmt.Errorf("not a URI: %w", err)
	case !strings.EqualFold(u.Scheme, "file"):
		return "", errors.New("not a file:// URI")
	case u.Host != "" && !strings.EqualFold(u.Host, "localhost"):
		return "", errors.New("a file URI with a host names another machine")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "":
		return "", errors.New("a file URI with user info, a query or a fragment")
	}
	raw := strings.ToLower(u.EscapedPath())
	for i := strings.IndexByte(raw, '%'); i >= 0; i = strings.IndexByte(raw, '%') {
		if len(raw) < i+3 {
			return "", errors.New("a truncated percent-encoding")
		}
		code := raw[i+1 : i+3]
		if code == "2f" || code == "5c" || code < "20" || code == "7f" {
			return "", fmt.Errorf("an encoded separator or control character (%%%s)", code)
		}
		raw = raw[i+3:]
	}
	path := u.Path
	if path == "" || path[0] != '/' || strings.ContainsRune(path, 0) || strings.ContainsRune(path, '\\') {
		return "", errors.New("not an absolute path")
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == ".." {
			return "", errors.New("a .. segment")
		}
	}
	if !windows {
		return filepath.Clean(path), nil
	}
	// /C:/dir → C:\dir
	if len(path) < 3 || path[2] != ':' || !isLetter(path[1]) || (len(path) > 3 && path[3] != '/') {
		return "", errors.New("not a drive path (file:///C:/...)")
	}
	clean := pathpkg.Clean(path[1:])
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

type rootsKey struct{}

func withRoots(ctx context.Context, paths []string) context.Context {
	return context.WithValue(ctx, rootsKey{}, paths)
}

func rootsFrom(ctx context.Context) []string {
	paths, _ := ctx.Value(rootsKey{}).([]string)
	return paths
}

// --- log notifications

// notify sends a notable event to the client as a log notification at info
// level (when the client asked for that level); the operational log stays on
// stderr.
func (p *Plugin) notify(ctx context.Context, format string, args ...any) {
	srv := mcpserver.ServerFromContext(ctx)
	if srv == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	_ = srv.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(mcp.LoggingLevelInfo, PluginName, msg))
}
