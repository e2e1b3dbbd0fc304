package cloudrun

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
)

type updateConfigResult struct {
	EnvID                string   `json:"envId"`
	ServerName           string   `json:"serverName"`
	Changed              []any    `json:"changed"`
	Unchanged            []string `json:"unchanged"`
	LikelyRedeployFields []string `json:"likelyRedeployFields"`
	NormalizedKeys       []string `json:"normalizedKeys,omitempty"` // serverConfig keys given in another case
	DryRun               bool     `json:"dryRun,omitempty"`
	*ConfigApplied
	Message  string    `json:"message"`
	NextStep *NextStep `json:"nextStep,omitempty"`
}

// ConfigApplied is what a sent change reports.
type ConfigApplied struct {
	TaskID    int64    `json:"taskId"`
	RequestID string   `json:"requestId"`
	Verified  bool     `json:"verified"`
	Pending   []string `json:"pending"` // keys that do not read back yet
}

// updateConfig changes a service's config without new code: merge
// the given keys into the remote config, send only what changes, read back.
func (ad *admin) updateConfig(ctx context.Context, c *call) (any, error) {
	a := c.args
	svc := a.ServerName
	if len(a.ServerConfig) == 0 {
		return nil, invalid("updateConfig needs serverConfig with at least one key", `For example {"MinNum": 1} or {"EnvParams": {"LOG_LEVEL": "debug"}}.`)
	}
	cfg, err := serverconfig.Parse(a.ServerConfig)
	if err != nil {
		return nil, invalid(err.Error(), "Fix serverConfig and call again.")
	}
	envID, err := ad.envs.ready(ctx, "")
	if err != nil {
		return nil, err
	}
	detail, err := ad.client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return nil, upstreamFailure("read the config of "+svc, err, svc)
	}
	remote := detail.ServerConfig
	if remote == nil {
		remote = &tcbr.ServerBaseConfig{}
	}
	rememberSecrets(ctx, serverconfig.RemoteEnv(remote.EnvParams))
	if port, ok := cfg.Int("Port"); ok && port != 3000 && detail.BaseInfo != nil && detail.BaseInfo.ServerType == "function" {
		return nil, invalid(fmt.Sprintf("function services listen on port 3000, not %d", port), "Drop serverConfig.Port.")
	}
	if env, ok := cfg.Env(); ok && !a.EnvParamsReplaceAll {
		merged := serverconfig.RemoteEnv(remote.EnvParams)
		maps.Copy(merged, env)
		cfg = cfg.WithEnv(merged)
	}
	changes, unchanged := serverconfig.Diff(cfg, remote)
	out := &updateConfigResult{EnvID: envID, ServerName: svc, Changed: serverconfig.ChangesView(changes, remote),
		Unchanged: unchanged, LikelyRedeployFields: serverconfig.RedeployKeys(changes), NormalizedKeys: cfg.Normalized}
	switch {
	case len(changes) == 0:
		out.Message = "The service already has this config; nothing was sent."
		return out, nil
	case a.DryRun:
		out.DryRun, out.Message = true, "Nothing was changed. Call again without dryRun to apply."
		return out, nil
	}
	resp, err := ad.client.SubmitServerConfigChangeDiff(ctx, &tcbr.SubmitServerConfigChangeDiffRequest{EnvId: envID, ServerName: svc, Items: serverconfig.Items(changes)})
	if err != nil {
		return nil, upstreamFailure("change the config of "+svc, err, svc)
	}
	ad.cache.invalidateService(ctx, envID, svc)
	out.ConfigApplied = &ConfigApplied{TaskID: resp.TaskId, RequestID: resp.RequestId}
	ad.verifyConfig(ctx, envID, svc, changes, out)
	return out, nil
}

// verifyConfig reads the config back: what applied at once, and what a task
// still applies.
func (ad *admin) verifyConfig(ctx context.Context, envID, svc string, changes []serverconfig.Change, out *updateConfigResult) {
	after, err := ad.client.DescribeCloudRunServerDetail(context.WithoutCancel(ctx), &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: svc})
	applied := out.ConfigApplied
	if err == nil && after.ServerConfig != nil {
		applied.Pending = serverconfig.Pending(changes, after.ServerConfig)
		applied.Verified = len(applied.Pending) == 0
	} else {
		applied.Pending = []string{}
		for _, ch := range changes {
			applied.Pending = append(applied.Pending, ch.Item.Key)
		}
	}
	switch {
	case applied.TaskID > 0:
		out.Message = fmt.Sprintf("Config change submitted as task %d; it rolls out a new version with the current image.", applied.TaskID)
		out.NextStep = queryStep("getManageTask", "follow the config change task", Args{DetailServerName: svc})
	case len(applied.Pending) > 0:
		out.Message = "Config change accepted; some keys do not read back yet: " + strings.Join(applied.Pending, ", ") + "."
		out.NextStep = queryStep("detail", "check the config again in a few seconds", Args{DetailServerName: svc, Refresh: true})
	default:
		out.Message = "Config changed and verified."
	}
}
