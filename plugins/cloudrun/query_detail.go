package cloudrun

import (
	"context"
	"sort"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
)

// detailData is what detail caches: the service and its newest deploy record.
type detailData struct {
	Detail     *tcbr.DescribeCloudRunServerDetailResponse
	Latest     *tcbr.DeployRecord
	RecordsErr string
}

// Deploy record and service statuses, compared case-insensitively. Both the
// current (normal) and legacy (running) vocabularies are accepted.
func inProgress(status string) bool {
	switch strings.ToLower(status) {
	case "building", "creating", "deploying", "pending", "queuing", "deleting":
		return true
	}
	return false
}

func failed(status string) bool {
	s := strings.ToLower(status)
	return strings.HasSuffix(s, "_failed") || s == "failed" || s == "abnormal"
}

type detailResult struct {
	EnvID                string            `json:"envId"`
	Service              serviceView       `json:"service"`
	FromCache            bool              `json:"fromCache"`
	LatestDeploy         *deployRecordView `json:"latestDeploy,omitempty"`
	NextStep             *NextStep         `json:"nextStep,omitempty"`
	DeployRecordsWarning string            `json:"deployRecordsWarning,omitempty"`
}

func (sr *serviceReads) detail(ctx context.Context, envID string, a *QueryArgs) (any, error) {
	name := a.service()
	d, outcome, err := sr.cache.details.GetOrLoad(ctx, sr.cache.key(ctx, envID, "detail", name), sr.cfg.CacheTTL.Detail, a.Refresh,
		func(ctx context.Context) (*detailData, bool, error) {
			d, err := fetchDetail(ctx, sr.client, envID, name)
			if err != nil {
				return nil, false, err
			}
			// Never cache while a deploy is moving: the agent is polling it.
			busy := (d.Latest != nil && inProgress(d.Latest.Status)) ||
				(d.Detail.BaseInfo != nil && inProgress(d.Detail.BaseInfo.Status))
			return d, !busy, nil
		})
	if err != nil {
		return nil, upstreamFailure("read service "+name, err, name)
	}
	out := &detailResult{EnvID: envID, Service: viewService(name, d.Detail, a.RevealEnvParams), FromCache: outcome == cache.Hit}
	if d.Latest != nil {
		v := viewRecord(*d.Latest)
		out.LatestDeploy = &v
		out.NextStep = deployFollowUp(name, *d.Latest)
	}
	if d.RecordsErr != "" {
		out.DeployRecordsWarning = "could not read deploy records: " + d.RecordsErr
	}
	return out, nil
}

// fetchDetail reads a service and, best effort, its newest deploy record.
func fetchDetail(ctx context.Context, client tcbr.Client, envID, name string) (*detailData, error) {
	resp, err := client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: name})
	if err != nil {
		return nil, err
	}
	d := &detailData{Detail: resp}
	recs, err := readRecords(ctx, client, envID, name)
	if err != nil {
		// The service itself was read; records are a best-effort extra.
		d.RecordsErr = err.Error()
		return d, nil
	}
	if len(recs) > 0 {
		d.Latest = &recs[0]
	}
	return d, nil
}

// readRecords reads a service's deploy records, newest first.
func readRecords(ctx context.Context, client tcbr.Client, envID, svc string) ([]tcbr.DeployRecord, error) {
	resp, err := client.DescribeCloudRunDeployRecord(ctx, &tcbr.DescribeCloudRunDeployRecordRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return nil, err
	}
	return newestFirst(resp.DeployRecords), nil
}

// newestFirst sorts records by DeployTime, newest first (stable for ties).
func newestFirst(recs []tcbr.DeployRecord) []tcbr.DeployRecord {
	out := append([]tcbr.DeployRecord(nil), recs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].DeployTime > out[j].DeployTime })
	return out
}

// --- views

type onlineVersion struct {
	Version   string `json:"version"`
	FlowRatio int64  `json:"flowRatio"`
	ImageURL  string `json:"imageUrl"`
}

// serviceView is a service as detail shows it; the base fields are there
// when the platform returned them.
type serviceView struct {
	Name string `json:"name"`
	*ServiceBase
	OnlineVersions []onlineVersion `json:"onlineVersions"`
	// Config is keyed as serverConfig takes it: any value copies back.
	Config          map[string]any `json:"config,omitempty"`
	EnvParamsMasked bool           `json:"envParamsMasked,omitempty"`
}

type ServiceBase struct {
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	Domain      string   `json:"domain"`
	CreateTime  string   `json:"createTime"`
	UpdateTime  string   `json:"updateTime"`
	AccessTypes []string `json:"accessTypes"`
}

func viewService(name string, d *tcbr.DescribeCloudRunServerDetailResponse, reveal bool) serviceView {
	v := serviceView{Name: name, OnlineVersions: []onlineVersion{}}
	if b := d.BaseInfo; b != nil {
		domain := b.DefaultDomainName
		if b.CustomDomainName != "" {
			domain = b.CustomDomainName
		}
		v.ServiceBase = &ServiceBase{Type: b.ServerType, Status: b.Status, Domain: domain,
			CreateTime: b.CreateTime, UpdateTime: b.UpdateTime, AccessTypes: nonNil(b.AccessTypes)}
	}
	for _, ov := range d.OnlineVersionInfos {
		v.OnlineVersions = append(v.OnlineVersions, onlineVersion{Version: ov.VersionName, FlowRatio: ov.FlowRatio.Int(), ImageURL: ov.ImageUrl})
	}
	if c := d.ServerConfig; c != nil {
		v.Config = serverconfig.View(c, reveal)
		v.EnvParamsMasked = !reveal && strings.TrimSpace(c.EnvParams) != ""
	}
	return v
}

type deployRecordView struct {
	Version    string `json:"version"`
	Status     string `json:"status"`
	BuildID    int64  `json:"buildId"`
	RunID      string `json:"runId"`
	FlowRatio  int64  `json:"flowRatio"`
	DeployTime string `json:"deployTime"`
	ImageURL   string `json:"imageUrl"`
}

func viewRecord(r tcbr.DeployRecord) deployRecordView {
	img := ""
	if r.ImageUrl != nil {
		img = *r.ImageUrl
	}
	return deployRecordView{
		Version: r.DeployId, Status: r.Status, BuildID: r.BuildId, RunID: r.RunId,
		FlowRatio: int64(r.FlowRatio), DeployTime: r.DeployTime, ImageURL: img,
	}
}

// deployFollowUp is the call an agent should make after seeing a record.
func deployFollowUp(svc string, r tcbr.DeployRecord) *NextStep {
	s := strings.ToLower(r.Status)
	switch {
	case s == "building" && r.BuildId > 0:
		return queryStep("getDeployLog", "the build is running; follow its log", Args{DetailServerName: svc, BuildID: r.BuildId, FromLine: 1})
	case s == "build_failed" && r.BuildId > 0:
		return queryStep("getDeployLog", "the build failed; its log says why", Args{DetailServerName: svc, BuildID: r.BuildId})
	case inProgress(s) && r.RunId != "":
		return queryStep("getProcessLog", "the version is starting; follow its process log", Args{DetailServerName: svc, RunID: r.RunId, FromLine: 1})
	case failed(s) && r.RunId != "":
		return queryStep("getProcessLog", "the version failed to start; its process log says why", Args{DetailServerName: svc, RunID: r.RunId})
	case inProgress(s):
		return queryStep("getDeployRecords", "the deploy is registering; check again in a few seconds", Args{DetailServerName: svc})
	}
	return nil
}
