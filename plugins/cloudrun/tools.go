package cloudrun

import (
	"encoding/json"

	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
	"github.com/mark3labs/mcp-go/mcp"
)

// Tool names, action names and parameter names are a public contract shared
// with the reference server (spec/tools.md): keep them.
const (
	QueryToolName  = "queryCloudRun"
	ManageToolName = "manageCloudRun"
)

const queryDescription = "Read Tencent CloudBase Run (CloudRun) services, their deploys and logs. Read-only; " +
	"cached briefly (refresh: true for live data). When a result has nextStep, make that call next."

const manageDescription = "Create, deploy, configure, route traffic to and delete CloudRun services, and develop them " +
	"locally. dryRun: true reports without writing. When a result has nextStep, make that call next."

const queryActionsDescription = "list: services. detail: a service's config (the keys serverConfig takes), versions, latest deploy. " +
	"templates: for init. getDeployLog: a build's log. getProcessLog: a version's start/run log. getDeployRecords: deploys, newest first. " +
	"envStatus: is CloudRun opened on the env. getManageTask: the latest deploy/release task. localRuns: what run started."

const manageActionsDescription = "init: copy a template into <targetPath>/<serverName>. download: the online code into targetPath. " +
	"run: start targetPath locally (function or container) until its port answers; stop ends it. " +
	"deploy: package targetPath, or an existing imageUrl, and create or update the service; it returns before the build ends. " +
	"delete: remove the service. createAgent: scaffold an AI agent (function). updateConfig: change serverConfig without new code. " +
	"initEnv: open CloudRun on an env (a new env needs it before its first deploy). traffic: steer a GRAY release."

// param is one property of a tool's input schema, in the order published.
type param struct {
	name   string
	schema map[string]any
}

func desc(s map[string]any, d string) map[string]any {
	s["description"] = d
	return s
}

func withDefault(s map[string]any, v any) map[string]any {
	s["default"] = v
	return s
}

func enum(values ...string) map[string]any { return map[string]any{"type": "string", "enum": values} }

func strParam(d string) map[string]any { return desc(map[string]any{"type": "string"}, d) }

func boolParam(def bool, d string) map[string]any {
	return desc(map[string]any{"type": "boolean", "default": def}, d)
}

func intParam(min, max int, d string) map[string]any {
	s := map[string]any{"type": "integer", "minimum": min}
	if max > 0 {
		s["maximum"] = max
	}
	return desc(s, d)
}

func queryParams() []param {
	return []param{
		{"action", desc(enum(QueryActions()...), queryActionsDescription)},
		{"pageSize", withDefault(intParam(1, 100, "list: page size."), 10)},
		{"pageNum", withDefault(intParam(1, 0, "list: page number."), 1)},
		{"serverName", strParam("list: name filter (substring). Other actions: same as detailServerName.")},
		{"serverType", desc(enum("function", "container"), "list: filter by type.")},
		{"envId", strParam("Env to read (default: the configured env).")},
		{"detailServerName", strParam("The service, for every action but list, templates, envStatus and localRuns.")},
		{"buildId", intParam(0, 0, "getDeployLog: build (default: the newest deploy's).")},
		{"runId", strParam("getProcessLog: run (default: the newest deploy's).")},
		{"fromLine", intParam(1, 0, "getDeployLog/getProcessLog: lines from this one on, instead of the tail. To poll, pass the nextFromLine of the last result.")},
		{"revealEnvParams", boolParam(false, "detail: show EnvParams values (often secrets) instead of ***.")},
		{"refresh", boolParam(false, "Bypass the cache for this read.")},
	}
}

func manageParams() []param {
	return []param{
		{"action", desc(enum(ManageActions()...), manageActionsDescription)},
		{"serverName", desc(map[string]any{"type": "string", "pattern": serverNameExpr}, "Service name; every action but initEnv.")},
		{"targetPath", strParam("Local directory in the workspace, absolute or relative. init and createAgent: the parent of <serverName>/; deploy, run, download: the project itself.")},
		{"imageUrl", strParam("deploy: an existing image to deploy instead of building targetPath; use it whenever the user names an image.")},
		{"serverConfig", map[string]any{"type": "object", "properties": serverconfig.Schema(),
			"description": "deploy/updateConfig: settings to change, keys as detail shows them (any case). Keys left out keep their values."}},
		{"envParamsReplaceAll", boolParam(false, "deploy/updateConfig: replace all EnvParams instead of merging by key.")},
		{"serverType", desc(enum("function", "container"), "deploy: function (Node.js on @cloudbase/functions-framework) or container (Dockerfile). Default: detected.")},
		{"waitRegistration", boolParam(true, "deploy: wait up to ~45 s for the build to register.")},
		{"releaseType", desc(map[string]any{"type": "string", "enum": []string{"FULL", "GRAY"}, "default": "FULL"}, "deploy: GRAY starts a canary at 0 % of traffic, for traffic set/promote/rollback.")},
		{"dryRun", boolParam(false, "deploy/updateConfig/delete/initEnv/traffic: validate and report, write nothing.")},
		{"template", desc(map[string]any{"type": "string", "default": "helloworld"}, "init: template id (queryCloudRun templates).")},
		{"runOptions", map[string]any{"type": "object", "additionalProperties": false, "description": "run: local run options.",
			"properties": map[string]any{
				"port":      map[string]any{"type": "integer", "minimum": 1, "maximum": 65535, "default": 3000, "description": "Local port."},
				"envParams": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}, "description": "Env vars (not NODE_OPTIONS, LD_*, PATH and other loaders)."},
				"runMode":   map[string]any{"type": "string", "enum": []string{"normal", "agent"}, "default": "normal", "description": "agent for createAgent projects."},
				"agentId":   map[string]any{"type": "string", "description": "agent mode: the botId."},
			}}},
		{"agentConfig", map[string]any{"type": "object", "additionalProperties": false, "required": []string{"agentName"},
			"description": "createAgent: the agent; its BotId is ibot-<agentName>-<botTag>.",
			"properties": map[string]any{
				"agentName":   map[string]any{"type": "string", "description": "Letters, digits and -."},
				"botTag":      map[string]any{"type": "string", "description": "Default: generated."},
				"description": map[string]any{"type": "string", "description": "What the agent does."},
				"template":    map[string]any{"type": "string", "default": "blank", "description": "Agent template."},
			}}},
		{"trafficOp", desc(enum("set", "promote", "rollback"), "traffic: set the split of an open GRAY release, promote its canary to 100 %, or roll back.")},
		{"stablePercent", intParam(0, 100, "traffic set: stable share; stable + canary = 100.")},
		{"canaryPercent", intParam(0, 100, "traffic set: canary share.")},
		{"envId", strParam("initEnv: the env (default: the configured one).")},
		{"packageType", desc(map[string]any{"type": "string", "enum": []string{"Trial", "Standard", "Professional", "Enterprise"}, "default": "Trial"}, "initEnv: package.")},
		{"vpcId", strParam("initEnv: VPC for new services; only one the user gives.")},
		{"subnetIds", desc(map[string]any{"type": "array", "items": map[string]any{"type": "string"}}, "initEnv: subnets of vpcId.")},
		{"force", boolParam(false, "Consent for delete and for writing over a non-empty directory, from clients that cannot ask the user; when the client can ask, the user is always asked.")},
	}
}

// inputSchema is a tool's input schema: an object of params, action required.
func inputSchema(params []param) json.RawMessage {
	props := make(map[string]any, len(params))
	for _, p := range params {
		props[p.name] = p.schema
	}
	b, err := json.Marshal(map[string]any{"type": "object", "additionalProperties": false, "required": []string{"action"}, "properties": props})
	if err != nil {
		panic("cloudrun: the tool schema does not encode: " + err.Error())
	}
	return b
}

func toolMeta() *mcp.Meta {
	return &mcp.Meta{AdditionalFields: map[string]any{"category": PluginName}}
}

func queryTool() mcp.Tool {
	return newTool(QueryToolName, "Query CloudRun", queryDescription, queryParams(), true)
}

func manageTool() mcp.Tool {
	return newTool(ManageToolName, "Manage CloudRun", manageDescription, manageParams(), false)
}

// newTool is one of the plugin's two tools: a read tool is read-only,
// idempotent and never destructive; a write tool may be all three.
func newTool(name, title, description string, params []param, read bool) mcp.Tool {
	t := mcp.NewToolWithRawSchema(name, description, inputSchema(params))
	t.Title = title
	t.Meta = toolMeta()
	t.Annotations = mcp.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    mcp.ToBoolPtr(read),
		DestructiveHint: mcp.ToBoolPtr(!read),
		IdempotentHint:  mcp.ToBoolPtr(read),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	return t
}
