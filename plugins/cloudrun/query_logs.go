package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// logReader reads build and process logs, a page at a time.
type logReader struct {
	client tcbr.Client
}

// logByteBudget caps the log text one result carries; the tail is kept
// because that is where builds and crashes say what went wrong.
const logByteBudget = 24 << 10

// maxBuildLogPages bounds the Offset paging of one getDeployLog call.
const maxBuildLogPages = 50

// --- log pages

// logPage is a page of a log: its tail within the byte budget, or, with
// fromLine, the lines from there on that fit; the notice says how to read
// the rest. NextFromLine is the number of the line after the last one
// returned: a poll passes it as fromLine to get only new lines.
type logPage struct {
	Lines        []string `json:"lines"`
	TotalLines   int      `json:"totalLines"`
	NextFromLine int      `json:"nextFromLine"`
	FromLine     int      `json:"fromLine,omitempty"`
	Truncated    bool     `json:"truncated,omitempty"`
	Notice       string   `json:"notice,omitempty"`
}

func pageLog(text string, fromLine *int, action string) logPage {
	text = strings.TrimRight(text, "\n")
	all := []string{}
	if text != "" {
		all = strings.Split(text, "\n")
	}
	if fromLine == nil {
		lines, notice := tailLines(text, logByteBudget)
		pg := logPage{Lines: lines, TotalLines: len(all), NextFromLine: len(all) + 1}
		if notice != "" {
			pg.Truncated = true
			pg.Notice = notice + " To read from the start, call " + action + " again with fromLine: 1."
		}
		return pg
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
	pg := logPage{Lines: page, FromLine: *fromLine, TotalLines: len(all), NextFromLine: max(end, start) + 1}
	switch {
	case start >= len(all):
		pg.NextFromLine = *fromLine
		pg.Notice = fmt.Sprintf("fromLine %d is past its end: no new lines yet (the log has %d lines).", *fromLine, len(all))
	case end < len(all):
		pg.Truncated = true
		pg.Notice = fmt.Sprintf("Lines %d-%d of %d (%d KB per page). Call %s again with fromLine: %d for the next page.", start+1, end, len(all), logByteBudget>>10, action, end+1)
	}
	return pg
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

// --- getDeployLog

type deployLogResult struct {
	EnvID      string `json:"envId"`
	ServerName string `json:"serverName"`
	BuildID    int64  `json:"buildId"`
	More       bool   `json:"more"`
	FailType   string `json:"failType"`
	FailReason string `json:"failReason"`
	logPage
	Message  string    `json:"message"`
	NextStep *NextStep `json:"nextStep,omitempty"`
}

// noBuildResult answers getDeployLog when there is no build to read.
type noBuildResult struct {
	EnvID      string    `json:"envId"`
	ServerName string    `json:"serverName"`
	BuildID    int64     `json:"buildId"`
	Lines      []string  `json:"lines"`
	More       bool      `json:"more"`
	Reason     string    `json:"reason"`
	Message    string    `json:"message"`
	NextStep   *NextStep `json:"nextStep"`
}

func (lr *logReader) deployLog(ctx context.Context, envID string, a *QueryArgs) (any, error) {
	svc := a.service()
	buildID, latest, err := lr.buildToRead(ctx, envID, svc, a.BuildID)
	if err != nil {
		return nil, err
	}
	if buildID == 0 {
		return noBuild(envID, svc, latest), nil
	}
	text, last, err := lr.readBuildLog(ctx, envID, svc, buildID)
	if err != nil {
		return nil, err
	}
	out := &deployLogResult{EnvID: envID, ServerName: svc, BuildID: buildID, More: last.More, FailType: last.FailType,
		FailReason: last.FailReason, logPage: pageLog(text, a.FromLine, "getDeployLog")}
	switch {
	case last.More:
		out.Message = "The build is still running."
		out.NextStep = queryStep("getDeployLog", "the build is still running; in a few seconds, read only the lines added since", Args{DetailServerName: svc, BuildID: buildID, FromLine: out.NextFromLine})
	case last.FailReason != "" || last.FailType != "":
		// The end of the diagnosis: nothing to read next, something to fix.
		out.Message = "The build failed: the log above and failReason say why. Fix the project, then deploy it again (manageCloudRun deploy)."
	default:
		out.Message = "The build is done; the process log shows the version starting."
		args := Args{DetailServerName: svc, FromLine: 1}
		if latest != nil {
			args.RunID = latest.RunId
		}
		out.NextStep = queryStep("getProcessLog", "see the version start", args)
	}
	return out, nil
}

// buildToRead is the requested build, or the newest record's.
func (lr *logReader) buildToRead(ctx context.Context, envID, svc string, requested *int64) (int64, *tcbr.DeployRecord, error) {
	if requested != nil && *requested > 0 {
		return *requested, nil, nil
	}
	recs, err := readRecords(ctx, lr.client, envID, svc)
	if err != nil {
		return 0, nil, upstreamFailure("find the newest build of "+svc, err, svc)
	}
	if len(recs) == 0 {
		return 0, nil, noRecords(svc)
	}
	return recs[0].BuildId, &recs[0], nil
}

// noBuild: image deploys have no build, and a source build gets its id a
// few seconds after the deploy starts: the build log is never asked for 0.
func noBuild(envID, svc string, latest *tcbr.DeployRecord) *noBuildResult {
	out := &noBuildResult{EnvID: envID, ServerName: svc, Lines: []string{}}
	if latest != nil && inProgress(latest.Status) && latest.RunId == "" {
		out.Reason = "BUILD_NOT_REGISTERED_YET"
		out.Message = "The newest deploy has no build id yet; it registers a few seconds after the deploy starts."
		out.NextStep = queryStep("getDeployRecords", "wait a few seconds for the build id", Args{DetailServerName: svc})
		return out
	}
	out.Reason = "NO_CODING_BUILD_FOR_IMAGE_DEPLOY"
	out.Message = "The newest version was deployed from an image, so there is no build log. The process log shows how it started."
	args := Args{DetailServerName: svc}
	if latest != nil {
		args.RunID = latest.RunId
	}
	out.NextStep = queryStep("getProcessLog", "read how the version started", args)
	return out
}

// readBuildLog pages through a build log with Offset until the platform has
// nothing more for now.
func (lr *logReader) readBuildLog(ctx context.Context, envID, svc string, buildID int64) (string, tcbr.BuildLog, error) {
	var text strings.Builder
	var last tcbr.BuildLog
	offset := int64(0)
	for range maxBuildLogPages {
		resp, err := lr.client.DescribeCloudRunBuildLog(ctx, &tcbr.DescribeCloudRunBuildLogRequest{
			EnvId: envID, ServerName: svc, BuildId: buildID, Offset: offset,
		})
		if err != nil {
			return "", last, buildLogFailure(err, svc, buildID)
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
	return text.String(), last, nil
}

func buildLogFailure(err error, svc string, buildID int64) error {
	if strings.Contains(err.Error(), "please login CODING") {
		return &failure{
			Kind:     kindUpstream,
			What:     "Build logs are not available for this account",
			Why:      "the platform keeps build logs in CODING and this account has no CODING user",
			Hint:     "This does not mean the deploy failed. Read the process log and the deploy records instead; do not retry getDeployLog.",
			NextStep: queryStep("getProcessLog", "see how the version started", Args{DetailServerName: svc}),
		}
	}
	return upstreamFailure(fmt.Sprintf("read build log %d of %s", buildID, svc), err, svc)
}

// --- getProcessLog

type processLogResult struct {
	EnvID      string `json:"envId"`
	ServerName string `json:"serverName"`
	RunID      string `json:"runId"`
	Version    string `json:"version,omitempty"`
	Status     string `json:"status,omitempty"` // the version's deploy status
	logPage
	Message  string    `json:"message,omitempty"`
	NextStep *NextStep `json:"nextStep,omitempty"`
}

func (lr *logReader) processLog(ctx context.Context, envID string, a *QueryArgs) (any, error) {
	svc := a.service()
	rec, err := lr.runToRead(ctx, envID, svc, a.RunID)
	if err != nil {
		return nil, err
	}
	resp, err := lr.client.DescribeCloudRunProcessLog(ctx, &tcbr.DescribeCloudRunProcessLogRequest{EnvId: envID, RunId: rec.RunId})
	if err != nil {
		return nil, upstreamFailure(fmt.Sprintf("read process log %s of %s", rec.RunId, svc), err, svc)
	}
	var lines []string
	for _, l := range resp.Logs {
		lines = append(lines, strings.Split(strings.TrimRight(l, "\n"), "\n")...)
	}
	out := &processLogResult{EnvID: envID, ServerName: svc, RunID: rec.RunId, Version: rec.DeployId, Status: rec.Status,
		logPage: pageLog(strings.Join(lines, "\n"), a.FromLine, "getProcessLog")}
	switch {
	case inProgress(rec.Status):
		out.Message = "The version is still starting."
		out.NextStep = queryStep("getProcessLog", "in a few seconds, read only the lines added since", Args{DetailServerName: svc, RunID: rec.RunId, FromLine: out.NextFromLine})
	case failed(rec.Status):
		out.Message = "The version failed to start: the log above says why. Fix the project or its config, then deploy again (manageCloudRun deploy)."
	case rec.Status != "":
		out.Message = "The version is " + strings.ToLower(rec.Status) + "."
	}
	return out, nil
}

// runToRead is the deploy record of the requested run, or the newest one.
// A run the records do not list is still read (without a status).
func (lr *logReader) runToRead(ctx context.Context, envID, svc, runID string) (tcbr.DeployRecord, error) {
	recs, err := readRecords(ctx, lr.client, envID, svc)
	if err != nil {
		if runID != "" {
			return tcbr.DeployRecord{RunId: runID}, nil
		}
		return tcbr.DeployRecord{}, upstreamFailure("find the newest run of "+svc, err, svc)
	}
	if runID != "" {
		for _, r := range recs {
			if r.RunId == runID {
				return r, nil
			}
		}
		return tcbr.DeployRecord{RunId: runID}, nil
	}
	if len(recs) == 0 {
		return tcbr.DeployRecord{}, noRecords(svc)
	}
	if recs[0].RunId == "" {
		return tcbr.DeployRecord{}, &failure{
			What:     "The newest deploy of " + svc + " has no run id yet",
			Why:      "the run id appears once the version starts being created",
			NextStep: queryStep("getDeployRecords", "check again in a few seconds", Args{DetailServerName: svc}),
		}
	}
	return recs[0], nil
}
