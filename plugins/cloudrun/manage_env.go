package cloudrun

import (
	"context"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// envOpenWait bounds how long initEnv waits for CloudRun to become normal.
const envOpenWait = 30 * time.Second

type initEnvResult struct {
	EnvID       string    `json:"envId"`
	Opened      bool      `json:"opened"`
	Status      string    `json:"status"`
	Created     bool      `json:"created"`
	PackageType string    `json:"packageType,omitempty"`
	TranID      string    `json:"tranId,omitempty"`
	RequestID   string    `json:"requestId,omitempty"`
	Message     string    `json:"message"`
	NextStep    *NextStep `json:"nextStep,omitempty"`
}

type initEnvDryRun struct {
	DryRun    bool                           `json:"dryRun"`
	EnvID     string                         `json:"envId"`
	Status    string                         `json:"status"`
	WouldSend *tcbr.CreateCloudRunEnvRequest `json:"wouldSend"`
}

func (ad *admin) initEnv(ctx context.Context, c *call) (any, error) {
	a := c.args
	envID, err := ad.envs.ready(ctx, a.EnvID)
	if err != nil {
		return nil, err
	}
	opened, st, err := envOpened(ctx, ad.client, envID)
	if err != nil {
		return nil, upstreamFailure("read the env status of "+envID, err, "")
	}
	if opened && (st == "normal" || st == "creating") {
		out := &initEnvResult{EnvID: envID, Opened: true, Status: st, Message: "CloudRun is already opened on this env; nothing was changed."}
		if st == "creating" {
			out.Message = "CloudRun is already being opened on this env; nothing was changed."
			out.NextStep = queryStep("envStatus", "check until the status is normal", Args{EnvID: envID})
		}
		return out, nil
	}
	pkgType := a.PackageType
	if pkgType == "" {
		pkgType = "Trial"
	}
	req := &tcbr.CreateCloudRunEnvRequest{EnvId: envID, PackageType: pkgType, EnvType: "baas", VpcId: a.VpcID, SubNetIds: a.SubnetIDs}
	if a.DryRun {
		return &initEnvDryRun{DryRun: true, EnvID: envID, Status: st, WouldSend: req}, nil
	}
	resp, err := ad.client.CreateCloudRunEnv(ctx, req)
	if err != nil {
		return nil, upstreamFailure("open CloudRun on env "+envID, err, "")
	}
	ad.cache.invalidateLists(ctx, envID)
	out := &initEnvResult{EnvID: envID, Created: true, PackageType: pkgType, TranID: resp.TranId, RequestID: resp.RequestId}
	// Opening takes seconds: wait for it, within bounds, so the next deploy works.
	err = clock.Poll(ctx, ad.clock, clock.Backoff{First: 500 * time.Millisecond, Max: 3 * time.Second, Factor: 1.5, Budget: envOpenWait},
		func(ctx context.Context, _ int) (bool, error) {
			_, now, err := envOpened(ctx, ad.client, envID)
			if err == nil {
				st = now
			}
			return err == nil && now == "normal", nil
		})
	if err == nil {
		out.Opened, out.Status = true, st
		out.Message = "CloudRun is opened on " + envID + "; services can be deployed."
		return out, nil
	}
	out.Status = orDash(st)
	out.Message = "CloudRun is being opened on " + envID + "; it is not normal yet."
	out.NextStep = queryStep("envStatus", "check until the status is normal", Args{EnvID: envID})
	return out, nil
}

// envOpened reads whether CloudRun is opened on the env, and its status.
func envOpened(ctx context.Context, client tcbr.Client, envID string) (bool, string, error) {
	resp, err := client.DescribeEnvBaseInfo(ctx, &tcbr.DescribeEnvBaseInfoRequest{EnvId: envID})
	if err != nil {
		return false, "", err
	}
	if !resp.IsExist || resp.EnvBaseInfo == nil {
		return false, "unopened", nil
	}
	return true, strings.ToLower(resp.EnvBaseInfo.Status), nil
}
