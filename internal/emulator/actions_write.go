package emulator

import (
	"cmp"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Write tcbr actions. Deploy/traffic actions build on startDeploy, settle
// and setTraffic in state.go.

// msgTaskRunning is the real message for a write refused while a deploy or
// release is in flight.
const msgTaskRunning = "已有部署发布任务运行中"

func deleteCloudRunServer(c *call) (any, *apiError) {
	var req tcbr.DeleteCloudRunServerRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	if s.deletingSince.IsZero() {
		if s.busy(c.now) {
			return nil, newAPIError("ResourceInUse", msgTaskRunning)
		}
		s.deletingSince = c.now
		s.touch(c.now)
	}
	return tcbr.DeleteCloudRunServerResponse{Result: "success", Meta: c.meta()}, nil
}
