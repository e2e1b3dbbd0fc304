package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

func TestDeployPackageEndToEnd(t *testing.T) {
	e, base := start(t, Options{})
	zipBytes := containerZip(t)

	// Upload ticket: the service need not exist yet.
	tk := ticket(t, base, "shop-api")
	assert.Equal(t, "shop-api", tk.PackageName)
	assert.Equal(t, strconv.FormatInt(e.Now().Unix(), 10), tk.PackageVersion)
	assert.True(t, strings.HasPrefix(tk.UploadUrl, base+"/__cos/upload/demo-env-1a2b3c/shop-api/"+tk.PackageVersion+"?sign="), tk.UploadUrl)
	assert.Contains(t, tk.UploadUrl, "&expires=")
	assert.Equal(t, []tcbr.KVPair{{Key: "Content-Type", Value: "application/zip"}, {Key: "x-cos-meta-emulator", Value: "1"}}, tk.UploadHeaders)
	assert.Equal(t, "", tk.DownloadUrl)
	assert.NotEqual(t, tk.PackageVersion, ticket(t, base, "shop-api").PackageVersion, "every ticket has its own version")

	status, hdr, body := put(t, tk.UploadUrl, tk.UploadHeaders, zipBytes)
	require.Equal(t, http.StatusOK, status, "%s", body)
	assert.Regexp(t, `^"[0-9a-f]{32}"$`, hdr.Get("ETag"))

	apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": "shop-api"}), "ResourceNotFound.ServerNotFound")

	created := sdk[tcbr.CreateCloudRunServerResponse](t, base, "CreateCloudRunServer", m{
		"EnvId": demoEnv, "ServerName": "shop-api",
		"DeployInfo": m{"DeployType": "package", "PackageName": tk.PackageName, "PackageVersion": tk.PackageVersion, "DeployRemark": "first"},
		"Items": []m{arrItem("AccessTypes", "OA", "PUBLIC", "MINIAPP"), intItem("MinNum", 0), strItem("EnvParam", `{"A":"1"}`),
			intItem("InitialDelaySeconds", 0), {"Key": "HasDockerfile", "BoolValue": true}, intItem("Port", 8080),
			strItem("Dockerfile", "Dockerfile"), floatItem("CpuSpecs", 1), floatItem("MemSpecs", 2), {"Key": "Unknown", "Value": "ignored"}},
	})
	require.Greater(t, created.TaskId, int64(0))

	task := latestTask(t, base, "shop-api").Task
	assert.Equal(t, created.TaskId, task.Id)
	assert.Equal(t, "CreateServer", task.ChangeType)
	assert.Equal(t, "FULL", task.ReleaseType)
	assert.Equal(t, "package", task.DeployType)
	assert.Equal(t, "", task.PreVersionName)
	assert.Equal(t, "shop-api-001", task.VersionName)
	assert.Equal(t, "running", task.Status)

	d := detail(t, base, "shop-api")
	assert.Equal(t, "creating", d.BaseInfo.Status)
	assert.Equal(t, "container", d.BaseInfo.ServerType)
	assert.Equal(t, []tcbr.OnlineVersionInfo{}, d.OnlineVersionInfos)
	rec := records(t, base, "shop-api")[0]
	assert.Equal(t, "building", rec.Status)
	assert.Zero(t, rec.BuildId, "BuildId 0 until the build starts")
	assert.NotEmpty(t, rec.RunId)

	advance(e, 3)
	rec = records(t, base, "shop-api")[0]
	require.Greater(t, rec.BuildId, int64(0), "BuildId within 3 s")
	partial := fullBuildLog(t, base, "shop-api", rec.BuildId)
	assert.True(t, partial.More)

	advance(e, 57) // t=60: build done
	rec = records(t, base, "shop-api")[0]
	assert.Equal(t, "creating", rec.Status)
	require.NotNil(t, rec.ImageUrl)
	blog := fullBuildLog(t, base, "shop-api", rec.BuildId)
	assert.False(t, blog.More)
	assert.Equal(t, containerSteps, stepLines(blog.Text), "one step per Dockerfile instruction")
	assert.Contains(t, blog.Text, "Successfully built ")
	assert.Contains(t, blog.Text, "Successfully tagged "+*rec.ImageUrl)
	assert.Contains(t, blog.Text, "push "+*rec.ImageUrl+" done")
	assert.Empty(t, blog.FailType)

	advance(e, 60) // t=120: ready, release step running
	rec = records(t, base, "shop-api")[0]
	assert.Equal(t, "normal", rec.Status)
	assert.EqualValues(t, 0, rec.FlowRatio)
	assert.Equal(t, "running", latestTask(t, base, "shop-api").Task.Status)
	plog := processLines(t, base, rec.RunId)
	assert.Contains(t, plog, "server listening on 0.0.0.0:8080")
	assert.Contains(t, plog, "check_eks_virtual_service: success")

	advance(e, 4) // t=124
	task = latestTask(t, base, "shop-api").Task
	assert.Equal(t, "finished", task.Status)
	assert.Equal(t, []string{"finished", "finished"}, []string{task.Steps[0].Status, task.Steps[1].Status})
	rec = records(t, base, "shop-api")[0]
	assert.EqualValues(t, 100, rec.FlowRatio)
	assert.True(t, rec.HasTraffic)
	assert.False(t, rec.IsReleasing)
	d = detail(t, base, "shop-api")
	assert.Equal(t, "normal", d.BaseInfo.Status)
	assert.Equal(t, []tcbr.OnlineVersionInfo{{VersionName: "shop-api-001", ImageUrl: *rec.ImageUrl, FlowRatio: "100"}}, d.OnlineVersionInfos)
	cfg := d.ServerConfig
	assert.EqualValues(t, 8080, cfg.Port)
	assert.Equal(t, 1.0, cfg.Cpu)
	assert.Equal(t, 2.0, cfg.Mem)
	assert.Equal(t, `{"A":"1"}`, cfg.EnvParams)
	assert.Equal(t, []string{"OA", "PUBLIC", "MINIAPP"}, cfg.OpenAccessTypes)
	assert.EqualValues(t, 5, cfg.MaxNum, "platform default where no item was sent")
	assert.Equal(t, "", cfg.Tag)
	assert.Equal(t, []string{"OA", "PUBLIC", "MINIAPP"}, d.BaseInfo.AccessTypes)
	vd := ok[versionDetailResponse](t, api(t, base, "DescribeVersionDetail",
		m{"EnvId": demoEnv, "ServerName": "shop-api", "VersionName": "shop-api-001"}))
	assert.EqualValues(t, 8080, vd.Port)
	assert.Nil(t, vd.BuildPacks)

	// The version's package downloads as the exact uploaded bytes.
	dl := ok[tcbr.DescribeCloudBaseBuildServiceResponse](t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService",
		m{"EnvId": demoEnv, "ServiceName": "shop-api", "ServiceVersion": "shop-api-001"}))
	status, _, got := get(t, dl.DownloadUrl)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, zipBytes, got)

	// Admin: the package listing.
	pkgs := e.Packages()
	require.Len(t, pkgs, 1)
	assert.Equal(t, PackageInfo{EnvID: demoEnv, PackageName: "shop-api", PackageVersion: tk.PackageVersion, Bytes: len(zipBytes),
		ETag: hdr.Get("ETag"), Files: []string{"Dockerfile", "index.js"}, UploadedAt: pkgs[0].UploadedAt,
		Versions: []string{"shop-api-001"}}, pkgs[0])
	code, out := admin(t, http.MethodGet, base+"/__emulator/packages", "")
	require.Equal(t, http.StatusOK, code)
	list := out["packages"].([]any)
	require.Len(t, list, 1)
	assert.Equal(t, float64(len(zipBytes)), list[0].(map[string]any)["bytes"])

	// Every call is recorded, object storage included.
	var actions []string
	for _, r := range e.Requests() {
		actions = append(actions, r.Action)
	}
	assert.Contains(t, actions, "CreateCloudRunServer")
	assert.Equal(t, 1, e.RequestCount("COSUpload"))
	assert.Equal(t, 1, e.RequestCount("COSDownload"))
}

func TestDeployFunctionWithBuildpacks(t *testing.T) {
	e, base := start(t, Options{})
	di := upload(t, base, "todo-fn", makeZip(t, "package.json", functionPackageJSON, "index.js", "exports.main = async () => 'ok';\n"))
	di["BuildPacks"] = m{"LanguageVersion": "20.18", "RepoLanguage": "Node.js"}
	sdk[tcbr.CreateCloudRunServerResponse](t, base, "CreateCloudRunServer", m{
		"EnvId": demoEnv, "ServerName": "todo-fn", "DeployInfo": di,
		"Items": []m{arrItem("AccessTypes", "OA", "PUBLIC", "MINIAPP"), strItem("EnvParam", "{}"), intItem("Port", 3000), strItem("Tag", "function:")},
	})
	d := detail(t, base, "todo-fn")
	assert.Equal(t, "function", d.BaseInfo.ServerType)
	assert.Equal(t, "function:", d.ServerConfig.Tag)
	advance(e, 60)
	rec := records(t, base, "todo-fn")[0]
	blog := fullBuildLog(t, base, "todo-fn", rec.BuildId)
	assert.Contains(t, blog.Text, "[build] no Dockerfile, using buildpacks: Node.js 20.18")
	assert.Contains(t, blog.Text, "[builder] + @cloudbase/functions-framework@^1.14.0")
	assert.Contains(t, blog.Text, "[builder] + lodash@^4.17.21")
	assert.Empty(t, stepLines(blog.Text))
	advance(e, 64)
	assert.Equal(t, map[string]string{"todo-fn-001": "100"}, traffic(t, base, "todo-fn"))
	assert.Contains(t, processLines(t, base, rec.RunId), "server listening on 0.0.0.0:3000")
	vd := ok[versionDetailResponse](t, api(t, base, "DescribeVersionDetail",
		m{"EnvId": demoEnv, "ServerName": "todo-fn", "VersionName": "todo-fn-001"}))
	assert.Equal(t, &tcbr.BuildPacksInfo{LanguageVersion: "20.18", RepoLanguage: "Node.js"}, vd.BuildPacks)
}

func TestBuildFailures(t *testing.T) {
	cases := []struct {
		name, svc  string
		zip        func(t *testing.T) []byte
		items      []m
		buildpacks bool
		reason     string
		failAt     int // virtual seconds until build_failed
		logHas     string
	}{
		{name: "no Dockerfile", svc: "nodocker", zip: func(t *testing.T) []byte { return makeZip(t, "index.js", indexJS) },
			reason: "Dockerfile not found", failAt: 10, logHas: "ERROR: Dockerfile not found (Dockerfile)"},
		{name: "Dockerfile outside BuildDir", svc: "subdir", zip: func(t *testing.T) []byte { return containerZip(t) },
			items: []m{strItem("BuildDir", "server")}, reason: "Dockerfile not found", failAt: 10, logHas: "server/Dockerfile"},
		{name: "function without package.json", svc: "nopkgjson", buildpacks: true,
			zip: func(t *testing.T) []byte { return makeZip(t, "index.js", indexJS) }, reason: "package.json not found", failAt: 10},
		{name: "marker file", svc: "marker", zip: func(t *testing.T) []byte {
			return makeZip(t, "Dockerfile", "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm install --production\nCMD [\"node\",\"index.js\"]\n",
				"package.json", functionPackageJSON, ".emulator/fail-build", "")
		}, reason: "The command '/bin/sh -c npm install --production' returned a non-zero code: 1", failAt: 50,
			logHas: "Step 4/5 : RUN npm install --production"},
		{name: "EMULATOR_FAIL=build", svc: "envfail", zip: func(t *testing.T) []byte { return containerZip(t) },
			items:  []m{strItem("EnvParam", `{"EMULATOR_FAIL":"build"}`)},
			reason: "emulator: forced build failure at step 4/4 (EMULATOR_FAIL=build)", failAt: 60},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, base := start(t, Options{})
			di := upload(t, base, tc.svc, tc.zip(t))
			if tc.buildpacks {
				di["BuildPacks"] = m{"LanguageVersion": "20.18", "RepoLanguage": "Node.js"}
			}
			req := m{"EnvId": demoEnv, "ServerName": tc.svc, "DeployInfo": di}
			if tc.items != nil {
				req["Items"] = tc.items
			}
			sdk[tcbr.CreateCloudRunServerResponse](t, base, "CreateCloudRunServer", req)
			advance(e, tc.failAt-1)
			assert.Equal(t, "building", records(t, base, tc.svc)[0].Status)
			advance(e, 1)
			rec := records(t, base, tc.svc)[0]
			assert.Equal(t, "build_failed", rec.Status)
			assert.Nil(t, rec.ImageUrl)
			blog := fullBuildLog(t, base, tc.svc, rec.BuildId)
			assert.False(t, blog.More)
			assert.Equal(t, "BuildFailed", blog.FailType)
			assert.Equal(t, tc.reason, blog.FailReason)
			assert.True(t, strings.HasSuffix(blog.Text, "[build] build failed"), blog.Text)
			assert.NotContains(t, blog.Text, "Successfully tagged")
			if tc.logHas != "" {
				assert.Contains(t, blog.Text, tc.logHas)
			}
			task := latestTask(t, base, tc.svc).Task
			assert.Equal(t, "failed", task.Status)
			assert.Equal(t, tc.reason, task.FailReason)
			assert.Equal(t, "create_failed", detail(t, base, tc.svc).BaseInfo.Status)
			assert.Equal(t, []string{}, processLines(t, base, rec.RunId))
		})
	}
}

func TestDeployFailureKeepsTraffic(t *testing.T) {
	e, base := start(t, Options{})
	before := traffic(t, base, "hello-api")
	require.Equal(t, map[string]string{"hello-api-002": "100"}, before)
	up := sdk[tcbr.UpdateCloudRunServerResponse](t, base, "UpdateCloudRunServer", m{
		"EnvId": demoEnv, "ServerName": "hello-api", "DeployInfo": upload(t, base, "hello-api", containerZip(t)),
		"Items": []m{strItem("EnvParam", `{"NODE_ENV":"production","EMULATOR_FAIL":"deploy"}`), intItem("InitialDelaySeconds", 10)},
	})
	assert.Equal(t, demoEnv, up.EnvId)
	require.Greater(t, up.TaskId, int64(0))

	// Readiness fails for InitialDelaySeconds + 150 s after the 60 s build.
	advance(e, 60+10+150-1)
	rec := recordOf(t, base, "hello-api", "hello-api-003")
	assert.Equal(t, "creating", rec.Status)
	advance(e, 1)
	rec = recordOf(t, base, "hello-api", "hello-api-003")
	assert.Equal(t, "deploy_failed", rec.Status)
	plog := processLines(t, base, rec.RunId)
	probe := 0
	for _, l := range plog {
		if assert.NotContains(t, l, "server listening") && strings.HasPrefix(l, "Readiness probe failed: dial tcp 10.") {
			assert.True(t, strings.HasSuffix(l, ":80: connect: connection refused"), l)
			probe++
		}
	}
	assert.Greater(t, probe, 1, "probe failures repeat")
	assert.Equal(t, "check_eks_virtual_service: failed", plog[len(plog)-1])
	task := latestTask(t, base, "hello-api").Task
	assert.Equal(t, up.TaskId, task.Id)
	assert.Equal(t, "failed", task.Status)
	assert.Contains(t, task.FailReason, "Readiness probe failed")
	assert.Equal(t, before, traffic(t, base, "hello-api"), "traffic unchanged")
	assert.Equal(t, "normal", detail(t, base, "hello-api").BaseInfo.Status)
}

func TestImageDeploys(t *testing.T) {
	e, base := start(t, Options{})
	create := func(svc, image string) int64 {
		return sdk[tcbr.CreateCloudRunServerResponse](t, base, "CreateCloudRunServer", m{"EnvId": demoEnv, "ServerName": svc,
			"DeployInfo": m{"DeployType": "image", "ImageUrl": image}, "Items": []m{intItem("Port", 8000)}}).TaskId
	}
	require.Greater(t, create("img-ok", "ccr.ccs.tencentyun.com/demo/api:1.0"), int64(0))
	require.Greater(t, create("img-missing", "ccr.ccs.tencentyun.com/demo/api:notfound"), int64(0))
	rec := records(t, base, "img-ok")[0]
	assert.Equal(t, "creating", rec.Status)
	assert.Zero(t, rec.BuildId)
	require.NotNil(t, rec.ImageUrl)
	assert.Equal(t, "ccr.ccs.tencentyun.com/demo/api:1.0", *rec.ImageUrl)
	apiErr(t, buildLog(t, base, "img-ok", 0, 0), "ResourceNotFound")

	advance(e, 34)
	assert.Equal(t, map[string]string{"img-ok-001": "100"}, traffic(t, base, "img-ok"))
	assert.Equal(t, "finished", latestTask(t, base, "img-ok").Task.Status)
	assert.Contains(t, processLines(t, base, rec.RunId), "server listening on 0.0.0.0:8000")

	bad := records(t, base, "img-missing")[0]
	assert.Equal(t, "deploy_failed", bad.Status)
	plog := strings.Join(processLines(t, base, bad.RunId), "\n")
	assert.Contains(t, plog, `Failed to pull image "ccr.ccs.tencentyun.com/demo/api:notfound"`)
	assert.Contains(t, plog, "check_eks_virtual_service: failed")
	task := latestTask(t, base, "img-missing").Task
	assert.Equal(t, "failed", task.Status)
	assert.Contains(t, task.FailReason, "Failed to pull image")
	assert.Equal(t, "create_failed", detail(t, base, "img-missing").BaseInfo.Status)
	dl := ok[tcbr.DescribeCloudBaseBuildServiceResponse](t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService",
		m{"EnvId": demoEnv, "ServiceName": "img-ok", "ServiceVersion": "img-ok-001"}))
	assert.Equal(t, "", dl.DownloadUrl)
}

func TestDeployValidation(t *testing.T) {
	e, base := start(t, Options{})
	di := upload(t, base, "val-svc", containerZip(t))
	create := func(params m) envelope {
		p := m{"EnvId": demoEnv, "ServerName": "val-svc", "DeployInfo": di}
		for k, v := range params {
			p[k] = v
		}
		return api(t, base, "CreateCloudRunServer", p)
	}
	apiErr(t, api(t, base, "CreateCloudRunServer", m{"EnvId": demoEnv, "ServerName": "val-svc"}), "MissingParameter")
	apiErr(t, create(m{"DeployInfo": m{}}), "MissingParameter")
	apiErr(t, create(m{"DeployInfo": m{"DeployType": "zip"}}), "InvalidParameter")
	apiErr(t, create(m{"DeployInfo": m{"DeployType": "repository"}}), "UnsupportedOperation")
	apiErr(t, create(m{"DeployInfo": m{"DeployType": "image"}}), "MissingParameter")
	apiErr(t, create(m{"DeployInfo": m{"DeployType": "package", "PackageName": "val-svc"}}), "MissingParameter")
	msg := apiErr(t, create(m{"DeployInfo": m{"DeployType": "package", "PackageName": "val-svc", "PackageVersion": "123"}}), "InvalidParameter")
	assert.Contains(t, msg, "package not found")
	apiErr(t, create(m{"DeployInfo": m{"DeployType": "package", "PackageName": di["PackageName"],
		"PackageVersion": di["PackageVersion"], "ReleaseType": "GRAY"}}), "InvalidParameter")
	apiErr(t, create(m{"ServerName": "9bad name"}), "InvalidParameter")
	msg = apiErr(t, create(m{"Items": []m{floatItem("CpuSpecs", 1)}}), "InvalidParameter")
	assert.Contains(t, msg, "CpuSpecs and MemSpecs")
	apiErr(t, create(m{"Items": []m{floatItem("CpuSpecs", 1), floatItem("MemSpecs", 4)}}), "InvalidParameter")
	msg = apiErr(t, create(m{"Items": []m{strItem("Port", "8080")}}), "InvalidParameter")
	assert.Contains(t, msg, "IntValue")
	apiErr(t, create(m{"Items": []m{arrItem("AccessTypes", "INTERNET")}}), "InvalidParameter")
	apiErr(t, create(m{"Items": []m{strItem("EnvParam", "A=1")}}), "InvalidParameter")
	apiErr(t, create(m{"Items": []m{intItem("MinNum", 9), intItem("MaxNum", 2)}}), "InvalidParameter")
	apiErr(t, create(m{"VpcInfo": m{"VpcId": "vpc-1", "CreateType": 3}}), "InvalidParameter")
	apiErr(t, create(m{"EnvId": "nope"}), "ResourceNotFound")
	assert.Equal(t, "云托管资源未开通", apiErr(t, create(m{"EnvId": freshEnv}), "ResourceNotFound"))
	apiErr(t, create(m{"ServerName": "hello-api"}), "ResourceInUse")
	apiErr(t, api(t, base, "UpdateCloudRunServer", m{"EnvId": demoEnv, "ServerName": "ghost-svc", "DeployInfo": di}),
		"ResourceNotFound.ServerNotFound")
	assert.Empty(t, e.Packages()[0].Versions, "nothing was deployed")

	// VpcInfo sets VpcConf; the Trial env holds at most 10 services (5 are seeded).
	ok[tcbr.CreateCloudRunServerResponse](t, create(m{"VpcInfo": m{"VpcId": "vpc-1", "CreateType": 2, "SubnetIds": []string{"subnet-1"}}}))
	assert.Equal(t, &tcbr.VpcConf{VpcId: "vpc-1", SubnetId: "subnet-1"}, detail(t, base, "val-svc").ServerConfig.VpcConf)
	for i := range 4 {
		ok[tcbr.CreateCloudRunServerResponse](t, api(t, base, "CreateCloudRunServer", m{"EnvId": demoEnv,
			"ServerName": "img-" + strconv.Itoa(i), "DeployInfo": m{"DeployType": "image", "ImageUrl": "nginx:1"}}))
	}
	apiErr(t, api(t, base, "CreateCloudRunServer", m{"EnvId": demoEnv, "ServerName": "img-x",
		"DeployInfo": m{"DeployType": "image", "ImageUrl": "nginx:1"}}), "LimitExceeded")

	// Busy services refuse another deploy.
	msg = apiErr(t, api(t, base, "UpdateCloudRunServer", m{"EnvId": demoEnv, "ServerName": "val-svc", "DeployInfo": di}), "ResourceInUse")
	assert.Equal(t, "已有部署发布任务运行中", msg)
	msg = apiErr(t, api(t, base, "UpdateCloudRunServer", m{"EnvId": demoEnv, "ServerName": "canary-web",
		"DeployInfo": m{"DeployType": "image", "ImageUrl": "nginx:1"}}), "ResourceInUse")
	assert.Equal(t, "已有部署发布任务运行中", msg, "an open gray order blocks deploys too")
}

// Same seed, same calls: same ids and logs.
func TestWritesAreDeterministic(t *testing.T) {
	run := func() []byte {
		e, base := start(t, Options{Seed: 7})
		di := upload(t, base, "det-svc", containerZip(t))
		ok[tcbr.CreateCloudRunServerResponse](t, api(t, base, "CreateCloudRunServer", m{"EnvId": demoEnv, "ServerName": "det-svc", "DeployInfo": di}))
		advance(e, 200)
		rec := records(t, base, "det-svc")[0]
		b, err := json.Marshal([]any{rec, latestTask(t, base, "det-svc").Task, fullBuildLog(t, base, "det-svc", rec.BuildId)})
		require.NoError(t, err)
		return b
	}
	assert.JSONEq(t, string(run()), string(run()))
}
