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

// confirmer binds confirmations to what they confirm: the requestState of a
// multi round-trip exchange is an HMAC of the subject under a key that lives
// only in this process, so an answer given for one delete cannot be replayed
// for another.
type confirmer struct{ key []byte }

func newConfirmer() *confirmer {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return &confirmer{key: k}
}

func (c *confirmer) state(subject string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
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
				"confirm": map[string]any{"type": "boolean", "title": title, "description": message, "default": true},
			},
			"required": []string{"confirm"},
		},
	}
	state := p.confirm.state(subject)
	var result *mcp.ElicitationResult
	if mcpserver.IsModernRequest(ctx) {
		result = mcpserver.ElicitationResponse(req.Params.InputResponses, inputConfirm)
		if result == nil || !hmac.Equal([]byte(req.Params.RequestState), []byte(state)) {
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
	if result.Action == mcp.ElicitationResponseActionCancel {
		verb = "cancelled (declined)"
	}
	return answered, failure{
		What: title + ": not done",
		Why:  "the user " + verb + " the confirmation, so nothing was changed",
		Hint: "Do not retry unless the user asks for it again.",
	}.result()
}

// confirmed reads the "confirm" answer; an accepted form without it counts as yes.
func confirmed(content any) bool {
	m, ok := content.(map[string]any)
	if !ok {
		return true
	}
	switch v := m["confirm"].(type) {
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
	case nil:
		return true
	}
	return false
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
	if answer := mcpserver.RootsResponse(req.Params.InputResponses, inputRoots); answer != nil {
		p.roots.set(id, rootPaths(answer.Roots))
	}
	st := p.roots.get(id)
	paths := st.paths
	if !st.asked {
		if mcpserver.IsModernRequest(ctx) {
			return nil, mcpserver.NewInputRequestBuilder(req.Params.RequestState).Roots(inputRoots).ToolResult()
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
	paths := rootPaths(res.Roots)
	p.log.Info("workspace roots from the client", "roots", paths)
	return paths
}

// rootPaths keeps the file:// roots, as local paths.
func rootPaths(list []mcp.Root) []string {
	var out []string
	for _, r := range list {
		u, err := url.Parse(r.URI)
		if err != nil || u.Scheme != "file" || u.Path == "" {
			continue
		}
		path := u.Path
		if runtime.GOOS == "windows" {
			path = strings.TrimPrefix(path, "/")
		}
		out = append(out, filepath.Clean(filepath.FromSlash(path)))
	}
	return out
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
