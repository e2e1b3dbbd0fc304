package cloudrun

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
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

func (p *Plugin) queryDetail(ctx context.Context, envID string, a *QueryArgs) *mcp.CallToolResult {
	name := a.service()
	d, outcome, err := p.details.GetOrLoad(ctx, p.cacheKey(envID, "detail", name), p.cfg.CacheTTL.Detail, a.Refresh,
		func(ctx context.Context) (*detailData, bool, error) {
			d, err := p.fetchDetail(ctx, envID, name)
			if err != nil {
				return nil, false, err
			}
			// Never cache while a deploy is moving: the agent is polling it.
			busy := (d.Latest != nil && inProgress(d.Latest.Status)) ||
				(d.Detail.BaseInfo != nil && inProgress(d.Detail.BaseInfo.Status))
			return d, !busy, nil
		})
	if err != nil {
		return upstreamFailure("read service "+name, err, name)
	}
	out := map[string]any{
		"envId":     envID,
		"service":   serviceView(name, d.Detail, a.RevealEnvParams),
		"fromCache": outcome == cache.Hit,
	}
	if d.Latest != nil {
		out["latestDeploy"] = deployView(*d.Latest)
		if ns := deployFollowUp(name, *d.Latest); ns != nil {
			out["nextStep"] = ns
		}
	} else {
		out["latestDeploy"] = nil
	}
	if d.RecordsErr != "" {
		out["deployRecordsWarning"] = "could not read deploy records: " + d.RecordsErr
	}
	return success(out)
}

func (p *Plugin) fetchDetail(ctx context.Context, envID, name string) (*detailData, error) {
	resp, err := p.client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: name})
	if err != nil {
		return nil, err
	}
	d := &detailData{Detail: resp}
	recs, err := p.client.DescribeCloudRunDeployRecord(ctx, &tcbr.DescribeCloudRunDeployRecordRequest{EnvId: envID, ServerName: name})
	if err != nil {
		// The service itself was read; records are a best-effort extra.
		d.RecordsErr = err.Error()
		return d, nil
	}
	if sorted := newestFirst(recs.DeployRecords); len(sorted) > 0 {
		d.Latest = &sorted[0]
	}
	return d, nil
}

// newestFirst sorts records by DeployTime, newest first (stable for ties).
func newestFirst(recs []tcbr.DeployRecord) []tcbr.DeployRecord {
	out := append([]tcbr.DeployRecord(nil), recs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].DeployTime > out[j].DeployTime })
	return out
}

type onlineVersion struct {
	Version   string `json:"version"`
	FlowRatio int64  `json:"flowRatio"`
	ImageURL  string `json:"imageUrl"`
}

func serviceView(name string, d *tcbr.DescribeCloudRunServerDetailResponse, reveal bool) map[string]any {
	svc := map[string]any{"name": name}
	if b := d.BaseInfo; b != nil {
		domain := b.DefaultDomainName
		if b.CustomDomainName != "" {
			domain = b.CustomDomainName
		}
		svc["type"] = b.ServerType
		svc["status"] = b.Status
		svc["domain"] = domain
		svc["createTime"] = b.CreateTime
		svc["updateTime"] = b.UpdateTime
		svc["accessTypes"] = nonNil(b.AccessTypes)
	}
	versions := []onlineVersion{}
	for _, v := range d.OnlineVersionInfos {
		versions = append(versions, onlineVersion{Version: v.VersionName, FlowRatio: v.FlowRatio.Int(), ImageURL: v.ImageUrl})
	}
	svc["onlineVersions"] = versions
	if c := d.ServerConfig; c != nil {
		svc["config"] = configView(c, reveal)
	} else {
		svc["config"] = nil
	}
	return svc
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// configView renders the service config with lowerCamelCase keys. EnvParams
// values are masked unless reveal: they often hold database passwords.
func configView(c *tcbr.ServerBaseConfig, reveal bool) map[string]any {
	out := map[string]any{
		"openAccessTypes":     nonNil(c.OpenAccessTypes),
		"cpu":                 c.Cpu,
		"mem":                 c.Mem,
		"minNum":              int64(c.MinNum),
		"maxNum":              int64(c.MaxNum),
		"port":                int64(c.Port),
		"envParams":           maskEnvParams(c.EnvParams, reveal),
		"envParamsMasked":     !reveal && c.EnvParams != "",
		"customLogs":          c.CustomLogs,
		"initialDelaySeconds": int64(c.InitialDelaySeconds),
		"hasDockerfile":       c.HasDockerfile,
		"dockerfile":          c.Dockerfile,
		"buildDir":            c.BuildDir,
		"logType":             c.LogType,
		"tag":                 c.Tag,
		"internalAccess":      c.InternalAccess,
		"internalDomain":      c.InternalDomain,
		"operationMode":       c.OperationMode,
		"entryPoint":          nonNil(c.EntryPoint),
		"cmd":                 nonNil(c.Cmd),
		"policyDetails":       policyView(c.PolicyDetails),
	}
	if c.VpcConf != nil && c.VpcConf.VpcId != "" {
		out["vpcConf"] = map[string]any{"vpcId": c.VpcConf.VpcId, "subnetId": c.VpcConf.SubnetId}
	}
	if c.SessionAffinity != nil {
		out["sessionAffinity"] = *c.SessionAffinity
	}
	return out
}

func policyView(ps []tcbr.HpaPolicy) []map[string]any {
	out := []map[string]any{}
	for _, p := range ps {
		out = append(out, map[string]any{"policyType": p.PolicyType, "policyThreshold": int64(p.PolicyThreshold)})
	}
	return out
}

// maskEnvParams parses the EnvParams JSON text into an object, replacing
// every value with *** unless reveal. Text that is not a JSON object is
// masked whole.
func maskEnvParams(raw string, reveal bool) map[string]any {
	out := map[string]any{}
	if strings.TrimSpace(raw) == "" {
		return out
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		if reveal {
			out["_raw"] = raw
		} else {
			out["_raw"] = "***"
		}
		return out
	}
	for k, v := range m {
		if reveal {
			out[k] = v
		} else {
			out[k] = "***"
		}
	}
	return out
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

func deployView(r tcbr.DeployRecord) deployRecordView {
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
		return queryNext("getDeployLog", map[string]any{"detailServerName": svc, "buildId": r.BuildId}, "the build is running; follow its log")
	case s == "build_failed" && r.BuildId > 0:
		return queryNext("getDeployLog", map[string]any{"detailServerName": svc, "buildId": r.BuildId}, "the build failed; its log says why")
	case inProgress(s) && r.RunId != "":
		return queryNext("getProcessLog", map[string]any{"detailServerName": svc, "runId": r.RunId}, "the version is starting; follow its process log")
	case failed(s) && r.RunId != "":
		return queryNext("getProcessLog", map[string]any{"detailServerName": svc, "runId": r.RunId}, "the version failed to start; its process log says why")
	case inProgress(s):
		return queryNext("getDeployRecords", map[string]any{"detailServerName": svc}, "the deploy is registering; check again in a few seconds")
	}
	return nil
}
