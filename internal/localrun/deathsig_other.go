//go:build unix && !linux

package localrun

import "syscall"

// setDeathSignal: no parent-death signal outside Linux; Close (called when the
// server exits) is what stops the children there.
func setDeathSignal(*syscall.SysProcAttr) {}
