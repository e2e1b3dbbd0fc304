package hosted

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Metrics are the Prometheus metrics of one instance, on a registry of its
// own (never a global one: two servers in one test process must not share).
// Labels are bounded: tools and actions come from the server's own tables
// (anything else counts as "other"), upstream actions from the client's,
// cache names from the plugin's; no caller, env or service name is ever a
// label.
type Metrics struct {
	reg     registry
	tools   map[string]bool
	actions map[string]bool

	toolCalls     *family
	toolSeconds   *family
	upstreamCalls *family
	upstreamSecs  *family
	cacheLookups  *family
	httpRequests  *family
	httpInFlight  *family
	rateLimited   *family
}

// NewMetrics registers the metrics; tools and actions are the names that
// may appear as labels.
func NewMetrics(tools, actions []string) *Metrics {
	m := &Metrics{tools: map[string]bool{}, actions: map[string]bool{}}
	for _, t := range tools {
		m.tools[t] = true
	}
	for _, a := range actions {
		m.actions[a] = true
	}
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m.toolCalls = newFamily(counterKind, "cloudbase_mcp_tool_calls_total",
		"Tool calls by tool, action and outcome (ok, error: an isError result, fault: a protocol error).", nil, "tool", "action", "outcome")
	m.toolSeconds = newFamily(histogramKind, "cloudbase_mcp_tool_call_seconds",
		"Tool call duration by tool and action.", latency, "tool", "action")
	m.upstreamCalls = newFamily(counterKind, "cloudbase_mcp_upstream_calls_total",
		"Tencent Cloud API calls by action and outcome (ok, or the error kind).", nil, "action", "outcome")
	m.upstreamSecs = newFamily(histogramKind, "cloudbase_mcp_upstream_call_seconds",
		"Tencent Cloud API call latency (retries included, rate-limit waits excluded) by action.", latency, "action")
	m.cacheLookups = newFamily(counterKind, "cloudbase_mcp_cache_lookups_total",
		"Cached reads by cache (list, detail, templates) and outcome (hit, miss, refresh, bypass).", nil, "cache", "outcome")
	m.httpRequests = newFamily(counterKind, "cloudbase_mcp_http_requests_total",
		"HTTP requests to the MCP endpoint by status code.", nil, "code")
	m.httpInFlight = newFamily(gaugeKind, "cloudbase_mcp_http_in_flight",
		"HTTP requests to the MCP endpoint being served.", nil)
	m.rateLimited = newFamily(counterKind, "cloudbase_mcp_http_rate_limited_total",
		"Requests refused with 429 by the per-caller rate limit.", nil)
	m.reg.add(m.toolCalls, m.toolSeconds, m.upstreamCalls, m.upstreamSecs, m.cacheLookups,
		m.httpRequests, m.httpInFlight, m.rateLimited)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = m.reg.writeTo(w)
	})
}

// ToolMiddleware counts and times every tool call (server.Options.Middleware).
func (m *Metrics) ToolMiddleware(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		res, err := next(ctx, req)
		action, _ := req.GetArguments()["action"].(string)
		if !m.actions[action] {
			action = "other"
		}
		tool := req.Params.Name
		if !m.tools[tool] {
			tool = "other"
		}
		outcome := "ok"
		switch {
		case err != nil:
			outcome = "fault"
		case res != nil && res.IsError:
			outcome = "error"
		}
		m.toolCalls.add(1, tool, action, outcome)
		m.toolSeconds.observe(time.Since(start).Seconds(), tool, action)
		return res, err
	}
}

// ObserveUpstream records one Tencent Cloud API call (tcbr.RouterOptions.Observe).
func (m *Metrics) ObserveUpstream(action string, took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
		var e *tcbr.Error
		if errors.As(err, &e) {
			outcome = string(e.Kind)
		}
	}
	m.upstreamCalls.add(1, action, outcome)
	m.upstreamSecs.observe(took.Seconds(), action)
}

// ObserveCache records one cached read (cloudrun.Deps.CacheObserver).
func (m *Metrics) ObserveCache(cacheName string, o cache.Outcome) {
	m.cacheLookups.add(1, cacheName, string(o))
}

func (m *Metrics) request(code int) { m.httpRequests.add(1, strconv.Itoa(code)) }
