package cloudrun

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/templates"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/workspace"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInitEveryTemplate(t *testing.T) {
	t.Parallel()
	for _, source := range []string{"remote", "embedded"} {
		t.Run(source, func(t *testing.T) {
			h := newHarness(t)
			if source == "embedded" {
				h.cfg.TemplatesURL = "http://127.0.0.1:1/offline"
			}
			for _, tpl := range templates.List() {
				t.Run(tpl.Identifier, func(t *testing.T) {
					name := "app-" + tpl.Identifier
					res, out := h.manage(t, map[string]any{"action": "init", "serverName": name, "template": tpl.Identifier})
					require.False(t, res.IsError, resultText(res))
					assert.Equal(t, source, out["source"])
					assert.Equal(t, tpl.ServerType, out["serviceType"])
					dir := filepath.Join(h.cfg.Workspace, name)
					assert.Equal(t, dir, out["projectDir"])
					want, err := templates.Files(tpl.Identifier)
					require.NoError(t, err)
					got := listFiles(workspace.Path{Root: h.cfg.Workspace, Rel: name})
					assert.Subset(t, got, want)
					assert.Contains(t, got, "cloudbaserc.json")
					assert.Equal(t, "run", path(out, "nextStep", "action"), "every template runs locally first")
					assert.Equal(t, dir, path(out, "nextStep", "args", "targetPath"))
					assert.Contains(t, out["message"], "then deploy it")
				})
			}
		})
	}
}

func TestInitRefusesANonEmptyTarget(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := filepath.Join(h.cfg.Workspace, "taken")
	writeFile(t, filepath.Join(dir, "keep.txt"), "mine")
	res, out := h.manage(t, map[string]any{"action": "init", "serverName": "taken"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "not empty")
	assert.Equal(t, true, path(out, "error", "nextStep", "args", "force"))
	b, err := os.ReadFile(filepath.Join(dir, "keep.txt"))
	require.NoError(t, err)
	assert.Equal(t, "mine", string(b), "nothing was touched")

	res, _ = h.manage(t, map[string]any{"action": "init", "serverName": "taken", "force": true})
	require.False(t, res.IsError, resultText(res))
	assert.NoFileExists(t, filepath.Join(dir, "keep.txt"))
	assert.FileExists(t, filepath.Join(dir, "package.json"))
}

func TestInitUnknownTemplate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "x-app", "template": "cobol"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "helloworld")
	assert.NoDirExists(t, filepath.Join(h.cfg.Workspace, "x-app"))
}

// hostileTemplates serves a template list whose zips are malicious or broken.
func hostileTemplates(t *testing.T) string {
	t.Helper()
	zipOf := func(add func(zw *zip.Writer)) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		add(zw)
		require.NoError(t, zw.Close())
		return b.Bytes()
	}
	file := func(zw *zip.Writer, name, body string) {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, _ = w.Write([]byte(body))
	}
	zips := map[string][]byte{
		"slip": zipOf(func(zw *zip.Writer) { file(zw, "ok.txt", "fine"); file(zw, "../../evil.txt", "escaped") }),
		"abs":  zipOf(func(zw *zip.Writer) { file(zw, "ok.txt", "fine"); file(zw, "/tmp/evil-abs.txt", "escaped") }),
		"link": zipOf(func(zw *zip.Writer) {
			file(zw, "ok.txt", "fine")
			h := &zip.FileHeader{Name: "link", Method: zip.Store}
			h.SetMode(os.ModeSymlink | 0o777)
			w, err := zw.CreateHeader(h)
			require.NoError(t, err)
			_, _ = w.Write([]byte("/etc"))
		}),
		"cut": zipOf(func(zw *zip.Writer) { file(zw, "big.txt", string(bytes.Repeat([]byte("x"), 1<<16))) }),
	}
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/list" {
			var items []map[string]any
			for id := range zips {
				items = append(items, map[string]any{"identifier": id, "title": id, "funcTypes": []string{"tcbrContainer"}, "zipFileStore": srv.URL + "/" + id + ".zip"})
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"data": items})
			return
		}
		id := filepath.Base(r.URL.Path)
		id = id[:len(id)-len(".zip")]
		body := zips[id]
		if id == "cut" { // promise the whole archive, send half, hang up
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			_, _ = w.Write(body[:len(body)/2])
			if hj, ok := w.(http.Hijacker); ok {
				conn, _, _ := hj.Hijack()
				_ = conn.Close()
			}
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/list"
}

func TestInitRefusesHostileArchives(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.cfg.TemplatesURL = hostileTemplates(t)
	existing := filepath.Join(h.cfg.Workspace, "svc-cut")
	writeFile(t, filepath.Join(existing, "keep.txt"), "mine")
	for _, id := range []string{"slip", "abs", "link", "cut"} {
		t.Run(id, func(t *testing.T) {
			name := "svc-" + id
			res, _ := h.manage(t, map[string]any{"action": "init", "serverName": name, "template": id, "force": true})
			require.True(t, res.IsError, resultText(res))
			assert.Contains(t, resultText(res), "Nothing was written")
			if id == "cut" {
				b, err := os.ReadFile(filepath.Join(existing, "keep.txt"))
				require.NoError(t, err, "a failed download leaves the target untouched")
				assert.Equal(t, "mine", string(b))
			} else {
				assert.NoDirExists(t, filepath.Join(h.cfg.Workspace, name))
			}
		})
	}
	assert.NoFileExists(t, filepath.Join(filepath.Dir(h.cfg.Workspace), "evil.txt"))
	assert.NoFileExists(t, "/tmp/evil-abs.txt")
	var left []string
	entries, err := os.ReadDir(h.cfg.Workspace)
	require.NoError(t, err)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.Equal(t, []string{"svc-cut"}, left, "no project and no temp directory left behind")
}

func TestDownloadRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	src := h.project(t, "container-node")
	res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "round-trip", "targetPath": "container-node"})
	require.False(t, res.IsError, resultText(res))
	h.settle()

	res, out := h.manage(t, map[string]any{"action": "download", "serverName": "round-trip", "targetPath": "downloaded"})
	require.False(t, res.IsError, resultText(res))
	dst := filepath.Join(h.cfg.Workspace, "downloaded")
	assert.Equal(t, dst, out["targetPath"])
	for _, f := range []string{"Dockerfile", "index.js", "package.json", ".gitignore"} {
		want, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(t, err)
		got, err := os.ReadFile(filepath.Join(dst, f))
		require.NoError(t, err, f)
		assert.Equal(t, string(want), string(got), f)
	}
	assert.EqualValues(t, 4, out["fileCount"])

	res, _ = h.manage(t, map[string]any{"action": "download", "serverName": "round-trip", "targetPath": "downloaded"})
	require.True(t, res.IsError, "a non-empty target needs force")
	assert.Equal(t, 1, h.emu.RequestCount("COSDownload"), "refused before any network call")

	res, _ = h.manage(t, map[string]any{"action": "download", "serverName": "todo-func", "targetPath": "img"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "image")
	assert.NoDirExists(t, filepath.Join(h.cfg.Workspace, "img"))
}

func TestCreateAgent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	res, out := h.manage(t, map[string]any{"action": "createAgent", "serverName": "support-bot",
		"agentConfig": map[string]any{"agentName": "Support Bot", "botTag": "demo1", "description": "answers questions"}})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "ibot-support-bot-demo1", out["botId"])
	assert.Equal(t, "support-bot", out["agentName"], "the result reports the normalised name the BotId is built from")
	assert.Equal(t, "demo1", out["botTag"])
	dir := filepath.Join(h.cfg.Workspace, "support-bot")
	assert.FileExists(t, filepath.Join(dir, "package.json"))
	assert.Equal(t, "agent", path(out, "nextStep", "args", "runOptions", "runMode"))

	res, out = h.manage(t, map[string]any{"action": "createAgent", "serverName": "helper-bot", "agentConfig": map[string]any{"agentName": "helper"}})
	require.False(t, res.IsError, resultText(res))
	assert.Regexp(t, `^ibot-helper-[a-z0-9]+$`, out["botId"], "a bot tag is generated")

	res, _ = h.manage(t, map[string]any{"action": "createAgent", "serverName": "bad-bot", "agentConfig": map[string]any{"agentName": "!!!"}})
	require.True(t, res.IsError)
	assert.NoDirExists(t, filepath.Join(h.cfg.Workspace, "bad-bot"))
}

func TestPathsStayInTheWorkspace(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(h.cfg.Workspace, "link-out")))
	for _, tc := range []struct {
		name   string
		target string
	}{
		{"dot-dot", "../elsewhere"},
		{"absolute outside", outside},
		{"symlink out", "link-out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "escape", "targetPath": tc.target})
			require.True(t, res.IsError)
			assert.Contains(t, resultText(res), "outside the workspace")
		})
	}
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written outside")

	res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "inside", "targetPath": "nested/dir"})
	require.False(t, res.IsError, resultText(res))
	assert.DirExists(t, filepath.Join(h.cfg.Workspace, "nested", "dir", "inside"))
}
