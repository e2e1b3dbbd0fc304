package cloudrun

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/localrun"
	"github.com/mark3labs/mcp-go/mcp"
)

// manageRun starts a function-mode service locally and waits until its port
// answers.
func (p *Plugin) manageRun(ctx context.Context, req mcp.CallToolRequest, a *ManageArgs) *mcp.CallToolResult {
	prog := newProgress(ctx, req)
	loc, bad := p.serviceDir(ctx, a.TargetPath, a.ServerName)
	if bad != nil {
		return bad
	}
	o := localrun.Options{ServerName: a.ServerName, Dir: loc.Abs(), InstallDeps: true, Mode: "normal",
		Progress: func(stage, message string) { prog.report(0, 0, stage+": "+message) }}
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
	info, err := p.runs.Start(ctx, o)
	switch {
	case errors.Is(err, localrun.ErrAlreadyRunning):
		return success(map[string]any{"run": info, "alreadyRunning": true,
			"message":  fmt.Sprintf("%s is already running at %s (pid %d).", a.ServerName, info.URL, info.PID),
			"nextStep": manageNext("stop", map[string]any{"serverName": a.ServerName}, "stop it before starting it again")})
	case err != nil:
		f := failure{What: "Could not run " + a.ServerName + " locally", Why: err.Error()}
		switch {
		case errors.Is(err, localrun.ErrInvalidOptions):
			return invalid(err.Error(), "Fix runOptions (or targetPath) and call again.")
		case errors.Is(err, localrun.ErrOutsideProject):
			f.Hint = "Nothing was started. Replace the link with real files inside the project, then call run again."
		case errors.Is(err, localrun.ErrContainerProject):
			f.Hint = "run starts function-mode services; build and run a container project with Docker, or deploy it."
		case errors.Is(err, localrun.ErrNodeMissing), errors.Is(err, localrun.ErrNpmMissing):
			f.Hint = "Install Node.js 18 or later (https://nodejs.org), then call again."
		case errors.Is(err, localrun.ErrPortInUse):
			f.Hint = "Pass another runOptions.port, or stop what listens there."
			f.NextStep = queryNext("localRuns", nil, "see the local runs")
		case errors.Is(err, localrun.ErrExited), errors.Is(err, localrun.ErrNotReady):
			f.Hint = "The output above says why; fix the code and call again."
		}
		return f.result()
	}
	return success(map[string]any{"run": info, "alreadyRunning": false,
		"message":  fmt.Sprintf("%s runs at %s (pid %d); its output is in %s.", a.ServerName, info.URL, info.PID, info.LogFile),
		"nextStep": manageNext("stop", map[string]any{"serverName": a.ServerName}, "stop it when done")})
}

func (p *Plugin) manageStop(ctx context.Context, a *ManageArgs) *mcp.CallToolResult {
	info, err := p.runs.Stop(ctx, a.ServerName)
	if err != nil {
		return failure{What: "Could not stop " + a.ServerName, Why: err.Error(),
			NextStep: queryNext("localRuns", nil, "see what runs locally")}.result()
	}
	return success(map[string]any{"run": info, "stopped": true, "message": a.ServerName + " was stopped."})
}

func (p *Plugin) queryLocalRuns() *mcp.CallToolResult {
	runs := p.runs.List()
	if runs == nil {
		runs = []localrun.Info{}
	}
	return success(map[string]any{"runs": runs})
}

// Close stops every local run; the server calls it on exit.
func (p *Plugin) Close() error {
	return p.runs.Close()
}
