// Package cloudrun is the cloudrun plugin: queryCloudRun (reads) and
// manageCloudRun (writes) over a tcbr.Client, with a TTL cache for reads.
package cloudrun

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/localrun"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// PluginName is the name used by the plugin toggles.
const PluginName = "cloudrun"

// Deps is everything the handlers use; no package globals.
type Deps struct {
	Config *config.Config
	Client tcbr.Client
	Logger *slog.Logger
	Clock  cache.Clock
	// HTTP fetches the template list; nil = a client with a 15 s timeout.
	HTTP *http.Client
	// Transfer uploads and downloads packages; nil = http.DefaultClient
	// (no overall timeout: the call's context bounds a transfer).
	Transfer *http.Client
	// MaxWait caps a deploy's registration wait (0 = 45 s); PollInterval is
	// its first poll interval (0 = 300 ms, growing to 3 s).
	MaxWait      time.Duration
	PollInterval time.Duration
	// RunLogDir holds the logs of local runs; "" = a directory under the
	// system temp dir.
	RunLogDir string
}

// Plugin implements server.Plugin.
type Plugin struct {
	cfg    *config.Config
	client tcbr.Client
	log    *slog.Logger
	http   *http.Client
	clock  cache.Clock

	transfer     *http.Client
	maxWait      time.Duration
	pollInterval time.Duration
	auditor      *auditLog
	runs         *localrun.Manager
	confirm      *confirmer
	roots        roots

	lists     *cache.Cache[*listPage]
	details   *cache.Cache[*detailData]
	templates *cache.Cache[[]template]

	envMu       sync.Mutex
	resolvedEnv string // env found by DescribeCloudRunEnvs when none is configured
}

// New builds the plugin.
func New(d Deps) *Plugin {
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hc := d.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	clock := d.Clock
	if clock == nil {
		clock = cache.SystemClock{}
	}
	maxWait, poll := d.MaxWait, d.PollInterval
	if maxWait <= 0 {
		maxWait = 45 * time.Second
	}
	if poll <= 0 {
		poll = 300 * time.Millisecond
	}
	return &Plugin{
		transfer:     d.Transfer,
		maxWait:      maxWait,
		pollInterval: poll,
		auditor:      &auditLog{path: d.Config.AuditLog},
		runs:         localrun.NewManager(d.RunLogDir, logger.With("component", "localrun")),
		confirm:      newConfirmer(),
		cfg:          d.Config,
		client:       d.Client,
		log:          logger.With("plugin", PluginName),
		http:         hc,
		clock:        clock,
		lists:        cache.New[*listPage](clock),
		details:      cache.New[*detailData](clock),
		templates:    cache.New[[]template](clock),
	}
}

// Name implements server.Plugin.
func (p *Plugin) Name() string { return PluginName }

// Instructions implements server.Plugin.
func (p *Plugin) Instructions() string {
	return "CloudRun: use queryCloudRun to read services, deploy records, build and process logs, " +
		"templates and env status; use manageCloudRun to change them. Results carry nextStep when " +
		"a follow-up call is needed. Reads are cached briefly; pass refresh: true for live data."
}

// Tools implements server.Plugin.
func (p *Plugin) Tools() []server.Tool {
	return []server.Tool{
		{Tool: queryTool(), Handler: p.handleQuery, ReadOnly: true},
		{Tool: manageTool(), Handler: p.handleManage, ReadOnly: false, Refused: p.auditRefused},
	}
}

var (
	_ server.Plugin             = (*Plugin)(nil)
	_ server.NotificationPlugin = (*Plugin)(nil)
)

// cacheKey scopes a key by region, env and credential identity.
func (p *Plugin) cacheKey(envID string, parts ...string) string {
	return cache.Key(p.cfg.Region, envID, p.cfg.Credentials.SecretID, parts...)
}

// invalidateService drops what a write to one service makes stale: every
// list page of the env and that service's detail.
func (p *Plugin) invalidateService(envID, serverName string) {
	p.invalidateLists(envID)
	p.details.Delete(p.cacheKey(envID, "detail", serverName))
}

// invalidateLists drops every cached list page of the env.
func (p *Plugin) invalidateLists(envID string) {
	p.lists.DeletePrefix(cache.ScopePrefix(p.cfg.Region, envID, p.cfg.Credentials.SecretID, "list"))
}

// handler is a tool action; it returns the result to send.
type handler func(ctx context.Context, req mcp.CallToolRequest) *mcp.CallToolResult
