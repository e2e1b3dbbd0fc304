package emulator

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/templates"
)

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

func unzip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		out[f.Name] = string(data)
	}
	return out
}

func TestTemplates(t *testing.T) {
	_, base := start(t, Options{})
	resp, err := http.Post(base+"/func_tpl/v1.0/function_list/find?skip=0&limit=500", "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list struct{ Data []templates.ListItem }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))

	embedded := templates.List()
	require.Len(t, list.Data, len(embedded)+1, "every embedded template plus the SCF item")
	for i, want := range embedded {
		got := list.Data[i]
		assert.Equal(t, want.Identifier, got.Identifier, "the list keeps the embedded order")
		assert.Equal(t, want.Title, got.Title)
		assert.Equal(t, want.Description, got.Description)
		assert.Equal(t, want.Language, got.Language)
		assert.Equal(t, want.RuntimeVersion, got.RuntimeVersion)
		assert.Equal(t, base+"/__templates/"+want.Identifier+".zip", got.ZipFileStore)
		funcTypes := []string{"tcbrContainer"}
		if want.ServerType == templates.ServerTypeFunction {
			funcTypes = []string{"tcbrFunc"}
		}
		assert.Equal(t, funcTypes, got.FuncTypes, want.Identifier)

		status, hdr, b := get(t, got.ZipFileStore)
		require.Equal(t, http.StatusOK, status, want.Identifier)
		assert.Equal(t, "application/zip", hdr.Get("Content-Type"))
		var zipped bytes.Buffer
		require.NoError(t, templates.WriteZip(want.Identifier, &zipped))
		assert.Equal(t, zipped.Bytes(), b, "%s: the zip is templates.WriteZip's, byte for byte", want.Identifier)
	}
	assert.Equal(t, "helloworld", list.Data[0].Identifier, "the default template comes first")
	scf := list.Data[len(list.Data)-1]
	assert.Equal(t, "scf-helloworld", scf.Identifier)
	assert.Equal(t, []string{"scfFunc"}, scf.FuncTypes, "clients must filter this one out")
	status, _, b := get(t, scf.ZipFileStore)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, unzip(t, b)["index.js"], "main_handler")

	status, _, b = get(t, base+"/__templates/helloworld.zip")
	require.Equal(t, http.StatusOK, status)
	files := unzip(t, b)
	assert.Contains(t, files["package.json"], `"@cloudbase/functions-framework"`)
	assert.Contains(t, files["index.js"], "exports.main")
	assert.NotContains(t, files, "Dockerfile")

	status, _, b = get(t, base+"/__templates/nodejs.zip")
	require.Equal(t, http.StatusOK, status)
	files = unzip(t, b)
	assert.Contains(t, files["Dockerfile"], "FROM node:20-alpine")
	assert.Contains(t, files["Dockerfile"], "EXPOSE 8080")
	assert.Contains(t, files["index.js"], "process.env.PORT")
	assert.Contains(t, files, ".dockerignore")

	for _, path := range []string{"/__templates/nope.zip", "/__templates/nodejs-express.zip", "/__templates/nodejs"} {
		status, _, _ = get(t, base+path)
		assert.Equal(t, http.StatusNotFound, status, path)
	}
}

func TestTemplateFilesForSeededPackages(t *testing.T) {
	for _, tc := range []struct{ id, name, wantName string }{
		{"helloworld", "todo-fn", `"name": "todo-fn"`},
		{"nodejs", "hello-api", `"name": "hello-api"`},
		{"nodejs", "", `"name": "cloudrun-nodejs"`},
	} {
		files, ok := templateFiles(tc.id, tc.name)
		require.True(t, ok, tc.id)
		assert.Contains(t, files["package.json"], tc.wantName, tc.id)
		var pj map[string]any
		require.NoError(t, json.Unmarshal([]byte(files["package.json"]), &pj), "still valid JSON")
		id := tc.id
		if id == "nodejs-express" {
			id = "nodejs"
		}
		want, err := templates.Files(id)
		require.NoError(t, err)
		assert.ElementsMatch(t, want, slices.Collect(maps.Keys(files)))
	}
	_, ok := templateFiles("nope", "x")
	assert.False(t, ok)
}

func TestTemplatesUsePublicBaseURL(t *testing.T) {
	_, base := start(t, Options{PublicBaseURL: "https://emu.example.test/"})
	resp, err := http.Post(base+"/func_tpl/v1.0/function_list/find?limit=1", "", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	var list struct{ Data []templates.ListItem }
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	require.Len(t, list.Data, 1)
	assert.Equal(t, "https://emu.example.test/__templates/helloworld.zip", list.Data[0].ZipFileStore)
}

func TestPackageDownload(t *testing.T) {
	e, base := start(t, Options{})
	ticket := ok[tcbr.DescribeCloudBaseBuildServiceResponse](t, apiService(t, base, "tcb", "DescribeCloudBaseBuildService",
		m{"EnvId": demoEnv, "ServiceName": "hello-api", "ServiceVersion": "hello-api-002"}))
	require.True(t, strings.HasPrefix(ticket.DownloadUrl, base+"/__cos/download/demo-env-1a2b3c/hello-api/hello-api-002.zip?"))
	assert.Equal(t, []tcbr.KVPair{}, ticket.DownloadHeaders)

	status, hdr, b := get(t, ticket.DownloadUrl)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "application/zip", hdr.Get("Content-Type"))
	files := unzip(t, b)
	assert.Contains(t, files["package.json"], `"name": "hello-api"`)
	assert.Contains(t, files, "Dockerfile")

	status, _, b = get(t, strings.Replace(ticket.DownloadUrl, "sign=", "sign=00", 1))
	assert.Equal(t, http.StatusForbidden, status)
	assert.Contains(t, string(b), "AccessDenied")

	e.Advance(2 * 3600e9)
	status, _, _ = get(t, ticket.DownloadUrl)
	assert.Equal(t, http.StatusForbidden, status, "tickets expire after an hour of virtual time")
}

func TestListenAndClose(t *testing.T) {
	e, err := New(Options{})
	require.NoError(t, err)
	a, err := e.Listen("127.0.0.1:0")
	require.NoError(t, err)
	b, err := e.Listen("127.0.0.1:0")
	require.NoError(t, err)
	assert.NotEqual(t, a, b)
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, a)
	for _, u := range []string{a, b} {
		status, _, _ := get(t, u+"/__emulator/clock")
		assert.Equal(t, http.StatusOK, status)
	}
	require.NoError(t, e.Close())
	_, err = http.Get(a + "/__emulator/clock")
	assert.Error(t, err, "closed listeners refuse connections")
	_, err = e.Listen("127.0.0.1:0")
	assert.Error(t, err)
	assert.NoError(t, e.Close(), "Close is idempotent")
}
