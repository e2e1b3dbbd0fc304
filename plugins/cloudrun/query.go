package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

func (p *Plugin) handleQuery(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, bad := bind[QueryArgs](req)
	if bad != nil {
		return bad, nil
	}
	switch args.Action {
	case "templates":
		return p.queryTemplates(ctx, args), nil
	case "localRuns":
		return p.queryLocalRuns(), nil
	case "detail", "getDeployLog", "getProcessLog", "getDeployRecords", "getManageTask":
		// Checked before credentials: a bad name is the caller's to fix first.
		if bad := checkServerName("detailServerName", args.service()); bad != nil {
			return bad, nil
		}
	}
	envID, bad := p.ready(ctx, args.EnvID)
	if bad != nil {
		return bad, nil
	}
	switch args.Action {
	case "list":
		return p.queryList(ctx, envID, args), nil
	case "detail":
		return p.queryDetail(ctx, envID, args), nil
	case "getDeployLog":
		return p.queryDeployLog(ctx, envID, args), nil
	case "getProcessLog":
		return p.queryProcessLog(ctx, envID, args), nil
	case "getDeployRecords":
		return p.queryDeployRecords(ctx, envID, args), nil
	case "envStatus":
		return p.queryEnvStatus(ctx, envID), nil
	case "getManageTask":
		return p.queryManageTask(ctx, envID, args), nil
	}
	return invalid("unknown action "+args.Action, "Use one of: "+strings.Join(QueryActions, ", ")), nil
}

// --- list

type serviceSummary struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	UpdateTime  string   `json:"updateTime"`
	AccessTypes []string `json:"accessTypes"`
	Domain      string   `json:"domain"`
}

type listPage struct {
	Services []serviceSummary
	Total    int64
}

// upstreamMaxPageSize is DescribeCloudRunServers' limit; larger pages are
// assembled from several upstream pages.
const upstreamMaxPageSize = 30

func (p *Plugin) queryList(ctx context.Context, envID string, a *QueryArgs) *mcp.CallToolResult {
	pageSize, pageNum := 10, 1
	if a.PageSize != nil {
		pageSize = *a.PageSize
	}
	if a.PageNum != nil {
		pageNum = *a.PageNum
	}
	key := p.cacheKey(envID, "list", fmt.Sprint(pageSize), fmt.Sprint(pageNum), a.ServerType, a.ServerName)
	page, outcome, err := p.lists.GetOrLoad(ctx, key, p.cfg.CacheTTL.List, a.Refresh,
		func(ctx context.Context) (*listPage, bool, error) {
			pg, err := p.fetchList(ctx, envID, pageSize, pageNum, a.ServerName, a.ServerType)
			return pg, true, err
		})
	if err != nil {
		return upstreamFailure("list services", err, "")
	}
	totalPages := (page.Total + int64(pageSize) - 1) / int64(pageSize)
	out := map[string]any{
		"envId":      envID,
		"services":   page.Services,
		"total":      page.Total,
		"pageNum":    pageNum,
		"pageSize":   pageSize,
		"totalPages": totalPages,
		"hasMore":    int64(pageNum) < totalPages,
		"fromCache":  outcome == cache.Hit,
	}
	if page.Total == 0 && a.ServerName == "" && a.ServerType == "" {
		out["nextStep"] = queryNext("envStatus", nil, "an empty list can also mean CloudRun is not opened on this env")
	}
	return success(out)
}

func (p *Plugin) fetchList(ctx context.Context, envID string, pageSize, pageNum int, name, typ string) (*listPage, error) {
	call := func(size, num int) (*tcbr.DescribeCloudRunServersResponse, error) {
		return p.client.DescribeCloudRunServers(ctx, &tcbr.DescribeCloudRunServersRequest{
			EnvId: envID, PageSize: int64(size), PageNum: int64(num), ServerName: name, ServerType: typ,
		})
	}
	page := &listPage{Services: []serviceSummary{}}
	if pageSize <= upstreamMaxPageSize {
		resp, err := call(pageSize, pageNum)
		if err != nil {
			return nil, err
		}
		page.Total = resp.Total
		for _, s := range resp.ServerList {
			page.Services = append(page.Services, summarize(s))
		}
		return page, nil
	}
	// Assemble [start, start+pageSize) from upstream pages of 30.
	start := (pageNum - 1) * pageSize
	upNum := start/upstreamMaxPageSize + 1
	skip := start % upstreamMaxPageSize
	for len(page.Services) < pageSize {
		resp, err := call(upstreamMaxPageSize, upNum)
		if err != nil {
			return nil, err
		}
		page.Total = resp.Total
		for i, s := range resp.ServerList {
			if i < skip || len(page.Services) >= pageSize {
				continue
			}
			page.Services = append(page.Services, summarize(s))
		}
		skip = 0
		if len(resp.ServerList) < upstreamMaxPageSize || int64(upNum*upstreamMaxPageSize) >= resp.Total {
			break
		}
		upNum++
	}
	return page, nil
}

func summarize(s tcbr.ServerBaseInfo) serviceSummary {
	access := s.AccessTypes
	if access == nil {
		access = []string{}
	}
	domain := s.DefaultDomainName
	if s.CustomDomainName != "" {
		domain = s.CustomDomainName
	}
	return serviceSummary{
		Name: s.ServerName, Type: s.ServerType, Status: s.Status, UpdateTime: s.UpdateTime,
		AccessTypes: access, Domain: domain,
	}
}

// --- env status

func (p *Plugin) queryEnvStatus(ctx context.Context, envID string) *mcp.CallToolResult {
	resp, err := p.client.DescribeEnvBaseInfo(ctx, &tcbr.DescribeEnvBaseInfoRequest{EnvId: envID})
	if err != nil {
		return upstreamFailure("read the env status of "+envID, err, "")
	}
	out := map[string]any{"envId": envID, "opened": false, "status": "unopened", "packageType": ""}
	info := resp.EnvBaseInfo
	if resp.IsExist && info != nil {
		status := strings.ToLower(strings.TrimSpace(info.Status))
		if status == "" {
			status = "unknown"
		}
		out["opened"] = true
		out["status"] = status
		out["packageType"] = info.PackageType
		out["region"] = info.Region
		if info.VpcId != "" {
			out["vpcId"] = info.VpcId
		}
	}
	switch out["status"] {
	case "unopened":
		out["message"] = "CloudRun is not opened on this env; services cannot be created until it is."
		out["nextStep"] = manageNext("initEnv", map[string]any{"envId": envID}, "open CloudRun on the env")
	case "creating":
		out["message"] = "CloudRun is being opened on this env; it takes a few seconds to a minute."
		out["nextStep"] = queryNext("envStatus", map[string]any{"envId": envID}, "check again until status is normal")
	case "normal":
		out["message"] = "CloudRun is opened and ready."
	default:
		out["message"] = fmt.Sprintf("CloudRun reports status %q on this env; check it in the console if deploys fail.", out["status"])
	}
	return success(out)
}
