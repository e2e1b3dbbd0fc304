package emulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// A scenario exercising the timeline paths the demo does not: a gray
// release with traffic, deploy failures, first deploys and an env whose
// CloudRun is still opening.
func variantsScenario(t *testing.T) *Scenario {
	t.Helper()
	sc, err := parseScenario([]byte(`{
  "name": "variants",
  "envs": [{
    "envId": "var-env-000001",
    "cloudRun": {"openedAt": "-2s", "openDuration": "5s"},
    "services": [
      {"name": "gray-ten", "type": "container", "versions": [
        {"at": "-3h"}, {"at": "-2h", "releaseType": "GRAY", "grayFlowRatio": 10}]},
      {"name": "probe-fail", "type": "container", "config": {"Port": 8080}, "versions": [
        {"at": "-3h"}, {"at": "-1h", "outcome": "deploy_failed"}]},
      {"name": "pull-fail", "type": "container", "versions": [
        {"at": "-1h", "deployType": "image", "imageUrl": "ccr.ccs.tencentyun.com/ns/notfound:1", "outcome": "deploy_failed"}]},
      {"name": "first-deploy", "type": "function", "versions": [{"at": "-10s"}]}
    ]
  }]
}`))
	require.NoError(t, err)
	return sc
}

func TestScenarioVariants(t *testing.T) {
	e, base := start(t, Options{Scenario: variantsScenario(t)})
	const env = "var-env-000001"
	call := func(action string, p m) envelope {
		p["EnvId"] = env
		return api(t, base, action, p)
	}

	info := ok[tcbr.DescribeEnvBaseInfoResponse](t, call("DescribeEnvBaseInfo", m{}))
	assert.Equal(t, "creating", info.EnvBaseInfo.Status)

	// Gray release at 10 %.
	order := ok[tcbr.DescribeReleaseOrderResponse](t, call("DescribeReleaseOrder", m{"ServerName": "gray-ten"}))
	require.True(t, order.IsExist)
	assert.Equal(t, "gray", order.ReleaseOrderInfo.ReleaseStatus)
	assert.Equal(t, "success", order.ReleaseOrderInfo.GrayStatus)
	assert.EqualValues(t, 10, order.ReleaseOrderInfo.FlowRatio)
	d := ok[tcbr.DescribeCloudRunServerDetailResponse](t, call("DescribeCloudRunServerDetail", m{"ServerName": "gray-ten"}))
	assert.Equal(t, []tcbr.OnlineVersionInfo{
		{VersionName: "gray-ten-001", ImageUrl: d.OnlineVersionInfos[0].ImageUrl, FlowRatio: "90"},
		{VersionName: "gray-ten-002", ImageUrl: d.OnlineVersionInfos[1].ImageUrl, FlowRatio: "10"},
	}, d.OnlineVersionInfos)

	// Readiness-probe failure: the task fails, traffic stays, the service stays normal.
	recs := ok[tcbr.DescribeCloudRunDeployRecordResponse](t, call("DescribeCloudRunDeployRecord", m{"ServerName": "probe-fail"})).DeployRecords
	assert.Equal(t, "deploy_failed", recs[0].Status)
	assert.EqualValues(t, 100, recs[1].FlowRatio)
	logs := ok[tcbr.DescribeCloudRunProcessLogResponse](t, call("DescribeCloudRunProcessLog", m{"RunId": recs[0].RunId})).Logs
	assert.Contains(t, logs[len(logs)-2], "Readiness probe failed: dial tcp 10.")
	assert.Contains(t, logs[len(logs)-2], ":8080: connect: connection refused")
	assert.Equal(t, "check_eks_virtual_service: failed", logs[len(logs)-1])
	task := ok[tcbr.DescribeServerManageTaskResponse](t, call("DescribeServerManageTask", m{"ServerName": "probe-fail", "TaskId": 0})).Task
	assert.Equal(t, "failed", task.Status)
	assert.Contains(t, task.FailReason, "8080")
	base0 := ok[tcbr.DescribeCloudRunServerDetailResponse](t, call("DescribeCloudRunServerDetail", m{"ServerName": "probe-fail"}))
	assert.Equal(t, "normal", base0.BaseInfo.Status)

	// Image pull failure on a first deploy: create_failed, nothing online.
	pull := ok[tcbr.DescribeCloudRunServerDetailResponse](t, call("DescribeCloudRunServerDetail", m{"ServerName": "pull-fail"}))
	assert.Equal(t, "create_failed", pull.BaseInfo.Status)
	assert.Equal(t, []tcbr.OnlineVersionInfo{}, pull.OnlineVersionInfos)
	precs := ok[tcbr.DescribeCloudRunDeployRecordResponse](t, call("DescribeCloudRunDeployRecord", m{"ServerName": "pull-fail"})).DeployRecords
	plogs := ok[tcbr.DescribeCloudRunProcessLogResponse](t, call("DescribeCloudRunProcessLog", m{"RunId": precs[0].RunId})).Logs
	assert.Contains(t, plogs, "Error: ErrImagePull")

	// A first deploy in progress: the service is creating; BuildId appears after 3 s.
	first := ok[tcbr.DescribeCloudRunServerDetailResponse](t, call("DescribeCloudRunServerDetail", m{"ServerName": "first-deploy"}))
	assert.Equal(t, "creating", first.BaseInfo.Status)
	frecs := ok[tcbr.DescribeCloudRunDeployRecordResponse](t, call("DescribeCloudRunDeployRecord", m{"ServerName": "first-deploy"})).DeployRecords
	assert.EqualValues(t, 3000, first.ServerConfig.Port)
	assert.Greater(t, frecs[0].BuildId, int64(0), "10 s into the build")
	vd := ok[versionDetailResponse](t, call("DescribeVersionDetail", m{"ServerName": "first-deploy", "VersionName": "first-deploy-001"}))
	require.NotNil(t, vd.BuildPacks)
	assert.Equal(t, "Node.js", vd.BuildPacks.RepoLanguage)
	blog := ok[tcbr.DescribeCloudRunBuildLogResponse](t, call("DescribeCloudRunBuildLog",
		m{"ServerName": "first-deploy", "BuildId": frecs[0].BuildId})).Log
	assert.True(t, blog.More)
	assert.Contains(t, blog.Text, "buildpacks")

	e.Advance(125 * time.Second)
	info = ok[tcbr.DescribeEnvBaseInfoResponse](t, call("DescribeEnvBaseInfo", m{}))
	assert.Equal(t, "normal", info.EnvBaseInfo.Status)
	first = ok[tcbr.DescribeCloudRunServerDetailResponse](t, call("DescribeCloudRunServerDetail", m{"ServerName": "first-deploy"}))
	assert.Equal(t, "normal", first.BaseInfo.Status)
	require.Len(t, first.OnlineVersionInfos, 1)
	assert.Equal(t, tcbr.NumString("100"), first.OnlineVersionInfos[0].FlowRatio)
}
