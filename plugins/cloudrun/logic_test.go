package cloudrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/workspace"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Direct tests of the pure logic; the handlers are tested through MCP.

func TestDescribeFailure(t *testing.T) {
	t.Parallel()
	upstream := func(kind tcbr.Kind, code string) error {
		return &tcbr.Error{Kind: kind, Action: "X", Code: code, Message: "platform says no", RequestId: "req-1"}
	}
	cases := []struct {
		name     string
		err      error
		svc      string
		why      string
		hint     string
		nextStep string
	}{
		{"not found, a service", upstream(tcbr.KindNotFound, "ResourceNotFound"), "svc-a", "platform says no", `Service "svc-a" does not exist`, "list"},
		{"not found, the env", upstream(tcbr.KindNotFound, "ResourceNotFound"), "", "platform says no", "Check CLOUDBASE_ENV_ID", "list"},
		{"conflict", upstream(tcbr.KindConflict, "ResourceInUse"), "svc-a", "platform says no", "Another deploy", "getManageTask"},
		{"conflict, no service", upstream(tcbr.KindConflict, "ResourceInUse"), "", "platform says no", "Another deploy", ""},
		{"auth", upstream(tcbr.KindAuth, "AuthFailure"), "", "platform says no", "CAM policy", ""},
		{"rate limited", upstream(tcbr.KindRateLimited, "RequestLimitExceeded"), "", "platform says no", "rate limit", ""},
		{"no credentials", upstream(tcbr.KindNoCredential, ""), "", "no Tencent Cloud credentials are configured", "TENCENTCLOUD_SECRETID", ""},
		{"unknown kind", upstream(tcbr.KindInternal, "InternalError"), "", "platform says no", "unexpected platform error", ""},
		{"cancelled", context.Canceled, "", "the request was cancelled", "Call again", ""},
		{"deadline", context.DeadlineExceeded, "", "no answer before the deadline", "read the current state", ""},
	}
	for _, c := range cases {
		f := describeFailure("do it", c.err, c.svc)
		assert.Equal(t, "Could not do it", f.What, c.name)
		assert.Equal(t, c.why, f.Why, c.name)
		assert.Contains(t, f.Hint, c.hint, c.name)
		if c.nextStep == "" {
			assert.Nil(t, f.NextStep, c.name)
		} else if assert.NotNil(t, f.NextStep, c.name) {
			assert.Equal(t, c.nextStep, f.NextStep.Action, c.name)
			assert.Equal(t, c.nextStep, f.NextStep.Args.Action, "the arguments carry the action")
		}
		var te *tcbr.Error
		if errors.As(c.err, &te) {
			assert.Equal(t, te.Code, f.Code)
			assert.Equal(t, "req-1", f.RequestID)
		}
	}
}

func TestDetectServiceType(t *testing.T) {
	t.Parallel()
	project := func(files map[string]string) *projectRoot {
		dir := t.TempDir()
		for name, body := range files {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
		}
		pr, err := openProject(workspace.Path{Root: dir, Rel: "."})
		require.NoError(t, err)
		t.Cleanup(func() { _ = pr.Close() })
		return pr
	}
	cfg := func(raw map[string]any) *serverconfig.Config {
		c, err := serverconfig.Parse(raw)
		require.NoError(t, err)
		return c
	}
	cases := []struct {
		name  string
		files map[string]string
		cfg   *serverconfig.Config
		want  string
	}{
		{"a Dockerfile", map[string]string{"Dockerfile": "FROM node", "package.json": `{"dependencies":{"@cloudbase/functions-framework":"1"}}`}, nil, "container"},
		{"the functions framework", map[string]string{"package.json": `{"dependencies":{"@cloudbase/functions-framework":"1"}}`}, nil, "function"},
		{"the agent framework", map[string]string{"package.json": `{"dependencies":{"@cloudbase/aiagent-framework":"1"}}`}, nil, "function"},
		{"a plain Node.js app", map[string]string{"package.json": `{"dependencies":{"express":"4"}}`}, nil, "container"},
		{"broken package.json", map[string]string{"package.json": `{`}, nil, "container"},
		{"serverConfig.Dockerfile", map[string]string{"package.json": `{"dependencies":{"@cloudbase/functions-framework":"1"}}`}, cfg(map[string]any{"Dockerfile": "build/Dockerfile"}), "container"},
		{"nothing", nil, nil, "container"},
	}
	for _, c := range cases {
		got, reason := detectServiceType(project(c.files), c.cfg)
		assert.Equal(t, c.want, got, c.name)
		assert.NotEmpty(t, reason, c.name)
	}
}

func TestDBWithoutVPC(t *testing.T) {
	t.Parallel()
	assert.Empty(t, dbWithoutVPC(map[string]string{"DATABASE_URL": "mysql://x"}, true), "a VPC is set")
	assert.Empty(t, dbWithoutVPC(map[string]string{"NODE_ENV": "production", "PORT": "80"}, false))
	w := dbWithoutVPC(map[string]string{"REDIS_HOST": "10.0.0.1", "CONN": "postgres://u@h/db", "NODE_ENV": "x"}, false)
	require.Len(t, w, 1)
	assert.Equal(t, "MISSING_VPC_FOR_DB_ENV", w[0].Code)
	assert.Contains(t, w[0].Message, "CONN, REDIS_HOST")
	assert.NotContains(t, w[0].Message, "10.0.0.1", "names only")
	assert.Len(t, w[0].Remediations, 5)
}

func TestDeployFollowUp(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rec  tcbr.DeployRecord
		want string
	}{
		{tcbr.DeployRecord{Status: "building", BuildId: 7}, "getDeployLog"},
		{tcbr.DeployRecord{Status: "build_failed", BuildId: 7}, "getDeployLog"},
		{tcbr.DeployRecord{Status: "deploying", RunId: "r"}, "getProcessLog"},
		{tcbr.DeployRecord{Status: "deploy_failed", RunId: "r"}, "getProcessLog"},
		{tcbr.DeployRecord{Status: "pending"}, "getDeployRecords"},
		{tcbr.DeployRecord{Status: "normal", BuildId: 7, RunId: "r"}, ""},
	}
	for _, c := range cases {
		ns := deployFollowUp("svc-a", c.rec)
		if c.want == "" {
			assert.Nil(t, ns, c.rec.Status)
			continue
		}
		require.NotNil(t, ns, c.rec.Status)
		assert.Equal(t, c.want, ns.Action, c.rec.Status)
		assert.Equal(t, "svc-a", ns.Args.DetailServerName)
	}
}

func TestRegistrationNextStep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		reg  registration
		want string
	}{
		{registration{status: "build_failed", buildID: 3}, "getDeployLog"},
		{registration{status: "deploy_failed", runID: "r"}, "getProcessLog"},
		{registration{taskStatus: "failed"}, "getProcessLog"},
		{registration{image: true, runID: "r"}, "getProcessLog"},
		{registration{buildID: 3}, "getDeployLog"},
		{registration{}, "getDeployRecords"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.reg.nextStep("svc-a").Action, "%+v", c.reg)
	}
}

func TestTrafficArguments(t *testing.T) {
	t.Parallel()
	n := func(v int) *int { return &v }
	assert.ErrorContains(t, checkTrafficArgs(&ManageArgs{}), "trafficOp")
	assert.ErrorContains(t, checkTrafficArgs(&ManageArgs{TrafficOp: "set", StablePercent: n(90)}), "both")
	assert.ErrorContains(t, checkTrafficArgs(&ManageArgs{TrafficOp: "set", StablePercent: n(90), CanaryPercent: n(20)}), "= 110, not 100")
	assert.NoError(t, checkTrafficArgs(&ManageArgs{TrafficOp: "set", StablePercent: n(90), CanaryPercent: n(10)}))
	assert.NoError(t, checkTrafficArgs(&ManageArgs{TrafficOp: "promote"}))
	req := grayRequest("env", "svc", &ManageArgs{TrafficOp: "set", StablePercent: n(90), CanaryPercent: n(10)}, "v1", "v2")
	assert.Equal(t, int64(10), *req.GrayFlowRatio)
	require.Len(t, req.VersionFlowItems, 2)
	assert.False(t, req.CloseGrayRelease)
	req = grayRequest("env", "svc", &ManageArgs{TrafficOp: "promote"}, "v1", "v2")
	assert.True(t, req.CloseGrayRelease)
	assert.Equal(t, "v2", req.VersionFlowItems[0].VersionName)
}

func TestDockerfilePath(t *testing.T) {
	t.Parallel()
	p, err := dockerfilePath("", "Dockerfile")
	require.NoError(t, err)
	assert.Equal(t, "Dockerfile", p)
	p, err = dockerfilePath("api", "build/Dockerfile.prod")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("api", "build", "Dockerfile.prod"), p)
	for _, c := range [][2]string{{"", "../Dockerfile"}, {"", "/etc/passwd"}, {"../..", "Dockerfile"}, {"/srv", "Dockerfile"}, {"a/../..", "x"}} {
		_, err := dockerfilePath(c[0], c[1])
		assert.Error(t, err, "%v", c)
	}
	assert.Equal(t, int64(8080), exposedPort([]byte("FROM x\nEXPOSE 8080/tcp\nEXPOSE 9000\n")))
	assert.Equal(t, int64(80), exposedPort([]byte("FROM x\nEXPOSE none\n")))
}

func TestPlatformMessagesInEnglish(t *testing.T) {
	t.Parallel()
	cases := []struct{ code, msg, why, original string }{
		{"ResourceInUse", "已有部署发布任务运行中", "a deploy or release task is already running on this service", "已有部署发布任务运行中"},
		{"ResourceNotFound.ServerNotFound", "服务不存在", "the service does not exist", "服务不存在"},
		{"ResourceUnavailable.SomethingNew", "资源不可用", "the resource is unavailable", "资源不可用"},
		{"Weird.Code", "出错了", "the platform refused the request (its message is in platformMessage)", "出错了"},
		{"InvalidParameter", "EnvId is invalid", "EnvId is invalid", ""},
	}
	for _, c := range cases {
		why, original := english(c.code, c.msg)
		assert.Equal(t, c.why, why, c.code)
		assert.Equal(t, c.original, original, c.code)
	}
}

func TestChineseUpstreamMessagesThroughTheTool(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.InjectFault(emulator.Fault{Action: "DescribeCloudRunServers", Code: "ResourceInUse", Message: "已有部署发布任务运行中"})
	res, out := h.query(t, map[string]any{"action": "list"})
	require.True(t, res.IsError)
	text := resultText(res)
	english, platform, _ := strings.Cut(text, "\nPlatform message: ")
	assert.False(t, hasHan(english), "the sentences are English: %s", english)
	assert.Contains(t, english, "a deploy or release task is already running")
	assert.Equal(t, "已有部署发布任务运行中", platform)
	assert.Equal(t, "已有部署发布任务运行中", path(out, "error", "platformMessage"))
}
