package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// waits bounds the deploy's registration wait.
type waits struct {
	max, first time.Duration
}

// newWaits is the wait of Deps.MaxWait and Deps.PollInterval, defaults
// applied: 45 s, first poll after 300 ms.
func newWaits(maxWait, first time.Duration) waits {
	w := waits{max: maxWait, first: first}
	if w.max <= 0 {
		w.max = 45 * time.Second
	}
	if w.first <= 0 {
		w.first = 300 * time.Millisecond
	}
	return w
}

// registration is what the wait learned about the new version.
type registration struct {
	version    string
	buildID    int64
	runID      string
	status     string
	taskStatus string
	failReason string
	registered bool
	image      bool
	stopped    string // why the wait ended early, if it did
}

func (r *registration) failed() bool {
	return failed(r.status) || strings.EqualFold(r.taskStatus, "failed")
}

// RegistrationView is what a deploy reports of its registration.
type RegistrationView struct {
	Registered bool   `json:"registered"`
	BuildID    int64  `json:"buildId"`
	RunID      string `json:"runId"`
	Version    string `json:"version,omitempty"`
	FailReason string `json:"failReason,omitempty"`
	WaitNote   string `json:"waitNote,omitempty"`
}

func (r *registration) view() *RegistrationView {
	return &RegistrationView{Registered: r.registered, BuildID: r.buildID, RunID: r.runID, Version: r.version,
		FailReason: r.failReason, WaitNote: r.stopped}
}

func (r *registration) nextStep(svc string) *NextStep {
	switch {
	case r.failed():
		if r.buildID > 0 && strings.EqualFold(r.status, "build_failed") {
			return queryStep("getDeployLog", "the build failed; its log says why", Args{DetailServerName: svc, BuildID: r.buildID})
		}
		return queryStep("getProcessLog", "the version failed to start; the process log says why", Args{DetailServerName: svc, RunID: r.runID})
	case r.image && r.runID != "":
		return queryStep("getProcessLog", "follow the image deploy's process log", Args{DetailServerName: svc, RunID: r.runID, FromLine: 1})
	case r.buildID > 0:
		return queryStep("getDeployLog", "follow the build log until the build ends", Args{DetailServerName: svc, BuildID: r.buildID, FromLine: 1})
	}
	return queryStep("getDeployRecords", "the deploy is registering; check for its build/run id in a few seconds", Args{DetailServerName: svc})
}

func (r *registration) message(plan *deployPlan) string {
	verb := "Deploy of " + plan.svc + " started"
	if plan.releaseType == "GRAY" {
		verb += " as a GRAY release: the new version gets 0 % of traffic until manageCloudRun traffic set"
	}
	switch {
	case failed(r.status):
		return fmt.Sprintf("%s, and failed (%s). Read the log named in nextStep.", verb, r.status)
	case r.registered:
		return verb + "; builds take one to several minutes. Follow it with nextStep."
	}
	return verb + "; it has not registered a build/run id yet. Follow it with nextStep."
}

// waitRegistration polls the task and the deploy records until the new
// version has its build id (source) or run id (image), up to the wait
// budget. ctx ending stops the wait, not the deploy.
func (d *deployer) waitRegistration(ctx context.Context, prog *mcpx.Progress, envID, svc string, taskID int64, image, wait bool) *registration {
	reg := &registration{image: image}
	seen := ""
	began := d.clock.Now()
	err := clock.Poll(ctx, d.clock, clock.Backoff{First: d.waits.first, Max: 3 * time.Second, Factor: 1.5, Budget: d.waits.max},
		func(ctx context.Context, attempt int) (bool, error) {
			if attempt > 0 {
				prog.Report(float64(attempt), 0, "waiting for the deploy to register")
			}
			d.probeRegistration(ctx, envID, svc, taskID, reg)
			if state := orDash(reg.status) + "/" + orDash(reg.taskStatus); state != seen && (reg.status != "" || reg.taskStatus != "") {
				seen = state
				mcpx.Notify(ctx, PluginName, fmt.Sprintf("%s: version %s is %s (task %s)", svc, orDash(reg.version), orDash(reg.status), orDash(reg.taskStatus)))
			}
			return reg.registered || reg.failed() || !wait, nil
		})
	switch {
	case errors.Is(err, clock.ErrBudget):
		reg.stopped = fmt.Sprintf("stopped waiting after %s; the deploy continues upstream", d.clock.Now().Sub(began).Round(time.Second))
	case err != nil:
		reg.stopped = "the call was cancelled while waiting; the deploy continues upstream"
	}
	return reg
}

func (d *deployer) probeRegistration(ctx context.Context, envID, svc string, taskID int64, reg *registration) {
	if t, err := d.client.DescribeServerManageTask(ctx, &tcbr.DescribeServerManageTaskRequest{EnvId: envID, ServerName: svc, TaskId: taskID}); err == nil && t.IsExist && t.Task != nil {
		reg.taskStatus = t.Task.Status
		if t.Task.VersionName != "" {
			reg.version = t.Task.VersionName
		}
		if t.Task.FailReason != "" {
			reg.failReason = t.Task.FailReason
		}
	}
	recs, err := readRecords(ctx, d.client, envID, svc)
	if err != nil || len(recs) == 0 {
		return
	}
	rec := recs[0]
	for _, r := range recs {
		if reg.version != "" && r.DeployId == reg.version {
			rec = r
			break
		}
	}
	if reg.version == "" {
		reg.version = rec.DeployId
	}
	reg.buildID, reg.runID, reg.status = rec.BuildId, rec.RunId, rec.Status
	reg.registered = (!reg.image && rec.BuildId > 0) || (reg.image && rec.RunId != "")
}
