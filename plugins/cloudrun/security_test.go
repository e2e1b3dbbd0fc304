//go:build unix

package cloudrun

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Attacks of a hostile project, through the plugin against the emulator:
// nothing outside the workspace may be read, written or executed.

// outsideFile writes a file outside the workspace and returns its path.
func outsideFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func assertFile(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "%s is untouched", path)
}

func TestCloudbasercSymlinksAreNeverFollowed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	dir := h.project(t, "container-node")
	rc := outsideFile(t, "bashrc", "export PS1='mine'\n")
	tmp := outsideFile(t, "profile", "umask 022\n")
	require.NoError(t, os.Symlink(rc, filepath.Join(dir, "cloudbaserc.json")))
	require.NoError(t, os.Symlink(tmp, filepath.Join(dir, "cloudbaserc.json.tmp")))
	// Ignored, so the packer (which refuses links out) never looks at them.
	writeFile(t, filepath.Join(dir, ".cloudbaseignore"), "cloudbaserc.json*\n")

	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "rc-attack", "targetPath": "container-node"})
	require.False(t, res.IsError, resultText(res))
	assertFile(t, rc, "export PS1='mine'\n")
	assertFile(t, tmp, "umask 022\n")
	assert.Contains(t, resultText(res), "CLOUDBASERC_NOT_WRITTEN", "a link out of the project is left alone, with a warning")
	assert.Nil(t, out["cloudbasercUpdated"])
	link, err := os.Readlink(filepath.Join(dir, "cloudbaserc.json"))
	require.NoError(t, err, "the link is still a link: nothing was copied into the project")
	assert.Equal(t, rc, link)

	// Without the link at cloudbaserc.json, the file is written as a new
	// regular file and the planted temp link is still not followed.
	require.NoError(t, os.Remove(filepath.Join(dir, "cloudbaserc.json")))
	h.settle() // the first deploy ends
	res, out = h.manage(t, map[string]any{"action": "deploy", "serverName": "rc-attack", "targetPath": "container-node"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, true, out["cloudbasercUpdated"])
	st, err := os.Lstat(filepath.Join(dir, "cloudbaserc.json"))
	require.NoError(t, err)
	assert.True(t, st.Mode().IsRegular())
	assertFile(t, tmp, "umask 022\n")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), ".tmp-"), "no temp file is left behind: %s", e.Name())
	}

	// An image deploy does not package: the links are met only when
	// cloudbaserc.json is written.
	require.NoError(t, os.Remove(filepath.Join(dir, "cloudbaserc.json")))
	require.NoError(t, os.Symlink(rc, filepath.Join(dir, "cloudbaserc.json")))
	require.NoError(t, os.Remove(filepath.Join(dir, ".cloudbaseignore")))
	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "rc-image", "targetPath": "container-node",
		"imageUrl": "ccr.ccs.tencentyun.com/ns/app:v1"})
	require.False(t, res.IsError, resultText(res))
	assert.Contains(t, resultText(res), "CLOUDBASERC_NOT_WRITTEN")
	assertFile(t, rc, "export PS1='mine'\n")
	assertFile(t, tmp, "umask 022\n")
}

// setServiceEnv makes every version of svc carry env (or, when env is nil,
// the raw config).
func setServiceEnv(sc *emulator.Scenario, svc string, env map[string]string, raw json.RawMessage) {
	for i := range sc.Envs {
		for j := range sc.Envs[i].Services {
			s := &sc.Envs[i].Services[j]
			if s.Name != svc {
				continue
			}
			s.EnvParams = env
			if raw != nil {
				s.Config = raw
			}
			for k := range s.Versions {
				s.Versions[k].EnvParams = env
				if raw != nil {
					s.Versions[k].Config = raw
				}
			}
		}
	}
}

func TestInitAndDownloadNeverWriteThroughLinks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(h.cfg.Workspace, "escape")))

	// init into <escape>/<svc>: escape resolves outside the workspace.
	res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "svc-a", "targetPath": "escape"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "outside the workspace")
	// The service directory itself is the link.
	res, _ = h.manage(t, map[string]any{"action": "init", "serverName": "escape", "force": true})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "outside the workspace")
	res, _ = h.manage(t, map[string]any{"action": "download", "serverName": "hello-api", "targetPath": "escape", "force": true})
	require.True(t, res.IsError)
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was written outside the workspace")
}

func TestWorkspaceRootIsNeverATarget(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	keep := filepath.Join(h.cfg.Workspace, "keep.txt")
	writeFile(t, keep, "mine")
	require.NoError(t, os.Symlink(".", filepath.Join(h.cfg.Workspace, "self")))
	for _, args := range []map[string]any{
		{"action": "download", "serverName": "hello-api", "targetPath": ".", "force": true},
		{"action": "download", "serverName": "hello-api", "targetPath": h.cfg.Workspace, "force": true},
		{"action": "init", "serverName": "self", "force": true},
		{"action": "createAgent", "serverName": "self", "force": true, "agentConfig": map[string]any{"agentName": "bot"}},
	} {
		res, _ := h.manage(t, args)
		require.True(t, res.IsError, "%v: %s", args, resultText(res))
		assert.Contains(t, resultText(res), "workspace root")
		assertFile(t, keep, "mine")
	}
	assert.Empty(t, h.requestsOf(t, "DescribeCloudBaseBuildService"), "refused before any download")
}

func TestDockerfileAndBuildDirStayInsideTheProject(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.project(t, "container-node")
	secret := outsideFile(t, "Dockerfile", "FROM scratch\nEXPOSE 9999\n")
	rel, err := filepath.Rel(filepath.Join(h.cfg.Workspace, "container-node"), secret)
	require.NoError(t, err)
	for _, cfg := range []map[string]any{
		{"Dockerfile": secret},
		{"Dockerfile": rel},
		{"BuildDir": filepath.Dir(secret)},
		{"BuildDir": "../..", "Dockerfile": "Dockerfile"},
	} {
		res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "df-attack", "targetPath": "container-node",
			"dryRun": true, "serverConfig": cfg})
		require.True(t, res.IsError, "%v", cfg)
		assert.Contains(t, resultText(res), "inside the project")
		assert.NotContains(t, resultText(res), "9999", "nothing of the outside file is read")
	}
}

// TestProjectFilesLinkedOutsideAreNotRead: the project's own Dockerfile,
// package.json or .cloudbaseignore is a link to a file outside it (or to
// /dev/zero); deploy and run read none of them, refuse, and answer at once.
func TestProjectFilesLinkedOutsideAreNotRead(t *testing.T) {
	t.Parallel()
	secret := outsideFile(t, "Dockerfile", "FROM scratch\nEXPOSE 9999\n")
	for _, link := range []struct{ name, target string }{
		{"Dockerfile", secret}, {"Dockerfile", "/dev/zero"},
		{"package.json", secret}, {"package.json", "/dev/zero"},
		{".cloudbaseignore", secret}, {".cloudbaseignore", "/dev/zero"},
	} {
		to := link.target
		if to == secret {
			to = "an outside file"
		}
		t.Run(link.name+" to "+to, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			dir := h.project(t, "container-node")
			_ = os.Remove(filepath.Join(dir, link.name))
			require.NoError(t, os.Symlink(link.target, filepath.Join(dir, link.name)))
			done := make(chan struct{})
			go func() {
				defer close(done)
				for _, args := range []map[string]any{
					{"action": "deploy", "serverName": "link-attack", "targetPath": "container-node", "dryRun": true},
					{"action": "deploy", "serverName": "link-attack", "targetPath": "container-node"},
					{"action": "run", "serverName": "link-attack", "targetPath": "container-node"},
				} {
					res, _ := h.manage(t, args)
					assert.True(t, res.IsError, "%v: %s", args, resultText(res))
					assert.NotContains(t, resultText(res), "9999", "%v: nothing of the outside file is read", args)
				}
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the call blocked on the link")
			}
			for _, r := range h.emu.Requests() {
				assert.NotEqual(t, "CreateCloudRunServer", r.Action, "nothing was deployed")
			}
		})
	}
}

func TestSpecialFilesInAProjectDoNotBlockADeploy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	dir := h.project(t, "function-hello")
	for _, name := range []string{"Dockerfile", ".cloudbaseignore", "cloudbaserc.json", "extra.txt"} {
		require.NoError(t, syscall.Mkfifo(filepath.Join(dir, name), 0o644))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "fifo-svc", "targetPath": "function-hello", "dryRun": true})
		assert.False(t, res.IsError, resultText(res))
		assert.Equal(t, "function", out["serviceType"], "a FIFO named Dockerfile is no Dockerfile")
		assert.Contains(t, resultText(res), "extra.txt (not a regular file)")
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the deploy blocked on a FIFO")
	}
}

func TestSwappingTheProjectForALinkNeverPackagesOutside(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "Dockerfile"), "FROM node:20\n")
	writeFile(t, filepath.Join(outside, "outside-secret.txt"), "id_rsa")
	real := filepath.Join(h.cfg.Workspace, "real")
	require.NoError(t, os.CopyFS(real, os.DirFS(filepath.Join("..", "..", "testdata", "projects", "container-node"))))
	proj := filepath.Join(h.cfg.Workspace, "proj")
	require.NoError(t, os.Rename(real, proj))

	// A local attacker flips proj between the real project and a link out.
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			_ = os.Rename(proj, real)
			_ = os.Symlink(outside, proj)
			time.Sleep(50 * time.Microsecond)
			_ = os.Remove(proj)
			_ = os.Rename(real, proj)
		}
	})
	for range 30 {
		h.manage(t, map[string]any{"action": "deploy", "serverName": "race-svc", "targetPath": "proj", "waitRegistration": false})
	}
	stop.Store(true)
	wg.Wait()
	for _, pkg := range h.emu.Packages() {
		assert.NotContains(t, pkg.Files, "outside-secret.txt", "a package holds a file from outside the workspace")
	}
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Len(t, entries, 2, "nothing was written outside (no cloudbaserc.json there)")
}

func TestSwappingTheInitTargetForALinkNeverWritesOutside(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	outside := t.TempDir()
	base := filepath.Join(h.cfg.Workspace, "apps")
	aside := filepath.Join(h.cfg.Workspace, "apps-real")
	require.NoError(t, os.Mkdir(base, 0o755))
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			_ = os.Rename(base, aside)
			_ = os.Symlink(outside, base)
			time.Sleep(50 * time.Microsecond)
			_ = os.Remove(base)
			_ = os.Rename(aside, base)
		}
	})
	for i := range 30 {
		h.manage(t, map[string]any{"action": "init", "serverName": "svc-" + string(rune('a'+i%26)) + "x", "targetPath": "apps", "force": true})
	}
	stop.Store(true)
	wg.Wait()
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was extracted outside the workspace")
}

func TestEnvParamsValuesAreCutFromUpstreamErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withScenario(vpcScenario(t)))
	h.project(t, "container-node")
	// The platform quotes the request it refuses, values included.
	h.emu.InjectFault(emulator.Fault{Action: "UpdateCloudRunServer", Code: "InvalidParameterValue",
		Message: `EnvParams {"API_KEY":"sk-live-4242","TIMEOUT":"30","DB_PASSWORD":"s3cret-demo"} rejected`})
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "hello-api", "targetPath": "container-node",
		"serverConfig": map[string]any{"EnvParams": map[string]any{"API_KEY": "sk-live-4242", "TIMEOUT": "30"}}})
	require.True(t, res.IsError)
	text := resultText(res)
	assert.Contains(t, text, "InvalidParameterValue", "the failure itself is reported")
	for _, secret := range []string{"sk-live-4242", `"30"`, "s3cret-demo"} {
		assert.NotContains(t, text, secret, "the value the call sent (or read from the service) is cut")
	}
	b, err := json.Marshal(out)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "sk-live-4242")
	assert.NotContains(t, string(b), "s3cret-demo")
}

func TestDetailMasksEveryEnvParamsValue(t *testing.T) {
	t.Parallel()
	sc := emulator.DefaultScenario()
	setServiceEnv(sc, "hello-api", map[string]string{"PLAIN": "visible-looking-value", "N": "12345", "HOST": "db.internal"}, nil)
	h := newHarness(t, withScenario(sc))
	res, out := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api"})
	require.False(t, res.IsError, resultText(res))
	env := path(out, "service", "config", "EnvParams").(map[string]any)
	assert.Len(t, env, 3)
	for k, v := range env {
		assert.Equal(t, "***", v, "%s is masked whatever its name", k)
	}
	for _, v := range []string{"visible-looking-value", "12345", "db.internal"} {
		assert.NotContains(t, resultText(res), v)
	}
	assert.Equal(t, "12345", path(mustQuery(t, h, map[string]any{"action": "detail", "detailServerName": "hello-api", "revealEnvParams": true}),
		"service", "config", "EnvParams", "N"), "revealEnvParams shows them")
}

func TestDetailMasksEnvParamsThatAreNotJSON(t *testing.T) {
	t.Parallel()
	sc := emulator.DefaultScenario()
	setServiceEnv(sc, "hello-api", nil, json.RawMessage(`{"EnvParams":"PASSWORD=hunter2-not-json"}`))
	h := newHarness(t, withScenario(sc))
	res, _ := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api"})
	require.False(t, res.IsError, resultText(res))
	assert.NotContains(t, resultText(res), "hunter2")
}

func mustQuery(t *testing.T, h *harness, args map[string]any) map[string]any {
	t.Helper()
	res, out := h.query(t, args)
	require.False(t, res.IsError, resultText(res))
	return out
}

// TestAuditNeverCarriesArguments: every call, refused ones included, gets
// one line; none carries a path, image, template or env value.
func TestAuditNeverCarriesArguments(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	h.project(t, "container-node")
	markers := []string{"zz-target-marker", "zz-image-marker", "zz-template-marker", "zz-env-marker", "zz-agent-marker"}
	calls := []map[string]any{
		{"action": "deploy", "serverName": "audit-svc", "targetPath": "container-node/zz-target-marker"},
		{"action": "deploy", "serverName": "audit-svc", "imageUrl": "ccr.ccs.tencentyun.com/ns/zz-image-marker:v1", "dryRun": true},
		{"action": "deploy", "serverName": "audit-svc", "imageUrl": "not an image zz-image-marker"},
		{"action": "init", "serverName": "audit-svc", "template": "zz-template-marker"},
		{"action": "deploy", "serverName": "audit-svc", "targetPath": "container-node", "serverConfig": map[string]any{"EnvParams": map[string]any{"K": "zz-env-marker"}}},
		{"action": "createAgent", "serverName": "audit-agent", "agentConfig": map[string]any{"agentName": "zz-agent-marker!!"}},
		{"action": "run", "serverName": "audit-svc", "targetPath": "/zz-target-marker"},
		// Refused by the schema check, before the handler.
		{"action": "deploy", "serverName": "audit-svc", "targetPath": "zz-target-marker", "bogus": "zz-env-marker"},
		{"action": "zz-template-marker"},
	}
	for _, c := range calls {
		h.manage(t, c)
	}
	f, err := os.Open(h.cfg.AuditLog)
	require.NoError(t, err)
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.Len(t, lines, len(calls), "one line per call, refused ones included")
	for _, l := range lines {
		for _, m := range markers {
			assert.NotContains(t, l, m)
		}
	}
	assert.Contains(t, lines[len(lines)-2], `"outcome":"refused"`)
	assert.Contains(t, lines[len(lines)-2], `"action":"deploy"`)
	assert.NotContains(t, lines[len(lines)-1], `"action":"zz`)
}
