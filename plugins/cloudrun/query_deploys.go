package cloudrun

import (
	"context"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// The state of a service's deploys: its deploy records (getDeployRecords)
// and its latest manage task (getManageTask), each with what to call next.

func noRecords(svc string) error {
	return &failure{
		What:     "No deploy records for " + svc,
		Why:      "the service has never been deployed, or its first deploy is still registering",
		NextStep: queryStep("detail", "check the service state", Args{DetailServerName: svc}),
	}
}

// --- getDeployRecords

type recordsResult struct {
	EnvID        string             `json:"envId"`
	ServerName   string             `json:"serverName"`
	Records      []deployRecordView `json:"records"`
	Total        int                `json:"total"`
	LatestDeploy *deployRecordView  `json:"latestDeploy,omitempty"`
	NextStep     *NextStep          `json:"nextStep,omitempty"`
}

func (sr *serviceReads) deployRecords(ctx context.Context, envID string, a *QueryArgs) (any, error) {
	svc := a.service()
	recs, err := readRecords(ctx, sr.client, envID, svc)
	if err != nil {
		return nil, upstreamFailure("read the deploy records of "+svc, err, svc)
	}
	out := &recordsResult{EnvID: envID, ServerName: svc, Records: make([]deployRecordView, 0, len(recs)), Total: len(recs)}
	for _, r := range recs {
		out.Records = append(out.Records, viewRecord(r))
	}
	if len(recs) > 0 {
		out.LatestDeploy = &out.Records[0]
		out.NextStep = deployFollowUp(svc, recs[0])
	}
	return out, nil
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

type taskView struct {
	ID             int64          `json:"id"`
	ChangeType     string         `json:"changeType"`
	ReleaseType    string         `json:"releaseType"`
	DeployType     string         `json:"deployType"`
	Status         string         `json:"status"`
	Steps          []taskStepView `json:"steps"`
	FailReason     string         `json:"failReason"`
	VersionName    string         `json:"versionName"`
	PreVersionName string         `json:"preVersionName"`
	ReleaseID      int64          `json:"releaseId"`
	CreateTime     string         `json:"createTime"`
}

type taskResult struct {
	EnvID          string            `json:"envId"`
	ServerName     string            `json:"serverName"`
	Task           *taskView         `json:"task,omitempty"`
	LatestDeploy   *deployRecordView `json:"latestDeploy,omitempty"`
	TaskQueryError string            `json:"taskQueryError,omitempty"`
	Message        string            `json:"message,omitempty"`
	NextStep       *NextStep         `json:"nextStep,omitempty"`
}

func (sr *serviceReads) manageTask(ctx context.Context, envID string, a *QueryArgs) (any, error) {
	svc := a.service()
	out := &taskResult{EnvID: envID, ServerName: svc}
	resp, taskErr := sr.client.DescribeServerManageTask(ctx, &tcbr.DescribeServerManageTaskRequest{EnvId: envID, ServerName: svc, TaskId: latestTask})
	recs, recErr := readRecords(ctx, sr.client, envID, svc)
	switch {
	case taskErr != nil && recErr != nil:
		return nil, upstreamFailure("read the latest task of "+svc, taskErr, svc)
	case taskErr != nil:
		// The deploy records still answer; report the task failure beside them.
		out.TaskQueryError = describeFailure("read the latest task of "+svc, taskErr, svc).text()
	case resp.IsExist && resp.Task != nil:
		out.Task = viewTask(resp.Task)
	default:
		out.Message = "The service has no manage task."
	}
	var latest *tcbr.DeployRecord
	if recErr == nil && len(recs) > 0 {
		latest = &recs[0]
		v := viewRecord(recs[0])
		out.LatestDeploy = &v
	}
	if out.Task != nil {
		out.Message, out.NextStep = taskFollowUp(svc, resp.Task, latest)
	}
	if out.NextStep == nil && latest != nil {
		out.NextStep = deployFollowUp(svc, *latest)
	}
	return out, nil
}

func viewTask(t *tcbr.ServerManageTaskInfo) *taskView {
	steps := make([]taskStepView, 0, len(t.Steps))
	for _, s := range t.Steps {
		steps = append(steps, taskStepView{s.Name, s.Status, s.StartTime, s.EndTime, int64(s.CostTime), s.FailReason})
	}
	return &taskView{ID: t.Id, ChangeType: t.ChangeType, ReleaseType: t.ReleaseType, DeployType: t.DeployType,
		Status: t.Status, Steps: steps, FailReason: t.FailReason, VersionName: t.VersionName,
		PreVersionName: t.PreVersionName, ReleaseID: t.ReleaseId, CreateTime: t.CreateTime}
}

// taskFollowUp says what the task means now, given the newest deploy
// record, and what to call next; never something the state contradicts.
func taskFollowUp(svc string, t *tcbr.ServerManageTaskInfo, latest *tcbr.DeployRecord) (string, *NextStep) {
	running := strings.EqualFold(t.Status, "running") || strings.EqualFold(t.Status, "todo")
	gray := strings.EqualFold(t.ReleaseType, "GRAY") && running
	switch {
	case gray && latest != nil && inProgress(latest.Status):
		return "A gray release is open, and its new version is still " + strings.ToLower(latest.Status) + ": traffic can be shifted once it is normal.",
			deployFollowUp(svc, *latest)
	case gray && latest != nil && failed(latest.Status):
		return "A gray release is open, and its new version failed (" + latest.Status + "): roll it back.",
			manageStep("traffic", "close the gray release; the stable version keeps all traffic", Args{ServerName: svc, TrafficOp: "rollback"})
	case gray:
		return "A gray release is open: set the traffic split (manageCloudRun traffic set), promote the canary, or roll back.", nil
	case running:
		return "A task is running; new deploys and config changes wait until it ends.",
			queryStep("getManageTask", "check again in a few seconds", Args{DetailServerName: svc})
	case strings.EqualFold(t.Status, "failed"):
		return "The latest task failed" + failReason(t) + ".", nil
	}
	return "", nil
}

func failReason(t *tcbr.ServerManageTaskInfo) string {
	if t.FailReason == "" {
		return ""
	}
	return ": " + t.FailReason
}

// latestTask is the TaskId that asks DescribeServerManageTask for the
// service's newest task.
const latestTask = 0
