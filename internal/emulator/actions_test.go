package emulator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

func names(list []tcbr.ServerBaseInfo) []string {
	out := []string{}
	for _, s := range list {
		out = append(out, s.ServerName)
	}
	return out
}

func TestDescribeCloudRunServers(t *testing.T) {
	_, base := start(t, Options{})
	list := func(params m) tcbr.DescribeCloudRunServersResponse {
		return ok[tcbr.DescribeCloudRunServersResponse](t, api(t, base, "DescribeCloudRunServers", params))
	}
	all := list(m{"EnvId": demoEnv})
	assert.EqualValues(t, 5, all.Total)
	assert.Equal(t, []string{"todo-func", "broken-build", "orders-svc", "canary-web", "hello-api"}, names(all.ServerList))
	hello := all.ServerList[4]
	assert.Equal(t, "container", hello.ServerType)
	assert.Equal(t, "normal", hello.Status)
	assert.Equal(t, "FLOW", hello.TrafficType)
	assert.Equal(t, []string{"OA", "PUBLIC", "MINIAPP"}, hello.AccessTypes)
	assert.Equal(t, []string{}, hello.CustomDomainNames)
	assert.Regexp(t, `^https://hello-api-\d{6}-\d{2}-1318273645\.sh\.run\.tcloudbase\.com$`, hello.DefaultDomainName)
	assert.Regexp(t, `^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`, hello.CreateTime)
	assert.Equal(t, "2026-11-13 10:00:00", hello.CreateTime, "-240h from 02:00Z, rendered in UTC+8")

	assert.Equal(t, []string{"todo-func"}, names(list(m{"EnvId": demoEnv, "ServerType": "function"}).ServerList))
	assert.Equal(t, []string{"orders-svc"}, names(list(m{"EnvId": demoEnv, "ServerName": "ORDERS"}).ServerList))
	assert.Equal(t, []string{"broken-build", "orders-svc", "canary-web", "hello-api"},
		names(list(m{"EnvId": demoEnv, "ServerName": "-", "ServerType": "container"}).ServerList))

	page2 := list(m{"EnvId": demoEnv, "PageSize": 2, "PageNum": 2})
	assert.EqualValues(t, 5, page2.Total)
	assert.Equal(t, []string{"orders-svc", "canary-web"}, names(page2.ServerList))
	assert.Empty(t, list(m{"EnvId": demoEnv, "PageSize": 2, "PageNum": 9}).ServerList)
	assert.Len(t, list(m{"EnvId": demoEnv, "PageSize": 100}).ServerList, 5, "PageSize > 30 is capped, not rejected")

	fresh := api(t, base, "DescribeCloudRunServers", m{"EnvId": freshEnv})
	assert.Contains(t, string(fresh.Response), `"ServerList":[]`)
	assert.EqualValues(t, 0, ok[tcbr.DescribeCloudRunServersResponse](t, fresh).Total)

	assert.Equal(t, "The request is missing a required parameter `EnvId`.",
		apiErr(t, api(t, base, "DescribeCloudRunServers", m{}), "MissingParameter"))
	apiErr(t, api(t, base, "DescribeCloudRunServers", m{"EnvId": "nope"}), "ResourceNotFound")
	apiErr(t, api(t, base, "DescribeCloudRunServers", m{"EnvId": demoEnv, "ServerType": "vm"}), "InvalidParameterValue")
	// Parameters the model lacks are refused, like the gateway does.
	assert.Equal(t, "The parameter `Cpu` is not recognized.",
		apiErr(t, api(t, base, "DescribeCloudRunServers", m{"EnvId": demoEnv, "Cpu": 0.25}), "UnknownParameter"))
}

func TestPageSizeDefaultsToNine(t *testing.T) {
	sc := DefaultScenario()
	svcs := sc.Envs[0].Services
	for i := range 7 {
		s := svcs[0]
		s.Name = "extra-" + string(rune('a'+i)) + "-svc"
		s.CreatedAt = nil
		sc.Envs[0].Services = append(sc.Envs[0].Services, s)
	}
	_, base := start(t, Options{Scenario: sc})
	out := ok[tcbr.DescribeCloudRunServersResponse](t, api(t, base, "DescribeCloudRunServers", m{"EnvId": demoEnv}))
	assert.EqualValues(t, 12, out.Total)
	assert.Len(t, out.ServerList, 9)
}

func TestDescribeCloudRunServerDetail(t *testing.T) {
	_, base := start(t, Options{})
	d := detail(t, base, "hello-api")
	require.NotNil(t, d.BaseInfo)
	require.NotNil(t, d.ServerConfig)
	assert.Equal(t, "hello-api", d.BaseInfo.ServerName)
	assert.Equal(t, demoEnv, d.ServerConfig.EnvId)
	assert.Equal(t, `{"DB_PASSWORD":"s3cret-demo","NODE_ENV":"production"}`, d.ServerConfig.EnvParams)
	assert.EqualValues(t, 80, d.ServerConfig.Port)
	assert.Equal(t, 0.5, d.ServerConfig.Cpu)
	assert.Equal(t, "Dockerfile", d.ServerConfig.Dockerfile)
	assert.Equal(t, []tcbr.HpaPolicy{{PolicyType: "cpu", PolicyThreshold: 60}}, d.ServerConfig.PolicyDetails)
	require.Len(t, d.OnlineVersionInfos, 1)
	assert.Equal(t, "hello-api-002", d.OnlineVersionInfos[0].VersionName)
	assert.Equal(t, tcbr.NumString("100"), d.OnlineVersionInfos[0].FlowRatio)
	assert.Contains(t, d.OnlineVersionInfos[0].ImageUrl, "ccr.ccs.tencentyun.com/tcb-100038201247-")

	raw := api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": "hello-api"})
	assert.Contains(t, string(raw.Response), `"FlowRatio":"100"`, "OnlineVersionInfo.FlowRatio is a string on the wire")

	fn := detail(t, base, "todo-func")
	assert.Equal(t, "function:", fn.ServerConfig.Tag)
	assert.EqualValues(t, 3000, fn.ServerConfig.Port)
	assert.Equal(t, "ccr.ccs.tencentyun.com/demo-ns/todo-func:1.4.2", fn.OnlineVersionInfos[0].ImageUrl)

	canary := detail(t, base, "canary-web")
	require.Len(t, canary.OnlineVersionInfos, 1, "the candidate holds 0 %")
	assert.Equal(t, "canary-web-001", canary.OnlineVersionInfos[0].VersionName)

	msg := apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": "ghost"}),
		"ResourceNotFound.ServerNotFound")
	assert.Contains(t, msg, "ghost")
	apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv}), "MissingParameter")
	apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": "nope", "ServerName": "hello-api"}), "ResourceNotFound")
	apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": freshEnv, "ServerName": "hello-api"}),
		"ResourceNotFound.ServerNotFound")
}

func TestServiceDataIllegalFlag(t *testing.T) {
	sc := DefaultScenario()
	sc.Flags.ServiceDataIllegal = true
	_, base := start(t, Options{Scenario: sc})
	msg := apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": "ghost"}), "InvalidParameter")
	assert.Equal(t, "service data illegal", msg)
}

func TestDeployRecords(t *testing.T) {
	_, base := start(t, Options{})
	recs := records(t, base, "hello-api")
	require.Len(t, recs, 2)
	assert.Equal(t, "hello-api-002", recs[0].DeployId, "newest first")
	assert.Equal(t, "normal", recs[0].Status)
	assert.EqualValues(t, 100, recs[0].FlowRatio)
	assert.True(t, recs[0].HasTraffic)
	assert.EqualValues(t, 0, recs[1].FlowRatio)
	assert.False(t, recs[1].HasTraffic)
	assert.Regexp(t, `^multi_tenant_[A-Za-z0-9]{14}$`, recs[0].RunId)
	assert.GreaterOrEqual(t, recs[0].BuildId, int64(2_600_000_000))
	assert.Less(t, recs[0].BuildId, int64(9_999_999_999))
	assert.Greater(t, recs[0].BuildId, recs[1].BuildId)
	require.NotNil(t, recs[0].ImageUrl)
	assert.Regexp(t, `^ccr\.ccs\.tencentyun\.com/tcb-100038201247-[a-z0-9]{4}/demo-env-1a2b3c_hello-api:hello-api-002-\d{14}$`, *recs[0].ImageUrl)
	assert.Equal(t, "FLOW", recs[0].TrafficType)

	todo := records(t, base, "todo-func")
	require.Len(t, todo, 1)
	assert.EqualValues(t, 0, todo[0].BuildId, "image deploy")
	assert.NotEmpty(t, todo[0].RunId)

	broken := records(t, base, "broken-build")
	require.Len(t, broken, 2)
	assert.Equal(t, "build_failed", broken[0].Status)
	assert.Nil(t, broken[0].ImageUrl)
	assert.Equal(t, "normal", broken[1].Status)
	assert.EqualValues(t, 100, broken[1].FlowRatio, "a failed deploy leaves traffic alone")

	canary := records(t, base, "canary-web")
	assert.True(t, canary[0].IsReleasing)
	assert.False(t, canary[1].IsReleasing)

	apiErr(t, api(t, base, "DescribeCloudRunDeployRecord", m{"EnvId": demoEnv, "ServerName": "ghost"}), "ResourceNotFound.ServerNotFound")
	apiErr(t, api(t, base, "DescribeCloudRunDeployRecord", m{"ServerName": "hello-api"}), "MissingParameter")
}

func TestLegacyStatusVocabulary(t *testing.T) {
	sc := DefaultScenario()
	sc.Flags.LegacyStatusVocabulary = true
	e, base := start(t, Options{Scenario: sc})
	assert.Equal(t, "running", records(t, base, "hello-api")[0].Status)
	assert.Equal(t, "running", detail(t, base, "hello-api").BaseInfo.Status)
	e.Advance(45e9)
	assert.Equal(t, "deploying", records(t, base, "orders-svc")[0].Status)
	assert.Equal(t, "build_failed", records(t, base, "broken-build")[0].Status)
}

func buildLog(t *testing.T, base, svc string, buildID, offset int64) envelope {
	t.Helper()
	return api(t, base, "DescribeCloudRunBuildLog",
		m{"EnvId": demoEnv, "ServerName": svc, "ServerVersion": "", "BuildId": buildID, "Offset": offset})
}

func TestBuildLog(t *testing.T) {
	_, base := start(t, Options{})
	recs := records(t, base, "hello-api")
	lg := ok[tcbr.DescribeCloudRunBuildLogResponse](t, buildLog(t, base, "hello-api", recs[0].BuildId, 0)).Log
	assert.False(t, lg.More)
	assert.Empty(t, lg.FailType)
	lines := strings.Split(lg.Text, "\n")
	assert.EqualValues(t, len(lines), lg.Total)
	assert.Equal(t, lg.Total, lg.Delivered)
	assert.Contains(t, lg.Text, "Step 1/7 : FROM node:20-alpine")
	assert.Contains(t, lg.Text, "Successfully tagged "+*recs[0].ImageUrl)
	assert.Equal(t, "push "+*recs[0].ImageUrl+" done", lines[len(lines)-2])

	tail := ok[tcbr.DescribeCloudRunBuildLogResponse](t, buildLog(t, base, "hello-api", recs[0].BuildId, lg.Total-2)).Log
	assert.Equal(t, strings.Join(lines[len(lines)-2:], "\n"), tail.Text)
	assert.Equal(t, lg.Total, tail.Delivered)
	past := ok[tcbr.DescribeCloudRunBuildLogResponse](t, buildLog(t, base, "hello-api", recs[0].BuildId, lg.Total+5)).Log
	assert.Empty(t, past.Text)

	broken := records(t, base, "broken-build")
	bl := ok[tcbr.DescribeCloudRunBuildLogResponse](t, buildLog(t, base, "broken-build", broken[0].BuildId, 0)).Log
	assert.False(t, bl.More)
	assert.Equal(t, "BuildFailed", bl.FailType)
	assert.Contains(t, bl.FailReason, "returned a non-zero code: 1")
	assert.Contains(t, bl.Text, "npm ERR! code E404")
	blLines := strings.Split(bl.Text, "\n")
	assert.Contains(t, blLines[len(blLines)-2], "ERROR: ")

	// BuildId also found without ServerName.
	noName := api(t, base, "DescribeCloudRunBuildLog", m{"EnvId": demoEnv, "BuildId": broken[0].BuildId})
	assert.Equal(t, bl.Text, ok[tcbr.DescribeCloudRunBuildLogResponse](t, noName).Log.Text)

	apiErr(t, buildLog(t, base, "todo-func", 0, 0), "ResourceNotFound")
	apiErr(t, buildLog(t, base, "hello-api", 1234567890, 0), "ResourceNotFound")
	apiErr(t, buildLog(t, base, "hello-api", broken[0].BuildId, 0), "ResourceNotFound")
	apiErr(t, buildLog(t, base, "ghost", recs[0].BuildId, 0), "ResourceNotFound.ServerNotFound")
}

func TestBuildLogCodingFlag(t *testing.T) {
	sc := DefaultScenario()
	sc.Flags.CodingBuildLog = true
	_, base := start(t, Options{Scenario: sc})
	id := records(t, base, "hello-api")[0].BuildId
	assert.Equal(t, "User not created or may not qcloud user, please login CODING and try again.",
		apiErr(t, buildLog(t, base, "hello-api", id, 0), "FailedOperation"))
}

func TestProcessLog(t *testing.T) {
	_, base := start(t, Options{})
	logs := func(runID string) envelope {
		return api(t, base, "DescribeCloudRunProcessLog", m{"EnvId": demoEnv, "RunId": runID})
	}
	hello := records(t, base, "hello-api")[0]
	lines := ok[tcbr.DescribeCloudRunProcessLogResponse](t, logs(hello.RunId)).Logs
	assert.Equal(t, "create_version_check_vpc: success", lines[0])
	assert.Contains(t, lines, "server listening on 0.0.0.0:80")
	assert.Equal(t, "check_eks_virtual_service: success", lines[len(lines)-1])

	fn := ok[tcbr.DescribeCloudRunProcessLogResponse](t, logs(records(t, base, "todo-func")[0].RunId)).Logs
	assert.Contains(t, fn, "server listening on 0.0.0.0:3000")

	broken := ok[tcbr.DescribeCloudRunProcessLogResponse](t, logs(records(t, base, "broken-build")[0].RunId))
	assert.Equal(t, []string{}, broken.Logs, "a failed build never ran")

	assert.Contains(t, apiErr(t, logs("multi_tenant_nope"), "InvalidParameter"), "multi_tenant_nope")
	apiErr(t, api(t, base, "DescribeCloudRunProcessLog", m{"EnvId": demoEnv}), "MissingParameter")
}

func TestDescribeServerManageTask(t *testing.T) {
	_, base := start(t, Options{})
	hello := latestTask(t, base, "hello-api")
	require.True(t, hello.IsExist)
	task := hello.Task
	assert.GreaterOrEqual(t, task.Id, int64(2_000_000))
	assert.Equal(t, "UpdateServer", task.ChangeType)
	assert.Equal(t, "FULL", task.ReleaseType)
	assert.Equal(t, "package", task.DeployType)
	assert.Equal(t, "hello-api-001", task.PreVersionName)
	assert.Equal(t, "hello-api-002", task.VersionName)
	assert.Equal(t, "finished", task.Status)
	require.Len(t, task.Steps, 2)
	assert.Equal(t, "CreateVersion", task.Steps[0].Name)
	assert.Equal(t, "finished", task.Steps[0].Status)
	assert.EqualValues(t, 120, task.Steps[0].CostTime)
	assert.Equal(t, "ReleaseVersion", task.Steps[1].Name)
	assert.Equal(t, "finished", task.Steps[1].Status)
	assert.EqualValues(t, 4, task.Steps[1].CostTime)

	byID := ok[tcbr.DescribeServerManageTaskResponse](t, api(t, base, "DescribeServerManageTask",
		m{"EnvId": demoEnv, "ServerName": "hello-api", "TaskId": task.Id}))
	assert.Equal(t, task, byID.Task)

	canary := latestTask(t, base, "canary-web").Task
	assert.Equal(t, "GRAY", canary.ReleaseType)
	assert.Equal(t, "running", canary.Status)
	assert.Equal(t, "canary-web-001", canary.PreVersionName)
	assert.Equal(t, "canary-web-002", canary.VersionName)
	assert.Equal(t, "running", canary.Steps[1].Status)

	broken := latestTask(t, base, "broken-build").Task
	assert.Equal(t, "failed", broken.Status)
	assert.Equal(t, "failed", broken.Steps[0].Status)
	assert.Equal(t, "todo", broken.Steps[1].Status)
	assert.NotEmpty(t, broken.FailReason)

	first := ok[tcbr.DescribeServerManageTaskResponse](t, api(t, base, "DescribeServerManageTask",
		m{"EnvId": demoEnv, "ServerName": "todo-func", "TaskId": 0})).Task
	assert.Equal(t, "CreateServer", first.ChangeType)
	assert.Equal(t, "", first.PreVersionName)
	assert.Equal(t, "image", first.DeployType)

	missing := api(t, base, "DescribeServerManageTask", m{"EnvId": demoEnv, "ServerName": "hello-api", "TaskId": 42})
	out := ok[tcbr.DescribeServerManageTaskResponse](t, missing)
	assert.False(t, out.IsExist)
	assert.Equal(t, zeroTask(), out.Task)
	assert.Contains(t, string(missing.Response), `"Steps":[]`)

	assert.Contains(t, apiErr(t, api(t, base, "DescribeServerManageTask", m{"EnvId": demoEnv, "ServerName": "hello-api"}),
		"MissingParameter"), "TaskId")
	apiErr(t, api(t, base, "DescribeServerManageTask", m{"EnvId": demoEnv, "ServerName": "ghost", "TaskId": 0}),
		"ResourceNotFound.ServerNotFound")
}

func TestDescribeReleaseOrder(t *testing.T) {
	_, base := start(t, Options{})
	order := func(svc string, extra m) tcbr.DescribeReleaseOrderResponse {
		p := m{"EnvId": demoEnv, "ServerName": svc}
		for k, v := range extra {
			p[k] = v
		}
		return ok[tcbr.DescribeReleaseOrderResponse](t, api(t, base, "DescribeReleaseOrder", p))
	}
	canary := order("canary-web", nil)
	require.True(t, canary.IsExist)
	info := canary.ReleaseOrderInfo
	assert.GreaterOrEqual(t, info.Id, int64(2_000_000))
	assert.Equal(t, "open", info.ReleaseStatus)
	assert.True(t, info.IsReleasing)
	assert.Equal(t, "FLOW", info.TrafficType)
	assert.EqualValues(t, 0, info.FlowRatio)
	assert.Equal(t, "canary-web-001", info.CurrentVersion.VersionName)
	assert.EqualValues(t, 100, info.CurrentVersion.FlowRatio)
	assert.Equal(t, "canary-web-002", info.ReleaseVersion.VersionName)
	assert.EqualValues(t, 0, info.ReleaseVersion.FlowRatio)
	assert.Equal(t, "normal", info.ReleaseVersion.Status)
	assert.Equal(t, latestTask(t, base, "canary-web").Task.ReleaseId, info.Id, "the gray task points at its order")
	assert.Equal(t, "2026-11-16 10:02:04", canary.LastReleasedSuccessTime, "v001 at -168h, ready +120s, released +4s")

	assert.False(t, order("canary-web", m{"Status": "finished"}).IsExist)

	hello := order("hello-api", nil)
	assert.False(t, hello.IsExist)
	assert.Equal(t, zeroOrder(), hello.ReleaseOrderInfo)
	assert.Equal(t, "2026-11-22 10:02:04", hello.LastReleasedSuccessTime, "v002 deployed -24h, ready +120s, released +4s")

	apiErr(t, api(t, base, "DescribeReleaseOrder", m{"EnvId": demoEnv, "ServerName": "ghost"}), "ResourceNotFound.ServerNotFound")
}

func TestDescribeEnvBaseInfo(t *testing.T) {
	_, base := start(t, Options{})
	opened := ok[tcbr.DescribeEnvBaseInfoResponse](t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": demoEnv}))
	assert.True(t, opened.IsExist)
	assert.Equal(t, &tcbr.EnvBaseInfo{EnvId: demoEnv, PackageType: "Trial", CreateTime: "2026-08-25 11:00:00",
		Alias: "demo", Status: "normal", Region: "ap-shanghai", EnvType: "baas"}, opened.EnvBaseInfo)

	fresh := api(t, base, "DescribeEnvBaseInfo", m{"EnvId": freshEnv})
	var shape struct{ Response map[string]any }
	require.NoError(t, json.Unmarshal(fresh.Raw, &shape))
	delete(shape.Response, "RequestId")
	assert.Equal(t, map[string]any{"IsExist": false, "EnvBaseInfo": map[string]any{
		"EnvId": freshEnv, "Alias": "", "Status": "", "Region": "", "EnvType": "", "PackageType": "",
		"VpcId": "", "CreateTime": "", "SubnetIds": "", "Recycle": ""}}, shape.Response)

	apiErr(t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": "nope"}), "ResourceNotFound")
	apiErr(t, api(t, base, "DescribeEnvBaseInfo", m{}), "MissingParameter")
}

func TestDescribeCloudRunEnvs(t *testing.T) {
	_, base := start(t, Options{})
	all := ok[tcbr.DescribeCloudRunEnvsResponse](t, api(t, base, "DescribeCloudRunEnvs", m{}))
	require.Len(t, all.EnvList, 2)
	assert.Equal(t, demoEnv, all.EnvList[0].EnvId)
	assert.Equal(t, freshEnv, all.EnvList[1].EnvId)
	assert.Equal(t, "ap-shanghai", all.EnvList[0].Region)
	one := ok[tcbr.DescribeCloudRunEnvsResponse](t, api(t, base, "DescribeCloudRunEnvs", m{"EnvId": freshEnv}))
	require.Len(t, one.EnvList, 1)
	assert.Equal(t, "fresh", one.EnvList[0].Alias)
}

func TestDescribeVersionDetail(t *testing.T) {
	_, base := start(t, Options{})
	v := ok[versionDetailResponse](t, api(t, base, "DescribeVersionDetail",
		m{"EnvId": demoEnv, "ServerName": "hello-api", "VersionName": "hello-api-001"}))
	assert.Equal(t, "hello-api-001", v.Name)
	assert.Equal(t, `{"NODE_ENV":"production"}`, v.EnvParams, "the version keeps the config it was deployed with")
	assert.Equal(t, "normal", v.Status)
	assert.EqualValues(t, 80, v.Port)
	assert.Equal(t, "stdout", v.LogPath)
	assert.Equal(t, "", v.EntryPoint)
	assert.Nil(t, v.BuildPacks)

	apiErr(t, api(t, base, "DescribeVersionDetail",
		m{"EnvId": demoEnv, "ServerName": "hello-api", "VersionName": "hello-api-009"}), "ResourceNotFound.VersionNotFound")
	apiErr(t, api(t, base, "DescribeVersionDetail", m{"EnvId": demoEnv, "ServerName": "hello-api"}), "MissingParameter")
}

func TestTCBActions(t *testing.T) {
	_, base := start(t, Options{})
	info := apiService(t, base, "tcb", "DescribeEnvInfo", m{"EnvId": demoEnv})
	out := ok[struct {
		EnvInfo struct {
			EnvBaseInfo map[string]any
			UserInfo    map[string]string
		}
	}](t, info)
	assert.Equal(t, demoEnv, out.EnvInfo.EnvBaseInfo["EnvId"])
	assert.Equal(t, "NORMAL", out.EnvInfo.EnvBaseInfo["Status"])
	assert.Equal(t, []any{}, out.EnvInfo.EnvBaseInfo["Databases"])
	assert.Equal(t, "1318273645", out.EnvInfo.UserInfo["AppId"])
	apiErr(t, apiService(t, base, "tcb", "DescribeEnvInfo", m{"EnvId": "nope"}), "ResourceNotFound")
	apiErr(t, apiService(t, base, "tcb", "DescribeEnvInfo", m{}), "MissingParameter")

	envs := ok[struct {
		EnvList []map[string]any
		Total   int
	}](t, apiService(t, base, "tcb", "DescribeEnvs", m{}))
	assert.Equal(t, 2, envs.Total)

	apiErr(t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService", m{"EnvId": "nope", "ServiceName": "hello-api"}),
		"ResourceNotFound")
	apiErr(t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService",
		m{"EnvId": demoEnv, "ServiceName": "ghost", "ServiceVersion": "ghost-001"}), "InvalidParameter.ServiceNotExist")
	apiErr(t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService",
		m{"EnvId": demoEnv, "ServiceName": "hello-api", "ServiceVersion": "hello-api-099"}), "ResourceNotFound.VersionNotFound")
	img := ok[tcbr.DescribeCloudBaseBuildServiceResponse](t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService",
		m{"EnvId": demoEnv, "ServiceName": "todo-func", "ServiceVersion": "todo-func-001"}))
	assert.Equal(t, "", img.DownloadUrl, "image versions have no package")
}
