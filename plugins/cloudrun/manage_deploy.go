package cloudrun

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
)

// deployer packages a project (or takes an image), plans the write from
// the service's current state, uploads, creates or updates the service, and
// waits briefly for the new version to register.
type deployer struct {
	client   tcbr.Client
	envs     *envResolver
	paths    *workspacePaths
	cache    *serviceCache
	transfer *transfers
	clock    clock.Clock
	waits    waits
}

type deployResult struct {
	EnvID              string                `json:"envId"`
	ServerName         string                `json:"serverName"`
	ServiceType        string                `json:"serviceType"`
	ServiceTypeReason  string                `json:"serviceTypeReason"`
	Operation          string                `json:"operation"` // create or update
	ReleaseType        string                `json:"releaseType"`
	DeployType         string                `json:"deployType"` // package or image
	MergedFromRemote   []string              `json:"mergedFromRemote"`
	NormalizedKeys     []string              `json:"normalizedKeys,omitempty"` // serverConfig keys given in another case
	Warnings           []warning             `json:"warnings"`
	ConsoleURL         string                `json:"consoleUrl"`
	ImageURL           string                `json:"imageUrl,omitempty"`
	Package            *pack.Result          `json:"package,omitempty"`
	DryRun             bool                  `json:"dryRun,omitempty"`
	Items              []tcbr.DiffConfigItem `json:"items,omitempty"`
	TaskID             *int64                `json:"taskId,omitempty"`
	RequestID          string                `json:"requestId,omitempty"`
	Status             string                `json:"status,omitempty"`
	CloudbasercUpdated *bool                 `json:"cloudbasercUpdated,omitempty"`
	*RegistrationView
	AccessURL  string    `json:"accessUrl,omitempty"`
	AccessURLs []string  `json:"accessUrls,omitempty"`
	Message    string    `json:"message"`
	NextStep   *NextStep `json:"nextStep,omitempty"`
}

func (d *deployer) deploy(ctx context.Context, c *call) (any, error) {
	a := c.args
	plan, err := d.planLocal(ctx, a)
	if err != nil {
		return nil, err
	}
	if plan.project != nil {
		defer plan.project.Close()
	}
	// Package first: a local problem (size, a link out of the project) must
	// stop the deploy before any network call.
	pkgFile, pkg, err := packageProject(ctx, c.progress, plan, a.DryRun)
	if err != nil {
		return nil, err
	}
	if pkgFile != "" {
		defer os.Remove(pkgFile)
	}
	if plan.envID, err = d.envs.ready(ctx, ""); err != nil {
		return nil, err
	}
	if err := d.planRemote(ctx, plan, a, pkg); err != nil {
		return nil, err
	}
	out := newDeployResult(plan, pkg)
	if a.DryRun {
		out.DryRun, out.Items = true, serverconfig.MaskItems(plan.items)
		out.Message = "Nothing was uploaded or deployed. Call again without dryRun to deploy."
		return out, nil
	}
	taskID, err := d.startDeploy(ctx, c.progress, plan, pkgFile, pkg, out)
	if err != nil {
		return nil, err
	}
	recordDeploy(plan, out)
	wait := a.WaitRegistration == nil || *a.WaitRegistration
	reg := d.waitRegistration(ctx, c.progress, plan.envID, plan.svc, taskID, plan.imageURL != "", wait)
	out.RegistrationView = reg.view()
	if reg.status != "" {
		out.Status = reg.status
	}
	if urls := accessURLs(context.WithoutCancel(ctx), d.client, plan.envID, plan.svc); len(urls) > 0 {
		out.AccessURL, out.AccessURLs = urls[0], urls
	}
	out.NextStep, out.Message = reg.nextStep(plan.svc), reg.message(plan)
	return out, nil
}

func newDeployResult(plan *deployPlan, pkg *pack.Result) *deployResult {
	out := &deployResult{EnvID: plan.envID, ServerName: plan.svc, ServiceType: plan.serviceType, ServiceTypeReason: plan.typeReason,
		Operation: "create", ReleaseType: plan.releaseType, DeployType: "package", MergedFromRemote: nonNil(plan.kept),
		Warnings: nonNil(plan.warnings), ConsoleURL: consoleURL(plan.envID, plan.svc), ImageURL: plan.imageURL, Package: pkg}
	if plan.cfg != nil {
		out.NormalizedKeys = plan.cfg.Normalized
	}
	if plan.exists {
		out.Operation = "update"
	}
	if plan.imageURL != "" {
		out.DeployType = "image"
	}
	return out
}

// packageProject zips the project (to a temp file, or only measured for a
// dry run); image deploys skip it.
func packageProject(ctx context.Context, prog *mcpx.Progress, plan *deployPlan, dryRun bool) (string, *pack.Result, error) {
	if plan.imageURL != "" {
		return "", nil, nil
	}
	prog.Report(0, 0, "packaging "+plan.dir)
	opts := pack.Options{Root: plan.dir, Dir: plan.project.root, Progress: func(files int, bytes int64) {
		prog.Report(float64(bytes), 0, fmt.Sprintf("packaging: %d files, %s", files, humanBytes(bytes)))
	}}
	var file string
	var pkg *pack.Result
	var err error
	if dryRun {
		pkg, err = pack.Zip(ctx, opts, discard{})
	} else {
		file, pkg, err = pack.ZipToFile(ctx, opts, "")
	}
	if err != nil {
		return "", nil, &failure{What: "Could not package " + plan.dir, Why: err.Error(),
			Hint: "Fix the path or add ignore rules (.cloudbaseignore, .gitignore) for large or generated files; or deploy an existing image with imageUrl."}
	}
	return file, pkg, nil
}

// startDeploy uploads the package (nothing is created if that fails), then
// creates or updates the service.
func (d *deployer) startDeploy(ctx context.Context, prog *mcpx.Progress, plan *deployPlan, pkgFile string, pkg *pack.Result, out *deployResult) (int64, error) {
	info := tcbr.DeployParam{DeployType: "image", ImageUrl: plan.imageURL}
	if plan.imageURL == "" {
		var err error
		if info, err = d.upload(ctx, prog, plan, pkgFile, pkg); err != nil {
			return 0, err
		}
		if plan.serviceType == "function" {
			info.BuildPacks = &tcbr.BuildPacksInfo{LanguageVersion: "20.18", RepoLanguage: "Node.js"}
		}
	}
	prog.Report(0, 0, "starting the deploy")
	taskID, requestID, err := d.createOrUpdate(ctx, plan, info)
	if err != nil {
		return 0, writeFailed(plan, err)
	}
	d.cache.invalidateService(ctx, plan.envID, plan.svc)
	mcpx.Notify(ctx, PluginName, fmt.Sprintf("%s: %s deploy accepted in env %s (task %d, %s release)", plan.svc, out.Operation, plan.envID, taskID, plan.releaseType))
	out.TaskID, out.RequestID, out.Status = &taskID, requestID, "deploying"
	return taskID, nil
}

func (d *deployer) createOrUpdate(ctx context.Context, plan *deployPlan, info tcbr.DeployParam) (int64, string, error) {
	if plan.exists {
		info.ReleaseType = plan.releaseType
		resp, err := d.client.UpdateCloudRunServer(ctx, &tcbr.UpdateCloudRunServerRequest{
			EnvId: plan.envID, ServerName: plan.svc, DeployInfo: info, Items: plan.items,
		})
		if err != nil {
			return 0, "", err
		}
		return resp.TaskId, resp.RequestId, nil
	}
	resp, err := d.client.CreateCloudRunServer(ctx, &tcbr.CreateCloudRunServerRequest{
		EnvId: plan.envID, ServerName: plan.svc, DeployInfo: info, Items: plan.items, VpcInfo: plan.vpcInfo,
	})
	if err != nil {
		return 0, "", err
	}
	return resp.TaskId, resp.RequestId, nil
}

// recordDeploy writes cloudbaserc.json in the project, when there is one.
func recordDeploy(plan *deployPlan, out *deployResult) {
	if plan.dir == "" {
		return
	}
	updated, err := writeCloudbaserc(plan.loc, plan.envID, plan.svc)
	if err != nil {
		out.Warnings = append(out.Warnings, warning{Code: "CLOUDBASERC_NOT_WRITTEN", Message: err.Error()})
		return
	}
	out.CloudbasercUpdated = &updated
}

// writeFailed explains a failed create/update. A rate limit or a network
// failure may hide a write that went through: say so, and how to check.
func writeFailed(plan *deployPlan, err error) error {
	op := "update " + plan.svc
	if !plan.exists {
		op = "create " + plan.svc
	}
	f := describeFailure(op, err, plan.svc)
	check := queryStep("getDeployRecords", "see whether the deploy started", Args{DetailServerName: plan.svc})
	switch tcbr.KindOf(err) {
	case tcbr.KindRateLimited, tcbr.KindNetwork, tcbr.KindTimeout, tcbr.KindBadResponse, tcbr.KindInternal:
		f.Hint = "The deploy request may or may not have been accepted (writes are never retried automatically). " +
			"Check the deploy records before deploying again, so the same version is not started twice."
		f.NextStep = check
	}
	if errors.Is(err, context.Canceled) {
		f.Hint = "The call was cancelled while the deploy request was in flight; it may have been accepted. Check the deploy records."
		f.NextStep = check
	}
	return f
}

func consoleURL(envID, svc string) string {
	return fmt.Sprintf("https://tcb.cloud.tencent.com/dev?envId=%s#/platform-run/service/detail?serverName=%s&envId=%s", envID, svc, envID)
}
