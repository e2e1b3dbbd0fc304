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
	run   func(p *Plugin, ctx context.Context, envID string, a *QueryArgs) (any, error)
}

var queryActions = []queryAction{
	{name: "list", run: (*Plugin).queryList},
	{name: "detail", service: true, run: (*Plugin).queryDetail},
	{name: "templates", local: true, run: (*Plugin).queryTemplates},
	{name: "getDeployLog", service: true, run: (*Plugin).queryDeployLog},
	{name: "getProcessLog", service: true, run: (*Plugin).queryProcessLog},
	{name: "getDeployRecords", service: true, run: (*Plugin).queryDeployRecords},
	{name: "envStatus", run: (*Plugin).queryEnvStatus},
	{name: "getManageTask", service: true, run: (*Plugin).queryManageTask},
	{name: "localRuns", local: true, run: (*Plugin).queryLocalRuns},
}

// call is one manageCloudRun call as its action sees it.
type call struct {
	req      mcp.CallToolRequest
	args     *ManageArgs
	progress *mcpx.Progress
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
	run  func(p *Plugin, ctx context.Context, c *call) (any, error)
}

func always(*ManageArgs) bool { return true }

var manageActions = []manageAction{
	{name: "init", paths: always, run: (*Plugin).manageInit},
	{name: "download", paths: always, run: (*Plugin).manageDownload},
	{name: "run", paths: always, run: (*Plugin).manageRun},
	{name: "deploy", paths: func(a *ManageArgs) bool { return a.TargetPath != "" || a.ImageURL == "" }, run: (*Plugin).manageDeploy},
	{name: "delete", run: (*Plugin).manageDelete},
	{name: "createAgent", paths: always, run: (*Plugin).manageCreateAgent},
	{name: "updateConfig", run: (*Plugin).manageUpdateConfig},
	{name: "initEnv", noService: true, run: (*Plugin).manageInitEnv},
	{name: "traffic", run: (*Plugin).manageTraffic},
	{name: "stop", host: true, run: (*Plugin).manageStop},
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
	if !p.queryOffered(action) {
		return nil, notOffered(action.name, p.OfferedQueryActions())
	}
	if action.local {
		return action.run(p, ctx, "", args)
	}
	if action.service {
		// Checked before credentials: a bad name is the caller's to fix first.
		if err := checkServerName("detailServerName", args.service()); err != nil {
			return nil, err
		}
	}
	envID, err := p.ready(ctx, args.EnvID)
	if err != nil {
		return nil, err
	}
	return action.run(p, ctx, envID, args)
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
		p.audit(args, v, err, p.clock.Now().Sub(start))
	}
	return res, nil
}

func (p *Plugin) manage(ctx context.Context, req mcp.CallToolRequest, args *ManageArgs) (any, error) {
	action, _ := manageActionNamed(args.Action) // bind checked it
	if !p.manageOffered(action) {
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
		roots, err := p.roots.Workspace(ctx, req, p.configuredWorkspace())
		if err != nil {
			return nil, err
		}
		ctx = withRoots(ctx, roots)
	}
	return action.run(p, ctx, &call{req: req, args: args, progress: mcpx.NewProgress(ctx, req, p.clock)})
}
