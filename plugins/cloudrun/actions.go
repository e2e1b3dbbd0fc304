package cloudrun

import (
	"context"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/mark3labs/mcp-go/mcp"
)

// The action tables: one entry per action, in documentation order. The
// schema's action enums, the argument check and the dispatch all come from
// them.

// queryAction is one queryCloudRun action.
type queryAction struct {
	name string
	// service: the action reads one service (detailServerName), whose name
	// is checked before anything else.
	service bool
	// local: the action needs no cloud env (no credentials either): it
	// serves local development, which a hosted server in cloud mode does
	// not offer (cloudmode.go).
	local bool
	// run is the action's handler, held by one of the plugin's collaborators.
	run func(p *Plugin) queryHandler
}

// queryHandler answers one queryCloudRun action; envID is resolved, except
// for local actions ("").
type queryHandler func(ctx context.Context, envID string, a *QueryArgs) (any, error)

var queryActions = []queryAction{
	{name: "list", run: func(p *Plugin) queryHandler { return p.reads.list }},
	{name: "detail", service: true, run: func(p *Plugin) queryHandler { return p.reads.detail }},
	{name: "templates", local: true, run: func(p *Plugin) queryHandler { return p.templates.query }},
	{name: "getDeployLog", service: true, run: func(p *Plugin) queryHandler { return p.logs.deployLog }},
	{name: "getProcessLog", service: true, run: func(p *Plugin) queryHandler { return p.logs.processLog }},
	{name: "getDeployRecords", service: true, run: func(p *Plugin) queryHandler { return p.reads.deployRecords }},
	{name: "envStatus", run: func(p *Plugin) queryHandler { return p.reads.envStatus }},
	{name: "getManageTask", service: true, run: func(p *Plugin) queryHandler { return p.reads.manageTask }},
	{name: "localRuns", local: true, run: func(p *Plugin) queryHandler { return p.runs.list }},
}

// manageAction is one manageCloudRun action.
type manageAction struct {
	name string
	// noService: serverName is not needed (initEnv); every other action
	// checks it before anything else.
	noService bool
	// paths reports whether the call reaches the local file system, so the
	// workspace roots are resolved first.
	paths func(a *ManageArgs) bool
	// host: the action changes this machine's processes; a hosted server in
	// cloud mode does not offer it (cloudmode.go).
	host bool
	// run is the action's handler, held by one of the plugin's collaborators.
	run func(p *Plugin) manageHandler
}

// manageHandler carries out one manageCloudRun action.
type manageHandler func(ctx context.Context, c *call) (any, error)

func always(*ManageArgs) bool { return true }

var manageActions = []manageAction{
	{name: "init", paths: always, run: func(p *Plugin) manageHandler { return p.projects.initProject }},
	{name: "download", paths: always, run: func(p *Plugin) manageHandler { return p.projects.download }},
	{name: "run", paths: always, run: func(p *Plugin) manageHandler { return p.runs.run }},
	{name: "deploy", paths: func(a *ManageArgs) bool { return a.TargetPath != "" || a.ImageURL == "" }, run: func(p *Plugin) manageHandler { return p.deploys.deploy }},
	{name: "delete", run: func(p *Plugin) manageHandler { return p.admin.deleteService }},
	{name: "createAgent", paths: always, run: func(p *Plugin) manageHandler { return p.projects.createAgent }},
	{name: "updateConfig", run: func(p *Plugin) manageHandler { return p.admin.updateConfig }},
	{name: "initEnv", noService: true, run: func(p *Plugin) manageHandler { return p.admin.initEnv }},
	{name: "traffic", run: func(p *Plugin) manageHandler { return p.admin.traffic }},
	{name: "stop", host: true, run: func(p *Plugin) manageHandler { return p.runs.stop }},
}

func queryActionNamed(name string) (*queryAction, bool) {
	for i := range queryActions {
		if queryActions[i].name == name {
			return &queryActions[i], true
		}
	}
	return nil, false
}

func manageActionNamed(name string) (*manageAction, bool) {
	for i := range manageActions {
		if manageActions[i].name == name {
			return &manageActions[i], true
		}
	}
	return nil, false
}

// QueryActions lists queryCloudRun's actions in documentation order.
func QueryActions() []string {
	out := make([]string, len(queryActions))
	for i, a := range queryActions {
		out[i] = a.name
	}
	return out
}

// ManageActions lists manageCloudRun's actions in documentation order.
func ManageActions() []string {
	out := make([]string, len(manageActions))
	for i, a := range manageActions {
		out[i] = a.name
	}
	return out
}

// --- the boundary

func (p *Plugin) handleQuery(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return respond(p.query(ctx, req)), nil
}

func (p *Plugin) query(ctx context.Context, req mcp.CallToolRequest) (any, error) {
	args, err := bind[QueryArgs](req)
	if err != nil {
		return nil, err
	}
	action, _ := queryActionNamed(args.Action) // bind checked it
	if !action.offered(p.cloudMode) {
		return nil, notOffered(action.name, p.OfferedQueryActions())
	}
	if action.local {
		return action.run(p)(ctx, "", args)
	}
	if action.service {
		// Checked before credentials: a bad name is the caller's to fix first.
		if err := checkServerName("detailServerName", args.service()); err != nil {
			return nil, err
		}
	}
	envID, err := p.envs.ready(ctx, args.EnvID)
	if err != nil {
		return nil, err
	}
	return action.run(p)(ctx, envID, args)
}

// read runs a query action for the plugin's own content (resources,
// completions), the same read the tool makes.
func (p *Plugin) read(ctx context.Context, envID string, a *QueryArgs) (any, error) {
	action, _ := queryActionNamed(a.Action)
	return action.run(p)(ctx, envID, a)
}

func (p *Plugin) handleManage(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	start := p.clock.Now()
	ctx, secrets := withSecrets(ctx)
	args, err := bind[ManageArgs](req)
	var v any
	if err == nil {
		rememberArgSecrets(ctx, args)
		v, err = p.manage(ctx, req, args)
	}
	res := respond(v, err)
	secrets.redactFailure(res)
	if !res.NeedsInput() { // asking the user is not an outcome yet
		p.audit.record(args, v, err, p.clock.Now().Sub(start))
	}
	return res, nil
}

func (p *Plugin) manage(ctx context.Context, req mcp.CallToolRequest, args *ManageArgs) (any, error) {
	action, _ := manageActionNamed(args.Action) // bind checked it
	if !action.offered(p.cloudMode) {
		return nil, notOffered(action.name, p.OfferedManageActions())
	}
	// serverName is checked before credentials: the caller fixes it first.
	if !action.noService {
		if err := checkServerName("serverName", args.ServerName); err != nil {
			return nil, err
		}
	}
	if action.paths != nil && action.paths(args) {
		if p.cloudMode {
			return nil, p.localFiles(args)
		}
		var err error
		if ctx, err = p.paths.resolve(ctx, req); err != nil {
			return nil, err
		}
	}
	return action.run(p)(ctx, &call{req: req, args: args, progress: mcpx.NewProgress(ctx, req, p.clock), confirm: p.confirm})
}
