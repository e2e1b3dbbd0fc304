package localrun

import "syscall"

// setDeathSignal: the kernel sends SIGKILL to the child when the thread that
// forked it exits (the server killed with SIGKILL gets no chance to stop its
// children; a child ignoring SIGTERM must not outlive it either). That is the OS thread, not the process: the reaper goroutine
// that starts the child therefore stays locked to its thread until the child is
// waited for (see Manager.spawn), so no unrelated thread exit can fire it early.
func setDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
