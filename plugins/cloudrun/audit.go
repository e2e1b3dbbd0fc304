package cloudrun

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// auditLog appends one JSON line per manageCloudRun call. Failing to write
// it is reported on the operational log and never blocks the call.
type auditLog struct {
	mu     sync.Mutex
	path   string
	warned atomic.Bool
}

// auditEntry is one line: what was asked, of what, and how it ended. No
// arguments are recorded: they may hold EnvParams values.
type auditEntry struct {
	Time       string `json:"time"`
	Tool       string `json:"tool"`
	Action     string `json:"action"`
	EnvID      string `json:"envId,omitempty"`
	ServerName string `json:"serverName,omitempty"`
	Outcome    string `json:"outcome"` // ok, dryRun, error
	Code       string `json:"code,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
	Error      string `json:"error,omitempty"`
	Ms         int64  `json:"ms"`
}

func (p *Plugin) audit(ctx context.Context, a *ManageArgs, res *mcp.CallToolResult, took time.Duration) {
	al := p.auditor
	if al == nil || al.path == "" {
		return
	}
	e := auditEntry{Time: time.Now().UTC().Format(time.RFC3339Nano), Tool: ManageToolName, Action: a.Action,
		ServerName: a.ServerName, EnvID: a.EnvID, Outcome: "ok", Ms: took.Milliseconds()}
	sc, _ := res.StructuredContent.(map[string]any)
	if env, ok := sc["envId"].(string); ok && env != "" {
		e.EnvID = env
	}
	e.RequestID, _ = sc["requestId"].(string)
	switch {
	case res.IsError:
		e.Outcome = "error"
		if f, ok := sc["error"].(failure); ok {
			e.Code, e.RequestID, e.Error = f.Code, f.RequestID, f.What
		}
	case a.DryRun:
		e.Outcome = "dryRun"
	}
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
