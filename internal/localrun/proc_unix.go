//go:build unix

package localrun

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// setProcAttrs puts the child in a process group of its own, so that a stop
// reaches everything it spawned, and (on Linux) asks the kernel to send it
// SIGKILL if the server dies without cleaning up (deathsig_linux.go).
func setProcAttrs(cmd *exec.Cmd) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	setDeathSignal(attr)
	cmd.SysProcAttr = attr
}

// signalGroup sends SIGTERM (or SIGKILL when force) to the process group led by pid.
// A group that is already gone is not an error.
func signalGroup(pid int, force bool) error {
	if pid <= 0 {
		return nil
	}
	sig := syscall.SIGTERM
	if force {
		sig = syscall.SIGKILL
	}
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// exitCodeOf reports the exit status, with 128+N for death by signal N (the shell's convention).
func exitCodeOf(state *os.ProcessState) int {
	if state == nil {
		return -1
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}
