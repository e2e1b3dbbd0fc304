package localrun

import "syscall"

// setDeathSignal: the kernel sends SIGTERM to the child when the thread that
// forked it exits. That is the OS thread, not the process: the reaper goroutine
// that starts the child therefore stays locked to its thread until the child is
// waited for (see Manager.spawn), so no unrelated thread exit can fire it early.
func setDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGTERM
}
