package emulator

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

func grayDeploy(t *testing.T, base, svc string) int64 {
	t.Helper()
	di := upload(t, base, svc, containerZip(t))
	di["ReleaseType"] = "GRAY"
	return sdk[tcbr.UpdateCloudRunServerResponse](t, base, "UpdateCloudRunServer", m{
		"EnvId": demoEnv, "ServerName": svc, "DeployInfo": di, "Items": []m{arrItem("AccessTypes", "OA", "PUBLIC", "MINIAPP")},
	}).TaskId
}

func setTraffic(stable, canary string, s, c int) m {
	return m{"EnvId": demoEnv, "ServerName": "hello-api", "GrayType": "gray", "TrafficType": "FLOW", "GrayFlowRatio": c,
		"VersionFlowItems": []m{{"VersionName": stable, "FlowRatio": s, "IsDefaultPriority": true, "Priority": 1},
			{"VersionName": canary, "FlowRatio": c, "IsDefaultPriority": false, "Priority": 2}}}
}

func promote(canary string) m {
	return m{"EnvId": demoEnv, "ServerName": "hello-api", "GrayType": "gray", "TrafficType": "FLOW", "GrayFlowRatio": 100,
		"VersionFlowItems": []m{{"VersionName": canary, "FlowRatio": 100, "Priority": 0, "IsDefaultPriority": true}},
		"CloseGrayRelease": true}
}

func TestGrayReleaseLifecycle(t *testing.T) {
	e, base := start(t, Options{})
	taskID := grayDeploy(t, base, "hello-api")
	require.Greater(t, taskID, int64(0))

	code, _ := sdkFail(t, base, "ReleaseGray", setTraffic("hello-api-002", "hello-api-003", 90, 10))
	assert.Equal(t, "ResourceUnavailable", code, "no order before the candidate is ready")
	assert.Equal(t, "已有部署发布任务运行中", apiErr(t, api(t, base, "UpdateCloudRunServer", m{"EnvId": demoEnv,
		"ServerName": "hello-api", "DeployInfo": m{"DeployType": "image", "ImageUrl": "nginx:1"}}), "ResourceInUse"))

	advance(e, 120) // candidate normal: the order opens at 0 %
	order := orderOf(t, base, "hello-api")
	require.True(t, order.IsExist)
	info := order.ReleaseOrderInfo
	assert.Equal(t, "open", info.ReleaseStatus)
	assert.True(t, info.IsReleasing)
	assert.EqualValues(t, 0, info.FlowRatio)
	assert.Equal(t, "hello-api-002", info.CurrentVersion.VersionName)
	assert.Equal(t, "hello-api-003", info.ReleaseVersion.VersionName)
	assert.Equal(t, "normal", info.ReleaseVersion.Status)
	task := latestTask(t, base, "hello-api").Task
	assert.Equal(t, taskID, task.Id)
	assert.Equal(t, "GRAY", task.ReleaseType)
	assert.Equal(t, "running", task.Status)
	assert.Equal(t, info.Id, task.ReleaseId)
	assert.Equal(t, "hello-api-002", task.PreVersionName)
	assert.Equal(t, map[string]string{"hello-api-002": "100"}, traffic(t, base, "hello-api"))

	for name, params := range map[string]m{
		"sum is not 100":    setTraffic("hello-api-002", "hello-api-003", 90, 9),
		"unknown version":   setTraffic("hello-api-001", "hello-api-003", 90, 10),
		"ratio over 100":    setTraffic("hello-api-002", "hello-api-003", -10, 110),
		"duplicate version": setTraffic("hello-api-003", "hello-api-003", 50, 50),
		"gray type":         {"EnvId": demoEnv, "ServerName": "hello-api", "GrayType": "full", "TrafficType": "FLOW", "GrayFlowRatio": 1},
		"traffic type":      {"EnvId": demoEnv, "ServerName": "hello-api", "GrayType": "gray", "TrafficType": "PERCENT", "GrayFlowRatio": 1},
		"close not at 100":  {"EnvId": demoEnv, "ServerName": "hello-api", "GrayType": "gray", "TrafficType": "FLOW", "GrayFlowRatio": 50, "CloseGrayRelease": true},
	} {
		code, msg := sdkFail(t, base, "ReleaseGray", params)
		assert.Equal(t, "InvalidParameter", code, "%s: %s", name, msg)
	}
	code, _ = sdkFail(t, base, "ReleaseGray", m{"EnvId": demoEnv, "ServerName": "hello-api", "TrafficType": "FLOW"})
	assert.Equal(t, "MissingParameter", code)

	sdk[tcbr.ReleaseGrayResponse](t, base, "ReleaseGray", setTraffic("hello-api-002", "hello-api-003", 90, 10))
	info = orderOf(t, base, "hello-api").ReleaseOrderInfo
	assert.Equal(t, "gray", info.ReleaseStatus)
	assert.Equal(t, "processing", info.GrayStatus)
	assert.EqualValues(t, 10, info.FlowRatio)
	d := detail(t, base, "hello-api")
	require.Len(t, d.OnlineVersionInfos, 2)
	assert.Equal(t, "hello-api-002", d.OnlineVersionInfos[0].VersionName, "highest ratio first")
	assert.Equal(t, map[string]string{"hello-api-002": "90", "hello-api-003": "10"}, traffic(t, base, "hello-api"))
	assert.EqualValues(t, 10, recordOf(t, base, "hello-api", "hello-api-003").FlowRatio)
	assert.True(t, recordOf(t, base, "hello-api", "hello-api-003").IsReleasing)
	advance(e, 2)
	assert.Equal(t, "success", orderOf(t, base, "hello-api").ReleaseOrderInfo.GrayStatus)
	apiErr(t, api(t, base, "SubmitServerConfigChangeDiff", m{"EnvId": demoEnv, "ServerName": "hello-api",
		"Items": []m{intItem("MaxNum", 9)}}), "ResourceInUse")

	// Promote: candidate 100 %, order closed, task finished.
	sdk[tcbr.ReleaseGrayResponse](t, base, "ReleaseGray", promote("hello-api-003"))
	assert.Equal(t, map[string]string{"hello-api-003": "100"}, traffic(t, base, "hello-api"))
	order = orderOf(t, base, "hello-api")
	assert.False(t, order.IsExist)
	assert.Equal(t, fmtTime(e.Now()), order.LastReleasedSuccessTime)
	task = latestTask(t, base, "hello-api").Task
	assert.Equal(t, "finished", task.Status)
	assert.Equal(t, "finished", task.Steps[1].Status)
	assert.EqualValues(t, 0, recordOf(t, base, "hello-api", "hello-api-002").FlowRatio)
	code, _ = sdkFail(t, base, "ReleaseGray", promote("hello-api-003"))
	assert.Equal(t, "ResourceUnavailable", code, "no open order any more")

	// Another gray release, abandoned with go_back.
	taskID = grayDeploy(t, base, "hello-api")
	advance(e, 120)
	sdk[tcbr.ReleaseGrayResponse](t, base, "ReleaseGray", setTraffic("hello-api-003", "hello-api-004", 50, 50))
	sdk[tcbr.OperateServerManageResponse](t, base, "OperateServerManage",
		m{"EnvId": demoEnv, "ServerName": "hello-api", "TaskId": taskID, "OperateType": "go_back"})
	assert.Equal(t, map[string]string{"hello-api-003": "100"}, traffic(t, base, "hello-api"))
	assert.False(t, orderOf(t, base, "hello-api").IsExist)
	cand := recordOf(t, base, "hello-api", "hello-api-004")
	assert.Equal(t, "normal", cand.Status, "the candidate is kept")
	assert.EqualValues(t, 0, cand.FlowRatio)
	assert.False(t, cand.IsReleasing)
	assert.Equal(t, "finished", latestTask(t, base, "hello-api").Task.Status)
	code, _ = sdkFail(t, base, "OperateServerManage",
		m{"EnvId": demoEnv, "ServerName": "hello-api", "TaskId": taskID, "OperateType": "go_back"})
	assert.Equal(t, "InvalidParameter", code, "the stable version already serves everything")
}

func TestOperateServerManage(t *testing.T) {
	e, base := start(t, Options{})
	op := func(svc string, taskID int64, typ string) envelope {
		return api(t, base, "OperateServerManage", m{"EnvId": demoEnv, "ServerName": svc, "TaskId": taskID, "OperateType": typ})
	}
	// orders-svc is building at the clock origin.
	running := latestTask(t, base, "orders-svc").Task
	require.Equal(t, "running", running.Status)
	apiErr(t, op("orders-svc", 42, "cancel"), "InvalidParameter")
	apiErr(t, op("orders-svc", running.Id, "stop"), "InvalidParameter")
	apiErr(t, op("orders-svc", running.Id, "done"), "InvalidParameter")
	assert.Contains(t, apiErr(t, op("orders-svc", running.Id, "go_back"), "InvalidParameter"), "cancel it instead")
	apiErr(t, api(t, base, "OperateServerManage", m{"EnvId": demoEnv, "ServerName": "orders-svc", "TaskId": 0}), "MissingParameter")
	apiErr(t, op("ghost-svc", 1, "cancel"), "ResourceNotFound.ServerNotFound")

	advance(e, 20)
	ok[tcbr.OperateServerManageResponse](t, op("orders-svc", running.Id, "cancel"))
	task := latestTask(t, base, "orders-svc").Task
	assert.Equal(t, "failed", task.Status)
	assert.Equal(t, "cancelled", task.FailReason)
	rec := recordOf(t, base, "orders-svc", "orders-svc-002")
	assert.Equal(t, "deploy_failed", rec.Status)
	assert.Nil(t, rec.ImageUrl)
	blog := fullBuildLog(t, base, "orders-svc", rec.BuildId)
	assert.False(t, blog.More)
	assert.True(t, strings.HasSuffix(blog.Text, "[build] build cancelled"))
	assert.NotContains(t, blog.Text, "Successfully tagged")
	apiErr(t, op("orders-svc", running.Id, "cancel"), "InvalidParameter")
	assert.Equal(t, []string{}, processLines(t, base, rec.RunId), "cancelled during the build: never ran")

	// Cancelled while creating: the process log stops there.
	img := ok[tcbr.CreateCloudRunServerResponse](t, api(t, base, "CreateCloudRunServer", m{"EnvId": demoEnv,
		"ServerName": "img-cancel", "DeployInfo": m{"DeployType": "image", "ImageUrl": "nginx:1"}}))
	advance(e, 5)
	ok[tcbr.OperateServerManageResponse](t, op("img-cancel", img.TaskId, "cancel"))
	advance(e, 200)
	imgRec := records(t, base, "img-cancel")[0]
	assert.Equal(t, "deploy_failed", imgRec.Status)
	plog := processLines(t, base, imgRec.RunId)
	assert.Equal(t, "deploy cancelled: stopping version img-cancel-001", plog[len(plog)-1])
	assert.NotContains(t, plog, "server listening on 0.0.0.0:80")
	assert.Equal(t, "create_failed", detail(t, base, "img-cancel").BaseInfo.Status)
	assert.Equal(t, map[string]string{}, traffic(t, base, "img-cancel"))
	assert.Equal(t, "deploy_failed", recordOf(t, base, "orders-svc", "orders-svc-002").Status)
	assert.Equal(t, map[string]string{"orders-svc-001": "100"}, traffic(t, base, "orders-svc"), "traffic unchanged")
	assert.Equal(t, "normal", detail(t, base, "orders-svc").BaseInfo.Status)
	apiErr(t, op("orders-svc", running.Id, "go_back"), "InvalidParameter")

	// go_back on a finished FULL deploy: a Rollback task returns traffic to PreVersionName.
	last := latestTask(t, base, "hello-api").Task
	require.Equal(t, "finished", last.Status)
	require.Equal(t, "hello-api-001", last.PreVersionName)
	ok[tcbr.OperateServerManageResponse](t, op("hello-api", 0, "go_back"))
	rb := latestTask(t, base, "hello-api").Task
	assert.NotEqual(t, last.Id, rb.Id)
	assert.Equal(t, "Rollback", rb.ChangeType)
	assert.Equal(t, "hello-api-002", rb.PreVersionName)
	assert.Equal(t, "hello-api-001", rb.VersionName)
	assert.Equal(t, "running", rb.Status)
	require.Len(t, rb.Steps, 1)
	assert.Equal(t, "ReleaseVersion", rb.Steps[0].Name)
	assert.True(t, recordOf(t, base, "hello-api", "hello-api-001").IsReleasing)
	apiErr(t, api(t, base, "SubmitServerRollback", m{"EnvId": demoEnv, "ServerName": "hello-api",
		"CurrentVersionName": "hello-api-002", "RollbackVersionName": "hello-api-001"}), "ResourceInUse")
	advance(e, 4)
	assert.Equal(t, map[string]string{"hello-api-001": "100"}, traffic(t, base, "hello-api"))
	assert.Equal(t, "finished", latestTask(t, base, "hello-api").Task.Status)

	// done on the seeded open gray release promotes the candidate.
	gray := latestTask(t, base, "canary-web").Task
	ok[tcbr.OperateServerManageResponse](t, op("canary-web", gray.Id, "done"))
	assert.Equal(t, map[string]string{"canary-web-002": "100"}, traffic(t, base, "canary-web"))
	assert.Equal(t, "finished", latestTask(t, base, "canary-web").Task.Status)

	// A failed deploy never moved traffic.
	apiErr(t, op("broken-build", 0, "go_back"), "InvalidParameter")
}

func TestSubmitServerRollback(t *testing.T) {
	e, base := start(t, Options{})
	rb := func(cur, target string) envelope {
		return api(t, base, "SubmitServerRollback", m{"EnvId": demoEnv, "ServerName": "hello-api",
			"CurrentVersionName": cur, "RollbackVersionName": target, "OperatorRemark": "bad release"})
	}
	apiErr(t, rb("hello-api-001", "hello-api-002"), "InvalidParameter")
	apiErr(t, rb("hello-api-002", "hello-api-009"), "InvalidParameter")
	apiErr(t, rb("hello-api-002", "hello-api-002"), "InvalidParameter")
	apiErr(t, api(t, base, "SubmitServerRollback", m{"EnvId": demoEnv, "ServerName": "broken-build",
		"CurrentVersionName": "broken-build-001", "RollbackVersionName": "broken-build-002"}), "InvalidParameter")
	apiErr(t, api(t, base, "SubmitServerRollback", m{"EnvId": demoEnv, "ServerName": "hello-api"}), "MissingParameter")

	out := ok[submitServerRollbackResponse](t, rb("hello-api-002", "hello-api-001"))
	task := latestTask(t, base, "hello-api").Task
	assert.Equal(t, out.TaskId, task.Id)
	assert.Equal(t, "Rollback", task.ChangeType)
	assert.Equal(t, "bad release", task.OperatorRemark)
	assert.Equal(t, "hello-api-002", task.PreVersionName)
	assert.Equal(t, "hello-api-001", task.VersionName)
	advance(e, 4)
	assert.Equal(t, map[string]string{"hello-api-001": "100"}, traffic(t, base, "hello-api"))
	assert.Equal(t, "finished", latestTask(t, base, "hello-api").Task.Status)
}
