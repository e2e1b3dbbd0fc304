package emulator

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

func TestDeployInProgressProgression(t *testing.T) {
	e, base := start(t, Options{})
	origin := e.Now()
	require.Equal(t, defaultStart, origin)

	// t=0: building, BuildId already visible (buildIdDelay 0 in the scenario).
	recs := records(t, base, "orders-svc")
	require.Len(t, recs, 2)
	v2 := recs[0]
	assert.Equal(t, "orders-svc-002", v2.DeployId)
	assert.Equal(t, "building", v2.Status)
	assert.Greater(t, v2.BuildId, int64(0))
	assert.Nil(t, v2.ImageUrl)
	assert.True(t, v2.IsReleasing)
	assert.EqualValues(t, 100, recs[1].FlowRatio)
	assert.Equal(t, "normal", detail(t, base, "orders-svc").BaseInfo.Status, "an update keeps the service normal")

	task := latestTask(t, base, "orders-svc").Task
	assert.Equal(t, "running", task.Status)
	assert.Equal(t, "orders-svc-001", task.PreVersionName)
	assert.Equal(t, []string{"running", "todo"}, []string{task.Steps[0].Status, task.Steps[1].Status})

	msg := apiErr(t, api(t, base, "DeleteCloudRunServer", m{"EnvId": demoEnv, "ServerName": "orders-svc"}), "ResourceInUse")
	assert.Equal(t, "已有部署发布任务运行中", msg)

	readLog := func(offset int64) tcbr.BuildLog {
		return ok[tcbr.DescribeCloudRunBuildLogResponse](t, buildLog(t, base, "orders-svc", v2.BuildId, offset)).Log
	}
	first := readLog(0)
	assert.True(t, first.More)
	assert.GreaterOrEqual(t, first.Total, int64(1))
	assert.Equal(t, first.Total, first.Delivered)

	e.Advance(20 * time.Second)
	assert.Equal(t, "building", records(t, base, "orders-svc")[0].Status)
	second := readLog(first.Delivered)
	assert.True(t, second.More)
	assert.Greater(t, second.Total, first.Total, "the log grows while building")
	assert.Equal(t, second.Total, second.Delivered)

	e.Advance(21 * time.Second) // t=41
	recs = records(t, base, "orders-svc")
	assert.Equal(t, "creating", recs[0].Status)
	require.NotNil(t, recs[0].ImageUrl)
	third := readLog(second.Delivered)
	assert.False(t, third.More)
	full := readLog(0)
	assert.False(t, full.More)
	assert.Equal(t, full.Text, strings.Join([]string{first.Text, second.Text, third.Text}, "\n"),
		"incremental reads concatenate to the whole log")
	assert.Contains(t, full.Text, "Successfully tagged "+*recs[0].ImageUrl)

	plog := func() []string {
		return ok[tcbr.DescribeCloudRunProcessLogResponse](t, api(t, base, "DescribeCloudRunProcessLog",
			m{"EnvId": demoEnv, "RunId": v2.RunId})).Logs
	}
	early := plog()
	assert.Contains(t, early, "create_version_check_vpc: success")
	assert.NotContains(t, early, "check_eks_virtual_service: success")

	e.Advance(30 * time.Second) // t=71: ready, ReleaseVersion running
	recs = records(t, base, "orders-svc")
	assert.Equal(t, "normal", recs[0].Status)
	assert.EqualValues(t, 0, recs[0].FlowRatio, "traffic moves when the release step ends")
	task = latestTask(t, base, "orders-svc").Task
	assert.Equal(t, "running", task.Status)
	assert.Equal(t, []string{"finished", "running"}, []string{task.Steps[0].Status, task.Steps[1].Status})
	assert.EqualValues(t, 70, task.Steps[0].CostTime)
	assert.Contains(t, plog(), "check_eks_virtual_service: success")

	e.Advance(4 * time.Second) // t=75
	recs = records(t, base, "orders-svc")
	assert.EqualValues(t, 100, recs[0].FlowRatio)
	assert.True(t, recs[0].HasTraffic)
	assert.False(t, recs[0].IsReleasing)
	assert.EqualValues(t, 0, recs[1].FlowRatio)
	task = latestTask(t, base, "orders-svc").Task
	assert.Equal(t, "finished", task.Status)
	assert.Equal(t, "finished", task.Steps[1].Status)
	d := detail(t, base, "orders-svc")
	require.Len(t, d.OnlineVersionInfos, 1)
	assert.Equal(t, "orders-svc-002", d.OnlineVersionInfos[0].VersionName)
	assert.Equal(t, fmtTime(origin.Add(74*time.Second)), d.BaseInfo.UpdateTime)
	order := ok[tcbr.DescribeReleaseOrderResponse](t, api(t, base, "DescribeReleaseOrder",
		m{"EnvId": demoEnv, "ServerName": "orders-svc"}))
	assert.False(t, order.IsExist)
	assert.Equal(t, fmtTime(origin.Add(74*time.Second)), order.LastReleasedSuccessTime)

	// Idle now: deletion is accepted.
	del := ok[tcbr.DeleteCloudRunServerResponse](t, api(t, base, "DeleteCloudRunServer",
		m{"EnvId": demoEnv, "ServerName": "orders-svc"}))
	assert.Equal(t, "success", del.Result)
}

func TestClockSpeed(t *testing.T) {
	e, base := start(t, Options{})
	e.SetSpeed(1000) // 75 virtual seconds in 75 ms
	require.Eventually(t, func() bool {
		return records(t, base, "orders-svc")[0].FlowRatio == 100
	}, 5*time.Second, 10*time.Millisecond)
	e.SetSpeed(0)
	now := e.Now()
	time.Sleep(5 * time.Millisecond)
	assert.Equal(t, now, e.Now(), "speed 0 freezes the clock")
	e.Advance(-time.Hour)
	assert.Equal(t, now, e.Now(), "the clock never runs backwards")
}

func TestDeleteCloudRunServer(t *testing.T) {
	e, base := start(t, Options{})
	del := func(svc string) envelope {
		return api(t, base, "DeleteCloudRunServer", m{"EnvId": demoEnv, "ServerName": svc, "OperatorRemark": "test"})
	}
	runID := records(t, base, "hello-api")[0].RunId
	assert.Equal(t, "success", ok[tcbr.DeleteCloudRunServerResponse](t, del("hello-api")).Result)
	assert.Equal(t, "deleting", detail(t, base, "hello-api").BaseInfo.Status)
	list := ok[tcbr.DescribeCloudRunServersResponse](t, api(t, base, "DescribeCloudRunServers",
		m{"EnvId": demoEnv, "ServerName": "hello"}))
	require.Len(t, list.ServerList, 1)
	assert.Equal(t, "deleting", list.ServerList[0].Status)
	assert.Equal(t, "success", ok[tcbr.DeleteCloudRunServerResponse](t, del("hello-api")).Result, "repeat is harmless")

	e.Advance(9 * time.Second)
	assert.Equal(t, "deleting", detail(t, base, "hello-api").BaseInfo.Status)
	e.Advance(1 * time.Second)
	apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": "hello-api"}),
		"ResourceNotFound.ServerNotFound")
	all := ok[tcbr.DescribeCloudRunServersResponse](t, api(t, base, "DescribeCloudRunServers", m{"EnvId": demoEnv}))
	assert.EqualValues(t, 4, all.Total)
	assert.NotContains(t, names(all.ServerList), "hello-api")
	apiErr(t, api(t, base, "DescribeCloudRunProcessLog", m{"EnvId": demoEnv, "RunId": runID}), "InvalidParameter")
	apiErr(t, del("hello-api"), "ResourceNotFound.ServerNotFound")

	// An open gray release blocks deletion.
	assert.Equal(t, "已有部署发布任务运行中", apiErr(t, del("canary-web"), "ResourceInUse"))
	// Failed and image services are idle.
	assert.Equal(t, "success", ok[tcbr.DeleteCloudRunServerResponse](t, del("broken-build")).Result)
	assert.Equal(t, "success", ok[tcbr.DeleteCloudRunServerResponse](t, del("todo-func")).Result)

	apiErr(t, api(t, base, "DeleteCloudRunServer", m{"EnvId": demoEnv}), "MissingParameter")
	apiErr(t, api(t, base, "DeleteCloudRunServer", m{"EnvId": "nope", "ServerName": "x-svc"}), "ResourceNotFound")

	e.Reset()
	assert.Equal(t, "normal", detail(t, base, "hello-api").BaseInfo.Status, "reset restores the scenario")
	assert.WithinDuration(t, defaultStart, e.Now(), time.Second, "and the clock origin")
}
