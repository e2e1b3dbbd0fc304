package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

func TestUploadRejections(t *testing.T) {
	e, base := start(t, Options{})
	tk := ticket(t, base, "up-svc")
	zipBytes := containerZip(t)
	cases := []struct {
		name    string
		url     string
		headers []tcbr.KVPair
		body    []byte
		status  int
		code    string
	}{
		{"bad sign", strings.Replace(tk.UploadUrl, "sign=", "sign=ff", 1), tk.UploadHeaders, zipBytes, http.StatusForbidden, "AccessDenied"},
		{"no sign", strings.Split(tk.UploadUrl, "?")[0], tk.UploadHeaders, zipBytes, http.StatusForbidden, "AccessDenied"},
		{"other path", strings.Replace(tk.UploadUrl, "/up-svc/", "/other-svc/", 1), tk.UploadHeaders, zipBytes, http.StatusForbidden, "AccessDenied"},
		{"only the first header", tk.UploadUrl, tk.UploadHeaders[:1], zipBytes, http.StatusForbidden, "AccessDenied"},
		{"empty body", tk.UploadUrl, tk.UploadHeaders, nil, http.StatusBadRequest, "MissingContentLength"},
		{"not a zip", tk.UploadUrl, tk.UploadHeaders, []byte("PK\x03\x04 definitely not a zip"), http.StatusBadRequest, "InvalidArgument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, hdr, body := put(t, tc.url, tc.headers, tc.body)
			assert.Equal(t, tc.status, status, "%s", body)
			assert.Equal(t, "application/xml", hdr.Get("Content-Type"))
			assert.Contains(t, string(body), "<Code>"+tc.code+"</Code>")
		})
	}
	assert.Empty(t, e.Packages(), "nothing was stored")

	// Too large for the (lowered) bound.
	e.maxPackage = 64
	status, _, body := put(t, tk.UploadUrl, tk.UploadHeaders, zipBytes)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), "EntityTooLarge")
	e.maxPackage = defaultMaxPackageBytes

	// Wrong method.
	req, err := http.NewRequest(http.MethodPost, tk.UploadUrl, strings.NewReader("x"))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	// Tickets expire after a virtual hour.
	e.Advance(time.Hour + time.Second)
	status, _, body = put(t, tk.UploadUrl, tk.UploadHeaders, zipBytes)
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, string(body), "Request has expired")

	// A fresh ticket works and re-uploading to it replaces the package.
	tk = ticket(t, base, "up-svc")
	status, _, _ = put(t, tk.UploadUrl, tk.UploadHeaders, zipBytes)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = put(t, tk.UploadUrl, tk.UploadHeaders, makeZip(t, "Dockerfile", "FROM nginx\n"))
	require.Equal(t, http.StatusOK, status)
	pkgs := e.Packages()
	require.Len(t, pkgs, 1)
	assert.Equal(t, []string{"Dockerfile"}, pkgs[0].Files)
	assert.Equal(t, tk.PackageVersion, pkgs[0].PackageVersion)
}

func TestWriteFaults(t *testing.T) {
	e, base := start(t, Options{})
	di := upload(t, base, "faulty", containerZip(t))
	create := m{"EnvId": demoEnv, "ServerName": "faulty", "DeployInfo": di}

	// A fault on CreateCloudRunServer answers instead of the handler: nothing is created.
	e.InjectFault(Fault{Action: "CreateCloudRunServer", Code: "InternalError", Message: "boom"})
	code, msg := sdkFail(t, base, "CreateCloudRunServer", create)
	assert.Equal(t, "InternalError", code)
	assert.Contains(t, msg, "boom")
	apiErr(t, api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": "faulty"}), "ResourceNotFound.ServerNotFound")
	e.InjectFault(Fault{Action: "CreateCloudRunServer", Status: http.StatusBadGateway})
	_, err := sdkCall(sdkClient(base, DemoSecretID, DemoSecretKey, ""), "tcbr", tcbr.VersionTCBR, "CreateCloudRunServer", create)
	require.Error(t, err)
	assert.Greater(t, sdk[tcbr.CreateCloudRunServerResponse](t, base, "CreateCloudRunServer", create).TaskId, int64(0))
	assert.Equal(t, 3, e.RequestCount("CreateCloudRunServer"), "faulted writes are recorded too")

	// Faults on the object storage endpoints, by name only.
	tk := ticket(t, base, "faulty")
	e.InjectFault(Fault{Code: "InternalError"}) // any API action, but not the storage endpoints
	status, _, _ := put(t, tk.UploadUrl, tk.UploadHeaders, containerZip(t))
	assert.Equal(t, http.StatusOK, status, "a wildcard fault does not apply to uploads")
	assert.Len(t, e.pendingFaults(), 1)
	e.ClearFaults()

	e.InjectFault(Fault{Action: FaultCOSUpload, Status: http.StatusServiceUnavailable, Code: "SlowDown", Times: 2})
	for range 2 {
		status, _, body := put(t, tk.UploadUrl, tk.UploadHeaders, containerZip(t))
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.Contains(t, string(body), "<Code>SlowDown</Code>")
	}
	status, _, _ = put(t, tk.UploadUrl, tk.UploadHeaders, containerZip(t))
	assert.Equal(t, http.StatusOK, status)

	e.InjectFault(Fault{Action: FaultCOSUpload, Drop: true})
	req, err := http.NewRequest(http.MethodPut, tk.UploadUrl, strings.NewReader("x"))
	require.NoError(t, err)
	_, err = http.DefaultClient.Do(req)
	assert.Error(t, err, "dropped connection")

	dl := ok[tcbr.DescribeCloudBaseBuildServiceResponse](t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService",
		m{"EnvId": demoEnv, "ServiceName": "faulty", "ServiceVersion": "faulty-001"}))
	e.InjectFault(Fault{Action: FaultCOSDownload, Status: http.StatusNotFound, Code: "NoSuchKey"})
	status, _, _ = get(t, dl.DownloadUrl)
	assert.Equal(t, http.StatusNotFound, status)
	status, _, _ = get(t, dl.DownloadUrl)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, 6, e.RequestCount(FaultCOSUpload), "every PUT is recorded, faulted or not")
}
