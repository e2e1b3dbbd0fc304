// Package cloudrun is the cloudrun plugin: queryCloudRun (reads) and
// manageCloudRun (writes) over a tcbr.Client, with a TTL cache for reads.
//
// Where things are: actions.go holds the action tables and the call
// boundary; results.go the result and failure types; one file per action
// group (query_*.go, manage_*.go, deploy_*.go); the serverConfig keys live in
// the serverconfig package; MCP plumbing (confirmation, roots, progress,
// client logs) in internal/mcpx.
package cloudrun

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/localrun"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/skill"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// PluginName is the name used by the plugin toggles.
const PluginName = "cloudrun"

// Deps is everything the handlers use; no package globals.
type Deps struct {
	Config *config.Config
	Client tcbr.Client
	Logger *slog.Logger
	// Clock drives caches, waits, progress and the audit log; nil = the
	// system clock.
	Clock clock.Clock
	// HTTP fetches the template list; nil = a client with a 15 s timeout.
	HTTP *http.Client
	// Transfer uploads and downloads packages; nil = http.DefaultClient
	// (no overall timeout: the call's context bounds a transfer).
	Transfer *http.Client
	// MaxWait caps a deploy's registration wait (0 = 45 s); PollInterval is
	// its first poll interval (0 = 300 ms, growing to 3 s).
	MaxWait      time.Duration
	PollInterval time.Duration
	// RunLogDir holds the logs of local runs; "" = the user's private cache
	// directory.
	RunLogDir string
}

// Plugin implements server.Plugin.
type Plugin struct {
	cfg      *config.Config
	client   tcbr.Client
	log      *slog.Logger
	clock    clock.Clock
	http     *http.Client
	transfer *http.Client
	waits    waits

	auditor *auditLog
	runs    *localrun.Manager
	confirm *mcpx.Confirmer
	roots   *mcpx.Roots
	caches  caches

	envMu       sync.Mutex
	resolvedEnv string // env found by DescribeCloudRunEnvs when none is configured
}

// waits bounds the deploy's registration wait.
type waits struct {
	max, first time.Duration
}

// caches are the read caches.
type caches struct {
	lists     *cache.Cache[*listPage]
	details   *cache.Cache[*detailData]
	templates *cache.Cache[[]template]
}

// New builds the plugin.
func New(d Deps) *Plugin {
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("plugin", PluginName)
	hc := d.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	clk := d.Clock
	if clk == nil {
		clk = clock.System{}
	}
	w := waits{max: d.MaxWait, first: d.PollInterval}
	if w.max <= 0 {
		w.max = 45 * time.Second
	}
	if w.first <= 0 {
		w.first = 300 * time.Millisecond
	}
	confirm := mcpx.NewConfirmer(nil, logger)
	return &Plugin{
		cfg: d.Config, client: d.Client, log: logger, clock: clk, http: hc, transfer: d.Transfer, waits: w,
		auditor: &auditLog{path: d.Config.AuditLog},
		runs:    localrun.NewManager(d.RunLogDir, logger.With("component", "localrun")),
		confirm: confirm,
		roots:   mcpx.NewRoots(confirm, logger),
		caches: caches{
			lists:     cache.New[*listPage](clk),
			details:   cache.New[*detailData](clk),
			templates: cache.New[[]template](clk),
		},
	}
}

// Name implements server.Plugin.
func (p *Plugin) Name() string { return PluginName }

// Instructions implements server.Plugin.
func (p *Plugin) Instructions() string { return skill.Instructions }

// Tools implements server.Plugin.
func (p *Plugin) Tools() []server.Tool {
	return []server.Tool{
		{Tool: queryTool(), Handler: p.handleQuery, ReadOnly: true},
		{Tool: manageTool(), Handler: p.handleManage, ReadOnly: false, Refused: p.auditRefused},
	}
}

// Notifications implements server.NotificationPlugin.
func (p *Plugin) Notifications() map[string]mcpserver.NotificationHandlerFunc {
	return map[string]mcpserver.NotificationHandlerFunc{
		mcp.MethodNotificationRootsListChanged: p.roots.OnChanged,
	}
}

// Close stops every local run; the server calls it on exit.
func (p *Plugin) Close() error {
	return p.runs.Close()
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
	p.caches.details.Delete(p.cacheKey(envID, "detail", serverName))
}

// invalidateLists drops every cached list page of the env.
func (p *Plugin) invalidateLists(envID string) {
	p.caches.lists.DeletePrefix(cache.ScopePrefix(p.cfg.Region, envID, p.cfg.Credentials.SecretID, "list"))
}

// configuredWorkspace is the workspace when the client offers no roots.
func (p *Plugin) configuredWorkspace() string {
	if p.cfg.Workspace == "" {
		return "."
	}
	return p.cfg.Workspace
}
