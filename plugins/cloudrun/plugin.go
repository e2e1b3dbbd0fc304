// Package cloudrun is the cloudrun plugin: queryCloudRun (reads) and
// manageCloudRun (writes) over a tcbr.Client, with a TTL cache for reads.
//
// Where things are: actions.go holds the action tables and the call
// boundary; results.go the result and failure types. Plugin (this file) is
// the coordinator: the tables dispatch each action to a collaborator, a
// small type holding only the dependencies it uses, in a file named after
// it or after its action group: envResolver (env.go, tenancy.go),
// serviceCache, serviceReads (query_list.go, query_detail.go,
// query_deploys.go), logReader (query_logs.go), templateSource
// (query_templates.go), deployer (manage_deploy.go, deploy_*.go), projects
// (manage_project.go), localRuns (local_runs.go), admin (admin.go and
// manage_config.go, manage_delete.go, manage_traffic.go, manage_env.go),
// content (content.go), auditLog (audit.go), transfers (transfer.go),
// workspacePaths (project.go). The serverConfig keys live in the
// serverconfig package; MCP plumbing (confirmation, roots, progress, client
// logs) in internal/mcpx.
package cloudrun

import (
	"log/slog"
	"net/http"
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

// Plugin implements server.Plugin. It is the coordinator: the action
// tables (actions.go) dispatch each call to the collaborator that serves it,
// and each collaborator holds only what it uses.
type Plugin struct {
	clock     clock.Clock
	cloudMode bool
	confirm   *mcpx.Confirmer
	audit     *auditLog

	envs      *envResolver    // which env a call acts on (env.go, tenancy.go)
	paths     *workspacePaths // the workspace and its roots (project.go)
	reads     *serviceReads   // list, detail, envStatus, getDeployRecords, getManageTask
	logs      *logReader      // build and process logs (query_logs.go)
	templates *templateSource // the template list (query_templates.go)
	deploys   *deployer       // deploy (manage_deploy.go, deploy_*.go)
	projects  *projects       // init, download, createAgent (manage_project.go)
	runs      *localRuns      // run, stop, localRuns (local_runs.go)
	admin     *admin          // updateConfig, delete, traffic, initEnv (admin.go)
	content   *content        // prompts, resources, completions (content.go)
}

// New builds the plugin and wires its collaborators.
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
	cfg, client := d.Config, d.Client
	confirm := mcpx.NewConfirmer(d.StateKey, logger)
	envs := &envResolver{cfg: cfg, client: client, log: logger, tenantEnvs: cache.New[string](clk)}
	svcCache := newServiceCache(cfg, envs, clk)
	paths := &workspacePaths{cfg: cfg, roots: mcpx.NewRoots(confirm, logger)}
	templates := &templateSource{cfg: cfg, http: hc, cache: cache.New[[]template](clk)}
	transfer := &transfers{http: d.Transfer, clock: clk}
	p := &Plugin{
		clock: clk, cloudMode: d.CloudMode, confirm: confirm,
		audit: &auditLog{path: cfg.AuditLog, clock: clk, log: logger},
		envs:  envs, paths: paths, templates: templates,
		reads: &serviceReads{cfg: cfg, client: client, cache: svcCache},
		logs:  &logReader{client: client},
		deploys: &deployer{client: client, envs: envs, paths: paths, cache: svcCache, transfer: transfer,
			clock: clk, waits: newWaits(d.MaxWait, d.PollInterval)},
		projects: &projects{client: client, envs: envs, paths: paths, templates: templates, transfer: transfer},
		runs:     &localRuns{runs: localrun.NewManager(d.RunLogDir, logger.With("component", "localrun")), paths: paths},
		admin:    &admin{client: client, envs: envs, cache: svcCache, clock: clk, log: logger},
	}
	p.content = &content{cloudMode: d.CloudMode, envs: envs, templates: templates, read: p.read}
	if d.CacheObserver != nil {
		svcCache.observe(d.CacheObserver)
		templates.cache.Observe(func(o cache.Outcome) { d.CacheObserver("templates", o) })
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
		{Tool: publish(manageTool(), ManageActions(), p.OfferedManageActions(), cloudDeployNote), Handler: p.handleManage, ReadOnly: false, Refused: p.audit.refused},
	}
}

// Notifications implements server.NotificationPlugin.
func (p *Plugin) Notifications() map[string]mcpserver.NotificationHandlerFunc {
	return map[string]mcpserver.NotificationHandlerFunc{
		mcp.MethodNotificationRootsListChanged: p.paths.roots.OnChanged,
	}
}

// Prompts implements server.ContentPlugin.
func (p *Plugin) Prompts() []server.Prompt { return p.content.prompts() }

// Resources implements server.ContentPlugin.
func (p *Plugin) Resources() []server.Resource { return p.content.resources() }

// ResourceTemplates implements server.ContentPlugin.
func (p *Plugin) ResourceTemplates() []server.ResourceTemplate { return p.content.resourceTemplates() }

// Close stops every local run; the server calls it on exit.
func (p *Plugin) Close() error {
	return p.runs.close()
}

var (
	_ server.Plugin             = (*Plugin)(nil)
	_ server.NotificationPlugin = (*Plugin)(nil)
	_ server.ContentPlugin      = (*Plugin)(nil)
)
