package hosted

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"time"
)

// accessEntry is what the access log says of a request beyond the HTTP
// line: the JSON-RPC method, the tool and action of a tools/call, and the
// caller's label (a masked SecretId or a token name). Never a header value,
// an argument beyond the action, or the query string (env_id is the only
// parameter, and it is logged on its own).
type accessEntry struct {
	rpc, tool, action, caller string
}

// A method, tool or action name as it may be logged; anything else is
// logged as "?".
var (
	logName        = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_/.-]*$`)
	versionPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

func safeName(s string) string {
	if s == "" || (len(s) <= 64 && logName.MatchString(s)) {
		return s
	}
	return "?"
}

// readRPC reads the method (and a tools/call's tool and action) of a POST:
// from the Mcp-Method and Mcp-Name headers of the 2026-07-28 era, else from
// the body.
func (e *accessEntry) readRPC(h http.Header, body []byte) {
	var msg struct {
		Method string `json:"method"`
		Params struct {
			Name      string `json:"name"`
			Arguments struct {
				Action any `json:"action"`
			} `json:"arguments"`
		} `json:"params"`
	}
	_ = json.Unmarshal(body, &msg)
	e.rpc = safeName(msg.Method)
	if e.rpc == "" && len(body) > 0 {
		e.rpc = "response"
	}
	if msg.Method == "tools/call" {
		e.tool = safeName(msg.Params.Name)
		a, _ := msg.Params.Arguments.Action.(string)
		e.action = safeName(a)
	}
}

func (s *Server) logAccess(r *http.Request, rec *recorder, e *accessEntry, took time.Duration) {
	if s.opts.Metrics != nil {
		s.opts.Metrics.request(rec.status)
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes), slog.Int64("ms", took.Milliseconds()),
		slog.String("remote", r.RemoteAddr),
	}
	if v := r.Header.Get("Mcp-Protocol-Version"); v != "" {
		if !versionPattern.MatchString(v) {
			v = "?"
		}
		attrs = append(attrs, slog.String("protocol", v))
	}
	if e.rpc != "" {
		attrs = append(attrs, slog.String("rpc", e.rpc))
	}
	if e.tool != "" {
		attrs = append(attrs, slog.String("tool", e.tool), slog.String("action", e.action))
	}
	if e.caller != "" {
		attrs = append(attrs, slog.String("caller", e.caller))
	}
	if env := r.URL.Query().Get(QueryEnvID); env != "" && validEnvID(env) {
		attrs = append(attrs, slog.String("env", env))
	}
	level := slog.LevelInfo
	if rec.status >= 500 {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(r.Context(), level, "http request", attrs...)
}
