package localrun

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChildDiesWithKilledServer: a server killed with SIGKILL cannot run Close;
// the parent-death signal must end its children anyway, also one that
// ignores SIGTERM.
func TestChildDiesWithKilledServer(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"serve", "ignore-term"} {
		t.Run(mode, func(t *testing.T) { childDiesWithKilledServer(t, mode) })
	}
}

func childDiesWithKilledServer(t *testing.T, mode string) {
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := makeProject(t, functionPkg, true, nil)
	server := exec.Command(exe)
	server.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0", fakeEnv+"=manager",
		"FAKE_DIR="+dir, "FAKE_PORT="+strconv.Itoa(freePort(t)),
		"FAKE_NODE="+fakeTool(t, "node"), "FAKE_LOGDIR="+t.TempDir(), "FAKE_CHILD_MODE="+mode)
	out, err := server.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, server.Start())
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })

	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "PID "), "server said %q", line)
	pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "PID ")))
	require.NoError(t, err)
	require.False(t, deadOrZombie(pid), "the child runs while the server does")

	require.NoError(t, server.Process.Signal(syscall.SIGKILL))
	_ = server.Wait()
	assert.Eventually(t, func() bool { return deadOrZombie(pid) }, 5*time.Second, 20*time.Millisecond,
		"the child ends when its server is SIGKILLed")
	if !deadOrZombie(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// deadOrZombie: an orphan is reaped by init, which a container's PID 1 may not do.
func deadOrZombie(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	return len(fields) > 0 && (fields[0] == "Z" || fields[0] == "X")
}
