package cloudrun

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// queryCase is one row of the per-action tables: the arguments, the
// upstream action the call depends on, and what a success must show.
type queryCase struct {
	name     string
	args     map[string]any
	upstream string // the emulator action whose faults the row exercises
	check    func(t *testing.T, res *mcp.CallToolResult, out map[string]any)
}

func serviceNames(out map[string]any) []string {
	var names []string
	list, _ := out["services"].([]any)
	for _, s := range list {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	return names
}

var happyCases = []queryCase{
	{"list", map[string]any{"action": "list"}, "DescribeCloudRunServers", func(t *testing.T, _ *mcp.CallToolResult, out map[string]any) {
		names := serviceNames(out)
		assert.Subset(t, names, []string{"hello-api", "todo-func", "orders-svc", "broken-build", "canary-web"})
		assert.EqualValues(t, len(names), out["total"])
		assert.EqualValues(t, 1, out["pageNum"])
		assert.EqualValues(t, 10, out["pageSize"])
		assert.Equal(t, false, out["hasMore"])
		first := out["services"].([]any)[0].(map[string]any)
		for _, k := range []string{"name", "type", "status", "updateTime", "accessTypes", "domain"} {
			assert.Contains(t, first, k)
		}
	}},
	{"detail", map[string]any{"action": "detail", "detailServerName": "hello-api"}, "DescribeCloudRunServerDetail", func(t *testing.T, res *mcp.CallToolResult, out map[string]any) {
		assert.Equal(t, "hello-api", path(out, "service", "name"))
		assert.Equal(t, "container", path(out, "service", "type"))
		assert.Equal(t, "normal", path(out, "service", "status"))
		assert.Equal(t, "***", path(out, "service", "config", "EnvParams", "DB_PASSWORD"))
		assert.Equal(t, true, path(out, "service", "envParamsMasked"))
		assert.NotContains(t, resultText(res), "s3cret-demo")
		versions := path(out, "service", "onlineVersions").([]any)
		require.Len(t, versions, 1)
		assert.EqualValues(t, 100, versions[0].(map[string]any)["flowRatio"])
		assert.Equal(t, "normal", path(out, "latestDeploy", "status"))
	}},
	{"templates", map[string]any{"action": "templates"}, "", func(t *testing.T, _ *mcp.CallToolResult, out map[string]any) {
		assert.Equal(t, "remote", out["source"])
		types := map[string]string{}
		for _, x := range out["templates"].([]any) {
			m := x.(map[string]any)
			types[m["identifier"].(string)] = m["serverType"].(string)
		}
		assert.Equal(t, "function", types["helloworld"])
		assert.Equal(t, "container", types["nodejs"])
		for id := range types {
			assert.NotContains(t, id, "scf", "non-CloudRun templates are filtered out")
		}
	}},
	{"getDeployLog", map[string]any{"action": "getDeployLog", "detailServerName": "broken-build"}, "DescribeCloudRunBuildLog", func(t *testing.T, _ *mcp.CallToolResult, out map[string]any) {
		assert.NotEmpty(t, out["lines"])
		assert.Equal(t, false, out["more"])
		assert.NotEmpty(t, out["failReason"])
		assert.Greater(t, out["buildId"].(float64), float64(0))
	}},
	{"getProcessLog", map[string]any{"action": "getProcessLog", "detailServerName": "hello-api"}, "DescribeCloudRunProcessLog", func(t *testing.T, _ *mcp.CallToolResult, out map[string]any) {
		assert.NotEmpty(t, out["runId"])
		assert.NotEmpty(t, out["lines"])
	}},
	{"getDeployRecords", map[string]any{"action": "getDeployRecords", "detailServerName": "hello-api"}, "DescribeCloudRunDeployRecord", func(t *testing.T, _ *mcp.CallToolResult, out map[string]any) {
		recs := out["records"].([]any)
		require.Len(t, recs, 2)
		first, second := recs[0].(map[string]any), recs[1].(map[string]any)
		assert.GreaterOrEqual(t, first["deployTime"], second["deployTime"], "newest first")
		assert.EqualValues(t, 100, first["flowRatio"])
		assert.Equal(t, first, out["latestDeploy"])
	}},
	{"envStatus", map[string]any{"action": "envStatus"}, "DescribeEnvBaseInfo", func(t *testing.T, _ *mcp.CallToolResult, out map[string]any) {
		assert.Equal(t, demoEnv, out["envId"])
		assert.Equal(t, true, out["opened"])
		assert.Equal(t, "normal", out["status"])
		assert.Equal(t, "Trial", out["packageType"])
		assert.NotContains(t, out, "nextStep")
	}},
	{"getManageTask", map[string]any{"action": "getManageTask", "detailServerName": "canary-web"}, "DescribeServerManageTask", func(t *testing.T, _ *mcp.CallToolResult, out map[string]any) {
		assert.Equal(t, "GRAY", path(out, "task", "releaseType"))
		assert.Equal(t, "running", path(out, "task", "status"))
		assert.NotEmpty(t, path(out, "task", "steps"))
		assert.NotNil(t, out["latestDeploy"])
	}},
}

func TestQueryHappyPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, tc := range happyCases {
		t.Run(tc.name, func(t *testing.T) {
			res, out := h.query(t, tc.args)
			require.False(t, res.IsError, resultText(res))
			tc.check(t, res, out)
		})
	}
}

func TestQueryNotFound(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, action := range []string{"detail", "getDeployLog", "getProcessLog", "getDeployRecords", "getManageTask"} {
		t.Run(action, func(t *testing.T) {
			res, out := h.query(t, map[string]any{"action": action, "detailServerName": "no-such-svc"})
			require.True(t, res.IsError)
			msg := resultText(res)
			assert.Contains(t, msg, "ResourceNotFound")
			assert.Contains(t, msg, "RequestId")
			assert.Contains(t, msg, "no-such-svc")
			assert.Equal(t, "list", path(out, "error", "nextStep", "action"))
		})
	}
	t.Run("unknown env", func(t *testing.T) {
		res, _ := h.query(t, map[string]any{"action": "list", "envId": "no-such-env"})
		require.True(t, res.IsError)
		assert.Contains(t, resultText(res), "ResourceNotFound")
	})
}

func TestQueryAuthFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withSecretKey("not-the-right-key"))
	for _, tc := range happyCases {
		if tc.upstream == "" {
			continue // the template list is unauthenticated
		}
		t.Run(tc.name, func(t *testing.T) {
			res, out := h.query(t, tc.args)
			require.True(t, res.IsError)
			assert.Equal(t, "AuthFailure.SignatureFailure", path(out, "error", "code"))
			assert.Contains(t, resultText(res), "TENCENTCLOUD_SECRETID")
			assert.NotContains(t, resultText(res), "not-the-right-key")
		})
	}
}

func TestQueryRateLimitedThenSuccess(t *testing.T) {
	t.Parallel()
	for _, tc := range happyCases {
		if tc.upstream == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.emu.InjectFault(emulator.Fault{Action: tc.upstream, Code: "RequestLimitExceeded", Message: "too many requests", Times: 1})
			res, out := h.query(t, tc.args)
			require.False(t, res.IsError, resultText(res))
			tc.check(t, res, out)
			assert.Equal(t, 2, h.emu.RequestCount(tc.upstream), "one refused call, one retry")
		})
	}
}

func TestQueryMalformedUpstream(t *testing.T) {
	t.Parallel()
	for _, tc := range happyCases {
		if tc.upstream == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.emu.InjectFault(emulator.Fault{Action: tc.upstream, Body: `{"Response": {not json`, Times: 5})
			res, out := h.query(t, tc.args)
			assertFailed(t, tc, res, out, "not a valid response")
		})
	}
}

func TestQueryTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range happyCases {
		if tc.upstream == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, withTimeout(150*time.Millisecond))
			h.emu.InjectFault(emulator.Fault{Action: tc.upstream, Delay: 2 * time.Second, Times: 10})
			res, out := h.query(t, tc.args)
			assertFailed(t, tc, res, out, "did not answer in time")
			// The next call, without the fault, works: the server keeps serving.
			h.emu.ClearFaults()
			res, out = h.query(t, tc.args)
			require.False(t, res.IsError, resultText(res))
			tc.check(t, res, out)
		})
	}
}

// assertFailed checks that an upstream failure reached the agent: as an
// isError result, or for getManageTask (whose deploy records still answer)
// as taskQueryError beside them.
func assertFailed(t *testing.T, tc queryCase, res *mcp.CallToolResult, out map[string]any, want string) {
	t.Helper()
	if tc.name == "getManageTask" {
		require.False(t, res.IsError, resultText(res))
		assert.Contains(t, out["taskQueryError"], want)
		assert.Nil(t, out["task"])
		assert.NotNil(t, out["latestDeploy"])
		return
	}
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), want)
}

func TestTemplatesFallBackToEmbedded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.cfg.TemplatesURL = "http://127.0.0.1:1/nothing-listens-here"
	res, out := h.query(t, map[string]any{"action": "templates"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "embedded", out["source"])
	assert.Contains(t, out["notice"], "CLOUDBASE_TEMPLATES_URL")
	ids := []any{}
	for _, x := range out["templates"].([]any) {
		ids = append(ids, x.(map[string]any)["identifier"])
	}
	assert.Contains(t, ids, "helloworld")
}

func TestQueryFollowUps(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	t.Run("image deploy has no build log", func(t *testing.T) {
		res, out := h.query(t, map[string]any{"action": "getDeployLog", "detailServerName": "todo-func"})
		require.False(t, res.IsError, resultText(res))
		assert.EqualValues(t, 0, out["buildId"])
		assert.Equal(t, "NO_CODING_BUILD_FOR_IMAGE_DEPLOY", out["reason"])
		assert.Equal(t, "getProcessLog", path(out, "nextStep", "action"))
		assert.Equal(t, 0, h.emu.RequestCount("DescribeCloudRunBuildLog"), "no build log call for BuildId 0")
	})
	t.Run("deploy in progress points at its log", func(t *testing.T) {
		res, out := h.query(t, map[string]any{"action": "detail", "detailServerName": "orders-svc"})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, "building", path(out, "latestDeploy", "status"))
		require.NotNil(t, out["nextStep"])
		assert.Contains(t, []any{"getDeployLog", "getDeployRecords"}, path(out, "nextStep", "action"))
	})
	t.Run("failed build points at its log", func(t *testing.T) {
		res, out := h.query(t, map[string]any{"action": "detail", "detailServerName": "broken-build"})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, "build_failed", path(out, "latestDeploy", "status"))
		assert.Equal(t, "getDeployLog", path(out, "nextStep", "action"))
	})
	t.Run("unopened env points at initEnv", func(t *testing.T) {
		res, out := h.query(t, map[string]any{"action": "envStatus", "envId": "fresh-env-9z8y7x"})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, false, out["opened"])
		assert.Equal(t, "unopened", out["status"])
		assert.Equal(t, "initEnv", path(out, "nextStep", "action"))
		assert.Equal(t, "manageCloudRun", path(out, "nextStep", "tool"))
	})
	t.Run("revealEnvParams shows values", func(t *testing.T) {
		res, out := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api", "revealEnvParams": true, "refresh": true})
		require.False(t, res.IsError, resultText(res))
		assert.Equal(t, "s3cret-demo", path(out, "service", "config", "EnvParams", "DB_PASSWORD"))
	})
}

func TestBuildLogFollowsProgress(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.Advance(20 * time.Second) // orders-svc is half-way through its build
	res, out := h.query(t, map[string]any{"action": "getDeployLog", "detailServerName": "orders-svc"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, true, out["more"])
	assert.Equal(t, "getDeployLog", path(out, "nextStep", "action"))
	midLines := len(out["lines"].([]any))

	h.emu.Advance(5 * time.Minute)
	res, out = h.query(t, map[string]any{"action": "getDeployLog", "detailServerName": "orders-svc"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, false, out["more"])
	assert.Greater(t, len(out["lines"].([]any)), midLines)
	_, detail := h.query(t, map[string]any{"action": "detail", "detailServerName": "orders-svc"})
	assert.Equal(t, "normal", path(detail, "latestDeploy", "status"))
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, all := h.query(t, map[string]any{"action": "list", "pageSize": 100})
	total := int(all["total"].(float64))
	require.GreaterOrEqual(t, total, 5)
	assert.Len(t, all["services"], total)

	_, p2 := h.query(t, map[string]any{"action": "list", "pageSize": "2", "pageNum": "2"})
	assert.Len(t, p2["services"], 2)
	assert.Equal(t, true, p2["hasMore"])
	assert.Equal(t, serviceNames(all)[2:4], serviceNames(p2))

	_, fn := h.query(t, map[string]any{"action": "list", "serverType": "function"})
	assert.Equal(t, []string{"todo-func"}, serviceNames(fn))
	_, byName := h.query(t, map[string]any{"action": "list", "serverName": "canary"})
	assert.Equal(t, []string{"canary-web"}, serviceNames(byName))
}

func TestListCache(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	list := map[string]any{"action": "list"}
	_, out := h.query(t, list)
	assert.Equal(t, false, out["fromCache"])
	_, out = h.query(t, list)
	assert.Equal(t, true, out["fromCache"])
	assert.Equal(t, 1, h.emu.RequestCount("DescribeCloudRunServers"))

	_, out = h.query(t, map[string]any{"action": "list", "refresh": true})
	assert.Equal(t, false, out["fromCache"])
	assert.Equal(t, 2, h.emu.RequestCount("DescribeCloudRunServers"))

	h.clock.Advance(5*time.Minute + time.Second)
	_, out = h.query(t, list)
	assert.Equal(t, false, out["fromCache"], "expired after 5 minutes")
	assert.Equal(t, 3, h.emu.RequestCount("DescribeCloudRunServers"))
}

func TestDetailCacheSkipsRunningDeploys(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for i := 0; i < 2; i++ {
		h.query(t, map[string]any{"action": "detail", "detailServerName": "orders-svc"})
		h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api"})
	}
	// Two reads each: orders-svc is building, so it is read upstream both times.
	assert.Equal(t, 3, h.emu.RequestCount("DescribeCloudRunServerDetail"))
}

func TestConcurrentIdenticalReadsShareOneCall(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := h.query(t, map[string]any{"action": "list", "pageSize": 7})
			assert.False(t, res.IsError)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, h.emu.RequestCount("DescribeCloudRunServers"))
}

func TestMissingCredentials(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutCredentials())
	res, _ := h.query(t, map[string]any{"action": "list"})
	require.True(t, res.IsError)
	msg := resultText(res)
	assert.Contains(t, msg, "TENCENTCLOUD_SECRETID")
	assert.Contains(t, msg, "TENCENTCLOUD_SECRETKEY")
	assert.Contains(t, msg, "CLOUDBASE_MCP_SANDBOX")
	assert.Equal(t, 0, h.emu.RequestCount("DescribeCloudRunServers"))

	// A bad service name is reported before the missing credentials.
	res, _ = h.manage(t, map[string]any{"action": "delete", "serverName": "1-bad", "force": true})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "serverName")
	assert.NotContains(t, resultText(res), "TENCENTCLOUD_SECRETID")
}

func TestDetailNeedsAServiceName(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res, _ := h.query(t, map[string]any{"action": "detail"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "detailServerName is required")
	res, out := h.query(t, map[string]any{"action": "detail", "serverName": "hello-api"})
	require.False(t, res.IsError, "serverName is accepted as an alias: %s", resultText(res))
	assert.Equal(t, "hello-api", path(out, "service", "name"))
}

func TestLogTruncationKeepsTheTail(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "line %04d of a long build log\n", i)
	}
	lines, notice := tailLines(b.String(), 4096)
	require.NotEmpty(t, notice)
	assert.Equal(t, "line 4999 of a long build log", lines[len(lines)-1])
	assert.LessOrEqual(t, len(strings.Join(lines, "\n")), 4096)
	assert.Contains(t, notice, "5000 lines")

	short, none := tailLines("a\nb\n", 4096)
	assert.Equal(t, []string{"a", "b"}, short)
	assert.Empty(t, none)
}

func TestLogPagingReadsEveryLineOnce(t *testing.T) {
	t.Parallel()
	var all []string
	for i := 1; i <= 5000; i++ {
		all = append(all, fmt.Sprintf("line %04d of a long build log", i))
	}
	text := strings.Join(all, "\n") + "\n"

	tail := pageLog(text, nil, "getDeployLog")
	assert.Contains(t, tail.Notice, "fromLine: 1", "the tail says how to page")

	var got []string
	from, pages := 1, 0
	for {
		page := pageLog(text, &from, "getDeployLog")
		assert.LessOrEqual(t, len(strings.Join(page.Lines, "\n")), logByteBudget)
		got = append(got, page.Lines...)
		pages++
		if !page.Truncated {
			assert.Equal(t, page.TotalLines+1, page.NextFromLine, "the last page points past the end: where new lines will start")
			break
		}
		assert.Contains(t, page.Notice, fmt.Sprintf("fromLine: %d", page.NextFromLine))
		from = page.NextFromLine
	}
	assert.Equal(t, all, got, "paging from line 1 returns every line once, in order")
	assert.Greater(t, pages, 1)

	past := 9999
	page := pageLog(text, &past, "getProcessLog")
	assert.Empty(t, page.Lines)
	assert.Contains(t, page.Notice, "past its end")
}

func TestDeployLogFromLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res, out := h.query(t, map[string]any{"action": "getDeployLog", "detailServerName": "broken-build", "fromLine": 2})
	require.False(t, res.IsError, resultText(res))
	assert.EqualValues(t, 2, out["fromLine"])
	_, whole := h.query(t, map[string]any{"action": "getDeployLog", "detailServerName": "broken-build", "fromLine": 1})
	lines, wholeLines := out["lines"].([]any), whole["lines"].([]any)
	require.NotEmpty(t, wholeLines)
	assert.Equal(t, wholeLines[1:], lines)
	assert.EqualValues(t, len(wholeLines), whole["totalLines"])
}
