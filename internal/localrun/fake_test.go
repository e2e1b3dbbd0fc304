//go:build unix

package localrun

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/require"
)

// The test binary doubles as the fake node and npm: a two-line shell script
// execs it with LOCALRUN_FAKE set, and TestMain dispatches before any test runs.
// That needs nothing on the machine beyond /bin/sh (no python, no nc).
const fakeEnv = "LOCALRUN_FAKE"

func TestMain(m *testing.M) {
	switch os.Getenv(fakeEnv) {
	case "":
		os.Exit(m.Run())
	case "node":
		os.Exit(fakeNode())
	case "manager":
		os.Exit(fakeServer())
	default:
		os.Exit(fakeNpm(os.Getenv(fakeEnv)))
	}
}

// fakeNode stands in for `node tcb-ff.js --source DIR`. FAKE_MODE (passed
// through Options.Env) picks the behaviour.
func fakeNode() int {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "--version" {
		fmt.Println(envOr("FAKE_NODE_VERSION", "v20.11.1"))
		return 0
	}
	fmt.Printf("fake-node args: %q\n", args)
	for _, k := range []string{"PORT", "ENABLE_CORS", "ALLOWED_ORIGINS", "RUN_MODE", AgentIDEnv, "SECRET_TOKEN",
		"TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN", "CLOUDBASE_MCP_SANDBOX", "HOME"} {
		fmt.Printf("env %s=%s\n", k, os.Getenv(k))
	}
	wd, _ := os.Getwd()
	fmt.Printf("cwd %s\n", wd)
	switch os.Getenv("FAKE_MODE") {
	case "exit":
		for i := 1; i <= 30; i++ {
			fmt.Fprintf(os.Stderr, "boot line %d\n", i)
		}
		fmt.Fprintln(os.Stderr, "fatal: cannot load index.js")
		return 3
	case "hang":
		fmt.Println("hanging without listening")
		time.Sleep(time.Hour)
		return 0
	case "ignore-term":
		signal.Ignore(syscall.SIGTERM)
		return fakeServe()
	case "chatty": // a lot of output: the manager must keep draining it
		for i := 0; i < 20000; i++ {
			fmt.Printf("chatty line %d %s\n", i, string(bytes.Repeat([]byte("x"), 100)))
		}
		return fakeServe()
	default:
		return fakeServe()
	}
}

func fakeServe() int {
	l, err := net.Listen("tcp", ":"+os.Getenv("PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 1
	}
	fmt.Println("Server listening on port", os.Getenv("PORT"))
	_ = http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"message":"fake ok"}`))
	}))
	return 0
}

// fakeServer stands in for the MCP server: it starts one run, prints the
// child's pid and waits to be killed.
func fakeServer() int {
	port, _ := strconv.Atoi(os.Getenv("FAKE_PORT"))
	m := NewManager(os.Getenv("FAKE_LOGDIR"), nil)
	info, err := m.Start(context.Background(), Options{
		ServerName: "orphan", Dir: os.Getenv("FAKE_DIR"), Port: port,
		NodePath: os.Getenv("FAKE_NODE"), Env: map[string]string{"FAKE_MODE": envOr("FAKE_CHILD_MODE", "serve")},
	})
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	fmt.Println("PID", info.PID)
	time.Sleep(time.Hour)
	return 0
}

// fakeNpm stands in for `npm install` in the current directory.
func fakeNpm(mode string) int {
	fmt.Printf("fake-npm %q\n", os.Args[1:])
	for _, k := range []string{"TENCENTCLOUD_SECRETKEY", "TENCENTCLOUD_SESSIONTOKEN", "CLOUDBASE_MCP_SANDBOX", "HOME"} {
		fmt.Printf("npm env %s=%s\n", k, os.Getenv(k))
	}
	switch mode {
	case "npm-fail":
		for i := 1; i <= 20; i++ {
			fmt.Fprintf(os.Stderr, "npm error line %d\n", i)
		}
		fmt.Fprintln(os.Stderr, "npm error 404 Not Found - GET https://registry.example/@nope%2fpkg")
		return 1
	case "npm-nofw":
		_ = os.MkdirAll("node_modules/left-pad", 0o755)
		fmt.Println("added 1 package")
		return 0
	default: // npm-ok
		ff := filepath.Join("node_modules", "@cloudbase", "functions-framework", "bin")
		_ = os.MkdirAll(ff, 0o755)
		_ = os.WriteFile(filepath.Join(ff, "tcb-ff.js"), []byte("// fake\n"), 0o644)
		fmt.Println("added 274 packages")
		return 0
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// fakeTool writes an executable script that runs the test binary as kind.
func fakeTool(t testing.TB, kind string, extraEnv ...string) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), kind)
	// The race runtime sleeps 1 s at exit unless told otherwise.
	env := "GORACE=atexit_sleep_ms=0 " + fakeEnv + "=" + kind
	for _, e := range extraEnv {
		env += " " + e
	}
	script := fmt.Sprintf("#!/bin/sh\n%s exec %s \"$@\"\n", env, strconv.Quote(exe))
	require.NoError(t, os.WriteFile(path, []byte(script), 0o755))
	return path
}

// makeProject writes a function-mode project; withFramework puts a (fake) framework in node_modules.
func makeProject(t testing.TB, pkgJSON string, withFramework bool, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if pkgJSON != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "package.json"), []byte(pkgJSON), 0o644))
	}
	if withFramework {
		ff := filepath.Join(dir, "node_modules", "@cloudbase", "functions-framework", "bin")
		require.NoError(t, os.MkdirAll(ff, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(ff, "tcb-ff.js"), []byte("// fake\n"), 0o644))
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	return dir
}

const functionPkg = `{"name":"svc","version":"1.0.0","main":"index.js","dependencies":{"@cloudbase/functions-framework":"^1.18.0"}}`

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

// newTestManager returns a Manager whose slog output is captured, closed at the end of the test.
func newTestManager(t *testing.T) (*Manager, *testutil.Buffer) {
	t.Helper()
	buf := &testutil.Buffer{}
	m := NewManager(filepath.Join(t.TempDir(), "logs"), slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { _ = m.Close() })
	return m, buf
}

// gone reports whether no process with this pid exists any more (reaped, not a zombie).
func gone(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == syscall.ESRCH
}

type progressLog struct {
	mu     sync.Mutex
	stages []string
}

func (p *progressLog) add(stage, _ string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stages = append(p.stages, stage)
}

func (p *progressLog) get() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.stages...)
}
