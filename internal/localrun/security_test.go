//go:build unix

package localrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Attacks a hostile project (or a careless model) could make through a local
// run: each must fail closed, without touching anything outside the project.

func TestChildEnvironmentIsScrubbed(t *testing.T) {
	t.Setenv("TENCENTCLOUD_SECRETKEY", "sk-must-not-leak")
	t.Setenv("TENCENTCLOUD_SESSIONTOKEN", "token-must-not-leak")
	t.Setenv("CLOUDBASE_MCP_SANDBOX", "sandbox-setting-must-not-leak")
	m, _ := newTestManager(t)
	o := fakeOptions(t, "scrubbed", "serve")
	require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
	o.InstallDeps, o.NpmPath = true, fakeTool(t, "npm-ok")
	info, err := m.Start(context.Background(), o)
	require.NoError(t, err, "log tail:\n%s", strings.Join(info.LogTail, "\n"))
	assert.Eventually(t, func() bool {
		got, _ := m.Get("scrubbed")
		return strings.Contains(strings.Join(got.LogTail, "\n"), "env HOME=")
	}, 5*time.Second, 20*time.Millisecond)
	_, err = m.Stop(context.Background(), "scrubbed")
	require.NoError(t, err)

	logged, err := os.ReadFile(info.LogFile)
	require.NoError(t, err)
	text := string(logged)
	for _, want := range []string{"npm env TENCENTCLOUD_SECRETKEY=\n", "npm env CLOUDBASE_MCP_SANDBOX=\n",
		"env TENCENTCLOUD_SECRETKEY=\n", "env TENCENTCLOUD_SESSIONTOKEN=\n", "env CLOUDBASE_MCP_SANDBOX=\n",
		"env HOME=" + os.Getenv("HOME") + "\n"} {
		assert.Contains(t, text, want, "npm install and the service both ran, with a scrubbed environment")
	}
	for _, secret := range []string{"sk-must-not-leak", "token-must-not-leak", "sandbox-setting-must-not-leak"} {
		assert.NotContains(t, text, secret)
	}
}

func TestLoaderVariablesAreRefused(t *testing.T) {
	for _, key := range []string{"NODE_OPTIONS", "node_options", "NODE_PATH", "LD_PRELOAD", "LD_LIBRARY_PATH",
		"DYLD_INSERT_LIBRARIES", "NPM_CONFIG_SCRIPT_SHELL", "npm_config_node_options", "PATH", "BAD=KEY", "1X", ""} {
		t.Run(key, func(t *testing.T) {
			m, _ := newTestManager(t)
			o := fakeOptions(t, "loader", "serve")
			o.Env[key] = "--require=data:text/javascript,process.exit(9)"
			_, err := m.Start(context.Background(), o)
			require.ErrorIs(t, err, ErrInvalidOptions)
			assert.Contains(t, err.Error(), key, "the error names the key")
			assert.Empty(t, m.List(), "nothing was started")
		})
	}
}

func TestSymlinkOutOfTheProjectRefusesTheRun(t *testing.T) {
	outside := makeProject(t, functionPkg, true, nil) // a framework outside the project
	m, _ := newTestManager(t)
	o := fakeOptions(t, "linked", "serve")
	require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "node_modules"), filepath.Join(o.Dir, "node_modules")))
	_, err := m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrOutsideProject)
	assert.Contains(t, err.Error(), "node_modules points to")
	assert.Empty(t, m.List())

	// A link that stays inside the project (npm's .bin links) is fine.
	o = fakeOptions(t, "inside", "serve")
	bin := filepath.Join(o.Dir, "node_modules", ".bin")
	require.NoError(t, os.MkdirAll(bin, 0o755))
	require.NoError(t, os.Symlink("../@cloudbase/functions-framework/bin/tcb-ff.js", filepath.Join(bin, "tcb-ff")))
	_, err = m.Start(context.Background(), o)
	require.NoError(t, err)
}

func TestSymlinkPlantedAfterInstallIsCaught(t *testing.T) {
	outside := t.TempDir()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "planted", "serve")
	require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
	// The fake npm installs the framework; a "file:" dependency would add a link out.
	o.InstallDeps, o.NpmPath = true, fakeTool(t, "npm-ok")
	require.NoError(t, os.MkdirAll(filepath.Join(o.Dir, "lib"), 0o755))
	require.NoError(t, os.Symlink(outside, filepath.Join(o.Dir, "lib", "evil")))
	_, err := m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrOutsideProject)
}

func TestSpecialFilesDoNotBlock(t *testing.T) {
	for _, name := range []string{"package.json", "Dockerfile"} {
		t.Run(name, func(t *testing.T) {
			m, _ := newTestManager(t)
			o := fakeOptions(t, "fifo", "serve")
			path := filepath.Join(o.Dir, name)
			_ = os.Remove(path)
			require.NoError(t, syscall.Mkfifo(path, 0o644))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := m.Start(ctx, o)
			require.NoError(t, ctx.Err(), "Start returned on its own, not by the deadline")
			if name == "package.json" {
				require.ErrorIs(t, err, ErrNotAFunctionProject)
				assert.Contains(t, err.Error(), "not a regular file")
			} else {
				require.NoError(t, err, "a FIFO named Dockerfile is ignored: the project is a function project")
			}
		})
	}
}

func TestLogFileSymlinkIsReplacedNotFollowed(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(victim, []byte("precious\n"), 0o644))
	logDir := filepath.Join(t.TempDir(), "logs")
	require.NoError(t, os.MkdirAll(logDir, 0o700))
	require.NoError(t, os.Symlink(victim, filepath.Join(logDir, "redirected.log")))
	m := NewManager(logDir, nil)
	t.Cleanup(func() { _ = m.Close() })
	o := fakeOptions(t, "redirected", "serve")
	info, err := m.Start(context.Background(), o)
	require.NoError(t, err)
	data, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "precious\n", string(data), "the planted link's target is untouched")
	st, err := os.Lstat(info.LogFile)
	require.NoError(t, err)
	assert.True(t, st.Mode().IsRegular(), "the log is a new regular file")
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestLogDirectoryMustBeOurs(t *testing.T) {
	t.Run("a symlink is refused", func(t *testing.T) {
		target := t.TempDir()
		logDir := filepath.Join(t.TempDir(), "logs")
		require.NoError(t, os.Symlink(target, logDir))
		m := NewManager(logDir, nil)
		t.Cleanup(func() { _ = m.Close() })
		_, err := m.Start(context.Background(), fakeOptions(t, "via-link", "serve"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "is not a directory")
		entries, _ := os.ReadDir(target)
		assert.Empty(t, entries, "nothing was written through the link")
	})
	t.Run("a loose mode is tightened", func(t *testing.T) {
		logDir := filepath.Join(t.TempDir(), "logs")
		require.NoError(t, os.Mkdir(logDir, 0o777))
		require.NoError(t, os.Chmod(logDir, 0o777))
		m := NewManager(logDir, nil)
		t.Cleanup(func() { _ = m.Close() })
		_, err := m.Start(context.Background(), fakeOptions(t, "loose", "serve"))
		require.NoError(t, err)
		st, err := os.Stat(logDir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	})
	t.Run("another user's directory is refused", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("creating a directory owned by another user needs root (CI runs as root)")
		}
		logDir := filepath.Join(t.TempDir(), "logs")
		require.NoError(t, os.Mkdir(logDir, 0o700))
		require.NoError(t, os.Chown(logDir, 65534, 65534))
		m := NewManager(logDir, nil)
		t.Cleanup(func() { _ = m.Close() })
		_, err := m.Start(context.Background(), fakeOptions(t, "foreign", "serve"))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "belongs to another user")
	})
}

func TestDefaultLogDirIsPerUser(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := DefaultLogDir()
	assert.Equal(t, filepath.Join(os.Getenv("XDG_CACHE_HOME"), "cloudbase-mcp", "runs"), dir)
	assert.NotContains(t, dir, os.TempDir()+string(filepath.Separator)+"cloudbase-mcp-runs"+string(filepath.Separator))
}
