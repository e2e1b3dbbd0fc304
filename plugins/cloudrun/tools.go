package cloudrun

import (
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// Tool names, action names and parameter names are a public contract shared
// with the reference server (spec/tools.md): keep them.
const (
	QueryToolName  = "queryCloudRun"
	ManageToolName = "manageCloudRun"
)

// QueryActions and ManageActions are the action enums, in documentation order.
var (
	QueryActions = []string{"list", "detail", "templates", "getDeployLog", "getProcessLog",
		"getDeployRecords", "envStatus", "getManageTask", "localRuns"}
	ManageActions = []string{"init", "download", "run", "deploy", "delete", "createAgent",
		"updateConfig", "initEnv", "traffic", "stop"}
)

const queryDescription = "Read CloudBase Run (CloudRun) services: list, detail, templates, deploy records, " +
	"build/process logs, env status, the latest manage task, local runs. Read-only; results are cached " +
	"briefly (refresh: true for live data) and carry nextStep when a follow-up is needed."

const manageDescription = "Create, deploy, configure, route traffic for and delete CloudRun services, and " +
	"develop them locally (init, download, run, stop, createAgent). delete asks the user to confirm (or needs force: true). " +
	"dryRun: true validates and reports without writing."

var querySchema = json.RawMessage(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["action"],
  "properties": {
    "action": {"type": "string", "enum": ["list", "detail", "templates", "getDeployLog", "getProcessLog", "getDeployRecords", "envStatus", "getManageTask", "localRuns"], "description": "What to read."},
    "pageSize": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10, "description": "list: page size."},
    "pageNum": {"type": "integer", "minimum": 1, "default": 1, "description": "list: page number."},
    "serverName": {"type": "string", "description": "list: name filter (substring). Other actions: same as detailServerName."},
    "serverType": {"type": "string", "enum": ["function", "container"], "description": "list: filter by type."},
    "envId": {"type": "string", "description": "Env to read (default: the configured env)."},
    "detailServerName": {"type": "string", "description": "Service for detail, getDeployLog, getProcessLog, getDeployRecords, getManageTask."},
    "buildId": {"type": "integer", "minimum": 0, "description": "getDeployLog: build (default: newest deploy record's)."},
    "runId": {"type": "string", "description": "getProcessLog: run (default: newest deploy record's)."},
    "fromLine": {"type": "integer", "minimum": 1, "description": "getDeployLog/getProcessLog: page from this line (1 = the start) instead of returning the tail."},
    "revealEnvParams": {"type": "boolean", "default": false, "description": "detail: show EnvParams values instead of ***."},
    "refresh": {"type": "boolean", "default": false, "description": "Bypass the cache for this read."}
  }
}`)

var manageSchema = json.RawMessage(`{
  "type": "object",
  "additionalProperties": false,
  "required": ["action"],
  "properties": {
    "action": {"type": "string", "enum": ["init", "download", "run", "deploy", "delete", "createAgent", "updateConfig", "initEnv", "traffic", "stop"], "description": "What to do."},
    "serverName": {"type": "string", "pattern": "^[a-zA-Z][a-zA-Z0-9_-]{2,44}$", "description": "Service name; required by every action but initEnv."},
    "targetPath": {"type": "string", "description": "Project directory, absolute or relative to the workspace root; must be inside the workspace."},
    "imageUrl": {"type": "string", "description": "deploy: deploy this existing image instead of building targetPath."},
    "serverConfig": {
      "type": "object",
      "additionalProperties": false,
      "description": "deploy/updateConfig: service config with the API's PascalCase keys. Mem must be 2 x Cpu.",
      "properties": {
        "OpenAccessTypes": {"type": "array", "items": {"type": "string", "enum": ["OA", "PUBLIC", "MINIAPP", "VPC"]}},
        "Cpu": {"type": "number", "exclusiveMinimum": 0},
        "Mem": {"type": "number", "exclusiveMinimum": 0},
        "MinNum": {"type": "integer", "minimum": 0},
        "MaxNum": {"type": "integer", "minimum": 0},
        "PolicyDetails": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["PolicyType", "PolicyThreshold"], "properties": {"PolicyType": {"type": "string", "enum": ["cpu", "mem", "cpu/mem"]}, "PolicyThreshold": {"type": "integer", "minimum": 1, "maximum": 100}}}},
        "CustomLogs": {"type": "string"},
        "Port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "EnvParams": {"type": ["string", "object"], "description": "JSON object text or an object of string values."},
        "Dockerfile": {"type": "string"},
        "BuildDir": {"type": "string"},
        "InternalAccess": {"type": "string", "enum": ["open", "close"]},
        "InternalDomain": {"type": "string"},
        "EntryPoint": {"type": "array", "items": {"type": "string"}},
        "Cmd": {"type": "array", "items": {"type": "string"}},
        "InitialDelaySeconds": {"type": "integer", "minimum": 0},
        "LogType": {"type": "string", "enum": ["none", "default", "custom"]},
        "LogSetId": {"type": "string"},
        "LogTopicId": {"type": "string"},
        "LogParseType": {"type": "string", "enum": ["json", "line"]},
        "Tag": {"type": "string"},
        "OperationMode": {"type": "string", "enum": ["noScale", "condScale", "alwaysScale", "custom", "manualScale"]},
        "SessionAffinity": {"type": "string", "enum": ["open", "close"]},
        "TimerScale": {"type": "array", "items": {"type": "object", "additionalProperties": false, "properties": {"CycleType": {"type": "string", "enum": ["none", "daily", "weekly", "monthly"]}, "StartDate": {"type": "string"}, "EndDate": {"type": "string"}, "StartTime": {"type": "string"}, "EndTime": {"type": "string"}, "ReplicaNum": {"type": "integer", "minimum": 0}}}},
        "VpcConf": {"type": "object", "additionalProperties": false, "properties": {"VpcId": {"type": "string"}, "SubnetId": {"type": "string"}, "VpcCIDR": {"type": "string"}, "SubnetCIDR": {"type": "string"}, "CreateType": {"type": "integer", "enum": [1, 2]}}},
        "VolumesConf": {"type": "array", "items": {"type": "object"}},
        "PublicNetConf": {"type": "object"}
      }
    },
    "envParamsReplaceAll": {"type": "boolean", "default": false, "description": "deploy/updateConfig: replace all EnvParams instead of merging by key."},
    "serverType": {"type": "string", "enum": ["function", "container"], "description": "deploy: service type (default: detected)."},
    "waitRegistration": {"type": "boolean", "default": true, "description": "deploy: wait up to ~45 s for the build/run ids."},
    "releaseType": {"type": "string", "enum": ["FULL", "GRAY"], "default": "FULL", "description": "deploy: GRAY puts the new version on canary at 0 %."},
    "dryRun": {"type": "boolean", "default": false, "description": "deploy/updateConfig/delete: validate and report, write nothing."},
    "template": {"type": "string", "default": "helloworld", "description": "init: template identifier."},
    "runOptions": {
      "type": "object",
      "additionalProperties": false,
      "description": "run: local run options.",
      "properties": {
        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "default": 3000},
        "envParams": {"type": "object", "additionalProperties": {"type": "string"}},
        "runMode": {"type": "string", "enum": ["normal", "agent"], "default": "normal"},
        "agentId": {"type": "string"}
      }
    },
    "agentConfig": {
      "type": "object",
      "additionalProperties": false,
      "required": ["agentName"],
      "description": "createAgent: the agent to scaffold.",
      "properties": {
        "agentName": {"type": "string"},
        "botTag": {"type": "string"},
        "description": {"type": "string"},
        "template": {"type": "string", "default": "blank"}
      }
    },
    "trafficOp": {"type": "string", "enum": ["set", "promote", "rollback"], "description": "traffic: set a split, promote the canary, or roll back."},
    "stablePercent": {"type": "integer", "minimum": 0, "maximum": 100, "description": "traffic set: stable share; stable + canary = 100."},
    "canaryPercent": {"type": "integer", "minimum": 0, "maximum": 100, "description": "traffic set: canary share."},
    "envId": {"type": "string", "description": "initEnv: env to open CloudRun on (default: the configured env)."},
    "packageType": {"type": "string", "enum": ["Trial", "Standard", "Professional", "Enterprise"], "default": "Trial", "description": "initEnv: package."},
    "vpcId": {"type": "string", "description": "initEnv: VPC to use."},
    "subnetIds": {"type": "array", "items": {"type": "string"}, "description": "initEnv: subnets of vpcId."},
    "force": {"type": "boolean", "default": false, "description": "delete, and writing over a non-empty directory: confirmed by the user (skips the confirmation prompt)."}
  }
}`)

func toolMeta() *mcp.Meta {
	return &mcp.Meta{AdditionalFields: map[string]any{"category": PluginName}}
}

func queryTool() mcp.Tool {
	t := mcp.NewToolWithRawSchema(QueryToolName, queryDescription, querySchema)
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
	t := mcp.NewToolWithRawSchema(ManageToolName, manageDescription, manageSchema)
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
