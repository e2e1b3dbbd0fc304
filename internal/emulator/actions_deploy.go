package emulator

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Deploy writes (spec §5.3, §5.4, §5.15, §8.2, §9.4): CreateCloudRunServer,
// UpdateCloudRunServer and SubmitServerConfigChangeDiff. They validate, then
// start a deploy through startDeploy; its timeline does the rest.

// serviceLimits is the number of services an env of a CloudRun package may
// hold [ASSUMED beyond Trial].
var serviceLimits = map[string]int{"Trial": 10, "Standard": 30, "Professional": 50, "Enterprise": 100}

const (
	msgNotOpened = "云托管资源未开通"
	msgOpening   = "云托管资源开通中，请稍后再试"
	msgDeleting  = "服务删除中"
)

// needCloudRun refuses writes on an env whose CloudRun is not usable.
func (c *call) needCloudRun(en *env) *apiError {
	switch {
	case en.cloudRun == nil:
		return newAPIError("ResourceNotFound", msgNotOpened)
	case en.cloudRun.status(c.now) != "normal":
		return newAPIError("ResourceUnavailable", msgOpening)
	}
	return nil
}

// checkDeployInfo validates DeployInfo on its own.
func checkDeployInfo(dp tcbr.DeployParam) *apiError {
	switch dp.DeployType {
	case "":
		return missingParam("DeployInfo.DeployType")
	case "package":
		if dp.PackageName == "" {
			return missingParam("DeployInfo.PackageName")
		}
		if dp.PackageVersion == "" {
			return missingParam("DeployInfo.PackageVersion")
		}
	case "image":
		if dp.ImageUrl == "" {
			return missingParam("DeployInfo.ImageUrl")
		}
	case "repository", "pipeline", "jar", "war":
		return newAPIError("UnsupportedOperation",
			"the emulator only implements DeployType `package` and `image`, not `"+dp.DeployType+"`")
	default:
		return newAPIError("InvalidParameter", "The value of `DeployInfo.DeployType` must be one of "+
			"package, image, repository, pipeline, jar, war; got `"+dp.DeployType+"`.")
	}
	if r := dp.ReleaseType; r != "" && r != "FULL" && r != "GRAY" {
		return newAPIError("InvalidParameter", "The value of `DeployInfo.ReleaseType` must be FULL or GRAY; got `"+r+"`.")
	}
	return nil
}

// deploySpecFor turns a validated request into a deploySpec: the package
// build is planned from the uploaded zip, image deploys fail on pull when the
// image reference says so, EMULATOR_FAIL=deploy fails readiness.
func (c *call) deploySpecFor(en *env, serverType string, dp tcbr.DeployParam, cfg tcbr.ServerBaseConfig, changeType string) (deploySpec, *apiError) {
	sp := defaultDeploySpec(dp.DeployType)
	sp.ReleaseType = cmp.Or(dp.ReleaseType, "FULL")
	sp.ChangeType, sp.Config, sp.Remark, sp.BuildPacks = changeType, cfg, dp.DeployRemark, dp.BuildPacks
	if dp.DeployType == "package" {
		pkg := c.st.packageFor(en.ID, dp.PackageName, dp.PackageVersion)
		if pkg == nil {
			return sp, newAPIError("InvalidParameter", fmt.Sprintf(
				"package not found: %s/%s was never uploaded to environment `%s` (get a ticket from DescribeCloudBaseBuildService and PUT the zip first).",
				dp.PackageName, dp.PackageVersion, en.ID))
		}
		plan := planBuild(serverType, cfg, dp.BuildPacks, pkg)
		sp.Package, sp.Plan, sp.Outcome, sp.FailReason, sp.BuildDuration = pkg, plan, plan.outcome, plan.failReason, plan.buildDur
		if plan.buildpacks && sp.BuildPacks == nil {
			sp.BuildPacks = &tcbr.BuildPacksInfo{LanguageVersion: "20.18", RepoLanguage: "Node.js"}
		}
	} else {
		sp.ImageURL = dp.ImageUrl
		switch {
		case imageRefFails(dp.ImageUrl):
			sp.Outcome = "deploy_failed"
		case emulatorFail(cfg.EnvParams, nil) == failDeploy:
			sp.Outcome = "deploy_failed"
		}
	}
	readiness(&sp, cfg)
	return sp, nil
}

// readiness stretches the create phase by InitialDelaySeconds, and to the
// failing-probe window when readiness fails (spec §9.5).
func readiness(sp *deploySpec, cfg tcbr.ServerBaseConfig) {
	delay := time.Duration(cfg.InitialDelaySeconds) * time.Second
	switch {
	case sp.Outcome == "deploy_failed" && !(sp.DeployType == "image" && imageRefFails(sp.ImageURL)):
		sp.CreateDuration = delay + readinessWindow
	case sp.Outcome == "normal":
		sp.CreateDuration += delay
	}
}

// typeFromRequest: Tag `function:` or DeployInfo.BuildPacks make a function
// service, anything else a container.
func typeFromRequest(dp tcbr.DeployParam, items []tcbr.DiffConfigItem) string {
	if dp.BuildPacks != nil || slices.ContainsFunc(items, func(it tcbr.DiffConfigItem) bool {
		return it.Key == "Tag" && it.Value != nil && *it.Value == "function:"
	}) {
		return typeFunction
	}
	return typeContainer
}

func createCloudRunServer(c *call) (any, *apiError) {
	var req tcbr.CreateCloudRunServerRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "DeployInfo"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	if !serverNameRE().MatchString(req.ServerName) {
		return nil, newAPIError("InvalidParameter", "The value of `ServerName` must be 3-45 letters, digits, _ or -, "+
			"starting with a letter; got `"+req.ServerName+"`.")
	}
	if aerr := checkDeployInfo(req.DeployInfo); aerr != nil {
		return nil, aerr
	}
	if req.DeployInfo.ReleaseType == "GRAY" {
		return nil, newAPIError("InvalidParameter",
			"`DeployInfo.ReleaseType` GRAY needs a version already serving traffic; a new service is always released FULL.")
	}
	serverType := typeFromRequest(req.DeployInfo, req.Items)
	cfg, _, aerr := applyItems(defaultConfig(req.EnvId, req.ServerName, serverType), req.Items)
	if aerr != nil {
		return nil, aerr
	}
	if vi := req.VpcInfo; vi != nil {
		vpc, aerr := c.vpcFor(vi)
		if aerr != nil {
			return nil, aerr
		}
		cfg.VpcConf = vpc
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.needCloudRun(en); aerr != nil {
		return nil, aerr
	}
	if en.service(req.ServerName) != nil {
		return nil, newAPIError("ResourceInUse", "The service `"+req.ServerName+"` already exists in environment `"+en.ID+"`.")
	}
	if limit := cmp.Or(serviceLimits[en.cloudRun.PackageType], serviceLimits["Trial"]); len(en.services) >= limit {
		return nil, newAPIError("LimitExceeded", fmt.Sprintf("环境 %s（%s）最多可创建 %d 个服务。", en.ID, en.cloudRun.PackageType, limit))
	}
	sp, aerr := c.deploySpecFor(en, serverType, req.DeployInfo, cfg, "CreateServer")
	if aerr != nil {
		return nil, aerr
	}
	s, err := c.st.newService(en, req.ServerName, serverType, c.now)
	if err != nil {
		return nil, newAPIError("InternalError", "emulator: "+err.Error())
	}
	t, _, err := c.st.startDeploy(s, c.now, sp)
	if err != nil {
		en.services = slices.DeleteFunc(en.services, func(x *service) bool { return x == s })
		return nil, newAPIError("InternalError", "emulator: "+err.Error())
	}
	return tcbr.CreateCloudRunServerResponse{TaskId: t.ID, Meta: c.meta()}, nil
}

// vpcFor attaches a VPC on create: CreateType 2 names an existing one
// (VpcId required), 1 has the platform create one (an id is minted unless
// given, and a subnet unless SubnetIds names one).
func (c *call) vpcFor(vi *tcbr.CreateVpcInfo) (*tcbr.VpcConf, *apiError) {
	vpc := &tcbr.VpcConf{VpcId: vi.VpcId}
	if len(vi.SubnetIds) > 0 {
		vpc.SubnetId = vi.SubnetIds[0]
	}
	switch vi.CreateType {
	case 2:
		if vi.VpcId == "" {
			return nil, missingParam("VpcInfo.VpcId")
		}
	case 1:
		if vpc.VpcId == "" {
			vpc.VpcId = "vpc-" + c.st.ids.lower(8)
		}
		if vpc.SubnetId == "" {
			vpc.SubnetId = "subnet-" + c.st.ids.lower(8)
		}
		vpc.VpcCIDR, vpc.SubnetCIDR = "10.0.0.0/16", "10.0.0.0/24"
	default:
		return nil, newAPIError("InvalidParameter", "The value of `VpcInfo.CreateType` must be 1 (new) or 2 (existing).")
	}
	return vpc, nil
}

// needIdle refuses writes on a service that is being deleted or busy.
func (c *call) needIdle(s *service) *apiError {
	switch {
	case !s.deletingSince.IsZero():
		return newAPIError("ResourceInUse", msgDeleting)
	case s.busy(c.now):
		return newAPIError("ResourceInUse", msgTaskRunning)
	}
	return nil
}

func updateCloudRunServer(c *call) (any, *apiError) {
	var req tcbr.UpdateCloudRunServerRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "DeployInfo"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	if aerr := checkDeployInfo(req.DeployInfo); aerr != nil {
		return nil, aerr
	}
	en, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	cfg, _, aerr := applyItems(s.Config, req.Items)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.needIdle(s); aerr != nil {
		return nil, aerr
	}
	if req.DeployInfo.ReleaseType == "GRAY" && s.stable() == nil {
		return nil, newAPIError("InvalidParameter", "A GRAY release needs a version already serving traffic; deploy FULL first.")
	}
	sp, aerr := c.deploySpecFor(en, s.Type, req.DeployInfo, cfg, "UpdateServer")
	if aerr != nil {
		return nil, aerr
	}
	t, _, err := c.st.startDeploy(s, c.now, sp)
	if err != nil {
		return nil, newAPIError("InternalError", "emulator: "+err.Error())
	}
	return tcbr.UpdateCloudRunServerResponse{EnvId: en.ID, TaskId: t.ID, Meta: c.meta()}, nil
}

// submitServerConfigChangeDiff applies hot keys at once (TaskId 0) and starts
// an UpdateConfig task (new version from the serving image, no build) when a
// key that needs new pods changed.
func submitServerConfigChangeDiff(c *call) (any, *apiError) {
	var req tcbr.SubmitServerConfigChangeDiffRequest
	if aerr := cmp.Or(c.require("EnvId", "ServerName", "Items"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	if len(req.Items) == 0 {
		return nil, newAPIError("InvalidParameter", "`Items` must list at least one change.")
	}
	_, s, aerr := c.needService(req.EnvId, req.ServerName)
	if aerr != nil {
		return nil, aerr
	}
	cfg, changed, aerr := applyItems(s.Config, req.Items)
	if aerr != nil {
		return nil, aerr
	}
	if aerr := c.needIdle(s); aerr != nil {
		return nil, aerr
	}
	stable := s.stable()
	if !needsRedeploy(changed) || stable == nil {
		s.Config = cfg
		for _, v := range s.versions {
			if v.FlowRatio > 0 {
				v.Config, _, _ = applyItems(v.Config, req.Items)
			}
		}
		s.touch(c.now)
		return tcbr.SubmitServerConfigChangeDiffResponse{TaskId: 0, Meta: c.meta()}, nil
	}
	sp := defaultDeploySpec("image") // no build, 30 s create, 4 s release
	sp.DeployType, sp.ImageURL, sp.ReuseImage = stable.DeployType, stable.ImageURL, stable.isPackage()
	sp.Package, sp.BuildPacks, sp.ChangeType, sp.Config = stable.pkg, stable.BuildPacks, "UpdateConfig", cfg
	sp.Remark = "config change: " + fmt.Sprint(changed)
	if emulatorFail(cfg.EnvParams, nil) == failDeploy {
		sp.Outcome = "deploy_failed"
	}
	readiness(&sp, cfg)
	t, _, err := c.st.startDeploy(s, c.now, sp)
	if err != nil {
		return nil, newAPIError("InternalError", "emulator: "+err.Error())
	}
	return tcbr.SubmitServerConfigChangeDiffResponse{TaskId: t.ID, Meta: c.meta()}, nil
}
