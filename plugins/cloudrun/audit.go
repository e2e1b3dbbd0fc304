package cloudrun

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/mark3labs/mcp-go/mcp"
)

// auditLog appends one JSON line per manageCloudRun call, refused ones
// included. Failing to write it is reported on the operational log and never
// blocks the call.
type auditLog struct {
	path   string
	clock  clock.Clock
	log    *slog.Logger
	mu     sync.Mutex
	warned atomic.Bool
}

// auditEntry is one line: what was asked, of what, and how it ended. No
// argument is recorded beyond the action, env and service name, and no free
// text: paths, image URLs, templates and EnvParams values stay out of it.
type auditEntry struct {
	Time       string      `json:"time"`
	Tool       string      `json:"tool"`
	Action     string      `json:"action"`
	EnvID      string      `json:"envId,omitempty"`
	ServerName string      `json:"serverName,omitempty"`
	Outcome    string      `json:"outcome"` // ok, dryRun, error, refused
	Kind       failureKind `json:"kind,omitempty"`
	Code       string      `json:"code,omitempty"`
	RequestID  string      `json:"requestId,omitempty"`
	Ms         int64       `json:"ms"`
}

// stamped results name the env and the platform request they wrote with.
type stamped interface {
	stamp() (envID, requestID string)
}

func (r *deployResult) stamp() (string, string)       { return r.EnvID, r.RequestID }
func (r *deleteResult) stamp() (string, string)       { return r.EnvID, r.RequestID }
func (r *deleteDryRunResult) stamp() (string, string) { return r.EnvID, "" }
func (r *initEnvResult) stamp() (string, string)      { return r.EnvID, r.RequestID }
func (r *initEnvDryRun) stamp() (string, string)      { return r.EnvID, "" }
func (r *trafficResult) stamp() (string, string)      { return r.EnvID, r.RequestID }
func (r *downloadResult) stamp() (string, string)     { return r.EnvID, "" }
func (r *updateConfigResult) stamp() (string, string) {
	if r.ConfigApplied != nil {
		return r.EnvID, r.RequestID
	}
	return r.EnvID, ""
}

// audit records a call from its typed outcome: the result, or the error.
func (al *auditLog) record(a *ManageArgs, v any, err error, took time.Duration) {
	e := auditEntry{Tool: ManageToolName, Outcome: "ok", Ms: took.Milliseconds()}
	if a != nil {
		e.Action, e.ServerName = a.Action, a.ServerName
		if envIDPattern().MatchString(a.EnvID) {
			e.EnvID = a.EnvID
		}
		if a.DryRun {
			e.Outcome = "dryRun"
		}
	}
	if s, ok := v.(stamped); ok {
		env, req := s.stamp()
		if env != "" {
			e.EnvID = env
		}
		e.RequestID = req
	}
	if err != nil {
		e.Outcome, e.Kind = "error", kindFailed
		var f *failure
		if errors.As(err, &f) {
			e.Code, e.RequestID = f.Code, f.RequestID
			if f.Kind != "" {
				e.Kind = f.Kind
			}
		}
	}
	al.write(e)
}

// refused records a call refused before the handler ran (argument
// limits, schema check). Only values that are valid as what they claim to be
// are kept.
func (al *auditLog) refused(_ context.Context, req mcp.CallToolRequest, _ *mcp.CallToolResult) {
	args := req.GetArguments()
	e := auditEntry{Tool: ManageToolName, Outcome: "refused", Kind: kindInvalid}
	if action, _ := args["action"].(string); slices.Contains(ManageActions(), action) {
		e.Action = action
	}
	if svc, _ := args["serverName"].(string); serverNamePattern().MatchString(svc) {
		e.ServerName = svc
	}
	al.write(e)
}

// envIDPattern is what an env id looks like; anything else is not recorded.
var envIDPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`) })

func (al *auditLog) write(e auditEntry) {
	if al.path == "" {
		return
	}
	e.Time = al.clock.Now().UTC().Format(time.RFC3339Nano)
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
		al.log.Error("cannot write the audit log; calls continue without it", "path", al.path, "err", err)
	}
}
