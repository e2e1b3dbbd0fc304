//go:build unix

package localrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fakeOptions(t testing.TB, name, mode string) Options {
	t.Helper()
	return Options{
		ServerName: name,
		Dir:        makeProject(t, functionPkg, true, map[string]string{"index.js": "exports.main = () => 'hi'\n"}),
		Port:       freePort(t),
		Env:        map[string]string{"FAKE_MODE": mode},
		NodePath:   fakeTool(t, "node"),
	}
}

func TestStartReadyListStop(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "hello-svc", "serve")
	var progress progressLog
	o.Progress = progress.add

	info, err := m.Start(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, info.Status)
	assert.Positive(t, info.PID)
	assert.Equal(t, fmt.Sprintf("http://127.0.0.1:%d/", o.Port), info.URL)
	assert.Equal(t, ModeNormal, info.Mode)
	assert.Equal(t, o.Dir, info.Dir)
	assert.Equal(t, []string{"start", "ready"}, progress.get())
	assert.NotNil(t, info.LogTail)

	resp, err := http.Get(info.URL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	assert.JSONEq(t, `{"message":"fake ok"}`, string(body))

	assert.Eventually(t, func() bool {
		runs := m.List()
		return len(runs) == 1 && strings.Contains(strings.Join(runs[0].LogTail, "\n"), "Server listening on port "+strconv.Itoa(o.Port))
	}, 5*time.Second, 20*time.Millisecond, "List shows the run with the child's output")
	runs := m.List()
	require.Len(t, runs, 1)
	assert.Equal(t, "hello-svc", runs[0].ServerName)
	assert.Equal(t, StatusRunning, runs[0].Status)
	assert.LessOrEqual(t, len(runs[0].LogTail), tailLines)
	logged, err := os.ReadFile(info.LogFile)
	require.NoError(t, err)
	assert.Contains(t, string(logged), "Server listening on port")
	assert.Equal(t, "hello-svc.log", filepath.Base(info.LogFile))

	stopped, err := m.Stop(context.Background(), "hello-svc")
	require.NoError(t, err)
	assert.Equal(t, StatusStopped, stopped.Status)
	require.NotNil(t, stopped.ExitCode)
	assert.True(t, gone(info.PID), "the process is gone after Stop")
	_, err = http.Get(info.URL)
	assert.Error(t, err, "nothing listens any more")

	again, err := m.Stop(context.Background(), "hello-svc")
	assert.ErrorIs(t, err, ErrNotRunning)
	assert.Equal(t, StatusStopped, again.Status)
	got, ok := m.Get("hello-svc")
	require.True(t, ok)
	assert.Equal(t, StatusStopped, got.Status)
}

func TestStartTwiceIsAlreadyRunning(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "twice", "serve")
	first, err := m.Start(context.Background(), o)
	require.NoError(t, err)

	second, err := m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrAlreadyRunning)
	assert.Equal(t, first.PID, second.PID)
	assert.Equal(t, first.URL, second.URL)
	assert.Contains(t, err.Error(), first.URL)
}

func TestConcurrentStartsOfOneName(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "racer", "serve")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = m.Start(context.Background(), o)
		}()
	}
	wg.Wait()
	ok, already := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrAlreadyRunning):
			already++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	assert.Equal(t, 1, ok)
	assert.Equal(t, len(errs)-1, already)
}

func TestStartExitsDuringStartup(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	info, err := m.Start(context.Background(), fakeOptions(t, "crasher", "exit"))
	require.ErrorIs(t, err, ErrExited)
	assert.Contains(t, err.Error(), "exited with code 3")
	assert.Contains(t, err.Error(), "fatal: cannot load index.js")
	assert.Contains(t, err.Error(), "boot line 30")
	assert.NotContains(t, err.Error(), "boot line 10\n", "only the last lines are quoted")
	assert.Equal(t, StatusExited, info.Status)
	require.NotNil(t, info.ExitCode)
	assert.Equal(t, 3, *info.ExitCode)
	assert.Contains(t, strings.Join(info.LogTail, "\n"), "fatal: cannot load index.js")

	got, ok := m.Get("crasher")
	require.True(t, ok)
	assert.Equal(t, StatusExited, got.Status)
	_, err = m.Stop(context.Background(), "crasher")
	assert.ErrorIs(t, err, ErrNotRunning)
}

func TestStartNeverReadyIsKilled(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "sleeper", "hang")
	o.ReadyTimeout = 700 * time.Millisecond
	info, err := m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrNotReady)
	assert.Contains(t, err.Error(), "hanging without listening")
	assert.Contains(t, err.Error(), strconv.Itoa(o.Port))
	assert.Equal(t, StatusStopped, info.Status)
	assert.True(t, gone(info.PID), "a start that never got ready leaves no process")
}

func TestStartCancelledKillsTheProcess(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "cancelled", "hang")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if info, ok := m.Get("cancelled"); ok && info.PID > 0 {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	info, err := m.Start(ctx, o)
	require.ErrorIs(t, err, context.Canceled)
	assert.Positive(t, info.PID)
	assert.True(t, gone(info.PID))
	assert.Equal(t, StatusStopped, info.Status)
}

func TestStopWhileStarting(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "halfway", "hang")
	type result struct {
		info Info
		err  error
	}
	res := make(chan result, 1)
	go func() {
		info, err := m.Start(context.Background(), o)
		res <- result{info, err}
	}()
	require.Eventually(t, func() bool {
		info, ok := m.Get("halfway")
		return ok && info.PID > 0
	}, 5*time.Second, 10*time.Millisecond)

	stopped, err := m.Stop(context.Background(), "halfway")
	require.NoError(t, err)
	assert.Equal(t, StatusStopped, stopped.Status)
	assert.True(t, gone(stopped.PID))
	r := <-res
	assert.ErrorIs(t, r.err, ErrNotRunning)
}

func TestPortInUse(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)

	foreign, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer foreign.Close()
	o := fakeOptions(t, "blocked", "serve")
	o.Port = foreign.Addr().(*net.TCPAddr).Port
	_, err = m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrPortInUse)
	assert.Contains(t, err.Error(), strconv.Itoa(o.Port))
	_, ok := m.Get("blocked")
	assert.False(t, ok, "a refused start leaves no entry")

	ours := fakeOptions(t, "owner", "serve")
	owner, err := m.Start(context.Background(), ours)
	require.NoError(t, err)
	other := fakeOptions(t, "intruder", "serve")
	other.Port = ours.Port
	_, err = m.Start(context.Background(), other)
	require.ErrorIs(t, err, ErrPortInUse)
	assert.Contains(t, err.Error(), "owner")
	assert.Contains(t, err.Error(), fmt.Sprintf("pid %d", owner.PID))
}

func TestProjectRefusals(t *testing.T) {
	t.Parallel()
	node := fakeTool(t, "node")
	cases := []struct {
		name     string
		dir      string
		want     error
		contains []string
	}{
		{
			name:     "container without a start command or a Docker engine",
			dir:      makeProject(t, "", false, map[string]string{"Dockerfile": "FROM nginx\n"}),
			want:     ErrCannotRun,
			contains: []string{"start a Docker engine", "app.py, go.mod"},
		},
		{
			name:     "no package.json",
			dir:      makeProject(t, "", false, map[string]string{"index.js": "exports.main = () => 1\n"}),
			want:     ErrNotAFunctionProject,
			contains: []string{"no package.json", "manageCloudRun init"},
		},
		{
			name:     "broken package.json",
			dir:      makeProject(t, `{"name":`, false, nil),
			want:     ErrNotAFunctionProject,
			contains: []string{"not valid JSON"},
		},
		{
			name:     "neither a function nor a start command",
			dir:      makeProject(t, `{"name":"x","dependencies":{"express":"^4"}}`, false, map[string]string{}),
			want:     ErrCannotRun,
			contains: []string{`add a "start" script`, "npm install @cloudbase/functions-framework@^1"},
		},
		{
			name:     "a Python app without python3",
			dir:      makeProject(t, "", false, map[string]string{"app.py": "print(1)\n"}),
			want:     ErrCannotRun,
			contains: []string{"app.py needs python3"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestManager(t)
			_, err := m.Start(context.Background(), Options{ServerName: "My-Svc", Dir: tc.dir, NodePath: node, Port: freePort(t), InstallDeps: true,
				NpmPath: "/nonexistent/npm", Tools: map[string]string{"docker": "/nonexistent/docker", "python3": "/nonexistent/python3"}})
			require.ErrorIs(t, err, tc.want)
			for _, s := range tc.contains {
				assert.Contains(t, err.Error(), s)
			}
			assert.Empty(t, m.List())
		})
	}
	// The framework-missing error is also a not-a-function-project error.
	assert.ErrorIs(t, ErrFrameworkMissing, ErrNotAFunctionProject)
	assert.ErrorIs(t, ErrCannotRun, ErrNotAFunctionProject)
}

// TestContainerProjectsRunNatively: without a Docker engine, a container
// project runs with the start command it declares, like a function project:
// readiness on its port, logs, stop.
func TestContainerProjectsRunNatively(t *testing.T) {
	t.Parallel()
	fake := fakeTool(t, "node") // stands in for every runtime: it serves on PORT
	cases := []struct {
		name  string
		pkg   string
		files map[string]string
		how   string
		args  string
	}{
		{"npm start", `{"name":"c","scripts":{"start":"node index.js"}}`, map[string]string{"Dockerfile": "FROM node\n", "index.js": "x"}, "npm start", `["start"]`},
		{"package.json main", `{"name":"c","main":"server.js"}`, map[string]string{"server.js": "x"}, "node server.js", `["server.js"]`},
		{"python", "", map[string]string{"Dockerfile": "FROM python\n", "app.py": "x", "requirements.txt": ""}, "python3 app.py", `["app.py"]`},
		{"go", "", map[string]string{"go.mod": "module x\n", "main.go": "package main\n"}, "go run .", `["run" "."]`},
		{"java", "", map[string]string{"App.java": "class App {}\n"}, "java App.java", `["App.java"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := newTestManager(t)
			o := Options{ServerName: "ctr", Dir: makeProject(t, tc.pkg, false, tc.files), Port: freePort(t), NodePath: fake, NpmPath: fake,
				Env:   map[string]string{"FAKE_MODE": "serve"},
				Tools: map[string]string{"docker": "/nonexistent/docker", "python3": fake, "go": fake, "java": fake}}
			info, err := m.Start(context.Background(), o)
			require.NoError(t, err, "log tail:\n%s", strings.Join(info.LogTail, "\n"))
			assert.Equal(t, StatusRunning, info.Status)
			assert.Equal(t, tc.how, info.How)
			assert.Eventually(t, func() bool {
				got, _ := m.Get("ctr")
				return strings.Contains(strings.Join(got.LogTail, "\n"), "fake-node args: "+tc.args)
			}, 5*time.Second, 20*time.Millisecond)
			_, err = m.Stop(context.Background(), "ctr")
			require.NoError(t, err)
			assert.True(t, gone(info.PID))
		})
	}
}

func TestDockerLaunch(t *testing.T) {
	t.Parallel()
	l := dockerLaunch("/usr/bin/docker", Options{ServerName: "Shop-API", Dir: "/src/shop", Port: 8080,
		Env: map[string]string{"B": "2", "A": "1", "PORT": "9"}}, project{dockerfile: true, expose: "3000"})
	assert.Equal(t, [][]string{{"/usr/bin/docker", "build", "-t", "cloudbase-mcp-local/shop-api", "/src/shop"}}, l.build)
	assert.Equal(t, []string{"/usr/bin/docker", "run", "--rm", "--name", "cloudbase-mcp-shop-api", "-p", "127.0.0.1:8080:8080",
		"-e", "PORT=8080", "-e", "A=1", "-e", "B=2", "cloudbase-mcp-local/shop-api"}, l.argv)
	assert.Equal(t, []string{"/usr/bin/docker", "rm", "-f", "cloudbase-mcp-shop-api"}, l.after, "the container is removed when the run ends")
	assert.True(t, l.docker)
}

func TestDockerfileWithFrameworkRunsAsFunction(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "both", "serve")
	require.NoError(t, os.WriteFile(filepath.Join(o.Dir, "Dockerfile"), []byte("FROM node:20\n"), 0o644))
	info, err := m.Start(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, info.Status)
}

func TestNodeMissingOrTooOld(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "nonode", "serve")
	o.NodePath = filepath.Join(t.TempDir(), "no-such-node")
	_, err := m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrNodeMissing)
	assert.Contains(t, err.Error(), "https://nodejs.org")
	assert.Contains(t, err.Error(), "18")

	o.NodePath = fakeTool(t, "node", "FAKE_NODE_VERSION=v16.20.2")
	_, err = m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrNodeMissing)
	assert.Contains(t, err.Error(), "v16.20.2")
	assert.Empty(t, m.List())
}

func TestInstallDeps(t *testing.T) {
	t.Parallel()
	t.Run("installs then starts", func(t *testing.T) {
		m, _ := newTestManager(t)
		o := fakeOptions(t, "fresh", "serve")
		require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
		o.InstallDeps = true
		o.NpmPath = fakeTool(t, "npm-ok")
		var progress progressLog
		o.Progress = progress.add
		info, err := m.Start(context.Background(), o)
		require.NoError(t, err)
		assert.Equal(t, StatusRunning, info.Status)
		assert.Equal(t, []string{"install", "start", "ready"}, progress.get())
		logged, err := os.ReadFile(info.LogFile)
		require.NoError(t, err)
		assert.Contains(t, string(logged), `fake-npm ["install" "--no-audit" "--no-fund" "--loglevel=error"]`)
		assert.Contains(t, string(logged), "npm install finished")
	})
	t.Run("install fails", func(t *testing.T) {
		m, _ := newTestManager(t)
		o := fakeOptions(t, "badinstall", "serve")
		require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
		o.InstallDeps, o.NpmPath = true, fakeTool(t, "npm-fail")
		_, err := m.Start(context.Background(), o)
		require.ErrorIs(t, err, ErrInstallFailed)
		assert.Contains(t, err.Error(), "npm error 404 Not Found")
		assert.Contains(t, err.Error(), "exited with code 1")
		assert.NotContains(t, err.Error(), "npm error line 3\n", "only the last lines are quoted")
		assert.Empty(t, m.List())
	})
	t.Run("framework absent after install", func(t *testing.T) {
		m, _ := newTestManager(t)
		o := fakeOptions(t, "nofw", "serve")
		require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
		o.InstallDeps, o.NpmPath = true, fakeTool(t, "npm-nofw")
		_, err := m.Start(context.Background(), o)
		require.ErrorIs(t, err, ErrFrameworkMissing)
		assert.Contains(t, err.Error(), "npm install finished but")
	})
	t.Run("npm missing", func(t *testing.T) {
		m, _ := newTestManager(t)
		o := fakeOptions(t, "nonpm", "serve")
		require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
		o.InstallDeps, o.NpmPath = true, filepath.Join(t.TempDir(), "no-npm")
		_, err := m.Start(context.Background(), o)
		require.ErrorIs(t, err, ErrNpmMissing)
		assert.Contains(t, err.Error(), "https://nodejs.org")
	})
	t.Run("no install asked", func(t *testing.T) {
		m, _ := newTestManager(t)
		o := fakeOptions(t, "noinstall", "serve")
		require.NoError(t, os.RemoveAll(filepath.Join(o.Dir, "node_modules")))
		_, err := m.Start(context.Background(), o)
		require.ErrorIs(t, err, ErrFrameworkMissing)
		assert.Contains(t, err.Error(), "Run `npm install`")
	})
}

func TestEnvReachesChildButIsNotLogged(t *testing.T) {
	t.Parallel()
	m, logs := newTestManager(t)
	o := fakeOptions(t, "agent-svc", "serve")
	o.Mode, o.AgentID = ModeAgent, "ibot-demo-abc"
	o.Env["SECRET_TOKEN"] = "hunter2-value"
	o.Env["PORT"] = "1" // ignored: the port is Options.Port
	info, err := m.Start(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, ModeAgent, info.Mode)

	want := []string{
		"env SECRET_TOKEN=hunter2-value",
		"env PORT=" + strconv.Itoa(o.Port),
		"env ENABLE_CORS=true",
		"env ALLOWED_ORIGINS=*",
		"env RUN_MODE=agent",
		"env AGENT_ID=ibot-demo-abc",
		fmt.Sprintf(`fake-node args: [%q "--source" %q]`, tcbffPath(o.Dir), o.Dir),
		"cwd " + o.Dir,
	}
	assert.Eventually(t, func() bool {
		got, _ := m.Get("agent-svc")
		tail := strings.Join(got.LogTail, "\n")
		for _, w := range want {
			if !strings.Contains(tail, w) {
				return false
			}
		}
		return true
	}, 5*time.Second, 20*time.Millisecond, "the child sees the env, args and cwd")

	_, err = m.Stop(context.Background(), "agent-svc")
	require.NoError(t, err)
	assert.NotContains(t, logs.String(), "hunter2", "the manager never logs env values")
	assert.Contains(t, logs.String(), "SECRET_TOKEN", "keys are logged")
	logged, err := os.ReadFile(info.LogFile)
	require.NoError(t, err)
	for _, line := range strings.Split(string(logged), "\n") {
		if strings.HasPrefix(line, notePrefix) {
			assert.NotContains(t, line, "hunter2")
		}
	}
}

func TestAgentModeDetectedFromDependency(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "auto-agent", "serve")
	require.NoError(t, os.WriteFile(filepath.Join(o.Dir, "package.json"),
		[]byte(`{"name":"a","dependencies":{"@cloudbase/aiagent-framework":"^1","@cloudbase/functions-framework":"^1"}}`), 0o644))
	info, err := m.Start(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, ModeAgent, info.Mode)
}

func TestChattyChildIsDrained(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "chatty", "chatty") // ~2 MB before it listens: more than a pipe holds
	info, err := m.Start(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, info.Status)
	assert.Eventually(t, func() bool {
		got, _ := m.Get("chatty")
		return strings.Contains(strings.Join(got.LogTail, "\n"), "Server listening")
	}, 5*time.Second, 20*time.Millisecond)
}

func TestCloseStopsEverythingQuickly(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	a, err := m.Start(context.Background(), fakeOptions(t, "polite", "serve"))
	require.NoError(t, err)
	b, err := m.Start(context.Background(), fakeOptions(t, "stubborn", "ignore-term"))
	require.NoError(t, err)

	require.NoError(t, m.Close(), "Close returns once both are gone (its own budget is ~1.9 s; BenchmarkClose measures it)")
	assert.True(t, gone(a.PID))
	assert.True(t, gone(b.PID), "SIGKILL follows SIGTERM")
	for _, info := range m.List() {
		assert.Equal(t, StatusStopped, info.Status, info.ServerName)
	}
	_, err = m.Start(context.Background(), fakeOptions(t, "late", "serve"))
	assert.ErrorIs(t, err, ErrClosed)
	assert.NoError(t, m.Close(), "Close twice is fine")
}

func TestStopUnknownAndInvalidOptions(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	info, err := m.Stop(context.Background(), "ghost")
	require.ErrorIs(t, err, ErrNotRunning)
	assert.Equal(t, "ghost", info.ServerName)
	assert.NotNil(t, info.LogTail)
	_, ok := m.Get("ghost")
	assert.False(t, ok)

	for _, o := range []Options{
		{ServerName: "../evil", Dir: t.TempDir()},
		{ServerName: "ok", Dir: "relative/dir"},
		{ServerName: "ok", Dir: filepath.Join(t.TempDir(), "missing")},
		{ServerName: "ok", Dir: t.TempDir(), Port: 70000},
		{ServerName: "ok", Dir: t.TempDir(), Mode: "turbo"},
	} {
		_, err := m.Start(context.Background(), o)
		assert.ErrorIs(t, err, ErrInvalidOptions, "%+v", o)
	}
}

func TestRestartAfterExit(t *testing.T) {
	t.Parallel()
	m, _ := newTestManager(t)
	o := fakeOptions(t, "phoenix", "exit")
	_, err := m.Start(context.Background(), o)
	require.ErrorIs(t, err, ErrExited)
	o.Env["FAKE_MODE"] = "serve"
	info, err := m.Start(context.Background(), o)
	require.NoError(t, err)
	assert.Equal(t, StatusRunning, info.Status)
	assert.Nil(t, info.ExitCode)
	logged, err := os.ReadFile(info.LogFile)
	require.NoError(t, err)
	assert.NotContains(t, string(logged), "boot line", "the log file starts over with each run")
}

// BenchmarkClose measures how long Close takes to end a polite child and one
// that ignores SIGTERM (the server's exit budget is 2 s).
func BenchmarkClose(b *testing.B) {
	for range b.N {
		b.StopTimer()
		m := NewManager(b.TempDir(), nil)
		for i, mode := range []string{"serve", "ignore-term"} {
			o := fakeOptions(b, fmt.Sprintf("svc%d", i), mode)
			if _, err := m.Start(context.Background(), o); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := m.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
