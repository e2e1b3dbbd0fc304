package emulator

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Read-only tcbr actions (spec §5). Handlers run under the state lock after
// settle(c.now).

// needEnv answers ResourceNotFound for an unknown env.
func (c *call) needEnv(id string) (*env, *apiError) {
	if en := c.st.env(id); en != nil {
		return en, nil
	}
	return nil, newAPIError("ResourceNotFound", "The environment `"+id+"` does not exist.")
}

// needService answers ResourceNotFound.ServerNotFound (or the observed
// InvalidParameter "service data illegal" variant) for an unknown service.
func (c *call) needService(envID, name string) (*env, *service, *apiError) {
	en, aerr := c.needEnv(envID)
	if aerr != nil {
		return nil, nil, aerr
	}
	if s := en.service(name); s != nil {
		return en, s, nil
	}
	if c.st.flags.ServiceDataIllegal {
		return nil, nil, newAPIError("InvalidParameter", "service data illegal")
	}
	return nil, nil, newAPIError("ResourceNotFound.ServerNotFound",
		"The service `"+name+"` does not exist in environment `"+envID+"`.")
}

func describeCloudRunServers(c *call) (any, *apiError) {
	var req tcbr.DescribeCloudRunServersRequest
	if aerr := cmp.Or(c.require("EnvId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	if req.ServerType != "" && req.ServerType != typeFunction && req.ServerType != typeContainer {
		return nil, newAPIError("InvalidParameterValue", "The value of `ServerType` must be `function` or `container`.")
	}
	resp := tcbr.DescribeCloudRunServersResponse{ServerList: []tcbr.ServerBaseInfo{}, Meta: c.meta()}
	if en.cloudRun == nil {
		return resp, nil
	}
	var matches []*service
	for _, s := range en.services {
		if serverMatches(&req, s) {
			matches = append(matches, s)
		}
	}
	// Newest service first; the slice is in creation order, so reverse is the tie-break.
	slices.Reverse(matches)
	slices.SortStableFunc(matches, func(a, b *service) int { return b.Created.Compare(a.Created) })
	resp.Total = int64(len(matches))
	from, to := serverPage(req.PageNum, req.PageSize, int64(len(matches)))
	for _, s := range matches[from:to] {
		resp.ServerList = append(resp.ServerList, c.st.serverBaseInfo(s, c.now))
	}
	return resp, nil
}

// serverMatches applies DescribeCloudRunServers' filters: a name part
// (any case), the exact type, the exact VPC.
func serverMatches(req *tcbr.DescribeCloudRunServersRequest, s *service) bool {
	switch {
	case req.ServerName != "" && !strings.Contains(strings.ToLower(s.Name), strings.ToLower(req.ServerName)):
		return false
	case req.ServerType != "" && s.Type != req.ServerType:
		return false
	case req.VpcId != "" && (s.Config.VpcConf == nil || s.Config.VpcConf.VpcId != req.VpcId):
		return false
	}
	return true
}

// serverPage is the [from, to) slice of n matches that page num (from 1,
// default 1) of size (default 9, at most 30) shows.
func serverPage(num, size, n int64) (from, to int64) {
	if size <= 0 {
		size = 9
	}
	size = min(size, 30)
	if num <= 0 {
		num = 1
	}
	from = min((num-1)*size, n)
	return from, min(from+size, n)
}

func describeCloudRunServerDetail(c *call) (any, *apiError) {
	var req tcbr.DescribeCloudRunServerDetailRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	info, cfg := c.st.serverBaseInfo(s, c.now), c.st.serverConfig(s)
	return tcbr.DescribeCloudRunServerDetailResponse{
		BaseInfo: &info, ServerConfig: &cfg, OnlineVersionInfos: onlineVersions(s), Meta: c.meta(),
	}, nil
}

func describeCloudRunDeployRecord(c *call) (any, *apiError) {
	var req tcbr.DescribeCloudRunDeployRecordRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	return tcbr.DescribeCloudRunDeployRecordResponse{DeployRecords: c.st.deployRecords(s, c.now), Meta: c.meta()}, nil
}

// msgCoding is what accounts without a CODING user get from the build log.
const msgCoding = "User not created or may not qcloud user, please login CODING and try again."

func describeCloudRunBuildLog(c *call) (any, *apiError) {
	var req tcbr.DescribeCloudRunBuildLogRequest
	if aerr := cmp.Or(c.require("EnvId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	var candidates []*service
	if req.ServerName != "" {
		_, s, aerr := c.needService(req.EnvId, req.ServerName)
		if aerr != nil {
			return nil, aerr
		}
		candidates = []*service{s}
	} else {
		candidates = en.services
	}
	if c.st.flags.CodingBuildLog {
		return nil, newAPIError("FailedOperation", msgCoding)
	}
	if req.BuildId == 0 {
		return nil, newAPIError("ResourceNotFound",
			"BuildId 0 has no build log: the version was deployed from an image or its build has not started.")
	}
	for _, s := range candidates {
		if v := s.versionByBuildID(req.BuildId, c.now); v != nil {
			return tcbr.DescribeCloudRunBuildLogResponse{Log: buildLogView(v, c.now, req.Offset), Meta: c.meta()}, nil
		}
	}
	return nil, newAPIError("ResourceNotFound", "The build `"+strconv.FormatInt(req.BuildId, 10)+"` does not exist.")
}

func describeCloudRunProcessLog(c *call) (any, *apiError) {
	var req tcbr.DescribeCloudRunProcessLogRequest
	if aerr := cmp.Or(c.require("EnvId", "RunId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	s, v := en.versionByRunID(req.RunId)
	if v == nil {
		return nil, newAPIError("InvalidParameter", "The RunId `"+req.RunId+"` does not exist in environment `"+req.EnvId+"`.")
	}
	return tcbr.DescribeCloudRunProcessLogResponse{Logs: processLog(s, v, c.now), Meta: c.meta()}, nil
}

func describeServerManageTask(c *call) (any, *apiError) {
	var req tcbr.DescribeServerManageTaskRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "TaskId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	t := s.task(req.TaskId)
	if t == nil {
		return tcbr.DescribeServerManageTaskResponse{IsExist: false, Task: zeroTask(), Meta: c.meta()}, nil
	}
	return tcbr.DescribeServerManageTaskResponse{IsExist: true, Task: c.st.taskInfo(s, t, c.now), Meta: c.meta()}, nil
}

func describeReleaseOrder(c *call) (any, *apiError) {
	var req tcbr.DescribeReleaseOrderRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	resp := tcbr.DescribeReleaseOrderResponse{ReleaseOrderInfo: zeroOrder(),
		LastReleasedSuccessTime: fmtTime(s.lastReleaseOK), Meta: c.meta()}
	if o := s.openOrder(); o != nil && (req.Status == "" || strings.EqualFold(req.Status, o.ReleaseStatus)) {
		resp.IsExist, resp.ReleaseOrderInfo = true, c.st.orderInfo(s, o, c.now)
	}
	return resp, nil
}

func describeEnvBaseInfo(c *call) (any, *apiError) {
	var req tcbr.DescribeEnvBaseInfoRequest
	if aerr := cmp.Or(c.require("EnvId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	info, exists := c.st.envBaseInfo(en, c.now)
	return tcbr.DescribeEnvBaseInfoResponse{EnvBaseInfo: info, IsExist: exists, Meta: c.meta()}, nil
}

func describeCloudRunEnvs(c *call) (any, *apiError) {
	var req tcbr.DescribeCloudRunEnvsRequest
	if aerr := c.decode(&req); aerr != nil {
		return nil, aerr
	}
	resp := tcbr.DescribeCloudRunEnvsResponse{EnvList: []tcbr.EnvInfo{}, Meta: c.meta()}
	for _, en := range c.st.envs {
		if req.EnvId == "" || req.EnvId == en.ID {
			resp.EnvList = append(resp.EnvList, c.st.envInfo(en))
		}
	}
	return resp, nil
}

func describeVersionDetail(c *call) (any, *apiError) {
	var req describeVersionDetailRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "VersionName"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	v := s.version(req.VersionName)
	if v == nil {
		return nil, newAPIError("ResourceNotFound.VersionNotFound",
			"The version `"+req.VersionName+"` of service `"+s.Name+"` does not exist.")
	}
	resp := c.st.versionDetail(v, c.now)
	resp.Meta = c.meta()
	return resp, nil
}
