//go:build unix

package localrun

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// e2eFrameworkVersion is pinned so that the node_modules cache below stays valid.
const e2eFrameworkVersion = "1.18.0"

// TestEndToEndRealFramework runs a real project with real node, npm and
// @cloudbase/functions-framework. The first run installs from the registry
// (about 20-30 s) and keeps node_modules under os.TempDir() for later runs.
func TestEndToEndRealFramework(t *testing.T) {
	t.Parallel()
	testutil.NeedsE2E(t) // npm install from the registry
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH; install Node.js >= 18 (https://nodejs.org) to run the end-to-end test")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm is not on PATH; install Node.js >= 18 with npm to run the end-to-end test")
	}

	dir := t.TempDir()
	pkg := fmt.Sprintf(`{"name":"e2e-hello","version":"1.0.0","main":"index.js","dependencies":{"%s":"%s"}}`, frameworkPkg, e2eFrameworkVersion)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkg), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.js"),
		[]byte("exports.main = async (event, context) => ({message: 'hello from test'})\n"), 0o644))

	cache := filepath.Join(os.TempDir(), "cloudbase-mcp-localrun-e2e", "functions-framework-"+e2eFrameworkVersion)
	cached := fileExists(filepath.Join(cache, "node_modules", "@cloudbase", "functions-framework", "bin", "tcb-ff.js"))
	if cached {
		// A copy, not a symlink: run refuses links that lead outside the project.
		out, err := exec.Command("cp", "-a", filepath.Join(cache, "node_modules"), filepath.Join(dir, "node_modules")).CombinedOutput()
		require.NoError(t, err, "copying the cached node_modules: %s", out)
		t.Logf("using cached node_modules from %s", cache)
	} else {
		requireRegistry(t, npm)
	}

	m := NewManager(t.TempDir(), slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	t.Cleanup(func() { _ = m.Close() })
	var mu sync.Mutex
	stamps := map[string]time.Time{}
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	info, err := m.Start(ctx, Options{
		ServerName:  "e2e-hello",
		Dir:         dir,
		Port:        freePort(t),
		InstallDeps: true,
		Progress: func(stage, msg string) {
			mu.Lock()
			defer mu.Unlock()
			if _, seen := stamps[stage]; !seen {
				stamps[stage] = time.Now()
			}
			t.Logf("progress %s: %s", stage, msg)
		},
	})
	require.NoError(t, err, "log tail:\n%s", strings.Join(info.LogTail, "\n"))
	assert.Equal(t, StatusRunning, info.Status)
	mu.Lock()
	if at, ok := stamps["install"]; ok {
		t.Logf("timing: npm install %s", stamps["start"].Sub(at).Round(100*time.Millisecond))
	}
	t.Logf("timing: start to ready %s (whole Start %s)", stamps["ready"].Sub(stamps["start"]).Round(10*time.Millisecond), time.Since(began).Round(10*time.Millisecond))
	mu.Unlock()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Origin", "http://example.test")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "hello from test")
	assert.Equal(t, "http://example.test", resp.Header.Get("Access-Control-Allow-Origin"), "ENABLE_CORS and ALLOWED_ORIGINS=* reached the framework")

	runs := m.List()
	require.Len(t, runs, 1)
	assert.Equal(t, StatusRunning, runs[0].Status)
	assert.Contains(t, strings.Join(runs[0].LogTail, "\n"), "Server listening on port")

	stopped, err := m.Stop(context.Background(), "e2e-hello")
	require.NoError(t, err)
	assert.Equal(t, StatusStopped, stopped.Status)
	assert.True(t, gone(info.PID), "node is gone after Stop")

	if !cached {
		keepForNextRun(t, filepath.Join(dir, "node_modules"), cache)
	}
}

// requireRegistry skips the test when npm cannot reach its registry (the install would fail for that reason alone).
func requireRegistry(t *testing.T, npm string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "view", frameworkPkg+"@"+e2eFrameworkVersion, "version")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), e2eFrameworkVersion) {
		t.Skipf("npm cannot reach the registry to install %s@%s (%v); the end-to-end test needs network access to the npm registry:\n%s",
			frameworkPkg, e2eFrameworkVersion, err, out)
	}
}

// keepForNextRun moves node_modules into the cache in one rename, so a partial cache never exists.
func keepForNextRun(t *testing.T, nodeModules, cache string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
		t.Logf("not caching node_modules: %v", err)
		return
	}
	tmp, err := os.MkdirTemp(filepath.Dir(cache), "incoming-")
	if err != nil {
		t.Logf("not caching node_modules: %v", err)
		return
	}
	if err := os.Rename(nodeModules, filepath.Join(tmp, "node_modules")); err == nil {
		err = os.Rename(tmp, cache)
		if err == nil {
			t.Logf("cached node_modules in %s", cache)
			return
		}
	}
	_ = os.RemoveAll(tmp)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
