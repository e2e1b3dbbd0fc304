package cloudrun

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// project copies testdata/projects/<name> into the workspace.
func (h *harness) project(t testing.TB, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "projects", name)
	dst := filepath.Join(h.cfg.Workspace, name)
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

// lastBody returns the newest recorded request body of action as a map.
func (h *harness) lastBody(t *testing.T, action string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(h.lastRequest(t, action)), &m))
	return m
}

// settle lets the virtual clock run until every deploy has finished.
func (h *harness) settle() { h.emu.Advance(15 * time.Minute) }

func TestDeployCreateContainer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400) // build ids register within the wait
	dir := h.project(t, "container-node")
	writeFile(t, filepath.Join(dir, ".env"), "LOCAL_ONLY_SECRET=do-not-upload")
	writeFile(t, filepath.Join(dir, "dist", "bundle.js"), "generated")
	writeFile(t, filepath.Join(dir, "node_modules", "left-pad", "index.js"), "module.exports = 1")
	writeFile(t, filepath.Join(dir, ".git", "config"), "[core]")

	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "create", out["operation"])
	assert.Equal(t, "container", out["serviceType"])
	assert.Contains(t, out["serviceTypeReason"], "Dockerfile")
	assert.Equal(t, "package", out["deployType"])
	assert.Equal(t, true, out["registered"])
	assert.Greater(t, out["buildId"].(float64), float64(0))
	assert.Greater(t, out["taskId"].(float64), float64(0))
	assert.Equal(t, "getDeployLog", path(out, "nextStep", "action"))
	assert.EqualValues(t, 4, path(out, "package", "files"), "Dockerfile, package.json, index.js, .gitignore")
	assert.GreaterOrEqual(t, path(out, "package", "excluded").(float64), float64(4))
	assert.Contains(t, out["consoleUrl"], "shop-api")

	body := h.lastBody(t, "CreateCloudRunServer")
	pkgVersion := path(body, "DeployInfo", "PackageVersion")
	require.NotEmpty(t, pkgVersion)
	want := `{"EnvId":"demo-env-1a2b3c","ServerName":"shop-api",
	  "DeployInfo":{"DeployType":"package","PackageName":"shop-api","PackageVersion":"` + pkgVersion.(string) + `"},
	  "Items":[{"Key":"AccessTypes","ArrayValue":["OA","PUBLIC","MINIAPP"]},{"Key":"MinNum","IntValue":0},
	    {"Key":"EnvParam","Value":"{}"},{"Key":"InitialDelaySeconds","IntValue":0},{"Key":"HasDockerfile","BoolValue":true},
	    {"Key":"Port","IntValue":8080},{"Key":"Dockerfile","Value":"Dockerfile"}]}`
	assert.JSONEq(t, want, h.lastRequest(t, "CreateCloudRunServer"), "Port comes from the Dockerfile's EXPOSE")

	files := h.uploadedFiles(t, "shop-api")
	assert.ElementsMatch(t, []string{".gitignore", "Dockerfile", "index.js", "package.json"}, files)

	h.settle()
	_, detail := h.query(t, map[string]any{"action": "detail", "detailServerName": "shop-api"})
	assert.Equal(t, "normal", path(detail, "latestDeploy", "status"))
	assert.EqualValues(t, 8080, path(detail, "service", "config", "Port"))

	rc, err := os.ReadFile(filepath.Join(dir, "cloudbaserc.json"))
	require.NoError(t, err)
	assert.JSONEq(t, `{"envId":"demo-env-1a2b3c","cloudrun":{"name":"shop-api"}}`, string(rc))

	audit, err := os.ReadFile(h.cfg.AuditLog)
	require.NoError(t, err)
	assert.Contains(t, string(audit), `"action":"deploy"`)
	assert.Contains(t, string(audit), `"serverName":"shop-api"`)
	assert.NotContains(t, string(audit), emulator.DemoSecretKey)
}

// uploadedFiles lists the files of the newest package uploaded for svc.
func (h *harness) uploadedFiles(t *testing.T, svc string) []string {
	t.Helper()
	resp, err := http.Get(h.base + "/__emulator/packages")
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var listing struct {
		Packages []struct {
			ServiceName string   `json:"serviceName"`
			PackageName string   `json:"packageName"`
			Files       []string `json:"files"`
		} `json:"packages"`
	}
	require.NoError(t, json.Unmarshal(raw, &listing), string(raw))
	var files []string
	for _, p := range listing.Packages {
		if p.ServiceName == svc || p.PackageName == svc {
			files = p.Files
		}
	}
	require.NotNil(t, files, "no package uploaded for %s: %s", svc, raw)
	return files
}

func TestDeployFunctionCreateBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	h.project(t, "function-hello")
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "fn-hello", "targetPath": "function-hello"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "function", out["serviceType"])
	assert.Contains(t, out["serviceTypeReason"], "@cloudbase/functions-framework")

	body := h.lastBody(t, "CreateCloudRunServer")
	pkgVersion := path(body, "DeployInfo", "PackageVersion").(string)
	// The reference's body for a new function service (tcbr-api.md §8.2).
	want := `{"EnvId":"demo-env-1a2b3c","ServerName":"fn-hello","DeployInfo":{"DeployType":"package","PackageName":"fn-hello","PackageVersion":"` + pkgVersion + `",
	  "BuildPacks":{"LanguageVersion":"20.18","RepoLanguage":"Node.js"}},
	 "Items":[{"Key":"AccessTypes","ArrayValue":["OA","PUBLIC","MINIAPP"]},{"Key":"MinNum","IntValue":0},
	  {"Key":"EnvParam","Value":"{}"},{"Key":"InitialDelaySeconds","IntValue":0},{"Key":"HasDockerfile","BoolValue":true},
	  {"Key":"Port","IntValue":3000},{"Key":"Dockerfile","Value":"Dockerfile"},{"Key":"Tag","Value":"function:"}]}`
	assert.JSONEq(t, want, h.lastRequest(t, "CreateCloudRunServer"))
	h.settle()
	_, list := h.query(t, map[string]any{"action": "list", "serverType": "function", "refresh": true})
	assert.Contains(t, serviceNames(list), "fn-hello")
}

func vpcScenario(t *testing.T) *emulator.Scenario {
	sc := emulator.DefaultScenario()
	for i := range sc.Envs {
		for j := range sc.Envs[i].Services {
			s := &sc.Envs[i].Services[j]
			if s.Name == "hello-api" {
				var cfg map[string]any
				require.NoError(t, json.Unmarshal(s.Config, &cfg))
				cfg["VpcConf"] = map[string]any{"VpcId": "vpc-demo01", "SubnetId": "subnet-demo01"}
				raw, err := json.Marshal(cfg)
				require.NoError(t, err)
				s.Config = raw
			}
		}
	}
	return sc
}

func TestDeployUpdatePreservesRemoteConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withScenario(vpcScenario(t)))
	h.emu.SetSpeed(400)
	h.project(t, "container-node")
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "hello-api", "targetPath": "container-node",
		"serverConfig": map[string]any{"EnvParams": map[string]any{"FEATURE": "on"}}})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "update", out["operation"])
	assert.ElementsMatch(t, []any{"OpenAccessTypes", "EnvParams (DB_PASSWORD, NODE_ENV)", "VpcConf"}, out["mergedFromRemote"])
	assert.NotContains(t, resultText(res), "s3cret-demo")

	body := h.lastBody(t, "UpdateCloudRunServer")
	assert.Equal(t, "FULL", path(body, "DeployInfo", "ReleaseType"))
	items := map[string]map[string]any{}
	for _, it := range body["Items"].([]any) {
		m := it.(map[string]any)
		items[m["Key"].(string)] = m
	}
	assert.Equal(t, []any{"OA", "PUBLIC", "MINIAPP"}, items["AccessTypes"]["ArrayValue"])
	assert.JSONEq(t, `{"DB_PASSWORD":"s3cret-demo","FEATURE":"on","NODE_ENV":"production"}`, items["EnvParam"]["Value"].(string))
	assert.Equal(t, "vpc-demo01", path(items["VpcConf"], "VpcConf", "VpcId"))

	h.settle()
	_, detail := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api", "revealEnvParams": true})
	assert.Equal(t, "normal", path(detail, "latestDeploy", "status"))
	assert.Equal(t, map[string]any{"DB_PASSWORD": "s3cret-demo", "FEATURE": "on", "NODE_ENV": "production"}, path(detail, "service", "config", "EnvParams"))
	assert.Equal(t, "vpc-demo01", path(detail, "service", "config", "VpcConf", "VpcId"))

	t.Run("replace all", func(t *testing.T) {
		res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "hello-api", "targetPath": "container-node",
			"envParamsReplaceAll": true, "serverConfig": map[string]any{"EnvParams": `{"ONLY":"this"}`}})
		require.False(t, res.IsError, resultText(res))
		body := h.lastBody(t, "UpdateCloudRunServer")
		for _, it := range body["Items"].([]any) {
			if m := it.(map[string]any); m["Key"] == "EnvParam" {
				assert.JSONEq(t, `{"ONLY":"this"}`, m["Value"].(string))
			}
		}
	})
}

func TestDeployImage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "img-svc", "imageUrl": "ccr.ccs.tencentyun.com/demo/app:v1"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "image", out["deployType"])
	assert.Equal(t, "container", out["serviceType"])
	assert.Equal(t, true, out["registered"])
	assert.NotEmpty(t, out["runId"])
	assert.Equal(t, "getProcessLog", path(out, "nextStep", "action"))
	assert.Equal(t, 0, h.emu.RequestCount("DescribeCloudBaseBuildService"), "image deploys upload nothing")
	body := h.lastBody(t, "CreateCloudRunServer")
	assert.Equal(t, map[string]any{"DeployType": "image", "ImageUrl": "ccr.ccs.tencentyun.com/demo/app:v1"}, body["DeployInfo"])
}

func TestDeployDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.project(t, "container-node")
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "orders-svc", "targetPath": "container-node", "dryRun": true,
		"serverConfig": map[string]any{"MinNum": 1}})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, true, out["dryRun"])
	assert.Equal(t, "update", out["operation"])
	assert.Greater(t, path(out, "package", "zipBytes").(float64), float64(0))
	assert.Equal(t, "MISSING_VPC_FOR_DB_ENV", path(out, "warnings").([]any)[0].(map[string]any)["code"])
	assert.NotContains(t, resultText(res), "0rders-pw", "EnvParams are masked in the items")
	for _, action := range []string{"DescribeCloudBaseBuildService", "CreateCloudRunServer", "UpdateCloudRunServer"} {
		assert.Equal(t, 0, h.emu.RequestCount(action), action)
	}
}

func TestDeployRefusesAnUnopenedEnv(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.cfg.EnvID = "fresh-env-9z8y7x"
	h.project(t, "container-node")
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "first-svc", "targetPath": "container-node"})
	require.True(t, res.IsError)
	assert.Equal(t, "initEnv", path(out, "error", "nextStep", "action"))
	assert.Equal(t, 0, h.emu.RequestCount("CreateCloudRunServer"))
	assert.Equal(t, 0, h.emu.RequestCount("DescribeCloudBaseBuildService"))
}

func TestDeployContainerNeedsADockerfile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.project(t, "function-hello")
	res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "needs-df", "targetPath": "function-hello", "serverType": "container"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "Dockerfile")
	assert.Equal(t, 0, h.emu.RequestCount("DescribeCloudBaseBuildService"))
}

func TestDeployFaults(t *testing.T) {
	t.Parallel()
	t.Run("upload fails: nothing is created", func(t *testing.T) {
		h := newHarness(t)
		h.project(t, "container-node")
		h.emu.InjectFault(emulator.Fault{Action: "COSUpload", Status: 500, Times: 1})
		res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "up-fail", "targetPath": "container-node"})
		require.True(t, res.IsError)
		assert.Contains(t, resultText(res), "Nothing was deployed")
		assert.Contains(t, resultText(res), "HTTP 500")
		assert.Equal(t, 0, h.emu.RequestCount("CreateCloudRunServer"))
		_, list := h.query(t, map[string]any{"action": "list", "refresh": true})
		assert.NotContains(t, serviceNames(list), "up-fail")
	})
	t.Run("create rate-limited: not retried, the agent is told to check", func(t *testing.T) {
		h := newHarness(t)
		h.project(t, "container-node")
		h.emu.InjectFault(emulator.Fault{Action: "CreateCloudRunServer", Code: "RequestLimitExceeded", Message: "slow down", Times: 1})
		res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "rl-svc", "targetPath": "container-node"})
		require.True(t, res.IsError)
		assert.Equal(t, 1, h.emu.RequestCount("CreateCloudRunServer"), "a write is never retried")
		assert.Contains(t, resultText(res), "may or may not have been accepted")
		assert.Equal(t, "getDeployRecords", path(out, "error", "nextStep", "action"))
	})
	t.Run("cancelled while waiting: the deploy goes on, the tool says what it knows", func(t *testing.T) {
		h := newHarness(t, withMaxWait(time.Minute))
		h.emu.SetSpeed(0) // the clock stands still: the build never registers
		h.project(t, "container-node")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // cancel once the call is in its registration wait
			for h.emu.RequestCount("DescribeServerManageTask") == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
		}()
		req := mcp.CallToolRequest{}
		req.Params.Name = ManageToolName
		req.Params.Arguments = map[string]any{"action": "deploy", "serverName": "slow-svc", "targetPath": "container-node"}
		res, err := h.plugin.handleManage(ctx, req)
		require.NoError(t, err)
		require.False(t, res.IsError, resultText(res))
		out := payload(t, res)
		assert.Equal(t, false, out["registered"])
		assert.Contains(t, out["waitNote"], "continues upstream")
		assert.Greater(t, out["taskId"].(float64), float64(0))
		assert.Equal(t, 1, h.emu.RequestCount("CreateCloudRunServer"))
	})
}

func TestGrayRelease(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	svc := "canary-web" // seeded with an open GRAY release: v001 100 %, v002 0 %

	res, _ := h.manage(t, map[string]any{"action": "traffic", "serverName": "hello-api", "trafficOp": "set", "stablePercent": 90, "canaryPercent": 10})
	require.True(t, res.IsError, "no gray release on hello-api")
	assert.Contains(t, resultText(res), "No gray release is open")
	assert.Equal(t, 0, h.emu.RequestCount("ReleaseGray"))

	res, out := h.manage(t, map[string]any{"action": "traffic", "serverName": svc, "trafficOp": "set", "stablePercent": 90, "canaryPercent": 10})
	require.False(t, res.IsError, resultText(res))
	stable, canary := out["stableVersion"].(string), out["canaryVersion"].(string)
	assert.JSONEq(t, `{"EnvId":"demo-env-1a2b3c","ServerName":"canary-web","GrayType":"gray","TrafficType":"FLOW","GrayFlowRatio":10,
	  "VersionFlowItems":[{"VersionName":"`+stable+`","FlowRatio":90,"IsDefaultPriority":true,"Priority":1},
	                      {"VersionName":"`+canary+`","FlowRatio":10,"IsDefaultPriority":false,"Priority":2}]}`, h.lastRequest(t, "ReleaseGray"))
	h.emu.Advance(5 * time.Second)
	_, detail := h.query(t, map[string]any{"action": "detail", "detailServerName": svc})
	ratios := map[string]float64{}
	for _, v := range path(detail, "service", "onlineVersions").([]any) {
		m := v.(map[string]any)
		ratios[m["version"].(string)] = m["flowRatio"].(float64)
	}
	assert.Equal(t, map[string]float64{stable: 90, canary: 10}, ratios)

	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": svc, "imageUrl": "ccr.ccs.tencentyun.com/demo/web:v3"})
	require.True(t, res.IsError, "no new deploy while a gray release is open")
	assert.Contains(t, resultText(res), "ResourceInUse")

	res, _ = h.manage(t, map[string]any{"action": "traffic", "serverName": svc, "trafficOp": "promote"})
	require.False(t, res.IsError, resultText(res))
	assert.JSONEq(t, `{"EnvId":"demo-env-1a2b3c","ServerName":"canary-web","GrayType":"gray","TrafficType":"FLOW","GrayFlowRatio":100,
	  "VersionFlowItems":[{"VersionName":"`+canary+`","FlowRatio":100,"Priority":0,"IsDefaultPriority":true}],"CloseGrayRelease":true}`, h.lastRequest(t, "ReleaseGray"))
	h.emu.Advance(5 * time.Second)
	_, detail = h.query(t, map[string]any{"action": "detail", "detailServerName": svc})
	versions := path(detail, "service", "onlineVersions").([]any)
	require.Len(t, versions, 1)
	assert.Equal(t, canary, versions[0].(map[string]any)["version"])
	_, task := h.query(t, map[string]any{"action": "getManageTask", "detailServerName": svc})
	assert.Equal(t, "finished", path(task, "task", "status"))

	t.Run("gray deploy then rollback", func(t *testing.T) {
		h.project(t, "container-node")
		res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "hello-api", "targetPath": "container-node", "releaseType": "GRAY"})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, "GRAY", path(h.lastBody(t, "UpdateCloudRunServer"), "DeployInfo", "ReleaseType"))
		assert.Contains(t, out["message"], "GRAY")
		h.settle() // built and normal; the order is open at 0 %
		res, _ = h.manage(t, map[string]any{"action": "traffic", "serverName": "hello-api", "trafficOp": "set", "stablePercent": 50, "canaryPercent": 50})
		require.False(t, res.IsError, resultText(res))
		res, _ = h.manage(t, map[string]any{"action": "traffic", "serverName": "hello-api", "trafficOp": "rollback"})
		require.False(t, res.IsError, resultText(res))
		body := h.lastBody(t, "OperateServerManage")
		assert.Equal(t, "go_back", body["OperateType"])
		assert.Greater(t, body["TaskId"].(float64), float64(0))
		h.emu.Advance(10 * time.Second)
		_, detail := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api", "refresh": true})
		versions := path(detail, "service", "onlineVersions").([]any)
		require.Len(t, versions, 1)
		assert.EqualValues(t, 100, versions[0].(map[string]any)["flowRatio"])
		assert.NotEqual(t, out["version"], versions[0].(map[string]any)["version"], "the candidate was abandoned")
	})
}

func TestTrafficInputRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"trafficOp": "set", "stablePercent": 60, "canaryPercent": 30}, "not 100"},
		{map[string]any{"trafficOp": "set", "stablePercent": 60}, "both stablePercent and canaryPercent"},
		{map[string]any{}, "trafficOp"},
	} {
		args := map[string]any{"action": "traffic", "serverName": "canary-web"}
		for k, v := range tc.args {
			args[k] = v
		}
		res, _ := h.manage(t, args)
		require.True(t, res.IsError)
		assert.Contains(t, resultText(res), tc.want)
	}
	assert.Empty(t, h.emu.Requests())
}

func TestUpdateConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	res, out := h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 2}})
	require.False(t, res.IsError, resultText(res))
	assert.EqualValues(t, 0, out["taskId"])
	assert.Equal(t, true, out["verified"])
	assert.JSONEq(t, `{"EnvId":"demo-env-1a2b3c","ServerName":"hello-api","Items":[{"Key":"MinNum","IntValue":2}]}`, h.lastRequest(t, "SubmitServerConfigChangeDiff"))

	res, out = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 2}})
	require.False(t, res.IsError, resultText(res))
	assert.Empty(t, out["changed"])
	assert.Equal(t, 1, h.emu.RequestCount("SubmitServerConfigChangeDiff"), "no call when nothing changes")

	res, out = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "dryRun": true, "serverConfig": map[string]any{"EnvParams": map[string]any{"LOG_LEVEL": "debug"}}})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, []any{"EnvParam"}, out["likelyRedeployFields"])
	assert.Equal(t, 1, h.emu.RequestCount("SubmitServerConfigChangeDiff"), "dry run sends nothing")

	res, out = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"EnvParams": map[string]any{"LOG_LEVEL": "debug"}}})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, []any{"LOG_LEVEL"}, path(out, "changed").([]any)[0].(map[string]any)["added"])
	var sent map[string]any
	require.NoError(t, json.Unmarshal([]byte(h.lastRequest(t, "SubmitServerConfigChangeDiff")), &sent))
	assert.JSONEq(t, `{"DB_PASSWORD":"s3cret-demo","LOG_LEVEL":"debug","NODE_ENV":"production"}`, sent["Items"].([]any)[0].(map[string]any)["Value"].(string),
		"EnvParams are merged by key")
	if out["taskId"].(float64) > 0 {
		assert.Equal(t, "getManageTask", path(out, "nextStep", "action"))
	}

	res, _ = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"Cpu": 1}})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "Cpu and Mem go together")
	res, _ = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "serverConfig")
}

func TestInitEnv(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	res, out := h.manage(t, map[string]any{"action": "initEnv", "envId": "fresh-env-9z8y7x"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, true, out["created"])
	assert.Equal(t, true, out["opened"])
	assert.Equal(t, "normal", out["status"])
	assert.JSONEq(t, `{"EnvId":"fresh-env-9z8y7x","PackageType":"Trial","EnvType":"baas"}`, h.lastRequest(t, "CreateCloudRunEnv"))

	res, out = h.manage(t, map[string]any{"action": "initEnv", "envId": "fresh-env-9z8y7x"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, false, out["created"])
	assert.Equal(t, 1, h.emu.RequestCount("CreateCloudRunEnv"), "idempotent: no second call")
}

// TestManageBadInput: every manageCloudRun parameter with a wrong type, range
// or enum is refused, naming the parameter, before any upstream call.
func TestManageBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.project(t, "container-node")
	base := func(extra map[string]any) map[string]any {
		args := map[string]any{"action": "deploy", "serverName": "bad-input", "targetPath": "container-node"}
		for k, v := range extra {
			args[k] = v
		}
		return args
	}
	tests := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"action enum", map[string]any{"action": "explode", "serverName": "svc"}, []string{"action", "init, download"}},
		{"serverName pattern", base(map[string]any{"serverName": "1-starts-with-a-digit"}), []string{"serverName"}},
		{"serverName missing", map[string]any{"action": "deploy", "targetPath": "x"}, []string{"serverName is required"}},
		{"targetPath type", base(map[string]any{"targetPath": 7}), []string{"targetPath", "string"}},
		{"targetPath outside the workspace", base(map[string]any{"targetPath": "../../etc"}), []string{"targetPath", "outside the workspace"}},
		{"targetPath not a directory", base(map[string]any{"targetPath": "no-such-dir"}), []string{"targetPath", "not a directory"}},
		{"deploy without a source", map[string]any{"action": "deploy", "serverName": "svc"}, []string{"targetPath", "imageUrl"}},
		{"imageUrl type", base(map[string]any{"imageUrl": 3}), []string{"imageUrl", "string"}},
		{"imageUrl format", base(map[string]any{"imageUrl": "not an image!"}), []string{"imageUrl", "not an image reference"}},
		{"serverConfig type", base(map[string]any{"serverConfig": "Cpu=1"}), []string{"serverConfig", "object"}},
		{"serverConfig unknown key", base(map[string]any{"serverConfig": map[string]any{"Memory": 1}}), []string{`"Memory"`, "Mem"}},
		{"Cpu type", base(map[string]any{"serverConfig": map[string]any{"Cpu": "lots", "Mem": 1}}), []string{"Cpu", "number"}},
		{"Cpu without Mem", base(map[string]any{"serverConfig": map[string]any{"Cpu": 0.5}}), []string{"Cpu and Mem go together"}},
		{"Mem not 2 x Cpu", base(map[string]any{"serverConfig": map[string]any{"Cpu": 1, "Mem": 1}}), []string{"Mem must be 2 x Cpu"}},
		{"MinNum range", base(map[string]any{"serverConfig": map[string]any{"MinNum": -1}}), []string{"MinNum", "minimum"}},
		{"MinNum above MaxNum", base(map[string]any{"serverConfig": map[string]any{"MinNum": 5, "MaxNum": 2}}), []string{"MinNum 5 is larger than MaxNum 2"}},
		{"Port range", base(map[string]any{"serverConfig": map[string]any{"Port": 70000}}), []string{"Port", "maximum"}},
		{"OpenAccessTypes enum", base(map[string]any{"serverConfig": map[string]any{"OpenAccessTypes": []any{"INTERNET"}}}), []string{"OpenAccessTypes", "OA, PUBLIC, MINIAPP, VPC"}},
		{"PolicyThreshold range", base(map[string]any{"serverConfig": map[string]any{"PolicyDetails": []any{map[string]any{"PolicyType": "cpu", "PolicyThreshold": 0}}}}), []string{"PolicyThreshold", "minimum"}},
		{"EnvParams not JSON", base(map[string]any{"serverConfig": map[string]any{"EnvParams": "not json"}}), []string{"EnvParams must be a JSON object"}},
		{"EnvParams type", base(map[string]any{"serverConfig": map[string]any{"EnvParams": 5}}), []string{"EnvParams", "string or object"}},
		{"envParamsReplaceAll type", base(map[string]any{"envParamsReplaceAll": "sometimes"}), []string{"envParamsReplaceAll", "boolean"}},
		{"serverType enum", base(map[string]any{"serverType": "vm"}), []string{"serverType", "function, container"}},
		{"waitRegistration type", base(map[string]any{"waitRegistration": "maybe"}), []string{"waitRegistration", "boolean"}},
		{"releaseType enum", base(map[string]any{"releaseType": "BLUE"}), []string{"releaseType", "FULL, GRAY"}},
		{"dryRun type", base(map[string]any{"dryRun": "yes please"}), []string{"dryRun", "boolean"}},
		{"template type", map[string]any{"action": "init", "serverName": "svc", "template": 1}, []string{"template", "string"}},
		{"runOptions type", map[string]any{"action": "run", "serverName": "svc", "runOptions": "fast"}, []string{"runOptions", "object"}},
		{"runOptions.port range", map[string]any{"action": "run", "serverName": "svc", "runOptions": map[string]any{"port": 0}}, []string{"port", "minimum"}},
		{"runOptions.runMode enum", map[string]any{"action": "run", "serverName": "svc", "runOptions": map[string]any{"runMode": "turbo"}}, []string{"runMode", "normal, agent"}},
		{"agentConfig required agentName", map[string]any{"action": "createAgent", "serverName": "svc", "agentConfig": map[string]any{}}, []string{"agentName"}},
		{"trafficOp enum", map[string]any{"action": "traffic", "serverName": "svc", "trafficOp": "half"}, []string{"trafficOp", "set, promote, rollback"}},
		{"stablePercent range", map[string]any{"action": "traffic", "serverName": "svc", "trafficOp": "set", "stablePercent": 120, "canaryPercent": -20}, []string{"stablePercent", "canaryPercent"}},
		{"envId type", map[string]any{"action": "initEnv", "envId": 12}, []string{"envId", "string"}},
		{"packageType enum", map[string]any{"action": "initEnv", "packageType": "Gold"}, []string{"packageType", "Trial, Standard, Professional, Enterprise"}},
		{"vpcId type", map[string]any{"action": "initEnv", "vpcId": true}, []string{"vpcId", "string"}},
		{"subnetIds type", map[string]any{"action": "initEnv", "subnetIds": "subnet-1"}, []string{"subnetIds", "array"}},
		{"force type", map[string]any{"action": "delete", "serverName": "svc", "force": "sure"}, []string{"force", "boolean"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := h.manage(t, tc.args)
			require.True(t, res.IsError, "must be refused: %v", tc.args)
			msg := resultText(res)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
		})
	}
	assert.Empty(t, h.emu.Requests(), "bad input never reaches the API")
}
