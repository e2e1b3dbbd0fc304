package cloudrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// upload gets a ticket and PUTs the package with the ticket's headers.
func (p *Plugin) upload(ctx context.Context, prog *progress, plan *deployPlan, file string, pkg *pack.Result) (tcbr.DeployParam, *mcp.CallToolResult) {
	ticket, err := p.client.DescribeCloudBaseBuildService(ctx, &tcbr.DescribeCloudBaseBuildServiceRequest{EnvId: plan.envID, ServiceName: plan.svc})
	if err != nil {
		return tcbr.DeployParam{}, upstreamFailure("get an upload ticket for "+plan.svc, err, plan.svc)
	}
	if ticket.UploadUrl == "" {
		return tcbr.DeployParam{}, failure{What: "Could not upload the package", Why: "the platform returned no upload URL", RequestID: ticket.RequestId,
			Hint: "Nothing was deployed. Call deploy again; if it persists, check the env in the console."}.result()
	}
	f, err := os.Open(file)
	if err != nil {
		return tcbr.DeployParam{}, failure{What: "Could not read the package", Why: err.Error()}.result()
	}
	defer f.Close()
	body := &countingReader{r: f, total: pkg.ZipBytes, prog: prog}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, ticket.UploadUrl, body)
	if err != nil {
		return tcbr.DeployParam{}, failure{What: "Could not upload the package", Why: "bad upload URL: " + err.Error()}.result()
	}
	req.ContentLength = pkg.ZipBytes
	for _, h := range ticket.UploadHeaders {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := p.transferClient().Do(req)
	if err != nil {
		return tcbr.DeployParam{}, failure{What: "Could not upload the package", Why: redactURL(err.Error(), ticket.UploadUrl),
			Hint: "Nothing was deployed. Check the network and call deploy again."}.result()
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return tcbr.DeployParam{}, failure{What: "Could not upload the package",
			Why:  fmt.Sprintf("object storage answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet))),
			Hint: "Nothing was deployed. Call deploy again (a new upload ticket is issued each time)."}.result()
	}
	prog.report(float64(pkg.ZipBytes), float64(pkg.ZipBytes), "uploaded "+humanBytes(pkg.ZipBytes))
	return tcbr.DeployParam{DeployType: "package", PackageName: ticket.PackageName, PackageVersion: ticket.PackageVersion}, nil
}

// transferClient is the client for package transfers: no overall timeout (a
// large upload may take minutes); the call's ctx bounds it.
func (p *Plugin) transferClient() *http.Client {
	if p.transfer != nil {
		return p.transfer
	}
	return http.DefaultClient
}

// redactURL keeps presigned query strings out of messages.
func redactURL(msg, url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		msg = strings.ReplaceAll(msg, url, url[:i]+"?…")
	}
	return msg
}

type countingReader struct {
	r     io.Reader
	n     int64
	total int64
	prog  *progress
	last  time.Time
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if now := time.Now(); now.Sub(c.last) > 250*time.Millisecond {
		c.last = now
		c.prog.report(float64(c.n), float64(c.total), fmt.Sprintf("uploading: %s of %s", humanBytes(c.n), humanBytes(c.total)))
	}
	return n, err
}

// --- registration wait

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
	waited     time.Duration
	stopped    string // why the wait ended early, if it did
}

func (r registration) fields() map[string]any {
	out := map[string]any{"registered": r.registered, "buildId": r.buildID, "runId": r.runID}
	if r.version != "" {
		out["version"] = r.version
	}
	if r.status != "" {
		out["status"] = r.status
	}
	if r.failReason != "" {
		out["failReason"] = r.failReason
	}
	if r.stopped != "" {
		out["waitNote"] = r.stopped
	}
	return out
}

func (r registration) nextStep(svc string) *NextStep {
	switch {
	case failed(r.status) || strings.EqualFold(r.taskStatus, "failed"):
		if r.buildID > 0 && strings.EqualFold(r.status, "build_failed") {
			return queryNext("getDeployLog", map[string]any{"detailServerName": svc, "buildId": r.buildID}, "the build failed; its log says why")
		}
		return queryNext("getProcessLog", map[string]any{"detailServerName": svc, "runId": r.runID}, "the version failed to start; the process log says why")
	case r.image && r.runID != "":
		return queryNext("getProcessLog", map[string]any{"detailServerName": svc, "runId": r.runID}, "follow the image deploy's process log")
	case r.buildID > 0:
		return queryNext("getDeployLog", map[string]any{"detailServerName": svc, "buildId": r.buildID}, "follow the build log until the build ends")
	}
	return queryNext("getDeployRecords", map[string]any{"detailServerName": svc}, "the deploy is registering; check for its build/run id in a few seconds")
}

func (r registration) message(plan *deployPlan) string {
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
// version has its build id (source) or run id (image), up to maxWait. ctx
// ending stops the wait, not the deploy.
func (p *Plugin) waitRegistration(ctx context.Context, prog *progress, envID, svc string, taskID int64, image, wait bool) registration {
	reg := registration{image: image}
	start := time.Now()
	deadline := start.Add(p.maxWait)
	interval := p.pollInterval
	seen := ""
	for attempt := 0; ; attempt++ {
		p.probeRegistration(ctx, envID, svc, taskID, &reg)
		reg.waited = time.Since(start)
		if state := orDash(reg.status) + "/" + orDash(reg.taskStatus); state != seen && (reg.status != "" || reg.taskStatus != "") {
			seen = state
			p.notify(ctx, "%s: version %s is %s (task %s)", svc, orDash(reg.version), orDash(reg.status), orDash(reg.taskStatus))
		}
		if reg.registered || failed(reg.status) || strings.EqualFold(reg.taskStatus, "failed") || !wait {
			return reg
		}
		if time.Now().Add(interval).After(deadline) {
			reg.stopped = fmt.Sprintf("stopped waiting after %s; the deploy continues upstream", reg.waited.Round(time.Second))
			return reg
		}
		prog.report(float64(attempt+1), 0, "waiting for the deploy to register")
		select {
		case <-ctx.Done():
			reg.stopped = "the call was cancelled while waiting; the deploy continues upstream"
			return reg
		case <-time.After(interval):
		}
		interval = min(interval*3/2, 3*time.Second)
	}
}

func (p *Plugin) probeRegistration(ctx context.Context, envID, svc string, taskID int64, reg *registration) {
	if t, err := p.client.DescribeServerManageTask(ctx, &tcbr.DescribeServerManageTaskRequest{EnvId: envID, ServerName: svc, TaskId: taskID}); err == nil && t.IsExist && t.Task != nil {
		reg.taskStatus = t.Task.Status
		if t.Task.VersionName != "" {
			reg.version = t.Task.VersionName
		}
		if t.Task.FailReason != "" {
			reg.failReason = t.Task.FailReason
		}
	}
	recs, err := p.records(ctx, envID, svc)
	if err != nil || len(recs) == 0 {
		return
	}
	rec := recs[0]
	if reg.version != "" {
		for _, r := range recs {
			if r.DeployId == reg.version {
				rec = r
				break
			}
		}
	}
	if reg.version == "" {
		reg.version = rec.DeployId
	}
	reg.buildID, reg.runID, reg.status = rec.BuildId, rec.RunId, rec.Status
	reg.registered = (!reg.image && rec.BuildId > 0) || (reg.image && rec.RunId != "")
}
