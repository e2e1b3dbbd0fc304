package localrun

// The life of one child: spawn it, reap it, wait until its port answers,
// and end it.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// spawn starts cmd from a reaper goroutine that waits for it and records how it ended.
func (m *Manager) spawn(r *run, cmd *exec.Cmd) error {
	started := make(chan error, 1)
	done := make(chan struct{})
	m.wg.Add(1) // the calling Start holds the count above zero
	go func() {
		defer m.wg.Done()
		// Pdeathsig follows the forking OS thread: keep this goroutine on it
		// until the child is gone, so that the thread cannot exit early.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		m.mu.Lock()
		r.pid, r.done, r.startedAt = cmd.Process.Pid, done, time.Now()
		r.prev = nil // nothing to roll back to any more
		m.mu.Unlock()
		started <- nil
		_ = cmd.Wait()
		m.reap(r, cmd.ProcessState, done)
	}()
	return <-started
}

func (m *Manager) reap(r *run, state *os.ProcessState, done chan struct{}) {
	code := exitCodeOf(state)
	m.mu.Lock()
	r.exitCode = &code
	if r.stopRequested {
		r.status = StatusStopped
	} else {
		r.status = StatusExited
	}
	status, after := r.status, r.after
	close(done)
	m.mu.Unlock()
	r.log.note("process %d %s with code %d", r.pid, status, code)
	r.log.close()
	cleanUp(after)
	m.logger.Info("local run ended", "serverName", r.name, "pid", r.pid, "status", status, "exitCode", code)
}

// awaitReady polls the port until it answers, the process exits, the timeout passes or ctx ends.
func (m *Manager) awaitReady(ctx, callerCtx context.Context, r *run, o Options) (Info, error) {
	began := time.Now()
	deadline := time.NewTimer(o.ReadyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(m.poll)
	defer tick.Stop()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(o.Port))
	m.mu.Lock()
	done := r.done
	m.mu.Unlock()
	for {
		select {
		case <-done:
			m.mu.Lock()
			info, stopped := m.infoLocked(r, tailLines), r.stopRequested
			m.mu.Unlock()
			if stopped {
				return info, fmt.Errorf("%w: %s was stopped while starting", ErrNotRunning, r.name)
			}
			return info, fmt.Errorf("%w: %s (pid %d) exited with code %d before port %d answered. Last lines:\n%s\nFull log: %s. Fix the cause (often a syntax error, a missing module, or an index.js without `exports.main`) and call run again",
				ErrExited, r.name, info.PID, *info.ExitCode, o.Port, strings.Join(r.log.tail(errTailLines), "\n"), r.logFile)
		case <-deadline.C:
			r.log.note("port %d did not answer within %s; stopping the process", o.Port, o.ReadyTimeout)
			info := m.kill(r, m.stopGrace)
			return info, fmt.Errorf("%w: %s (pid %d) did not accept connections on port %d within %s and was stopped. Last lines:\n%s\nFull log: %s. Check that the code does not block at startup; call run again (a slow first start may need more time)",
				ErrNotReady, r.name, info.PID, o.Port, o.ReadyTimeout, strings.Join(r.log.tail(errTailLines), "\n"), r.logFile)
		case <-ctx.Done():
			grace := m.stopGrace
			if m.ctx.Err() != nil {
				grace = 0 // closing: Close's own budget applies
			}
			r.log.note("start cancelled; stopping the process")
			m.mu.Lock()
			stopped := r.stopRequested
			m.mu.Unlock()
			info := m.kill(r, grace)
			if stopped && m.ctx.Err() == nil && callerCtx.Err() == nil {
				return info, fmt.Errorf("%w: %s was stopped while starting", ErrNotRunning, r.name)
			}
			return info, m.abortErr(callerCtx, ctx.Err())
		case <-tick.C:
			conn, err := net.DialTimeout("tcp", addr, 250*time.Millisecond)
			if err != nil {
				continue
			}
			_ = conn.Close()
			m.mu.Lock()
			if r.status == StatusStarting {
				r.status = StatusRunning
			}
			info := m.infoLocked(r, tailLines)
			m.mu.Unlock()
			if info.Status != StatusRunning { // ended between the dial and now; the next turn reports it
				continue
			}
			elapsed := time.Since(began).Round(10 * time.Millisecond)
			r.log.note("ready on %s after %s", info.URL, elapsed)
			report(o.Progress, "ready", fmt.Sprintf("%s is listening on %s (ready after %s)", r.name, info.URL, elapsed))
			return info, nil
		}
	}
}

// kill ends a run's process group: SIGTERM, then SIGKILL after grace. It marks the run stopped.
func (m *Manager) kill(r *run, grace time.Duration) Info {
	m.mu.Lock()
	r.stopRequested = true
	m.mu.Unlock()
	m.terminate(context.Background(), r, grace)
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.infoLocked(r, tailLines)
}

// terminate signals the group and waits for the reaper; ctx bounds the final wait.
func (m *Manager) terminate(ctx context.Context, r *run, grace time.Duration) {
	m.mu.Lock()
	pid, done := r.pid, r.done
	m.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
	default:
		if grace > 0 {
			_ = signalGroup(pid, false)
			t := time.NewTimer(grace)
			select {
			case <-done:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
		_ = signalGroup(pid, true)
		select {
		case <-done:
		case <-ctx.Done():
			return
		}
	}
	// The leader is gone; end anything it left in its group.
	_ = signalGroup(pid, true)
}
