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

const queryDescription = "Read CloudBase Run (CloudRun) services: list, detail, templates, deploy records, " +
	"build/process logs, env status, the latest manage task, local runs. Read-only; results are cached " +
	"briefly (refresh: true for live data) and carry nextStep when a follow-up is needed."

const manageDescription = "Create, deploy, configure, route traffic for and delete CloudRun services, and " +
	"develop them locally (init, download, run, stop, createAgent). delete asks the user to confirm (or needs force: true). " +
	"dryRun: true validates and reports without writing."

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
		{"action", desc(enum(QueryActions()...), "What to read.")},
		{"pageSize", withDefault(intParam(1, 100, "list: page size."), 10)},
		{"pageNum", withDefault(intParam(1, 0, "list: page number."), 1)},
		{"serverName", strParam("list: name filter (substring). Other actions: same as detailServerName.")},
		{"serverType", desc(enum("function", "container"), "list: filter by type.")},
		{"envId", strParam("Env to read (default: the configured env).")},
		{"detailServerName", strParam("Service for detail, getDeployLog, getProcessLog, getDeployRecords, getManageTask.")},
		{"buildId", intParam(0, 0, "getDeployLog: build (default: newest deploy record's).")},
		{"runId", strParam("getProcessLog: run (default: newest deploy record's).")},
		{"fromLine", intParam(1, 0, "getDeployLog/getProcessLog: page from this line (1 = the start) instead of returning the tail.")},
		{"revealEnvParams", boolParam(false, "detail: show EnvParams values instead of ***.")},
		{"refresh", boolParam(false, "Bypass the cache for this read.")},
	}
}

func manageParams() []param {
	return []param{
		{"action", desc(enum(ManageActions()...), "What to do.")},
		{"serverName", desc(map[string]any{"type": "string", "pattern": serverNamePattern.String()}, "Service name; required by every action but initEnv.")},
		{"targetPath", strParam("Project directory, absolute or relative to the workspace root; must be inside the workspace.")},
		{"imageUrl", strParam("deploy: deploy this existing image instead of building targetPath.")},
		{"serverConfig", map[string]any{"type": "object", "additionalProperties": false, "properties": serverconfig.Schema(),
			"description": "deploy/updateConfig: service config with the API's PascalCase keys. Mem must be 2 x Cpu."}},
		{"envParamsReplaceAll", boolParam(false, "deploy/updateConfig: replace all EnvParams instead of merging by key.")},
		{"serverType", desc(enum("function", "container"), "deploy: service type (default: detected).")},
		{"waitRegistration", boolParam(true, "deploy: wait up to ~45 s for the build/run ids.")},
		{"releaseType", desc(map[string]any{"type": "string", "enum": []string{"FULL", "GRAY"}, "default": "FULL"}, "deploy: GRAY puts the new version on canary at 0 %.")},
		{"dryRun", boolParam(false, "deploy/updateConfig/delete: validate and report, write nothing.")},
		{"template", desc(map[string]any{"type": "string", "default": "helloworld"}, "init: template identifier.")},
		{"runOptions", map[string]any{"type": "object", "additionalProperties": false, "description": "run: local run options.",
			"properties": map[string]any{
				"port":      map[string]any{"type": "integer", "minimum": 1, "maximum": 65535, "default": 3000},
				"envParams": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
				"runMode":   map[string]any{"type": "string", "enum": []string{"normal", "agent"}, "default": "normal"},
				"agentId":   map[string]any{"type": "string"},
			}}},
		{"agentConfig", map[string]any{"type": "object", "additionalProperties": false, "required": []string{"agentName"},
			"description": "createAgent: the agent to scaffold.",
			"properties": map[string]any{
				"agentName":   map[string]any{"type": "string"},
				"botTag":      map[string]any{"type": "string"},
				"description": map[string]any{"type": "string"},
				"template":    map[string]any{"type": "string", "default": "blank"},
			}}},
		{"trafficOp", desc(enum("set", "promote", "rollback"), "traffic: set a split, promote the canary, or roll back.")},
		{"stablePercent", intParam(0, 100, "traffic set: stable share; stable + canary = 100.")},
		{"canaryPercent", intParam(0, 100, "traffic set: canary share.")},
		{"envId", strParam("initEnv: env to open CloudRun on (default: the configured env).")},
		{"packageType", desc(map[string]any{"type": "string", "enum": []string{"Trial", "Standard", "Professional", "Enterprise"}, "default": "Trial"}, "initEnv: package.")},
		{"vpcId", strParam("initEnv: VPC to use.")},
		{"subnetIds", desc(map[string]any{"type": "array", "items": map[string]any{"type": "string"}}, "initEnv: subnets of vpcId.")},
		{"force", boolParam(false, "Consent for delete and for writing over a non-empty directory, for clients that cannot ask the user. When the client supports elicitation, the user is always asked and force changes nothing.")},
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
	t := mcp.NewToolWithRawSchema(QueryToolName, queryDescription, inputSchema(queryParams()))
	t.Title = "Query CloudRun"
	t.Meta = toolMeta()
	t.Annotations = mcp.ToolAnnotation{
		Title:           "Query CloudRun",
		ReadOnlyHint:    mcp.ToBoolPtr(true),
		DestructiveHint: mcp.ToBoolPtr(false),
		IdempotentHint:  mcp.ToBoolPtr(true),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	return t
}

func manageTool() mcp.Tool {
	t := mcp.NewToolWithRawSchema(ManageToolName, manageDescription, inputSchema(manageParams()))
	t.Title = "Manage CloudRun"
	t.Meta = toolMeta()
	t.Annotations = mcp.ToolAnnotation{
		Title:           "Manage CloudRun",
		ReadOnlyHint:    mcp.ToBoolPtr(false),
		DestructiveHint: mcp.ToBoolPtr(true),
		IdempotentHint:  mcp.ToBoolPtr(false),
		OpenWorldHint:   mcp.ToBoolPtr(true),
	}
	return t
}
