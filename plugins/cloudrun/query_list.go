package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// serviceReads answers the reads of services: list and detail (through the
// service cache), envStatus, and the deploy records and tasks
// (query_deploys.go).
type serviceReads struct {
	cfg    *config.Config // CacheTTL
	client tcbr.Client
	cache  *serviceCache
}

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

type listResult struct {
	EnvID      string           `json:"envId"`
	Services   []serviceSummary `json:"services"`
	Total      int64            `json:"total"`
	PageNum    int              `json:"pageNum"`
	PageSize   int              `json:"pageSize"`
	TotalPages int64            `json:"totalPages"`
	HasMore    bool             `json:"hasMore"`
	FromCache  bool             `json:"fromCache"`
	NextStep   *NextStep        `json:"nextStep,omitempty"`
}

// upstreamMaxPageSize is DescribeCloudRunServers' limit; larger pages are
// assembled from several upstream pages.
const upstreamMaxPageSize = 30

func (sr *serviceReads) list(ctx context.Context, envID string, a *QueryArgs) (any, error) {
	pageSize, pageNum := 10, 1
	if a.PageSize != nil {
		pageSize = *a.PageSize
	}
	if a.PageNum != nil {
		pageNum = *a.PageNum
	}
	key := sr.cache.key(ctx, envID, "list", fmt.Sprint(pageSize), fmt.Sprint(pageNum), a.ServerType, a.ServerName)
	page, outcome, err := sr.cache.lists.GetOrLoad(ctx, key, sr.cfg.CacheTTL.List, a.Refresh,
		func(ctx context.Context) (*listPage, bool, error) {
			pg, err := sr.fetchList(ctx, envID, pageSize, pageNum, a.ServerName, a.ServerType)
			return pg, true, err
		})
	if err != nil {
		return nil, upstreamFailure("list services", err, "")
	}
	totalPages := (page.Total + int64(pageSize) - 1) / int64(pageSize)
	out := &listResult{EnvID: envID, Services: page.Services, Total: page.Total, PageNum: pageNum, PageSize: pageSize,
		TotalPages: totalPages, HasMore: int64(pageNum) < totalPages, FromCache: outcome == cache.Hit}
	if page.Total == 0 && a.ServerName == "" && a.ServerType == "" {
		out.NextStep = queryStep("envStatus", "an empty list can also mean CloudRun is not opened on this env", Args{})
	}
	return out, nil
}

func (sr *serviceReads) fetchList(ctx context.Context, envID string, pageSize, pageNum int, name, typ string) (*listPage, error) {
	call := func(size, num int) (*tcbr.DescribeCloudRunServersResponse, error) {
		return sr.client.DescribeCloudRunServers(ctx, &tcbr.DescribeCloudRunServersRequest{
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
			if i >= skip && len(page.Services) < pageSize {
				page.Services = append(page.Services, summarize(s))
			}
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
	domain := s.DefaultDomainName
	if s.CustomDomainName != "" {
		domain = s.CustomDomainName
	}
	return serviceSummary{
		Name: s.ServerName, Type: s.ServerType, Status: s.Status, UpdateTime: s.UpdateTime,
		AccessTypes: nonNil(s.AccessTypes), Domain: domain,
	}
}

// --- envStatus

type envStatusResult struct {
	EnvID       string    `json:"envId"`
	Opened      bool      `json:"opened"`
	Status      string    `json:"status"`
	PackageType string    `json:"packageType"`
	Region      string    `json:"region,omitempty"`
	VpcID       string    `json:"vpcId,omitempty"`
	Message     string    `json:"message"`
	NextStep    *NextStep `json:"nextStep,omitempty"`
}

func (sr *serviceReads) envStatus(ctx context.Context, envID string, _ *QueryArgs) (any, error) {
	resp, err := sr.client.DescribeEnvBaseInfo(ctx, &tcbr.DescribeEnvBaseInfoRequest{EnvId: envID})
	if err != nil {
		return nil, upstreamFailure("read the env status of "+envID, err, "")
	}
	out := &envStatusResult{EnvID: envID, Status: "unopened"}
	if info := resp.EnvBaseInfo; resp.IsExist && info != nil {
		out.Opened, out.Status = true, strings.ToLower(strings.TrimSpace(info.Status))
		if out.Status == "" {
			out.Status = "unknown"
		}
		out.PackageType, out.Region, out.VpcID = info.PackageType, info.Region, info.VpcId
	}
	switch out.Status {
	case "unopened":
		out.Message = "CloudRun is not opened on this env; services cannot be created until it is."
		out.NextStep = manageStep("initEnv", "open CloudRun on the env", Args{EnvID: envID})
	case "creating":
		out.Message = "CloudRun is being opened on this env; it takes a few seconds to a minute."
		out.NextStep = queryStep("envStatus", "check again until status is normal", Args{EnvID: envID})
	case "normal":
		out.Message = "CloudRun is opened and ready."
	default:
		out.Message = fmt.Sprintf("CloudRun reports status %q on this env; check it in the console if deploys fail.", out.Status)
	}
	return out, nil
}
