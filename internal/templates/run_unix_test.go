//go:build unix

package templates

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveCommands start each container template as a developer would locally.
var serveCommands = map[string]struct {
	tool string
	args []string
	env  []string
	// cleanExit: SIGTERM ends the process with status 0 (Go runs under
	// `go run`, which dies of the signal; the JVM exits 143 after its hooks).
	cleanExit bool
}{
	"nodejs": {tool: "node", args: []string{"index.js"}, cleanExit: true},
	"python": {tool: "python3", args: []string{"app.py"}, cleanExit: true},
	"golang": {tool: "go", args: []string{"run", "."}, env: goEnv},
	"java":   {tool: "java", args: []string{"App.java"}},
}

func TestContainerTemplatesServe(t *testing.T) {
	t.Parallel()
	for _, tpl := range List() {
		if tpl.ServerType != ServerTypeContainer {
			continue // function templates need npm install of the framework: the localrun tests run them
		}
		t.Run(tpl.Identifier, func(t *testing.T) {
			c, ok := serveCommands[tpl.Identifier]
			require.True(t, ok, "add a run command for the %s template", tpl.Identifier)
			bin := tool(t, c.tool)
			t.Parallel()

			dir := materialize(t, tpl.Identifier)
			port := freePort(t)
			srv := startServer(t, dir, bin, c.args, append(c.env, "PORT="+port))
			base := "http://127.0.0.1:" + port
			srv.waitReady(t, base+"/healthz", 2*time.Minute)

			status, body := httpGet(t, base+"/")
			require.Equal(t, http.StatusOK, status, string(body))
			var greeting map[string]string
			require.NoError(t, json.Unmarshal(body, &greeting), string(body))
			assert.Equal(t, map[string]string{"message": "Hello from CloudBase Run!", "template": tpl.Identifier}, greeting)

			status, body = httpGet(t, base+"/healthz")
			assert.Equal(t, http.StatusOK, status)
			assert.JSONEq(t, `{"status":"ok"}`, string(body))

			status, body = httpGet(t, base+"/no/such/path")
			assert.Equal(t, http.StatusNotFound, status)
			assert.Contains(t, string(body), "/no/such/path")

			err := srv.terminate(t, 20*time.Second)
			if c.cleanExit {
				assert.NoError(t, err, "SIGTERM shuts the server down cleanly\n%s", srv.output())
			}
		})
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return strconv.Itoa(port)
}

func httpGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// server is a template process in its own process group, so that `go run`
// and the program it starts are signalled together.
type server struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's result, set before done closes
	mu   sync.Mutex
	out  []byte
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out = append(s.out, p...)
	return len(p), nil
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.out)
}

func startServer(t *testing.T, dir, bin string, args, env []string) *server {
	t.Helper()
	s := &server{done: make(chan struct{})}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Env = append(os.Environ(), env...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, s.cmd.Start())
	go func() {
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL) // whatever is left of the group
		<-s.done
	})
	return s
}

// waitReady polls url until it answers 200 or the process exits.
func (s *server) waitReady(t *testing.T, url string, limit time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.After(limit)
	for {
		if resp, err := client.Get(url); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.done:
			t.Fatalf("%s exited before answering (%v):\n%s", s.cmd, s.err, s.output())
		case <-deadline:
			t.Fatalf("%s did not answer %s within %s:\n%s", s.cmd, url, limit, s.output())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// terminate sends SIGTERM to the process group and waits for the process to
// exit, returning its exit error.
func (s *server) terminate(t *testing.T, limit time.Duration) error {
	t.Helper()
	if err := syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
		return s.err
	case <-time.After(limit):
		t.Fatalf("%s did not exit within %s of SIGTERM:\n%s", s.cmd, limit, s.output())
		return nil
	}
}
