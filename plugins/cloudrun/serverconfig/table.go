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
	{Name: "OpenAccessTypes", Item: "AccessTypes", View: "openAccessTypes", kind: stringList(enumItems("OA", "PUBLIC", "MINIAPP", "VPC")),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.OpenAccessTypes, true }},
	{Name: "MinNum", Item: "MinNum", View: "minNum", kind: integer(0, 0),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.MinNum), true }},
	{Name: "EnvParams", Item: "EnvParam", View: "envParams", Redeploy: true, kind: envParams{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return RemoteEnv(r.EnvParams), true }},
	{Name: "InitialDelaySeconds", Item: "InitialDelaySeconds", View: "initialDelaySeconds", kind: integer(0, 0),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.InitialDelaySeconds), true }},
	{Name: "CustomLogs", Item: "LogPath", View: "customLogs", kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.CustomLogs, true }},
	{Name: "Port", Item: "Port", View: "port", Redeploy: true, kind: integer(1, 65535),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.Port), true }},
	{Name: "Dockerfile", Item: "Dockerfile", View: "dockerfile", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Dockerfile, true }},
	{Name: "BuildDir", Item: "BuildDir", View: "buildDir", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.BuildDir, true }},
	{Name: "Cpu", Item: "CpuSpecs", View: "cpu", Redeploy: true, kind: number(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Cpu, true }},
	{Name: "Mem", Item: "MemSpecs", View: "mem", Redeploy: true, kind: number(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Mem, true }},
	{Name: "MaxNum", Item: "MaxNum", View: "maxNum", kind: integer(0, 0),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return int64(r.MaxNum), true }},
	{Name: "PolicyDetails", Item: "PolicyDetails", View: "policyDetails", kind: policies{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.PolicyDetails, true }},
	{Name: "InternalAccess", Item: "InternalAccess", View: "internalAccess", kind: str("open", "close"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.InternalAccess, true }},
	{Name: "InternalDomain", Item: "InternalDomain", View: "internalDomain", kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.InternalDomain, true }},
	{Name: "EntryPoint", Item: "EntryPoint", View: "entryPoint", kind: stringList(nil),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.EntryPoint, true }},
	{Name: "Cmd", Item: "Cmd", View: "cmd", kind: stringList(nil),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.Cmd, true }},
	{Name: "LogType", Item: "LogType", View: "logType", Redeploy: true, kind: str("none", "default", "custom"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogType, true }},
	{Name: "LogSetId", Item: "LogSetId", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogSetId, true }},
	{Name: "LogTopicId", Item: "LogTopicId", Redeploy: true, kind: str(),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogTopicId, true }},
	{Name: "LogParseType", Item: "LogParseType", kind: str("json", "line"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.LogParseType, true }},
	{Name: "OperationMode", Item: "OperationMode", View: "operationMode", kind: str("noScale", "condScale", "alwaysScale", "custom", "manualScale"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.OperationMode, true }},
	{Name: "SessionAffinity", Item: "SessionAffinity", View: "sessionAffinity", kind: str("open", "close"),
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) {
			if r.SessionAffinity == nil {
				return nil, false
			}
			return *r.SessionAffinity, true
		}},
	{Name: "TimerScale", Item: "TimerScale", kind: timers{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.TimerScale, true }},
	{Name: "VpcConf", Item: "VpcConf", View: "vpcConf", Redeploy: true, kind: vpc{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) {
			if r.VpcConf == nil || r.VpcConf.VpcId == "" {
				return nil, false
			}
			return Vpc{VpcId: r.VpcConf.VpcId, SubnetId: r.VpcConf.SubnetId, VpcCIDR: r.VpcConf.VpcCIDR, SubnetCIDR: r.VpcConf.SubnetCIDR}, true
		}},
	{Name: "VolumesConf", Item: "VolumesConf", Redeploy: true, kind: volumes{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) { return r.VolumesConf, true }},
	{Name: "PublicNetConf", Item: "PublicNetConf", kind: publicNet{},
		remote: func(r *tcbr.ServerBaseConfig) (any, bool) {
			if r.PublicNetConf == nil {
				return nil, false
			}
			return *r.PublicNetConf, true
		}},
	{Name: "Tag", Item: "Tag", View: "tag", kind: str(),
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
