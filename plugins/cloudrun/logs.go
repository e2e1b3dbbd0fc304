package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// logByteBudget caps the log text one result carries; the tail is kept
// because that is where builds and crashes say what went wrong.
const logByteBudget = 24 << 10

// maxBuildLogPages bounds the Offset paging of one getDeployLog call.
const maxBuildLogPages = 50

func (p *Plugin) records(ctx context.Context, envID, svc string) ([]tcbr.DeployRecord, error) {
	resp, err := p.client.DescribeCloudRunDeployRecord(ctx, &tcbr.DescribeCloudRunDeployRecordRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return nil, err
	}
	return newestFirst(resp.DeployRecords), nil
}

func noRecords(svc string) *mcp.CallToolResult {
	return failure{
		What:     "No deploy records for " + svc,
		Why:      "the service has never been deployed, or its first deploy is still registering",
		NextStep: queryNext("detail", map[string]any{"detailServerName": svc}, "check the service state"),
	}.result()
}

// --- getDeployRecords

func (p *Plugin) queryDeployRecords(ctx context.Context, envID string, a *QueryArgs) *mcp.CallToolResult {
	svc := a.service()
	recs, err := p.records(ctx, envID, svc)
	if err != nil {
		return upstreamFailure("read the deploy records of "+svc, err, svc)
	}
	views := make([]deployRecordView, 0, len(recs))
	for _, r := range recs {
		views = append(views, deployView(r))
	}
	out := map[string]any{"envId": envID, "serverName": svc, "records": views, "total": len(views), "latestDeploy": nil}
	if len(recs) > 0 {
		out["latestDeploy"] = views[0]
		if ns := deployFollowUp(svc, recs[0]); ns != nil {
			out["nextStep"] = ns
		}
	}
	return success(out)
}

// --- getDeployLog

func (p *Plugin) queryDeployLog(ctx context.Context, envID string, a *QueryArgs) *mcp.CallToolResult {
	svc := a.service()
	var buildID int64
	var latest *tcbr.DeployRecord
	if a.BuildID != nil && *a.BuildID > 0 {
		buildID = *a.BuildID
	} else {
		recs, err := p.records(ctx, envID, svc)
		if err != nil {
			return upstreamFailure("find the newest build of "+svc, err, svc)
		}
		if len(recs) == 0 {
			return noRecords(svc)
		}
		latest = &recs[0]
		buildID = latest.BuildId
	}
	if buildID == 0 {
		// Image deploys have no build, and a source build gets its id a few
		// seconds after the deploy starts: never call the build log with 0.
		out := map[string]any{
			"envId": envID, "serverName": svc, "buildId": 0, "lines": []string{}, "more": false,
		}
		if latest != nil && inProgress(latest.Status) && latest.RunId == "" {
			out["reason"] = "BUILD_NOT_REGISTERED_YET"
			out["message"] = "The newest deploy has no build id yet; it registers a few seconds after the deploy starts."
			out["nextStep"] = queryNext("getDeployRecords", map[string]any{"detailServerName": svc}, "wait a few seconds for the build id")
			return success(out)
		}
		out["reason"] = "NO_CODING_BUILD_FOR_IMAGE_DEPLOY"
		out["message"] = "The newest version was deployed from an image, so there is no build log. The process log shows how it started."
		args := map[string]any{"detailServerName": svc}
		if latest != nil && latest.RunId != "" {
			args["runId"] = latest.RunId
		}
		out["nextStep"] = queryNext("getProcessLog", args, "read how the version started")
		return success(out)
	}

	var text strings.Builder
	var last tcbr.BuildLog
	offset := int64(0)
	for page := 0; page < maxBuildLogPages; page++ {
		resp, err := p.client.DescribeCloudRunBuildLog(ctx, &tcbr.DescribeCloudRunBuildLogRequest{
			EnvId: envID, ServerName: svc, BuildId: buildID, Offset: offset,
		})
		if err != nil {
			if strings.Contains(err.Error(), "please login CODING") {
				return failure{
					What:     "Build logs are not available for this account",
					Why:      "the platform keeps build logs in CODING and this account has no CODING user",
					Hint:     "This does not mean the deploy failed. Read the process log and the deploy records instead; do not retry getDeployLog.",
					NextStep: queryNext("getProcessLog", map[string]any{"detailServerName": svc}, "see how the version started"),
				}.result()
			}
			return upstreamFailure(fmt.Sprintf("read build log %d of %s", buildID, svc), err, svc)
		}
		last = resp.Log
		if resp.Log.Text != "" {
			if text.Len() > 0 && !strings.HasSuffix(text.String(), "\n") {
				text.WriteByte('\n')
			}
			text.WriteString(resp.Log.Text)
		}
		// Stop when the platform has nothing more for now: either the build
		// is over, or it is running and we have everything written so far.
		if resp.Log.Delivered <= offset || resp.Log.Delivered >= resp.Log.Total {
			break
		}
		offset = resp.Log.Delivered
	}
	out := map[string]any{
		"envId": envID, "serverName": svc, "buildId": buildID, "more": last.More,
		"failType": last.FailType, "failReason": last.FailReason,
	}
	logPage(out, text.String(), a.FromLine, "getDeployLog")
	switch {
	case last.More:
		out["nextStep"] = queryNext("getDeployLog", map[string]any{"detailServerName": svc, "buildId": buildID}, "the build is still running; call again in a few seconds for new lines")
	case last.FailReason != "" || last.FailType != "":
		out["nextStep"] = queryNext("detail", map[string]any{"detailServerName": svc}, "the build failed; fix the cause shown above, then deploy again")
	default:
		args := map[string]any{"detailServerName": svc}
		if latest != nil && latest.RunId != "" {
			args["runId"] = latest.RunId
		}
		out["nextStep"] = queryNext("getProcessLog", args, "the build is done; the process log shows the version starting")
	}
	return success(out)
}

// logPage puts a page of the log into out: its tail within the byte budget,
// or, with fromLine, the lines from there on that fit. The notice says how to
// read the rest.
func logPage(out map[string]any, text string, fromLine *int, action string) {
	if fromLine == nil {
		lines, notice := tailLines(text, logByteBudget)
		out["lines"] = lines
		if notice != "" {
			out["truncated"] = true
			out["notice"] = notice + " To read from the start, call " + action + " again with fromLine: 1."
		}
		return
	}
	text = strings.TrimRight(text, "\n")
	all := []string{}
	if text != "" {
		all = strings.Split(text, "\n")
	}
	start := min(*fromLine-1, len(all))
	end, size := start, 0
	for end < len(all) && (end == start || size+len(all[end])+1 <= logByteBudget) {
		size += len(all[end]) + 1
		end++
	}
	page := all[start:end]
	if len(page) == 1 && len(page[0]) > logByteBudget {
		page = []string{page[0][:logByteBudget]}
	}
	out["lines"] = page
	out["fromLine"] = *fromLine
	out["totalLines"] = len(all)
	switch {
	case start >= len(all):
		out["notice"] = fmt.Sprintf("The log has %d lines; fromLine %d is past its end.", len(all), *fromLine)
	case end < len(all):
		out["truncated"] = true
		out["nextFromLine"] = end + 1
		out["notice"] = fmt.Sprintf("Lines %d-%d of %d (%d KB per page). Call %s again with fromLine: %d for the next page.", start+1, end, len(all), logByteBudget>>10, action, end+1)
	}
}

// tailLines splits text into lines and keeps the last ones that fit in
// budget bytes, with a notice saying what was left out.
func tailLines(text string, budget int) ([]string, string) {
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return []string{}, ""
	}
	all := strings.Split(text, "\n")
	size, start := 0, len(all)
	for start > 0 && size+len(all[start-1])+1 <= budget {
		start--
		size += len(all[start]) + 1
	}
	if start == len(all) { // one huge line: keep its end
		line := all[len(all)-1]
		return []string{line[len(line)-budget:]}, fmt.Sprintf("The log was truncated to its last %d bytes; only the end of the last line is shown.", budget)
	}
	if start == 0 {
		return all, ""
	}
	return all[start:], fmt.Sprintf("The log has %d lines; the first %d were left out to stay within %d KB (the end of a log is where errors are). Open the console for the full log.", len(all), start, budget>>10)
}

// --- getProcessLog

func (p *Plugin) queryProcessLog(ctx context.Context, envID string, a *QueryArgs) *mcp.CallToolResult {
	svc := a.service()
	runID := a.RunID
	if runID == "" {
		recs, err := p.records(ctx, envID, svc)
		if err != nil {
			return upstreamFailure("find the newest run of "+svc, err, svc)
		}
		if len(recs) == 0 {
			return noRecords(svc)
		}
		runID = recs[0].RunId
		if runID == "" {
			return failure{
				What:     "The newest deploy of " + svc + " has no run id yet",
				Why:      "the run id appears once the version starts being created",
				NextStep: queryNext("getDeployRecords", map[string]any{"detailServerName": svc}, "check again in a few seconds"),
			}.result()
		}
	}
	resp, err := p.client.DescribeCloudRunProcessLog(ctx, &tcbr.DescribeCloudRunProcessLogRequest{EnvId: envID, RunId: runID})
	if err != nil {
		return upstreamFailure(fmt.Sprintf("read process log %s of %s", runID, svc), err, svc)
	}
	var lines []string
	for _, l := range resp.Logs {
		lines = append(lines, strings.Split(strings.TrimRight(l, "\n"), "\n")...)
	}
	out := map[string]any{"envId": envID, "serverName": svc, "runId": runID}
	logPage(out, strings.Join(lines, "\n"), a.FromLine, "getProcessLog")
	return success(out)
}

// --- getManageTask

type taskStepView struct {
	Name       string `json:"name"`
	Status     string `json:"status"`
	StartTime  string `json:"startTime"`
	EndTime    string `json:"endTime"`
	CostTime   int64  `json:"costTime"`
	FailReason string `json:"failReason"`
}

func (p *Plugin) queryManageTask(ctx context.Context, envID string, a *QueryArgs) *mcp.CallToolResult {
	svc := a.service()
	out := map[string]any{"envId": envID, "serverName": svc, "task": nil, "latestDeploy": nil}
	resp, taskErr := p.client.DescribeServerManageTask(ctx, &tcbr.DescribeServerManageTaskRequest{EnvId: envID, ServerName: svc, TaskId: 0})
	recs, recErr := p.records(ctx, envID, svc)
	if taskErr != nil && recErr != nil {
		return upstreamFailure("read the latest task of "+svc, taskErr, svc)
	}
	if taskErr != nil {
		// The deploy records still answer; report the task failure beside them.
		out["taskQueryError"] = describeFailure("read the latest task of "+svc, taskErr, svc).text()
	} else if resp.IsExist && resp.Task != nil {
		t := resp.Task
		steps := make([]taskStepView, 0, len(t.Steps))
		for _, s := range t.Steps {
			steps = append(steps, taskStepView{s.Name, s.Status, s.StartTime, s.EndTime, int64(s.CostTime), s.FailReason})
		}
		out["task"] = map[string]any{
			"id": t.Id, "changeType": t.ChangeType, "releaseType": t.ReleaseType, "deployType": t.DeployType,
			"status": t.Status, "steps": steps, "failReason": t.FailReason, "versionName": t.VersionName,
			"preVersionName": t.PreVersionName, "releaseId": t.ReleaseId, "createTime": t.CreateTime,
		}
		switch {
		case strings.EqualFold(t.ReleaseType, "GRAY") && strings.EqualFold(t.Status, "running"):
			out["message"] = "A gray release is open: set the traffic split, promote the canary, or roll back."
		case strings.EqualFold(t.Status, "running") || strings.EqualFold(t.Status, "todo"):
			out["message"] = "A task is running; new deploys and config changes wait until it ends."
			out["nextStep"] = queryNext("getManageTask", map[string]any{"detailServerName": svc}, "check again in a few seconds")
		}
	} else {
		out["message"] = "The service has no manage task."
	}
	if recErr == nil && len(recs) > 0 {
		out["latestDeploy"] = deployView(recs[0])
		if _, set := out["nextStep"]; !set {
			if ns := deployFollowUp(svc, recs[0]); ns != nil {
				out["nextStep"] = ns
			}
		}
	}
	return success(out)
}
