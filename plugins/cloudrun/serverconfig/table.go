// Package serverconfig is the one table of a CloudRun service's config keys
// (serverConfig in manageCloudRun, ServerBaseConfig on the wire): each key's
// name, its DiffConfigItem key, its type, how it is compared with the
// service's current config, whether a change rolls out a new version, and how
// detail shows it. The schema, binding, create defaults, the read-merge-write
// of a redeploy, updateConfig's diff and detail's view are all driven by it.
package serverconfig

import "github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"

// Key is one serverConfig key.
type Key struct {
	Name     string // as serverConfig and ServerBaseConfig spell it, e.g. "CustomLogs"
	Item     string // the DiffConfigItem key on the wire, e.g. "LogPath"
	View     string // detail's name for it; "" = not shown
	Redeploy bool   // changing it rolls out a new version with the current image
	Desc     string // one line for the schema
	kind     kind
	remote   func(*tcbr.ServerBaseConfig) (any, bool) // the service's current value, if it has one
}

// Keys is the table, in the order items are sent.
var Keys = []*Key{
	{Name: "OpenAccessTypes", Desc: "PUBLIC internet, OA office network, MINIAPP mini programs (internal direct connection), VPC. PUBLIC only for web services.", Item: "AccessTypes", View: "openAccessTypes", kind: stringList(enumItems("OA", "PUBLIC", "MINIAPP", "VPC")),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.OpenAccessTypes, true }},
	{Name: "MinNum", Desc: "Minimum instances; 0 scales to zero.", Item: "MinNum", View: "minNum", kind: integer(0, 0),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.MinNum), true }},
	{Name: "EnvParams", Desc: "Env vars, object or JSON text; merged by key unless envParamsReplaceAll. Database vars need VpcConf.", Item: "EnvParam", View: "envParams", Redeploy: true, kind: envParams{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return RemoteEnv(r.EnvParams), true }},
	{Name: "InitialDelaySeconds", Desc: "Health check delay.", Item: "InitialDelaySeconds", View: "initialDelaySeconds", kind: integer(0, 0),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.InitialDelaySeconds), true }},
	{Name: "CustomLogs", Desc: "Log paths to collect.", Item: "LogPath", View: "customLogs", kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.CustomLogs, true }},
	{Name: "Port", Desc: "Port the service listens on (functions: 3000).", Item: "Port", View: "port", Redeploy: true, kind: integer(1, 65535),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.Port), true }},
	{Name: "Dockerfile", Desc: "Dockerfile path in the project.", Item: "Dockerfile", View: "dockerfile", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Dockerfile, true }},
	{Name: "BuildDir", Desc: "Build directory in the project.", Item: "BuildDir", View: "buildDir", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.BuildDir, true }},
	{Name: "Cpu", Desc: "Cores: 0.25, 0.5, 1, 2, 4, 8, 16.", Item: "CpuSpecs", View: "cpu", Redeploy: true, kind: number(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Cpu, true }},
	{Name: "Mem", Desc: "GiB; must be 2 x Cpu.", Item: "MemSpecs", View: "mem", Redeploy: true, kind: number(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Mem, true }},
	{Name: "MaxNum", Desc: "Maximum instances.", Item: "MaxNum", View: "maxNum", kind: integer(0, 0),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.MaxNum), true }},
	{Name: "PolicyDetails", Desc: "Autoscaling thresholds.", Item: "PolicyDetails", View: "policyDetails", kind: policies{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.PolicyDetails, true }},
	{Name: "InternalAccess", Desc: "open: reachable on the internal domain.", Item: "InternalAccess", View: "internalAccess", kind: str("open", "close"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.InternalAccess, true }},
	{Name: "InternalDomain", Desc: "Internal domain.", Item: "InternalDomain", View: "internalDomain", kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.InternalDomain, true }},
	{Name: "EntryPoint", Desc: "Overrides the image's entrypoint.", Item: "EntryPoint", View: "entryPoint", kind: stringList(nil),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.EntryPoint, true }},
	{Name: "Cmd", Desc: "Overrides the image's command.", Item: "Cmd", View: "cmd", kind: stringList(nil),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Cmd, true }},
	{Name: "LogType", Desc: "custom: ship logs to LogSetId/LogTopicId.", Item: "LogType", View: "logType", Redeploy: true, kind: str("none", "default", "custom"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogType, true }},
	{Name: "LogSetId", Desc: "CLS log set.", Item: "LogSetId", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogSetId, true }},
	{Name: "LogTopicId", Desc: "CLS log topic.", Item: "LogTopicId", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogTopicId, true }},
	{Name: "LogParseType", Desc: "How CLS parses lines.", Item: "LogParseType", kind: str("json", "line"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogParseType, true }},
	{Name: "OperationMode", Desc: "Scaling mode.", Item: "OperationMode", View: "operationMode", kind: str("noScale", "condScale", "alwaysScale", "custom", "manualScale"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.OperationMode, true }},
	{Name: "SessionAffinity", Desc: "Sticky sessions.", Item: "SessionAffinity", View: "sessionAffinity", kind: str("open", "close"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) {
			if r.SessionAffinity == nil {
				return nil, false
			}
			return *r.SessionAffinity, true
		}},
	{Name: "TimerScale", Desc: "Scheduled scaling.", Item: "TimerScale", kind: timers{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.TimerScale, true }},
	{Name: "VpcConf", Desc: "VPC for private resources such as databases; only values the user gives, never guessed. CreateType 1 new, 2 existing.", Item: "VpcConf", View: "vpcConf", Redeploy: true, kind: vpc{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) {
			if r.VpcConf == nil || r.VpcConf.VpcId == "" {
				return nil, false
			}
			return Vpc{VpcId: r.VpcConf.VpcId, SubnetId: r.VpcConf.SubnetId, VpcCIDR: r.VpcConf.VpcCIDR, SubnetCIDR: r.VpcConf.SubnetCIDR}, true
		}},
	{Name: "VolumesConf", Desc: "Mounted volumes.", Item: "VolumesConf", Redeploy: true, kind: volumes{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.VolumesConf, true }},
	{Name: "PublicNetConf", Desc: "Public egress.", Item: "PublicNetConf", kind: publicNet{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) {
			if r.PublicNetConf == nil {
				return nil, false
			}
			return *r.PublicNetConf, true
		}},
	{Name: "Tag", Desc: "Service tag.", Item: "Tag", View: "tag", kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Tag, true }},
}

// byName indexes Keys by Name.
var byName = func() map[string]*Key {
	m := make(map[string]*Key, len(Keys))
	for _, k := range Keys {
		m[k.Name] = k
	}
	return m
}()

// Lookup returns the key named name.
func Lookup(name string) (*Key, bool) {
	k, ok := byName[name]
	return k, ok
}
