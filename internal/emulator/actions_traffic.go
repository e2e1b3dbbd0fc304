package emulator

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Traffic writes (spec §5.11, §5.12, §5.16, §9.4): ReleaseGray,
// OperateServerManage and SubmitServerRollback.

// msgNoOrder answers ReleaseGray without an open release order.
const msgNoOrder = "不存在灰度中的版本或灰度版本部署未完成 (no open gray release order)"

func releaseGray(c *call) (any, *apiError) {
	var req tcbr.ReleaseGrayRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "GrayType", "TrafficType"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	if !strings.EqualFold(req.GrayType, "gray") {
		return nil, newAPIError("InvalidParameter", "The value of `GrayType` must be `gray`; got `"+req.GrayType+"`.")
	}
	switch req.TrafficType {
	case "FLOW":
	case "URL_PARAMS", "HEADERS":
		return nil, newAPIError("UnsupportedOperation", "the emulator only implements TrafficType FLOW")
	default:
		return nil, newAPIError("InvalidParameter", "The value of `TrafficType` must be FLOW, URL_PARAMS or HEADERS; got `"+req.TrafficType+"`.")
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	o := s.openOrder()
	if o == nil {
		return nil, newAPIError("ResourceUnavailable", msgNoOrder)
	}
	stable, candidate, aerr := grayRatios(o, req)
	if aerr != nil {
		return nil, aerr
	}
	if req.CloseGrayRelease {
		if candidate != 100 {
			return nil, newAPIError("InvalidParameter", fmt.Sprintf(
				"CloseGrayRelease needs the release version %s at 100; got %d.", o.Release.Name, candidate))
		}
		s.promote(o, c.now)
	} else {
		s.grayTraffic(o, stable, candidate, c.now)
	}
	return tcbr.ReleaseGrayResponse{Meta: c.meta()}, nil
}

// grayRatios reads the stable and candidate percentages of a ReleaseGray:
// from VersionFlowItems (names must be the order's versions, ratios 0..100,
// sum 100), else from GrayFlowRatio.
func grayRatios(o *releaseOrder, req tcbr.ReleaseGrayRequest) (stable, candidate int, aerr *apiError) {
	inRange := func(what string, r int64) *apiError {
		if r < 0 || r > 100 {
			return newAPIError("InvalidParameter", fmt.Sprintf("%s must be within 0..100; got %d.", what, r))
		}
		return nil
	}
	if len(req.VersionFlowItems) == 0 {
		if req.GrayFlowRatio == nil {
			return 0, 0, missingParam("VersionFlowItems")
		}
		if aerr := inRange("GrayFlowRatio", *req.GrayFlowRatio); aerr != nil {
			return 0, 0, aerr
		}
		return 100 - int(*req.GrayFlowRatio), int(*req.GrayFlowRatio), nil
	}
	names := o.Release.Name
	if o.Current != nil {
		names = o.Current.Name + ", " + names
	}
	seen, sum := map[string]bool{}, int64(0)
	for i, it := range req.VersionFlowItems {
		where := "VersionFlowItems." + strconv.Itoa(i)
		if it.VersionName == "" {
			return 0, 0, missingParam(where + ".VersionName")
		}
		if aerr := inRange(where+".FlowRatio", it.FlowRatio); aerr != nil {
			return 0, 0, aerr
		}
		if seen[it.VersionName] {
			return 0, 0, newAPIError("InvalidParameter", "The version `"+it.VersionName+"` is listed twice in VersionFlowItems.")
		}
		seen[it.VersionName] = true
		switch {
		case it.VersionName == o.Release.Name:
			candidate = int(it.FlowRatio)
		case o.Current != nil && it.VersionName == o.Current.Name:
			stable = int(it.FlowRatio)
		default:
			return 0, 0, newAPIError("InvalidParameter", "The version `"+it.VersionName+
				"` is not part of the open release order (versions: "+names+").")
		}
		sum += it.FlowRatio
	}
	if sum != 100 {
		return 0, 0, newAPIError("InvalidParameter", fmt.Sprintf("The FlowRatio of VersionFlowItems must add up to 100; got %d.", sum))
	}
	return stable, candidate, nil
}

func operateServerManage(c *call) (any, *apiError) {
	var req tcbr.OperateServerManageRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "TaskId", "OperateType"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	switch req.OperateType {
	case "cancel", "go_back", "done":
	default:
		return nil, newAPIError("InvalidParameter", "The value of `OperateType` must be cancel, go_back or done; got `"+req.OperateType+"`.")
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	t := s.task(req.TaskId)
	if t == nil {
		return nil, newAPIError("InvalidParameter", fmt.Sprintf("The task `%d` does not exist for service `%s`.", req.TaskId, s.Name))
	}
	id := strconv.FormatInt(t.ID, 10)
	o := s.openOrder()
	grayOpen := o != nil && s.orderTask(o) == t
	switch req.OperateType {
	case "cancel":
		if !t.cancellable(c.now) {
			if grayOpen {
				return nil, newAPIError("InvalidParameter", "Task "+id+" has already released its version to a gray order; use go_back or done.")
			}
			return nil, newAPIError("InvalidParameter", "Task "+id+" is "+t.status(c.now)+" and can no longer be cancelled.")
		}
		s.cancel(t, c.now)
	case "done":
		if !grayOpen {
			return nil, newAPIError("InvalidParameter", "Task "+id+" has no open gray release order to finish.")
		}
		s.promote(o, c.now)
	case "go_back":
		if grayOpen {
			s.abandon(o, c.now)
			break
		}
		if aerr := c.goBack(s, t); aerr != nil {
			return nil, aerr
		}
	}
	return tcbr.OperateServerManageResponse{Meta: c.meta()}, nil
}

// goBack rolls a finished task back: a Rollback task moves the traffic to
// the task's PreVersionName.
func (c *call) goBack(s *service, t *task) *apiError {
	id := strconv.FormatInt(t.ID, 10)
	switch st := t.status(c.now); {
	case st == "running" || st == "todo":
		return newAPIError("InvalidParameter", "Task "+id+" is still running; cancel it instead.")
	case st != "finished":
		return newAPIError("InvalidParameter", "Task "+id+" is "+st+"; it never moved traffic, so there is nothing to go back from.")
	case t != s.latestTask():
		return newAPIError("InvalidParameter", "Only the latest task of the service can be rolled back; task "+id+" is not.")
	}
	prev := s.version(t.PreVersionName)
	switch {
	case prev == nil || prev.status(c.now) != "normal":
		return newAPIError("InvalidParameter", "Task "+id+" has no previous version in service to go back to.")
	case prev.FlowRatio == 100:
		return newAPIError("InvalidParameter", "The version `"+prev.Name+"` already serves all traffic.")
	}
	if aerr := c.needIdle(s); aerr != nil {
		return aerr
	}
	c.st.startTraffic(s, prev, "Rollback", "", c.now)
	return nil
}

func submitServerRollback(c *call) (any, *apiError) {
	var req submitServerRollbackRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "CurrentVersionName", "RollbackVersionName"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.needIdle(s); aerr != nil {
		return nil, aerr
	}
	cur := s.stable()
	if cur == nil || cur.Name != req.CurrentVersionName {
		serving := "none"
		if cur != nil {
			serving = cur.Name
		}
		return nil, newAPIError("InvalidParameter", "`CurrentVersionName` "+req.CurrentVersionName+
			" is not the version serving traffic ("+serving+").")
	}
	target := s.version(req.RollbackVersionName)
	switch {
	case target == nil:
		return nil, newAPIError("InvalidParameter", "The version `"+req.RollbackVersionName+"` does not exist.")
	case target == cur:
		return nil, newAPIError("InvalidParameter", "`RollbackVersionName` is the version already serving traffic.")
	case target.status(c.now) != "normal":
		return nil, newAPIError("InvalidParameter", "The version `"+target.Name+"` is "+target.status(c.now)+" and cannot take traffic.")
	}
	t := c.st.startTraffic(s, target, "Rollback", req.OperatorRemark, c.now)
	return submitServerRollbackResponse{TaskId: t.ID, Meta: c.meta()}, nil
}
