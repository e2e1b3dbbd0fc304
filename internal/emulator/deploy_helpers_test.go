package emulator

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Helpers for the write-path tests: zips, uploads and SDK calls.

const containerDockerfile = `# built by the emulator tests
FROM node:20-alpine
WORKDIR /app
COPY . .
CMD ["node", \
     "index.js"]
`

// containerSteps are containerDockerfile's instructions as docker prints them.
var containerSteps = []string{
	"Step 1/4 : FROM node:20-alpine",
	"Step 2/4 : WORKDIR /app",
	"Step 3/4 : COPY . .",
	`Step 4/4 : CMD ["node", "index.js"]`,
}

const indexJS = "require('http').createServer((q, s) => s.end('ok')).listen(process.env.PORT || 8080);\n"

const functionPackageJSON = `{
  "name": "fn",
  "main": "index.js",
  "dependencies": {"@cloudbase/functions-framework": "^1.14.0", "lodash": "^4.17.21"}
}`

// makeZip builds a zip with archive/zip (names in the given order).
func makeZip(t *testing.T, files ...string) []byte {
	t.Helper()
	require.Zero(t, len(files)%2, "name/content pairs")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i])
		require.NoError(t, err)
		_, err = w.Write([]byte(files[i+1]))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func containerZip(t *testing.T, extra ...string) []byte {
	return makeZip(t, append([]string{"Dockerfile", containerDockerfile, "index.js", indexJS}, extra...)...)
}

func ticket(t *testing.T, base, svc string) tcbr.DescribeCloudBaseBuildServiceResponse {
	t.Helper()
	return ok[tcbr.DescribeCloudBaseBuildServiceResponse](t,
		apiService(t, base, "tcb", "DescribeCloudBaseBuildService", m{"EnvId": demoEnv, "ServiceName": svc}))
}

// put sends a PUT with the given headers and answers status, headers, body.
func put(t *testing.T, url string, headers []tcbr.KVPair, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
	require.NoError(t, err)
	for _, h := range headers {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

// upload gets a ticket for svc and PUTs zip with every upload header; it
// returns the DeployInfo of a package deploy.
func upload(t *testing.T, base, svc string, zipBytes []byte) m {
	t.Helper()
	tk := ticket(t, base, svc)
	status, _, body := put(t, tk.UploadUrl, tk.UploadHeaders, zipBytes)
	require.Equal(t, http.StatusOK, status, "upload: %s", body)
	return m{"DeployType": "package", "PackageName": tk.PackageName, "PackageVersion": tk.PackageVersion}
}

// sdk calls a write (or read) through the Tencent Cloud SDK common client
// and decodes Response into T.
func sdk[T any](t *testing.T, base, action string, params m) T {
	t.Helper()
	body, err := sdkCall(sdkClient(base, DemoSecretID, DemoSecretKey, ""), "tcbr", tcbr.VersionTCBR, action, params)
	require.NoError(t, err, action)
	var out struct{ Response T }
	require.NoError(t, json.Unmarshal(body, &out))
	return out.Response
}

// sdkFail calls through the SDK and answers the error code and message.
func sdkFail(t *testing.T, base, action string, params m) (string, string) {
	t.Helper()
	_, err := sdkCall(sdkClient(base, DemoSecretID, DemoSecretKey, ""), "tcbr", tcbr.VersionTCBR, action, params)
	require.Error(t, err, action)
	code := sdkCode(t, err)
	msg := err.Error()
	return code, msg
}

// item builders (spec §7.5).
func strItem(k, v string) m           { return m{"Key": k, "Value": v} }
func intItem(k string, v int) m       { return m{"Key": k, "IntValue": v} }
func floatItem(k string, v float64) m { return m{"Key": k, "FloatValue": v} }
func arrItem(k string, v ...string) m { return m{"Key": k, "ArrayValue": v} }

var stepRE = regexp.MustCompile(`^Step \d+/\d+ : `)

// stepLines are the "Step i/N : ..." lines of a build log.
func stepLines(text string) []string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if stepRE.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

func fullBuildLog(t *testing.T, base, svc string, buildID int64) tcbr.BuildLog {
	t.Helper()
	return ok[tcbr.DescribeCloudRunBuildLogResponse](t, buildLog(t, base, svc, buildID, 0)).Log
}

func processLines(t *testing.T, base, runID string) []string {
	t.Helper()
	return ok[tcbr.DescribeCloudRunProcessLogResponse](t,
		api(t, base, "DescribeCloudRunProcessLog", m{"EnvId": demoEnv, "RunId": runID})).Logs
}

func orderOf(t *testing.T, base, svc string) tcbr.DescribeReleaseOrderResponse {
	t.Helper()
	return ok[tcbr.DescribeReleaseOrderResponse](t, api(t, base, "DescribeReleaseOrder", m{"EnvId": demoEnv, "ServerName": svc}))
}

// traffic is version -> FlowRatio from OnlineVersionInfos.
func traffic(t *testing.T, base, svc string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range detail(t, base, svc).OnlineVersionInfos {
		out[o.VersionName] = string(o.FlowRatio)
	}
	return out
}

// recordOf is the deploy record of a version.
func recordOf(t *testing.T, base, svc, ver string) tcbr.DeployRecord {
	t.Helper()
	recs := records(t, base, svc)
	i := slices.IndexFunc(recs, func(r tcbr.DeployRecord) bool { return r.DeployId == ver })
	require.GreaterOrEqual(t, i, 0, "no record %s", ver)
	return recs[i]
}

// advance moves the virtual clock by whole seconds.
func advance(e *Emulator, s int) { e.Advance(time.Duration(s) * time.Second) }
