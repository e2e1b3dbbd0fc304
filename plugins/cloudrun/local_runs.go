package cloudrun

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/localrun"
)

// localRuns starts and stops services on this machine (function or
// container mode) and lists what runs.
type localRuns struct {
	runs  *localrun.Manager
	paths *workspacePaths
}

type runResult struct {
	Run            localrun.Info `json:"run"`
	AlreadyRunning bool          `json:"alreadyRunning"`
	Message        string        `json:"message"`
	NextStep       *NextStep     `json:"nextStep"`
}

// run starts a service locally and waits until its port answers.
func (rs *localRuns) run(ctx context.Context, c *call) (any, error) {
	a := c.args
	loc, err := rs.paths.serviceDir(ctx, a.TargetPath, a.ServerName)
	if err != nil {
		return nil, err
	}
	o := localrun.Options{ServerName: a.ServerName, Dir: loc.Abs(), InstallDeps: true, Mode: "normal",
		Progress: func(stage, message string) { c.progress.Report(0, 0, stage+": "+message) }}
	if ro := a.RunOptions; ro != nil {
		if ro.Port != nil {
			o.Port = *ro.Port
		}
		o.Env = ro.EnvParams
		if ro.RunMode != "" {
			o.Mode = ro.RunMode
		}
		o.AgentID = ro.AgentID
	}
	info, err := rs.runs.Start(ctx, o)
	stop := manageStep("stop", "stop it when done", Args{ServerName: a.ServerName})
	switch {
	case errors.Is(err, localrun.ErrAlreadyRunning):
		return &runResult{Run: info, AlreadyRunning: true,
			Message:  fmt.Sprintf("%s is already running at %s (pid %d).", a.ServerName, info.URL, info.PID),
			NextStep: manageStep("stop", "stop it before starting it again", Args{ServerName: a.ServerName})}, nil
	case err != nil:
		return nil, runFailure(a.ServerName, err)
	}
	return &runResult{Run: info, Message: fmt.Sprintf("%s runs at %s (pid %d); its output is in %s.", a.ServerName, info.URL, info.PID, info.LogFile),
		NextStep: stop}, nil
}

// runHints say what to do about each refusal of a local run.
var runHints = []struct {
	err  error
	hint string
}{
	{localrun.ErrOutsideProject, "Nothing was started. Replace the link with real files inside the project, then call run again."},
	{localrun.ErrCannotRun, "Nothing was started. Add what the message asks for (a start command, or a running Docker engine), or deploy the project instead."},
	{localrun.ErrNodeMissing, "Install Node.js 18 or later (https://nodejs.org), then call again."},
	{localrun.ErrNpmMissing, "Install Node.js 18 or later (https://nodejs.org), then call again."},
	{localrun.ErrExited, "The output above says why; fix the code and call again."},
	{localrun.ErrNotReady, "The output above says why; fix the code and call again."},
}

func runFailure(svc string, err error) error {
	if errors.Is(err, localrun.ErrInvalidOptions) {
		return invalid(err.Error(), "Fix runOptions (or targetPath) and call again.")
	}
	f := &failure{What: "Could not run " + svc + " locally", Why: err.Error()}
	if errors.Is(err, localrun.ErrPortInUse) {
		f.Hint = "Pass another runOptions.port, or stop what listens there."
		f.NextStep = queryStep("localRuns", "see the local runs", Args{})
		return f
	}
	for _, h := range runHints {
		if errors.Is(err, h.err) {
			f.Hint = h.hint
			break
		}
	}
	return f
}

type stopResult struct {
	Run     localrun.Info `json:"run"`
	Stopped bool          `json:"stopped"`
	Message string        `json:"message"`
}

func (rs *localRuns) stop(ctx context.Context, c *call) (any, error) {
	info, err := rs.runs.Stop(ctx, c.args.ServerName)
	if err != nil {
		return nil, &failure{What: "Could not stop " + c.args.ServerName, Why: err.Error(),
			NextStep: queryStep("localRuns", "see what runs locally", Args{})}
	}
	return &stopResult{Run: info, Stopped: true, Message: c.args.ServerName + " was stopped."}, nil
}

// --- localRuns

type localRunsResult struct {
	Runs []localrun.Info `json:"runs"`
}

func (rs *localRuns) list(context.Context, string, *QueryArgs) (any, error) {
	return &localRunsResult{Runs: nonNil(rs.runs.List())}, nil
}

// close stops every local run.
func (rs *localRuns) close() error { return rs.runs.Close() }
