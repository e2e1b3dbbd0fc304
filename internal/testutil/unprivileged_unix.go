//go:build unix

package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// unprivilegedEnv marks the copy of a test that runs as an unprivileged user.
const unprivilegedEnv = "CLOUDBASE_MCP_TEST_UNPRIVILEGED"

// AsUnprivilegedUser makes a test that depends on permissions run for real
// when the suite runs as root (as CI does): root reads any file, so the test
// re-runs itself as uid/gid 65534 ("nobody") in a copy of the test binary.
// It returns true when the caller should go on with the test body (not
// root, or the unprivileged copy), false when the copy already ran it here
// and this process must return.
func AsUnprivilegedUser(t *testing.T) bool {
	t.Helper()
	if os.Geteuid() != 0 {
		return true
	}
	if os.Getenv(unprivilegedEnv) == "1" {
		t.Fatal("still root inside the unprivileged copy")
	}
	// A world-readable copy of the test binary in a world-writable temp dir,
	// so that uid 65534 can run it and create its own temp dirs.
	dir, err := os.MkdirTemp("", "unprivileged-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "test.bin")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), unprivilegedEnv+"=1", "TMPDIR="+dir, "HOME="+dir, "GOCOVERDIR=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+t.Name()) {
		t.Fatalf("the test run as uid 65534 did not pass (%v):\n%s", err, out)
	}
	t.Logf("ran as uid 65534:\n%s", out)
	return false
}
