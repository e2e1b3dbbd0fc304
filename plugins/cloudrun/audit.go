package cloudrun

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// auditLog appends one JSON line per manageCloudRun call, refused ones
// included. Failing to write it is reported on the operational log and never
// blocks the call.
type auditLog struct {
	mu     sync.Mutex
	path   string
	warned atomic.Bool
}

// auditEntry is one line: what was asked, of what, and how it ended. No
// argument is recorded beyond the action, env and service name, and no free
// text: paths, image URLs, templates and EnvParams values stay out of it.
type auditEntry struct {
	Time       string `json:"time"`
	Tool       string `json:"tool"`
	Action     string `json:"action"`
	EnvID      string `json:"envId,omitempty"`
	ServerName string `json:"serverName,omitempty"`
	Outcome    string `json:"outcome"` // ok, dryRun, error, refused
	Kind       string `json:"kind,omitempty"`
	Code       string `json:"code,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
	Ms         int64  `json:"ms"`
}

func (p *Plugin) audit(ctx context.Context, a *ManageArgs, res *mcp.CallToolResult, took time.Duration) {
	e := auditEntry{Tool: ManageToolName, Action: a.Action, ServerName: a.ServerName, Outcome: "ok", Ms: took.Milliseconds()}
	if envIDPattern.MatchString(a.EnvID) {
		e.EnvID = a.EnvID
	}
	sc, _ := res.StructuredContent.(map[string]any)
	if env, ok := sc["envId"].(string); ok && env != "" {
		e.EnvID = env
	}
	e.RequestID, _ = sc["requestId"].(string)
	switch {
	case res.IsError:
		e.Outcome, e.Kind = "error", "failed"
		if f, ok := sc["error"].(failure); ok {
			e.Code, e.RequestID = f.Code, f.RequestID
			if f.Kind != "" {
				e.Kind = f.Kind
			}
		}
	case a.DryRun:
		e.Outcome = "dryRun"
	}
	p.writeAudit(e)
}

// auditRefused records a call refused before the handler ran (argument
// limits, schema check). Only values that are valid as what they claim to be
// are kept.
func (p *Plugin) auditRefused(_ context.Context, req mcp.CallToolRequest, _ *mcp.CallToolResult) {
	args := req.GetArguments()
	e := auditEntry{Tool: ManageToolName, Outcome: "refused", Kind: "invalid"}
	if action, _ := args["action"].(string); isManageAction(action) {
		e.Action = action
	}
	if svc, _ := args["serverName"].(string); serverNamePattern.MatchString(svc) {
		e.ServerName = svc
	}
	p.writeAudit(e)
}

// envIDPattern is what an env id looks like; anything else is not recorded.
var envIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func isManageAction(s string) bool {
	for _, a := range ManageActions {
		if a == s {
			return true
		}
	}
	return false
}

func (p *Plugin) writeAudit(e auditEntry) {
	al := p.auditor
	if al == nil || al.path == "" {
		return
	}
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	line, _ := json.Marshal(e)
	al.mu.Lock()
	defer al.mu.Unlock()
	err := os.MkdirAll(filepath.Dir(al.path), 0o700)
	var f *os.File
	if err == nil {
		f, err = os.OpenFile(al.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	}
	if err == nil {
		_, err = f.Write(append(line, '\n'))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil && !al.warned.Swap(true) {
		p.log.Error("cannot write the audit log; calls continue without it", "path", al.path, "err", err)
	}
}
