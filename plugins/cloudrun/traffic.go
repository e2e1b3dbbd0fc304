package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// manageTraffic steers a GRAY release: set a split, promote the canary, or
// roll back. The task and release order are read first so an impossible
// operation is refused with the state the service is in.
func (p *Plugin) manageTraffic(ctx context.Context, a *ManageArgs) *mcp.CallToolResult {
	svc := a.ServerName
	switch a.TrafficOp {
	case "":
		return invalid("traffic needs trafficOp: set, promote or rollback", "set needs stablePercent + canaryPercent = 100.")
	case "set":
		if a.StablePercent == nil || a.CanaryPercent == nil {
			return invalid("traffic set needs both stablePercent and canaryPercent", "For example stablePercent 90 and canaryPercent 10.")
		}
		if *a.StablePercent+*a.CanaryPercent != 100 {
			return invalid(fmt.Sprintf("stablePercent %d + canaryPercent %d = %d, not 100", *a.StablePercent, *a.CanaryPercent, *a.StablePercent+*a.CanaryPercent),
				"The two shares must add up to 100.")
		}
	}
	envID, bad := p.ready(ctx, "")
	if bad != nil {
		return bad
	}
	task, err := p.client.DescribeServerManageTask(ctx, &tcbr.DescribeServerManageTaskRequest{EnvId: envID, ServerName: svc, TaskId: 0})
	if err != nil {
		return upstreamFailure("read the latest task of "+svc, err, svc)
	}
	grayOpen := task.IsExist && task.Task != nil && strings.EqualFold(task.Task.ReleaseType, "GRAY") && strings.EqualFold(task.Task.Status, "running")

	if a.TrafficOp == "rollback" {
		if !task.IsExist || task.Task == nil || task.Task.Id == 0 {
			return failure{What: "Nothing to roll back on " + svc, Why: "the service has no manage task",
				NextStep: queryNext("getDeployRecords", map[string]any{"detailServerName": svc}, "see the versions")}.result()
		}
		if a.DryRun {
			return success(map[string]any{"dryRun": true, "envId": envID, "serverName": svc, "trafficOp": "rollback",
				"wouldOperate": map[string]any{"taskId": task.Task.Id, "operateType": "go_back", "versionName": task.Task.VersionName, "preVersionName": task.Task.PreVersionName}})
		}
		resp, err := p.client.OperateServerManage(ctx, &tcbr.OperateServerManageRequest{EnvId: envID, ServerName: svc, TaskId: task.Task.Id, OperateType: "go_back"})
		if err != nil {
			return upstreamFailure("roll back "+svc, err, svc)
		}
		p.invalidateService(envID, svc)
		msg := fmt.Sprintf("Rolled back task %d: traffic returns to %s.", task.Task.Id, orDash(task.Task.PreVersionName))
		if grayOpen {
			msg = fmt.Sprintf("The gray release was closed: %s keeps 100 %% and candidate %s is abandoned (kept at 0 %%).", task.Task.PreVersionName, task.Task.VersionName)
		}
		p.notify(ctx, "%s: %s", svc, msg)
		return success(map[string]any{"envId": envID, "serverName": svc, "trafficOp": "rollback", "taskId": task.Task.Id,
			"requestId": resp.RequestId, "message": msg,
			"nextStep": queryNext("detail", map[string]any{"detailServerName": svc, "refresh": true}, "check the online versions")})
	}

	if !grayOpen {
		state := "the service has no manage task"
		if task.IsExist && task.Task != nil {
			state = fmt.Sprintf("its latest task %d is a %s release with status %s", task.Task.Id, orDash(task.Task.ReleaseType), orDash(task.Task.Status))
		}
		return failure{
			What:     "No gray release is open on " + svc,
			Why:      state + "; traffic " + a.TrafficOp + " needs a GRAY release whose new version has finished building",
			Hint:     "Deploy with releaseType GRAY first; when its version is normal, set the split.",
			NextStep: manageNext("deploy", map[string]any{"serverName": svc, "releaseType": "GRAY"}, "start a gray release"),
		}.result()
	}
	order, err := p.client.DescribeReleaseOrder(ctx, &tcbr.DescribeReleaseOrderRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return upstreamFailure("read the release order of "+svc, err, svc)
	}
	info := order.ReleaseOrderInfo
	if !order.IsExist || info == nil || info.ReleaseVersion == nil || info.CurrentVersion == nil || info.ReleaseVersion.VersionName == "" {
		return failure{
			What:     "The gray release of " + svc + " is not ready for traffic",
			Why:      fmt.Sprintf("task %d is running but no release order is open yet: the new version %s is still building or starting", task.Task.Id, task.Task.VersionName),
			NextStep: queryNext("getManageTask", map[string]any{"detailServerName": svc}, "wait until the new version is normal"),
		}.result()
	}
	stable, canary := info.CurrentVersion.VersionName, info.ReleaseVersion.VersionName
	req := &tcbr.ReleaseGrayRequest{EnvId: envID, ServerName: svc, GrayType: "gray", TrafficType: "FLOW"}
	if a.TrafficOp == "set" {
		req.GrayFlowRatio = tcbr.Ptr(int64(*a.CanaryPercent))
		req.VersionFlowItems = []tcbr.VersionFlowInfo{
			{VersionName: stable, FlowRatio: int64(*a.StablePercent), IsDefaultPriority: true, Priority: 1},
			{VersionName: canary, FlowRatio: int64(*a.CanaryPercent), IsDefaultPriority: false, Priority: 2},
		}
	} else { // promote
		req.GrayFlowRatio = tcbr.Ptr(int64(100))
		req.VersionFlowItems = []tcbr.VersionFlowInfo{{VersionName: canary, FlowRatio: 100, Priority: 0, IsDefaultPriority: true}}
		req.CloseGrayRelease = true
	}
	if a.DryRun {
		return success(map[string]any{"dryRun": true, "envId": envID, "serverName": svc, "trafficOp": a.TrafficOp,
			"stableVersion": stable, "canaryVersion": canary, "wouldSend": req})
	}
	resp, err := p.client.ReleaseGray(ctx, req)
	if err != nil {
		return upstreamFailure(a.TrafficOp+" traffic on "+svc, err, svc)
	}
	p.invalidateService(envID, svc)
	out := map[string]any{"envId": envID, "serverName": svc, "trafficOp": a.TrafficOp, "stableVersion": stable,
		"canaryVersion": canary, "requestId": resp.RequestId}
	if a.TrafficOp == "set" {
		out["stablePercent"], out["canaryPercent"] = *a.StablePercent, *a.CanaryPercent
		out["message"] = fmt.Sprintf("%s gets %d %%, %s gets %d %%. Promote when the canary is healthy, or roll back.", stable, *a.StablePercent, canary, *a.CanaryPercent)
		out["nextStep"] = queryNext("getProcessLog", map[string]any{"detailServerName": svc}, "watch the canary")
	} else {
		out["message"] = fmt.Sprintf("%s now takes 100 %% and the gray release is closed.", canary)
		out["nextStep"] = queryNext("detail", map[string]any{"detailServerName": svc, "refresh": true}, "check the online versions")
	}
	p.notify(ctx, "%s: %s", svc, out["message"])
	return success(out)
}
