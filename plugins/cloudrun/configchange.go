package cloudrun

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// Keys that make the platform roll out a new version with the current image;
// the others apply in place.
var redeployKeys = []string{"EnvParam", "CpuSpecs", "MemSpecs", "Port", "VpcConf", "Dockerfile", "BuildDir", "VolumesConf", "LogType", "LogSetId", "LogTopicId"}

// manageUpdateConfig changes a service's config without new code: merge
// the given keys into the remote config, send only what changes, read back.
func (p *Plugin) manageUpdateConfig(ctx context.Context, a *ManageArgs) *mcp.CallToolResult {
	svc := a.ServerName
	if len(a.ServerConfig) == 0 {
		return invalid("updateConfig needs serverConfig with at least one key", `For example {"MinNum": 1} or {"EnvParams": {"LOG_LEVEL": "debug"}}.`)
	}
	cfg, err := parseServerConfig(a.ServerConfig)
	if err != nil {
		return invalid(err.Error(), "Fix serverConfig and call again.")
	}
	envID, bad := p.ready(ctx, "")
	if bad != nil {
		return bad
	}
	detail, err := p.client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return upstreamFailure("read the config of "+svc, err, svc)
	}
	remote := detail.ServerConfig
	if remote == nil {
		remote = &tcbr.ServerBaseConfig{}
	}
	rememberSecrets(ctx, remoteEnvParams(remote.EnvParams))
	if detail.BaseInfo != nil && detail.BaseInfo.ServerType == "function" && cfg.Port != nil && *cfg.Port != 3000 {
		return invalid(fmt.Sprintf("function services listen on port 3000, not %d", *cfg.Port), "Drop serverConfig.Port.")
	}
	if cfg.EnvParams != nil && !a.EnvParamsReplaceAll {
		merged := remoteEnvParams(remote.EnvParams)
		for k, v := range cfg.EnvParams {
			merged[k] = v
		}
		cfg = withEnv(cfg, merged)
	}
	var b itemBuilder
	b.addGiven(cfg)
	changed, unchanged := diffItems(b.items, remote)
	if len(changed) == 0 {
		return success(map[string]any{"envId": envID, "serverName": svc, "changed": []any{}, "unchanged": unchanged,
			"message": "The service already has this config; nothing was sent."})
	}
	var redeploy []string
	for _, it := range changed {
		if slices.Contains(redeployKeys, it.Key) {
			redeploy = append(redeploy, it.Key)
		}
	}
	out := map[string]any{"envId": envID, "serverName": svc, "changed": changeView(changed, remote),
		"unchanged": unchanged, "likelyRedeployFields": nonNil(redeploy)}
	if a.DryRun {
		out["dryRun"] = true
		out["message"] = "Nothing was changed. Call again without dryRun to apply."
		return success(out)
	}
	resp, err := p.client.SubmitServerConfigChangeDiff(ctx, &tcbr.SubmitServerConfigChangeDiffRequest{EnvId: envID, ServerName: svc, Items: changed})
	if err != nil {
		return upstreamFailure("change the config of "+svc, err, svc)
	}
	p.invalidateService(envID, svc)
	out["taskId"] = resp.TaskId
	out["requestId"] = resp.RequestId

	// Read back to verify what applied at once; a task applies the rest.
	after, err := p.client.DescribeCloudRunServerDetail(context.WithoutCancel(ctx), &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: svc})
	var pending []string
	if err == nil && after.ServerConfig != nil {
		again, _ := diffItems(changed, after.ServerConfig)
		for _, it := range again {
			pending = append(pending, it.Key)
		}
		out["verified"] = len(pending) == 0
	} else {
		out["verified"] = false
		pending = keysOf(changed)
	}
	out["pending"] = nonNil(pending)
	switch {
	case resp.TaskId > 0:
		out["message"] = fmt.Sprintf("Config change submitted as task %d; it rolls out a new version with the current image.", resp.TaskId)
		out["nextStep"] = queryNext("getManageTask", map[string]any{"detailServerName": svc}, "follow the config change task")
	case len(pending) > 0:
		out["message"] = "Config change accepted; some keys do not read back yet: " + strings.Join(pending, ", ") + "."
		out["nextStep"] = queryNext("detail", map[string]any{"detailServerName": svc, "refresh": true}, "check the config again in a few seconds")
	default:
		out["message"] = "Config changed and verified."
	}
	return success(out)
}

func keysOf(items []tcbr.DiffConfigItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Key)
	}
	return out
}

// diffItems keeps the items whose value differs from the remote config. The
// Cpu/Mem pair travels together: if either changes, both are sent.
func diffItems(items []tcbr.DiffConfigItem, remote *tcbr.ServerBaseConfig) (changed []tcbr.DiffConfigItem, unchanged []string) {
	unchanged = []string{}
	pairChanged := false
	for _, it := range items {
		if (it.Key == "CpuSpecs" || it.Key == "MemSpecs") && !equalRemote(it, remote) {
			pairChanged = true
		}
	}
	for _, it := range items {
		switch {
		case it.Key == "CpuSpecs" || it.Key == "MemSpecs":
			if pairChanged {
				changed = append(changed, it)
			} else {
				unchanged = append(unchanged, it.Key)
			}
		case equalRemote(it, remote):
			unchanged = append(unchanged, it.Key)
		default:
			changed = append(changed, it)
		}
	}
	return changed, unchanged
}

// equalRemote compares an item with the remote config's value of its key.
func equalRemote(it tcbr.DiffConfigItem, r *tcbr.ServerBaseConfig) bool {
	eqJSON := func(a, b any) bool {
		x, _ := json.Marshal(a)
		y, _ := json.Marshal(b)
		return string(x) == string(y)
	}
	switch it.Key {
	case "AccessTypes":
		return slices.Equal(it.ArrayValue, r.OpenAccessTypes)
	case "CpuSpecs":
		return it.FloatValue != nil && *it.FloatValue == r.Cpu
	case "MemSpecs":
		return it.FloatValue != nil && *it.FloatValue == r.Mem
	case "MinNum":
		return it.IntValue != nil && *it.IntValue == int64(r.MinNum)
	case "MaxNum":
		return it.IntValue != nil && *it.IntValue == int64(r.MaxNum)
	case "Port":
		return it.IntValue != nil && *it.IntValue == int64(r.Port)
	case "InitialDelaySeconds":
		return it.IntValue != nil && *it.IntValue == int64(r.InitialDelaySeconds)
	case "EnvParam":
		return it.Value != nil && eqJSON(remoteEnvParams(*it.Value), remoteEnvParams(r.EnvParams))
	case "LogPath":
		return it.Value != nil && *it.Value == r.CustomLogs
	case "Dockerfile", "BuildDir", "InternalAccess", "InternalDomain", "LogType", "LogSetId", "LogTopicId", "LogParseType", "Tag", "OperationMode":
		return it.Value != nil && *it.Value == stringField(r, it.Key)
	case "SessionAffinity":
		return it.Value != nil && r.SessionAffinity != nil && *it.Value == *r.SessionAffinity
	case "EntryPoint":
		return slices.Equal(it.ArrayValue, r.EntryPoint)
	case "Cmd":
		return slices.Equal(it.ArrayValue, r.Cmd)
	case "PolicyDetails":
		return eqJSON(it.PolicyDetails, r.PolicyDetails)
	case "TimerScale":
		return eqJSON(it.TimerScale, r.TimerScale)
	case "VpcConf":
		return r.VpcConf != nil && it.VpcConf != nil && it.VpcConf.VpcId == r.VpcConf.VpcId && it.VpcConf.SubnetId == r.VpcConf.SubnetId
	case "VolumesConf":
		return eqJSON(it.VolumesConf, r.VolumesConf)
	case "PublicNetConf":
		return eqJSON(it.PublicNetConf, r.PublicNetConf)
	}
	return false
}

func stringField(r *tcbr.ServerBaseConfig, key string) string {
	switch key {
	case "Dockerfile":
		return r.Dockerfile
	case "BuildDir":
		return r.BuildDir
	case "InternalAccess":
		return r.InternalAccess
	case "InternalDomain":
		return r.InternalDomain
	case "LogType":
		return r.LogType
	case "LogSetId":
		return r.LogSetId
	case "LogTopicId":
		return r.LogTopicId
	case "LogParseType":
		return r.LogParseType
	case "Tag":
		return r.Tag
	case "OperationMode":
		return r.OperationMode
	}
	return ""
}

// changeView describes each change for the agent; EnvParams values masked.
func changeView(items []tcbr.DiffConfigItem, remote *tcbr.ServerBaseConfig) []map[string]any {
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		entry := map[string]any{"key": it.Key}
		if it.Key == "EnvParam" && it.Value != nil {
			before, after := remoteEnvParams(remote.EnvParams), remoteEnvParams(*it.Value)
			var added, changedKeys, removed []string
			for k, v := range after {
				old, ok := before[k]
				switch {
				case !ok:
					added = append(added, k)
				case old != v:
					changedKeys = append(changedKeys, k)
				}
			}
			for k := range before {
				if _, ok := after[k]; !ok {
					removed = append(removed, k)
				}
			}
			slices.Sort(added)
			slices.Sort(changedKeys)
			slices.Sort(removed)
			entry["added"], entry["changed"], entry["removed"] = nonNil(added), nonNil(changedKeys), nonNil(removed)
		} else {
			entry["to"] = itemValue(it)
		}
		out = append(out, entry)
	}
	return out
}

func itemValue(it tcbr.DiffConfigItem) any {
	switch {
	case it.Value != nil:
		return *it.Value
	case it.IntValue != nil:
		return *it.IntValue
	case it.FloatValue != nil:
		return *it.FloatValue
	case it.BoolValue != nil:
		return *it.BoolValue
	case it.ArrayValue != nil:
		return it.ArrayValue
	case it.PolicyDetails != nil:
		return it.PolicyDetails
	case it.TimerScale != nil:
		return it.TimerScale
	case it.VpcConf != nil:
		return it.VpcConf
	case it.VolumesConf != nil:
		return it.VolumesConf
	case it.PublicNetConf != nil:
		return it.PublicNetConf
	}
	return nil
}

// --- initEnv

// envOpenWait bounds how long initEnv waits for CloudRun to become normal.
const envOpenWait = 30 * time.Second

func (p *Plugin) manageInitEnv(ctx context.Context, a *ManageArgs) *mcp.CallToolResult {
	envID, bad := p.ready(ctx, a.EnvID)
	if bad != nil {
		return bad
	}
	pkgType := a.PackageType
	if pkgType == "" {
		pkgType = "Trial"
	}
	status := func() (bool, string, error) {
		resp, err := p.client.DescribeEnvBaseInfo(ctx, &tcbr.DescribeEnvBaseInfoRequest{EnvId: envID})
		if err != nil {
			return false, "", err
		}
		if !resp.IsExist || resp.EnvBaseInfo == nil {
			return false, "unopened", nil
		}
		return true, strings.ToLower(resp.EnvBaseInfo.Status), nil
	}
	opened, st, err := status()
	if err != nil {
		return upstreamFailure("read the env status of "+envID, err, "")
	}
	if opened && (st == "normal" || st == "creating") {
		out := map[string]any{"envId": envID, "opened": true, "status": st, "created": false,
			"message": "CloudRun is already opened on this env; nothing was changed."}
		if st == "creating" {
			out["message"] = "CloudRun is already being opened on this env; nothing was changed."
			out["nextStep"] = queryNext("envStatus", map[string]any{"envId": envID}, "check until the status is normal")
		}
		return success(out)
	}
	req := &tcbr.CreateCloudRunEnvRequest{EnvId: envID, PackageType: pkgType, EnvType: "baas", VpcId: a.VpcID, SubNetIds: a.SubnetIDs}
	if a.DryRun {
		return success(map[string]any{"dryRun": true, "envId": envID, "status": st, "wouldSend": req})
	}
	resp, err := p.client.CreateCloudRunEnv(ctx, req)
	if err != nil {
		return upstreamFailure("open CloudRun on env "+envID, err, "")
	}
	p.invalidateLists(envID)
	out := map[string]any{"envId": envID, "created": true, "packageType": pkgType, "tranId": resp.TranId, "requestId": resp.RequestId}
	// Opening takes seconds: wait for it, within bounds, so the next deploy works.
	deadline := time.Now().Add(envOpenWait)
	for interval := 500 * time.Millisecond; ; interval = min(interval*3/2, 3*time.Second) {
		_, st, err = status()
		if err == nil && st == "normal" {
			out["opened"], out["status"] = true, st
			out["message"] = "CloudRun is opened on " + envID + "; services can be deployed."
			return success(out)
		}
		if time.Now().Add(interval).After(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
	out["opened"], out["status"] = false, orDash(st)
	out["message"] = "CloudRun is being opened on " + envID + "; it is not normal yet."
	out["nextStep"] = queryNext("envStatus", map[string]any{"envId": envID}, "check until the status is normal")
	return success(out)
}
