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
	"context"
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
	// StateKey signs the requestState of confirmation round trips; every
	// instance behind one endpoint must share it. nil = a random key of
	// this process.
	StateKey []byte
	// CloudMode: the server runs for remote callers (hosted, over HTTP), so
	// the actions that use this machine's files and processes are not
	// offered (cloudmode.go).
	CloudMode bool
	// CacheObserver hears every cached read's outcome, by cache (metrics);
	// nil = nobody.
	CacheObserver func(cacheName string, o cache.Outcome)
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

	cloudMode bool
	// tenantEnvs: the env found for each hosted caller's account.
	tenantEnvs *cache.Cache[string]

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
	confirm := mcpx.NewConfirmer(d.StateKey, logger)
	p := &Plugin{
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
		cloudMode:  d.CloudMode,
		tenantEnvs: cache.New[string](clk),
	}
	if d.CacheObserver != nil {
		p.caches.lists.Observe(func(o cache.Outcome) { d.CacheObserver("list", o) })
		p.caches.details.Observe(func(o cache.Outcome) { d.CacheObserver("detail", o) })
		p.caches.templates.Observe(func(o cache.Outcome) { d.CacheObserver("templates", o) })
	}
	return p
}

// Name implements server.Plugin.
func (p *Plugin) Name() string { return PluginName }

// Instructions implements server.Plugin.
func (p *Plugin) Instructions() string {
	if p.cloudMode {
		return skill.HostedInstructions
	}
	return skill.Instructions
}

// Tools implements server.Plugin.
func (p *Plugin) Tools() []server.Tool {
	return []server.Tool{
		{Tool: publish(queryTool(), QueryActions(), p.OfferedQueryActions(), ""), Handler: p.handleQuery, ReadOnly: true},
		{Tool: publish(manageTool(), ManageActions(), p.OfferedManageActions(), cloudDeployNote), Handler: p.handleManage, ReadOnly: false, Refused: p.auditRefused},
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

// cacheKey scopes a key by region, env and the caller's identity (tenancy.go).
func (p *Plugin) cacheKey(ctx context.Context, envID string, parts ...string) string {
	return cache.Key(p.cfg.Region, envID, p.identity(ctx), parts...)
}

// invalidateService drops what a write to one service makes stale: every
// list page of the env and that service's detail. Entries other callers
// keep of the same env expire with their TTL: a write by one caller never
// reaches into another's cache.
func (p *Plugin) invalidateService(ctx context.Context, envID, serverName string) {
	p.invalidateLists(ctx, envID)
	p.caches.details.Delete(p.cacheKey(ctx, envID, "detail", serverName))
}

// invalidateLists drops every cached list page of the env.
func (p *Plugin) invalidateLists(ctx context.Context, envID string) {
	p.caches.lists.DeletePrefix(cache.ScopePrefix(p.cfg.Region, envID, p.identity(ctx), "list"))
}

// configuredWorkspace is the workspace when the client offers no roots.
func (p *Plugin) configuredWorkspace() string {
	if p.cfg.Workspace == "" {
		return "."
	}
	return p.cfg.Workspace
}
