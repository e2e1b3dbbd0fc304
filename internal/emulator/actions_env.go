package emulator

import (
	"cmp"
	"slices"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// envOpenDuration is how long CloudRun stays "creating" after
// CreateCloudRunEnv (spec §9.3).
const envOpenDuration = 5 * time.Second

// createCloudRunEnv opens CloudRun on an existing env (spec §5.14). A repeat
// with the same non-empty ReqKey answers the first call's result again.
func createCloudRunEnv(c *call) (any, *apiError) {
	var req tcbr.CreateCloudRunEnvRequest
	if aerr := cmp.Or(c.require("PackageType", "EnvId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	if _, ok := serviceLimits[req.PackageType]; !ok {
		return nil, newAPIError("InvalidParameter",
			"The value of `PackageType` must be Trial, Standard, Professional or Enterprise; got `"+req.PackageType+"`.")
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	if cr := en.cloudRun; cr != nil {
		if req.ReqKey != "" && req.ReqKey == cr.reqKey {
			return tcbr.CreateCloudRunEnvResponse{EnvId: en.ID, TranId: cr.tranID, Meta: c.meta()}, nil
		}
		return nil, newAPIError("ResourceInUse", "云托管已开通（环境 "+en.ID+"），无需重复开通。")
	}
	cr := &cloudRun{
		PackageType: req.PackageType, EnvType: cmp.Or(req.EnvType, "baas"), VpcID: req.VpcId,
		SubnetIDs: slices.Clone(req.SubNetIds), OpenedAt: c.now, ReadyAt: c.now.Add(envOpenDuration),
		reqKey: req.ReqKey,
	}
	if cr.SubnetIDs == nil {
		cr.SubnetIDs = []string{}
	}
	if req.PackageType != "Trial" {
		cr.tranID = c.now.In(cst).Format("20060102") + c.st.ids.digits(12)
	}
	en.cloudRun = cr
	return tcbr.CreateCloudRunEnvResponse{EnvId: en.ID, TranId: cr.tranID, Meta: c.meta()}, nil
}
