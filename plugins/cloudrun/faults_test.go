package cloudrun

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fault suite: every upstream error code of tcbr-api.md §3 and every
// transport failure, against a read and a write. For each: the tool answers
// isError with a useful message within its timeout, nothing local is
// half-written, the cache keeps no error, and the next call is served.

var upstreamCodes = []string{
	// gateway
	"AuthFailure.InvalidAuthorization", "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureExpire",
	"AuthFailure.SignatureFailure", "AuthFailure.TokenFailure", "AuthFailure.UnauthorizedOperation",
	"InvalidAction", "NoSuchVersion", "MissingParameter", "InvalidParameter", "InvalidParameterValue",
	"UnknownParameter", "RequestLimitExceeded", "InternalError", "UnsupportedRegion",
	// tcbr
	"AuthFailure", "FailedOperation", "LimitExceeded", "ResourceInUse", "ResourceInsufficient",
	"ResourceNotFound", "ResourceNotFound.ServerNotFound", "ResourceNotFound.VersionNotFound",
	"ResourceUnavailable", "ResourceUnavailable.ResourceBanned", "ResourceUnavailable.ResourceFrozen",
	"ResourceUnavailable.ResourceIsolated", "UnauthorizedOperation", "UnsupportedOperation",
	// seen in the wild
	"ResourceNotFound.CloudRunEnv", "InvalidParameter.EnvironmentIdNotFound",
}

// a fault that outlasts the read retries.
const persistent = 20

// assertUseful checks a failure names what failed, why and what to do.
func assertUseful(t *testing.T, res string) {
	t.Helper()
	assert.True(t, strings.Contains(res, "What to do:") || strings.Contains(res, "Next step:"), "says what to do: %s", res)
	assert.NotContains(t, res, "TencentCloudSDKError", "the SDK's error formatting is not shown raw")
	assert.NotContains(t, res, emulator.DemoSecretKey)
}

func TestEveryUpstreamCodeOnARead(t *testing.T) {
	h := newHarness(t)
	for _, code := range upstreamCodes {
		t.Run(code, func(t *testing.T) {
			h.emu.InjectFault(emulator.Fault{Action: "DescribeCloudRunServers", Code: code, Message: "injected " + code, Times: persistent})
			res, out := h.query(t, map[string]any{"action": "list", "pageSize": 7})
			h.emu.ClearFaults()
			require.True(t, res.IsError, code)
			assert.Equal(t, code, path(out, "error", "code"))
			assert.NotEmpty(t, path(out, "error", "requestId"), "the RequestId is kept")
			assert.Contains(t, resultText(res), "injected "+code)
			assertUseful(t, resultText(res))

			// No refresh: a cached error would answer here.
			res, out = h.query(t, map[string]any{"action": "list", "pageSize": 7})
			require.False(t, res.IsError, "the error was not cached and the server keeps serving: %s", resultText(res))
			assert.NotEmpty(t, out["services"])
			h.plugin.reads.cache.lists.DeletePrefix("")
		})
	}
}

func TestEveryUpstreamCodeOnAWrite(t *testing.T) {
	h := newHarness(t)
	for _, code := range upstreamCodes {
		t.Run(code, func(t *testing.T) {
			h.emu.InjectFault(emulator.Fault{Action: "SubmitServerConfigChangeDiff", Code: code, Message: "injected " + code, Times: persistent})
			before := h.emu.RequestCount("SubmitServerConfigChangeDiff")
			res, out := h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 2}})
			h.emu.ClearFaults()
			require.True(t, res.IsError, code)
			assert.Equal(t, code, path(out, "error", "code"))
			assert.Equal(t, before+1, h.emu.RequestCount("SubmitServerConfigChangeDiff"), "a write is sent once, never retried")
			assertUseful(t, resultText(res))
			_, detail := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api", "refresh": true})
			assert.NotEqualValues(t, 2, path(detail, "service", "config", "MinNum"), "the refused change did not happen")
		})
	}
}

func TestTransportFaults(t *testing.T) {
	faults := []struct {
		name  string
		fault emulator.Fault
		want  string
	}{
		{"HTTP 500", emulator.Fault{Status: 500}, "500"},
		{"HTTP 502", emulator.Fault{Status: 502}, "502"},
		{"HTTP 503", emulator.Fault{Status: 503}, "503"},
		{"non-JSON body", emulator.Fault{Body: "<html><body>Bad Gateway</body></html>", Status: 200}, "not a valid response"},
		{"truncated body", emulator.Fault{Body: `{"Response": {"ServerList": [{"ServerName": "hel`}, "not a valid response"},
		{"empty body", emulator.Fault{Body: " "}, "not a valid response"},
		{"dropped connection", emulator.Fault{Drop: true}, ""},
		{"slow past the timeout", emulator.Fault{Delay: 3 * time.Second}, "did not answer in time"},
	}
	for _, tc := range faults {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, withTimeout(300*time.Millisecond))
			f := tc.fault
			f.Action, f.Times = "DescribeCloudRunServers", persistent
			h.emu.InjectFault(f)
			res, _ := h.query(t, map[string]any{"action": "list"})
			require.True(t, res.IsError)
			if tc.want != "" {
				assert.Contains(t, resultText(res), tc.want)
			}
			assertUseful(t, resultText(res))
			// A bounded number of attempts, each with its timeout: a fault never hangs a call.
			assert.LessOrEqual(t, h.emu.RequestCount("DescribeCloudRunServers"), 3, "the first try and at most 2 retries")

			h.emu.ClearFaults()
			res, _ = h.query(t, map[string]any{"action": "list"})
			require.False(t, res.IsError, "served again, nothing cached: %s", resultText(res))

			// A write meeting the same fault is reported, not retried.
			f.Action, f.Times = "DeleteCloudRunServer", 1
			h.emu.InjectFault(f)
			res, _ = h.manage(t, map[string]any{"action": "delete", "serverName": "todo-func", "force": true})
			require.True(t, res.IsError)
			assert.Equal(t, 1, h.emu.RequestCount("DeleteCloudRunServer"))
			assertUseful(t, resultText(res))
		})
	}
}

// tempFiles lists our temp files (packages being uploaded or downloaded).
func tempFiles(t *testing.T) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(os.TempDir(), "cloudbase-mcp-*.zip"))
	require.NoError(t, err)
	return m
}

func TestTransferFaultsLeaveNothingBehind(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // our own temp dir, so the count is ours
	cases := []struct {
		name  string
		fault emulator.Fault
	}{
		{"dropped", emulator.Fault{Drop: true}},
		{"HTTP 500", emulator.Fault{Status: 500}},
		{"slow past the deadline", emulator.Fault{Delay: 3 * time.Second}},
		{"a body that is not a zip", emulator.Fault{Body: "PK\x03\x04 truncated"}},
	}
	for _, tc := range cases {
		t.Run("upload "+tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.plugin.deploys.transfer.http = shortTransfer() // one transfer client serves uploads and downloads
			h.project(t, "container-node")
			f := tc.fault
			f.Action, f.Times = "COSUpload", 5 // Go's transport itself retries an idempotent request once on a dropped connection
			h.emu.InjectFault(f)
			res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "up-fault", "targetPath": "container-node"})
			if tc.fault.Body != "" {
				// The storage answered 200 with junk: the upload counts as
				// done and the deploy goes on to create the service.
				assert.Equal(t, 1, h.emu.RequestCount("CreateCloudRunServer"), resultText(res))
				assert.Empty(t, tempFiles(t), "the package file is removed")
				return
			}
			require.True(t, res.IsError, resultText(res))
			assert.Contains(t, resultText(res), "Nothing was deployed")
			assert.Equal(t, 0, h.emu.RequestCount("CreateCloudRunServer"), "no service without its package")
			assert.Empty(t, tempFiles(t), "the package file is removed")
			res, _ = h.query(t, map[string]any{"action": "list", "refresh": true})
			require.False(t, res.IsError)
		})
		t.Run("download "+tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.plugin.projects.transfer.http = shortTransfer() // one transfer client serves uploads and downloads
			h.emu.SetSpeed(400)
			h.project(t, "container-node")
			res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "dl-svc", "targetPath": "container-node"})
			require.False(t, res.IsError, resultText(res))
			h.settle()

			f := tc.fault
			f.Action, f.Times = "COSDownload", 5
			h.emu.InjectFault(f)
			res, _ = h.manage(t, map[string]any{"action": "download", "serverName": "dl-svc", "targetPath": "pulled"})
			require.True(t, res.IsError, resultText(res))
			assert.Contains(t, resultText(res), "Nothing was written")
			assert.NoDirExists(t, filepath.Join(h.cfg.Workspace, "pulled"), "no half-written target")
			assert.Empty(t, tempFiles(t), "the partial download is removed")
			h.emu.ClearFaults()
			entries, err := os.ReadDir(h.cfg.Workspace)
			require.NoError(t, err)
			for _, e := range entries {
				assert.False(t, strings.Contains(e.Name(), ".extract-") || strings.Contains(e.Name(), ".old-"), "no extraction temp dir left: %s", e.Name())
			}

			res, _ = h.manage(t, map[string]any{"action": "download", "serverName": "dl-svc", "targetPath": "pulled"})
			require.False(t, res.IsError, "the next download works: %s", resultText(res))
			assert.FileExists(t, filepath.Join(h.cfg.Workspace, "pulled", "Dockerfile"))
		})
	}
}

// shortTransfer bounds uploads and downloads so a stalled one ends quickly.
func shortTransfer() *http.Client { return &http.Client{Timeout: 500 * time.Millisecond} }
