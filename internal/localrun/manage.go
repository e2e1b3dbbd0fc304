package localrun

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// Stop ends a run: SIGTERM to its process group, SIGKILL after 2 s. A start in
// progress is aborted. Unknown or finished runs give ErrNotRunning (with the
// last run's Info when there is one).
func (m *Manager) Stop(ctx context.Context, serverName string) (Info, error) {
	m.mu.Lock()
	r := m.runs[serverName]
	if r == nil {
		m.mu.Unlock()
		return Info{ServerName: serverName, LogTail: []string{}},
			fmt.Errorf("%w: there is no local run named %q (queryCloudRun localRuns lists them)", ErrNotRunning, serverName)
	}
	if !r.active() {
		info := m.infoLocked(r, tailLines)
		m.mu.Unlock()
		return info, fmt.Errorf("%w: %s already %s%s; its log is %s", ErrNotRunning, serverName, r.status, exitSuffix(info.ExitCode), info.LogFile)
	}
	r.stopRequested = true
	cancelStart, startDone := r.cancelStart, r.startDone
	m.mu.Unlock()

	// A Start still in progress kills its own process (or aborts npm install) when cancelled.
	cancelStart()
	select {
	case <-startDone:
	case <-ctx.Done():
		return m.infoOf(r), fmt.Errorf("stopping %s: %w", serverName, ctx.Err())
	}
	m.terminate(ctx, r, m.stopGrace)
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.done != nil {
		select {
		case <-r.done:
		default:
			return m.infoLocked(r, tailLines), fmt.Errorf("stopping %s: %w", serverName, ctx.Err())
		}
	}
	r.status = StatusStopped
	info := m.infoLocked(r, tailLines)
	m.logger.Info("local run stopped", "serverName", serverName, "pid", r.pid)
	return info, nil
}

// infoOf is the Info of one run, whether or not the table still holds it.
func (m *Manager) infoOf(r *run) Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.infoLocked(r, tailLines)
}

func exitSuffix(code *int) string {
	if code == nil {
		return ""
	}
	return fmt.Sprintf(" (exit code %d)", *code)
}

// List returns every known run (the latest per service name), sorted by name, each with its log tail.
func (m *Manager) List() []Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Info, 0, len(m.runs))
	for _, r := range m.runs {
		out = append(out, m.infoLocked(r, tailLines))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ServerName < out[j].ServerName })
	return out
}

// Get returns the latest run of a service.
func (m *Manager) Get(serverName string) (Info, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.runs[serverName]
	if r == nil {
		return Info{}, false
	}
	return m.infoLocked(r, tailLines), true
}

// Close stops every child (SIGTERM, SIGKILL after ~1.4 s), aborts starts in
// progress, and returns within ~1.9 s once the reapers are done. Later Starts
// fail with ErrClosed. Call it when the server exits.
func (m *Manager) Close() error {
	began := time.Now()
	m.mu.Lock()
	already := m.closed
	m.closed = true
	var live []*run
	for _, r := range m.runs {
		if r.active() {
			r.stopRequested = true
			live = append(live, r)
		}
	}
	m.mu.Unlock()
	m.cancel()
	if already {
		return nil
	}

	ctx, cancel := context.WithDeadline(context.Background(), began.Add(closeBudget))
	defer cancel()
	for _, r := range live {
		m.mu.Lock()
		pid, done := r.pid, r.done
		m.mu.Unlock()
		if done != nil {
			_ = signalGroup(pid, false)
		}
	}
	// Wait for the grace period, then force whatever is left.
	grace := time.NewTimer(m.closeGrace)
	defer grace.Stop()
	allDone := make(chan struct{})
	go func() { m.wg.Wait(); close(allDone) }()
	select {
	case <-allDone:
	case <-grace.C:
		for _, r := range live {
			m.mu.Lock()
			pid, done := r.pid, r.done
			m.mu.Unlock()
			if done != nil {
				_ = signalGroup(pid, true)
			}
		}
		select {
		case <-allDone:
		case <-ctx.Done():
			return fmt.Errorf("local runs: some processes had not exited %s after SIGKILL", time.Since(began).Round(time.Millisecond))
		}
	}
	m.mu.Lock()
	for _, r := range live {
		if r.status != StatusExited {
			r.status = StatusStopped
		}
	}
	m.mu.Unlock()
	m.logger.Info("local runs closed", "stopped", len(live), "took", time.Since(began).Round(time.Millisecond))
	return nil
}
