//go:build !unix

package localrun

import (
	"os"
	"os/exec"
)

// Without Unix process groups a stop can only kill the direct child.
func setProcAttrs(*exec.Cmd) {}

func signalGroup(pid int, _ bool) error {
	if pid <= 0 {
		return nil
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	_ = p.Kill()
	return nil
}

func exitCodeOf(state *os.ProcessState) int {
	if state == nil {
		return -1
	}
	return state.ExitCode()
}
