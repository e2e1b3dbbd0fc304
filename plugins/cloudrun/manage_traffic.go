package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

type trafficResult struct {
	EnvID         string                   `json:"envId"`
	ServerName    string                   `json:"serverName"`
	TrafficOp     string                   `json:"trafficOp"`
	TaskID        int64                    `json:"taskId,omitempty"`
	StableVersion string                   `json:"stableVersion,omitempty"`
	CanaryVersion string                   `json:"canaryVersion,omitempty"`
	StablePercent *int                     `json:"stablePercent,omitempty"`
	CanaryPercent *int                     `json:"canaryPercent,omitempty"`
	RequestID     string                   `json:"requestId,omitempty"`
	DryRun        bool                     `json:"dryRun,omitempty"`
	WouldOperate  *wouldOp                 `json:"wouldOperate,omitempty"`
	WouldSend     *tcbr.ReleaseGrayRequest `json:"wouldSend,omitempty"`
	Message       string                   `json:"message,omitempty"`
	NextStep      *NextStep                `json:"nextStep,omitempty"`
}

// wouldOp is the rollback a dry run would make.
type wouldOp struct {
	TaskID         int64  `json:"taskId"`
	OperateType    string `json:"operateType"`
	VersionName    string `json:"versionName"`
	PreVersionName string `json:"preVersionName"`
}

// traffic steers a GRAY release: set a split, promote the canary, or
// roll back. The task and release order are read first so an impossible
// operation is refused with the state the service is in.
func (ad *admin) traffic(ctx context.Context, c *call) (any, error) {
	a := c.args
	if err := checkTrafficArgs(a); err != nil {
		return nil, err
	}
	envID, err := ad.envs.ready(ctx, "")
	if err != nil {
		return nil, err
	}
	svc := a.ServerName
	task, err := ad.client.DescribeServerManageTask(ctx, &tcbr.DescribeServerManageTaskRequest{EnvId: envID, ServerName: svc, TaskId: latestTask})
	if err != nil {
		return nil, upstreamFailure("read the latest task of "+svc, err, svc)
	}
	if a.TrafficOp == "rollback" {
		return ad.rollback(ctx, envID, a, task)
	}
	return ad.shiftTraffic(ctx, envID, a, task)
}

func checkTrafficArgs(a *ManageArgs) error {
	switch a.TrafficOp {
	case "":
		return invalid("traffic needs trafficOp: set, promote or rollback", "set needs stablePercent + canaryPercent = 100.")
	case "set":
		if a.StablePercent == nil || a.CanaryPercent == nil {
			return invalid("traffic set needs both stablePercent and canaryPercent", "For example stablePercent 90 and canaryPercent 10.")
		}
		if sum := *a.StablePercent + *a.CanaryPercent; sum != 100 {
			return invalid(fmt.Sprintf("stablePercent %d + canaryPercent %d = %d, not 100", *a.StablePercent, *a.CanaryPercent, sum),
				"The two shares must add up to 100.")
		}
	}
	return nil
}

func grayOpen(task *tcbr.DescribeServerManageTaskResponse) bool {
	return task.IsExist && task.Task != nil && strings.EqualFold(task.Task.ReleaseType, "GRAY") && strings.EqualFold(task.Task.Status, "running")
}

func (ad *admin) rollback(ctx context.Context, envID string, a *ManageArgs, task *tcbr.DescribeServerManageTaskResponse) (any, error) {
	svc := a.ServerName
	if !task.IsExist || task.Task == nil || task.Task.Id == 0 {
		return nil, &failure{What: "Nothing to roll back on " + svc, Why: "the service has no manage task",
			NextStep: queryStep("getDeployRecords", "see the versions", Args{DetailServerName: svc})}
	}
	t := task.Task
	out := &trafficResult{EnvID: envID, ServerName: svc, TrafficOp: "rollback"}
	if a.DryRun {
		out.DryRun = true
		out.WouldOperate = &wouldOp{TaskID: t.Id, OperateType: "go_back", VersionName: t.VersionName, PreVersionName: t.PreVersionName}
		return out, nil
	}
	resp, err := ad.client.OperateServerManage(ctx, &tcbr.OperateServerManageRequest{EnvId: envID, ServerName: svc, TaskId: t.Id, OperateType: "go_back"})
	if err != nil {
		return nil, upstreamFailure("roll back "+svc, err, svc)
	}
	ad.cache.invalidateService(ctx, envID, svc)
	out.Message = fmt.Sprintf("Rolled back task %d: traffic returns to %s.", t.Id, orDash(t.PreVersionName))
	if grayOpen(task) {
		out.Message = fmt.Sprintf("The gray release was closed: %s keeps 100 %% and candidate %s is abandoned (kept at 0 %%).", t.PreVersionName, t.VersionName)
	}
	mcpx.Notify(ctx, PluginName, svc+": "+out.Message)
	out.TaskID, out.RequestID = t.Id, resp.RequestId
	out.NextStep = queryStep("detail", "check the online versions", Args{DetailServerName: svc, Refresh: true})
	return out, nil
}

// shiftTraffic sets the split of an open gray release, or promotes its canary.
func (ad *admin) shiftTraffic(ctx context.Context, envID string, a *ManageArgs, task *tcbr.DescribeServerManageTaskResponse) (any, error) {
	svc := a.ServerName
	if !grayOpen(task) {
		state := "the service has no manage task"
		if task.IsExist && task.Task != nil {
			state = fmt.Sprintf("its latest task %d is a %s release with status %s", task.Task.Id, orDash(task.Task.ReleaseType), orDash(task.Task.Status))
		}
		return nil, &failure{
			What: "No gray release is open on " + svc,
			Why:  state + "; traffic " + a.TrafficOp + " needs a GRAY release whose new version has finished building",
			Hint: "Deploy the new version with releaseType GRAY first (manageCloudRun deploy, with its targetPath or imageUrl); when its version is normal, set the split.",
		}
	}
	stable, canary, err := ad.grayVersions(ctx, envID, svc, task.Task)
	if err != nil {
		return nil, err
	}
	req := grayRequest(envID, svc, a, stable, canary)
	out := &trafficResult{EnvID: envID, ServerName: svc, TrafficOp: a.TrafficOp, StableVersion: stable, CanaryVersion: canary}
	if a.DryRun {
		out.DryRun, out.WouldSend = true, req
		return out, nil
	}
	resp, err := ad.client.ReleaseGray(ctx, req)
	if err != nil {
		return nil, upstreamFailure(a.TrafficOp+" traffic on "+svc, err, svc)
	}
	ad.cache.invalidateService(ctx, envID, svc)
	out.RequestID = resp.RequestId
	if a.TrafficOp == "set" {
		out.StablePercent, out.CanaryPercent = a.StablePercent, a.CanaryPercent
		out.Message = fmt.Sprintf("%s gets %d %%, %s gets %d %%. Promote when the canary is healthy, or roll back.", stable, *a.StablePercent, canary, *a.CanaryPercent)
		out.NextStep = queryStep("getProcessLog", "watch the canary", Args{DetailServerName: svc})
	} else {
		out.Message = fmt.Sprintf("%s now takes 100 %% and the gray release is closed.", canary)
		out.NextStep = queryStep("detail", "check the online versions", Args{DetailServerName: svc, Refresh: true})
	}
	mcpx.Notify(ctx, PluginName, svc+": "+out.Message)
	return out, nil
}

// grayVersions reads the open release order: the stable and canary versions.
func (ad *admin) grayVersions(ctx context.Context, envID, svc string, t *tcbr.ServerManageTaskInfo) (string, string, error) {
	order, err := ad.client.DescribeReleaseOrder(ctx, &tcbr.DescribeReleaseOrderRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return "", "", upstreamFailure("read the release order of "+svc, err, svc)
	}
	info := order.ReleaseOrderInfo
	if !order.IsExist || info == nil || info.ReleaseVersion == nil || info.CurrentVersion == nil || info.ReleaseVersion.VersionName == "" {
		return "", "", &failure{
			What:     "The gray release of " + svc + " is not ready for traffic",
			Why:      fmt.Sprintf("task %d is running but no release order is open yet: the new version %s is still building or starting", t.Id, t.VersionName),
			NextStep: queryStep("getManageTask", "wait until the new version is normal", Args{DetailServerName: svc}),
		}
	}
	return info.CurrentVersion.VersionName, info.ReleaseVersion.VersionName, nil
}

func grayRequest(envID, svc string, a *ManageArgs, stable, canary string) *tcbr.ReleaseGrayRequest {
	req := &tcbr.ReleaseGrayRequest{EnvId: envID, ServerName: svc, GrayType: "gray", TrafficType: "FLOW"}
	if a.TrafficOp == "set" {
		req.GrayFlowRatio = tcbr.Ptr(int64(*a.CanaryPercent))
		req.VersionFlowItems = []tcbr.VersionFlowInfo{
			{VersionName: stable, FlowRatio: int64(*a.StablePercent), IsDefaultPriority: true, Priority: 1},
			{VersionName: canary, FlowRatio: int64(*a.CanaryPercent), IsDefaultPriority: false, Priority: 2},
		}
		return req
	}
	req.GrayFlowRatio = tcbr.Ptr(int64(100))
	req.VersionFlowItems = []tcbr.VersionFlowInfo{{VersionName: canary, FlowRatio: 100, Priority: 0, IsDefaultPriority: true}}
	req.CloseGrayRelease = true
	return req
}
