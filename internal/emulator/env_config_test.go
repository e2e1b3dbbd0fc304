package emulator

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

func envBase(t *testing.T, base, envID string) tcbr.DescribeEnvBaseInfoResponse {
	t.Helper()
	return ok[tcbr.DescribeEnvBaseInfoResponse](t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": envID}))
}

func TestCreateCloudRunEnv(t *testing.T) {
	sc := DefaultScenario()
	sc.Envs = append(sc.Envs, EnvSpec{EnvID: "paid-env-000001", Alias: "paid"})
	e, base := start(t, Options{Scenario: sc})
	require.False(t, envBase(t, base, freshEnv).IsExist)

	apiErr(t, api(t, base, "CreateCloudRunEnv", m{"EnvId": freshEnv}), "MissingParameter")
	apiErr(t, api(t, base, "CreateCloudRunEnv", m{"EnvId": freshEnv, "PackageType": "Free"}), "InvalidParameter")
	apiErr(t, api(t, base, "CreateCloudRunEnv", m{"EnvId": "nope", "PackageType": "Trial"}), "ResourceNotFound")

	out := sdk[tcbr.CreateCloudRunEnvResponse](t, base, "CreateCloudRunEnv",
		m{"EnvId": freshEnv, "PackageType": "Trial", "EnvType": "baas", "ReqKey": "k1"})
	assert.Equal(t, freshEnv, out.EnvId)
	assert.Equal(t, "", out.TranId, "no order for Trial")
	info := envBase(t, base, freshEnv)
	require.True(t, info.IsExist)
	assert.Equal(t, "creating", info.EnvBaseInfo.Status)
	assert.Equal(t, "Trial", info.EnvBaseInfo.PackageType)
	assert.Equal(t, "baas", info.EnvBaseInfo.EnvType)

	// Deploys wait for the opening to finish.
	img := m{"EnvId": freshEnv, "ServerName": "first-svc", "DeployInfo": m{"DeployType": "image", "ImageUrl": "nginx:1"}}
	apiErr(t, api(t, base, "CreateCloudRunServer", img), "ResourceUnavailable")
	advance(e, 4)
	assert.Equal(t, "creating", envBase(t, base, freshEnv).EnvBaseInfo.Status)
	advance(e, 1)
	assert.Equal(t, "normal", envBase(t, base, freshEnv).EnvBaseInfo.Status)
	ok[tcbr.CreateCloudRunServerResponse](t, api(t, base, "CreateCloudRunServer", img))

	code, _ := sdkFail(t, base, "CreateCloudRunEnv", m{"EnvId": freshEnv, "PackageType": "Trial", "EnvType": "baas"})
	assert.Equal(t, "ResourceInUse", code)
	again := sdk[tcbr.CreateCloudRunEnvResponse](t, base, "CreateCloudRunEnv", m{"EnvId": freshEnv, "PackageType": "Trial", "ReqKey": "k1"})
	assert.Equal(t, out.EnvId, again.EnvId, "same ReqKey, same answer")
	apiErr(t, api(t, base, "CreateCloudRunEnv", m{"EnvId": demoEnv, "PackageType": "Trial"}), "ResourceInUse")

	paid := sdk[tcbr.CreateCloudRunEnvResponse](t, base, "CreateCloudRunEnv", m{"EnvId": "paid-env-000001",
		"PackageType": "Standard", "EnvType": "baas", "VpcId": "vpc-abc", "SubNetIds": []string{"subnet-1", "subnet-2"}})
	assert.Regexp(t, `^20261123\d{12}$`, paid.TranId)
	pinfo := envBase(t, base, "paid-env-000001").EnvBaseInfo
	assert.Equal(t, "vpc-abc", pinfo.VpcId)
	assert.Equal(t, "subnet-1,subnet-2", pinfo.SubnetIds)
}

func TestSubmitServerConfigChangeDiff(t *testing.T) {
	e, base := start(t, Options{})
	diff := func(items ...m) envelope {
		return api(t, base, "SubmitServerConfigChangeDiff", m{"EnvId": demoEnv, "ServerName": "hello-api", "Items": items})
	}
	before := detail(t, base, "hello-api")
	prevTask := latestTask(t, base, "hello-api").Task.Id

	// Hot keys apply at once.
	advance(e, 10)
	out := sdk[tcbr.SubmitServerConfigChangeDiffResponse](t, base, "SubmitServerConfigChangeDiff", m{
		"EnvId": demoEnv, "ServerName": "hello-api",
		"Items": []m{intItem("MinNum", 1), intItem("MaxNum", 8), arrItem("AccessTypes", "OA", "PUBLIC"),
			{"Key": "PolicyDetails", "PolicyDetails": []m{{"PolicyType": "mem", "PolicyThreshold": 70}}}},
	})
	assert.Zero(t, out.TaskId)
	d := detail(t, base, "hello-api")
	assert.EqualValues(t, 1, d.ServerConfig.MinNum)
	assert.EqualValues(t, 8, d.ServerConfig.MaxNum)
	assert.Equal(t, []string{"OA", "PUBLIC"}, d.ServerConfig.OpenAccessTypes)
	assert.Equal(t, []tcbr.HpaPolicy{{PolicyType: "mem", PolicyThreshold: 70}}, d.ServerConfig.PolicyDetails)
	assert.Equal(t, fmtTime(e.Now()), d.BaseInfo.UpdateTime)
	assert.NotEqual(t, before.BaseInfo.UpdateTime, d.BaseInfo.UpdateTime)
	assert.Equal(t, before.OnlineVersionInfos, d.OnlineVersionInfos, "no new version")
	assert.Equal(t, prevTask, latestTask(t, base, "hello-api").Task.Id, "no task")
	vd := ok[versionDetailResponse](t, api(t, base, "DescribeVersionDetail",
		m{"EnvId": demoEnv, "ServerName": "hello-api", "VersionName": "hello-api-002"}))
	assert.EqualValues(t, 8, vd.MaxNum, "the serving version follows hot changes")

	// Sending an unchanged redeploy key is not a change.
	assert.Zero(t, ok[tcbr.SubmitServerConfigChangeDiffResponse](t, diff(strItem("EnvParam", d.ServerConfig.EnvParams))).TaskId)

	// Validation.
	assert.Contains(t, apiErr(t, diff(floatItem("CpuSpecs", 2)), "InvalidParameter"), "CpuSpecs and MemSpecs")
	apiErr(t, diff(floatItem("CpuSpecs", 2), floatItem("MemSpecs", 2)), "InvalidParameter")
	apiErr(t, diff(m{"Key": "MinNum", "Value": "1"}), "InvalidParameter")
	assert.Equal(t, "The value type of parameter `Items` is not valid, input type should be `array`.",
		apiErr(t, diff(), "InvalidParameter"), "null is not a value on the wire")
	apiErr(t, api(t, base, "SubmitServerConfigChangeDiff", m{"EnvId": demoEnv, "ServerName": "hello-api", "Items": []m{}}),
		"InvalidParameter")
	apiErr(t, api(t, base, "SubmitServerConfigChangeDiff", m{"EnvId": demoEnv, "ServerName": "hello-api"}), "MissingParameter")
	apiErr(t, api(t, base, "SubmitServerConfigChangeDiff", m{"EnvId": demoEnv, "ServerName": "ghost-svc",
		"Items": []m{intItem("MinNum", 1)}}), "ResourceNotFound.ServerNotFound")

	// A redeploy key starts an UpdateConfig task: new version from the serving image, no build.
	image := d.OnlineVersionInfos[0].ImageUrl
	out = sdk[tcbr.SubmitServerConfigChangeDiffResponse](t, base, "SubmitServerConfigChangeDiff", m{
		"EnvId": demoEnv, "ServerName": "hello-api",
		"Items": []m{strItem("EnvParam", `{"NODE_ENV":"production","FEATURE":"on"}`), floatItem("CpuSpecs", 1), floatItem("MemSpecs", 2)},
	})
	require.Greater(t, out.TaskId, int64(0))
	task := latestTask(t, base, "hello-api").Task
	assert.Equal(t, out.TaskId, task.Id)
	assert.Equal(t, "UpdateConfig", task.ChangeType)
	assert.Equal(t, "hello-api-002", task.PreVersionName)
	assert.Equal(t, "hello-api-003", task.VersionName)
	rec := recordOf(t, base, "hello-api", "hello-api-003")
	assert.Equal(t, "creating", rec.Status, "no build")
	assert.Zero(t, rec.BuildId)
	require.NotNil(t, rec.ImageUrl)
	assert.Equal(t, image, *rec.ImageUrl)
	apiErr(t, diff(intItem("MinNum", 2)), "ResourceInUse")
	advance(e, 30)
	assert.Equal(t, "normal", recordOf(t, base, "hello-api", "hello-api-003").Status)
	advance(e, 4)
	assert.Equal(t, "finished", latestTask(t, base, "hello-api").Task.Status)
	d = detail(t, base, "hello-api")
	assert.Equal(t, map[string]string{"hello-api-003": "100"}, traffic(t, base, "hello-api"))
	assert.Equal(t, `{"NODE_ENV":"production","FEATURE":"on"}`, d.ServerConfig.EnvParams)
	assert.Equal(t, 1.0, d.ServerConfig.Cpu)
	assert.EqualValues(t, 8, d.ServerConfig.MaxNum, "earlier hot changes carry over")
	vd = ok[versionDetailResponse](t, api(t, base, "DescribeVersionDetail",
		m{"EnvId": demoEnv, "ServerName": "hello-api", "VersionName": "hello-api-003"}))
	assert.Equal(t, `{"NODE_ENV":"production","FEATURE":"on"}`, vd.EnvParams)
}
