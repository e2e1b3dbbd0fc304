package cloudrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"
)

// fuzzUnsafeManageActions start processes or write into the workspace; manageCloudRun is not called with
// them (queryCloudRun still gets the input).
var fuzzUnsafeManageActions = map[string]bool{"run": true, "init": true, "download": true, "createAgent": true}

// fuzzWriteActions are the upstream calls (and the package upload) that change something in the cloud.
var fuzzWriteActions = []string{
	"CreateCloudRunServer", "UpdateCloudRunServer", "DeleteCloudRunServer", "SubmitServerConfigChangeDiff",
	"ReleaseGray", "OperateServerManage", "SubmitServerRollback", "CreateCloudRunEnv", "DeleteCloudRunVersions",
	"StartVersionInstance", "StopVersionInstance", "COSUpload",
}

// FuzzToolArguments sends any JSON object as the arguments of queryCloudRun and of manageCloudRun, through
// the whole stack (in-process MCP client, server with its schema validation and coercion, bind[T], the
// handlers, the SDK client, the emulator). manageCloudRun always gets dryRun: true and never force, and is
// skipped for run, init, download and createAgent; every other action (deploy, updateConfig, delete,
// traffic, initEnv, stop, and anything the schema refuses) is sent.
//
// Properties: no panic and no protocol error (CallTool answers a CallToolResult; a panic recovered by the
// server would surface as an error here); never an input-required result; an error result has non-empty
// text; a success has structuredContent and its text is the same JSON; and dryRun holds: no upstream write
// call and no package upload reaches the emulator, nothing is started locally, and the workspace is
// unchanged.
//
// The harness is built once per fuzzing process and reused. Run longer with:
//
//	go test -run '^$' -fuzz '^FuzzToolArguments$' -fuzztime 60s ./plugins/cloudrun/
func FuzzToolArguments(f *testing.F) {
	for _, s := range []string{
		`{"action":"list"}`,
		`{"action":"list","pageSize":"5","pageNum":2,"serverType":"container","serverName":"api","refresh":"true"}`,
		`{"action":"list","pageSize":100,"pageNum":1e9}`,
		`{"action":"detail","detailServerName":"hello-api","revealEnvParams":true}`,
		`{"action":"detail","serverName":"canary-web"}`,
		`{"action":"getDeployLog","detailServerName":"broken-build","buildId":"0"}`,
		`{"action":"getProcessLog","detailServerName":"hello-api","runId":"run-x"}`,
		`{"action":"getDeployRecords","detailServerName":"orders-svc","envId":"fresh-env-9z8y7x"}`,
		`{"action":"envStatus","envId":"nope-env"}`,
		`{"action":"getManageTask","detailServerName":"canary-web"}`,
		`{"action":"templates"}`,
		`{"action":"localRuns"}`,
		`{"action":"deploy","serverName":"fuzz-app","targetPath":"app"}`,
		`{"action":"deploy","serverName":"fuzz-fn","targetPath":"fn","serverType":"function","releaseType":"GRAY"}`,
		`{"action":"deploy","serverName":"hello-api","targetPath":"app","serverConfig":{"Cpu":"1","Mem":2,"Port":"8080","EnvParams":"{\"A\":\"1\"}","OpenAccessTypes":["OA"],"PolicyDetails":[{"PolicyType":"cpu","PolicyThreshold":"60"}]},"envParamsReplaceAll":true}`,
		`{"action":"deploy","serverName":"img-svc","imageUrl":"ccr.ccs.tencentyun.com/ns/app:v1","waitRegistration":false}`,
		`{"action":"deploy","serverName":"todo-func","imageUrl":"ccr.ccs.tencentyun.com/ns/app:v1","serverType":"function"}`,
		`{"action":"deploy","serverName":"esc-svc","targetPath":"../../.."}`,
		`{"action":"deploy","serverName":"abs-svc","targetPath":"/"}`,
		`{"action":"updateConfig","serverName":"hello-api","serverConfig":{"MinNum":1,"MaxNum":"3","EnvParams":{"K":"v"},"VpcConf":{"CreateType":"2"}}}`,
		`{"action":"updateConfig","serverName":"todo-func","serverConfig":{"Port":8080,"Cpu":0.5,"Mem":3}}`,
		`{"action":"updateConfig","serverName":"hello-api","serverConfig":{"Cpu":"NaN"}}`,
		`{"action":"delete","serverName":"hello-api","force":true}`,
		`{"action":"delete","serverName":"missing-svc"}`,
		`{"action":"traffic","serverName":"canary-web","trafficOp":"set","stablePercent":90,"canaryPercent":"10"}`,
		`{"action":"traffic","serverName":"canary-web","trafficOp":"set","stablePercent":50,"canaryPercent":40}`,
		`{"action":"traffic","serverName":"canary-web","trafficOp":"promote"}`,
		`{"action":"traffic","serverName":"hello-api","trafficOp":"rollback"}`,
		`{"action":"traffic","serverName":"hello-api"}`,
		`{"action":"initEnv","envId":"fresh-env-9z8y7x","packageType":"Standard","vpcId":"vpc-1","subnetIds":["s-1"]}`,
		`{"action":"initEnv"}`,
		`{"action":"stop","serverName":"hello-api"}`,
		`{"action":"run","serverName":"hello-api","runOptions":{"port":"3000"}}`,
		`{"action":"init","serverName":"new-svc","template":"nodejs"}`,
		`{"action":"deploy","serverName":"x"}`,
		`{"action":"deploy","serverName":"fuzz-app","targetPath":"app","unknown":1}`,
		`{"action":"list","pageSize":0}`,
		`{"action":["list"]}`,
		`{"action":null}`,
		`{}`,
		`{"action":"detail","detailServerName":"hello-api","buildId":-1,"runOptions":{}}`,
		`{"action":"deploy","serverName":"abc","serverConfig":{"TimerScale":[{"CycleType":"daily","ReplicaNum":"2"}],"VolumesConf":[{}],"PublicNetConf":{}}}`,
	} {
		f.Add([]byte(s))
	}

	h := newHarness(f)
	writeFuzzProject(f, filepath.Join(h.cfg.Workspace, "app"), map[string]string{
		"Dockerfile": "FROM node:20-alpine\nCOPY . .\nCMD [\"node\", \"index.js\"]\n",
		"index.js":   "require('http').createServer((q, s) => s.end('ok')).listen(80)\n",
		".gitignore": "*.log\n",
	})
	writeFuzzProject(f, filepath.Join(h.cfg.Workspace, "fn"), map[string]string{
		"package.json": `{"name":"fn","main":"index.js","dependencies":{"@cloudbase/functions-framework":"^1.0.0"}}` + "\n",
		"index.js":     "exports.main = async () => 'hello'\n",
	})
	workspace := fuzzTreeListing(f, h.cfg.Workspace)

	f.Fuzz(func(t *testing.T, data []byte) {
		var args map[string]any
		if json.Unmarshal(data, &args) != nil || args == nil {
			return
		}
		fuzzCallTool(t, h, QueryToolName, data)

		manage := map[string]any{}
		require.NoError(t, json.Unmarshal(data, &manage))
		if a, ok := manage["action"].(string); ok && fuzzUnsafeManageActions[a] {
			return
		}
		manage["dryRun"] = true
		delete(manage, "force")
		b, err := json.Marshal(manage)
		require.NoError(t, err)
		fuzzCallTool(t, h, ManageToolName, b)

		for _, a := range fuzzWriteActions {
			require.Zero(t, h.emu.RequestCount(a), "%s reached the emulator after %s", a, b)
		}
		require.Empty(t, h.plugin.runs.runs.List(), "something was started locally by %s", b)
		require.Equal(t, workspace, fuzzTreeListing(t, h.cfg.Workspace), "the workspace changed after %s", b)
	})
}

// fuzzCallTool calls tool with the JSON object raw as arguments and checks the result contract.
func fuzzCallTool(t *testing.T, h *harness, tool string, raw []byte) {
	t.Helper()
	var args map[string]any
	require.NoError(t, json.Unmarshal(raw, &args))
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := h.mcp.CallTool(ctx, req)
	require.NoError(t, err, "%s %s: protocol error", tool, raw)
	require.NotNil(t, res, "%s %s", tool, raw)
	require.False(t, res.NeedsInput(), "%s %s asked for input", tool, raw)
	text := resultText(res)
	if res.IsError {
		require.NotEmpty(t, strings.TrimSpace(text), "%s %s: error result without text", tool, raw)
		return
	}
	require.NotNil(t, res.StructuredContent, "%s %s: success without structuredContent: %s", tool, raw, text)
	structured, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.True(t, json.Valid([]byte(text)), "%s %s: success text is not JSON: %s", tool, raw, text)
	require.JSONEq(t, string(structured), text, "%s %s: text and structuredContent differ", tool, raw)
}

func writeFuzzProject(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// fuzzTreeListing is path -> size and mode for everything under dir.
func fuzzTreeListing(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		info, err := d.Info()
		require.NoError(t, err)
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		size := info.Size()
		if d.IsDir() {
			size = 0
		}
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%v %d", info.Mode(), size)
		return nil
	}))
	return out
}
