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
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus metrics of one instance, on a registry of its
// own (never the global one: two servers in one test process must not
// share). Labels are bounded: tools and actions come from the server's own
// tables (anything else counts as "other"), upstream actions from the
// client's, cache names from the plugin's; no caller, env or service name
// is ever a label.
type Metrics struct {
	reg     *prometheus.Registry
	tools   map[string]bool
	actions map[string]bool

	toolCalls     *prometheus.CounterVec
	toolSeconds   *prometheus.HistogramVec
	upstreamCalls *prometheus.CounterVec
	upstreamSecs  *prometheus.HistogramVec
	cacheLookups  *prometheus.CounterVec
	httpRequests  *prometheus.CounterVec
	httpInFlight  prometheus.Gauge
	rateLimited   prometheus.Counter
}

// NewMetrics registers the metrics; tools and actions are the names that
// may appear as labels.
func NewMetrics(tools, actions []string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), tools: map[string]bool{}, actions: map[string]bool{}}
	for _, t := range tools {
		m.tools[t] = true
	}
	for _, a := range actions {
		m.actions[a] = true
	}
	latency := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	m.toolCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbase_mcp_tool_calls_total", Help: "Tool calls by tool, action and outcome (ok, error: an isError result, fault: a protocol error).",
	}, []string{"tool", "action", "outcome"})
	m.toolSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cloudbase_mcp_tool_call_seconds", Help: "Tool call duration by tool and action.", Buckets: latency,
	}, []string{"tool", "action"})
	m.upstreamCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbase_mcp_upstream_calls_total", Help: "Tencent Cloud API calls by action and outcome (ok, or the error kind).",
	}, []string{"action", "outcome"})
	m.upstreamSecs = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cloudbase_mcp_upstream_call_seconds", Help: "Tencent Cloud API call latency (retries included, rate-limit waits excluded) by action.", Buckets: latency,
	}, []string{"action"})
	m.cacheLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbase_mcp_cache_lookups_total", Help: "Cached reads by cache (list, detail, templates) and outcome (hit, miss, refresh, bypass).",
	}, []string{"cache", "outcome"})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cloudbase_mcp_http_requests_total", Help: "HTTP requests to the MCP endpoint by status code.",
	}, []string{"code"})
	m.httpInFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cloudbase_mcp_http_in_flight", Help: "HTTP requests to the MCP endpoint being served.",
	})
	m.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cloudbase_mcp_http_rate_limited_total", Help: "Requests refused with 429 by the per-caller rate limit.",
	})
	m.reg.MustRegister(m.toolCalls, m.toolSeconds, m.upstreamCalls, m.upstreamSecs, m.cacheLookups,
		m.httpRequests, m.httpInFlight, m.rateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the instance's registry (tests read it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

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
		m.toolCalls.WithLabelValues(tool, action, outcome).Inc()
		m.toolSeconds.WithLabelValues(tool, action).Observe(time.Since(start).Seconds())
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
	m.upstreamCalls.WithLabelValues(action, outcome).Inc()
	m.upstreamSecs.WithLabelValues(action).Observe(took.Seconds())
}

// ObserveCache records one cached read (cloudrun.Deps.CacheObserver).
func (m *Metrics) ObserveCache(cacheName string, o cache.Outcome) {
	m.cacheLookups.WithLabelValues(cacheName, string(o)).Inc()
}

func (m *Metrics) request(code int) { m.httpRequests.WithLabelValues(strconv.Itoa(code)).Inc() }
