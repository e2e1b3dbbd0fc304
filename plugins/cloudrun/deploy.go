package cloudrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// deployPlan is everything decided before the first write.
type deployPlan struct {
	envID       string
	svc         string
	dir         string // resolved targetPath; "" for image deploys without one
	imageURL    string
	cfg         *serverConfig
	exists      bool
	remote      *tcbr.DescribeCloudRunServerDetailResponse
	serviceType string
	typeReason  string
	port        int64 // default port for a new container service
	releaseType string
	items       []tcbr.DiffConfigItem
	kept        []string
	warnings    []warning
	vpcInfo     *tcbr.CreateVpcInfo
}

func (p *Plugin) manageDeploy(ctx context.Context, req mcp.CallToolRequest, a *ManageArgs) *mcp.CallToolResult {
	prog := newProgress(ctx, req)
	plan, bad := p.planLocal(ctx, a)
	if bad != nil {
		return bad
	}
	// Package first: a local problem (size, a link out of the project) must
	// stop the deploy before any network call.
	var pkgFile string
	var pkg *pack.Result
	if plan.imageURL == "" {
		prog.report(0, 0, "packaging "+plan.dir)
		var err error
		opts := pack.Options{Root: plan.dir, Progress: func(files int, bytes int64) {
			prog.report(float64(bytes), 0, fmt.Sprintf("packaging: %d files, %s", files, humanBytes(bytes)))
		}}
		if a.DryRun {
			pkg, err = pack.Zip(ctx, opts, discard{})
		} else {
			pkgFile, pkg, err = pack.ZipToFile(ctx, opts, "")
		}
		if err != nil {
			return failure{What: "Could not package " + plan.dir, Why: err.Error(),
				Hint: "Fix the path or add ignore rules (.cloudbaseignore, .gitignore) for large or generated files; or deploy an existing image with imageUrl."}.result()
		}
		if pkgFile != "" {
			defer os.Remove(pkgFile)
		}
	}

	envID, bad := p.ready(ctx, "")
	if bad != nil {
		return bad
	}
	plan.envID = envID
	if bad := p.planRemote(ctx, plan, a, pkg); bad != nil {
		return bad
	}
	out := map[string]any{
		"envId": envID, "serverName": plan.svc, "serviceType": plan.serviceType, "serviceTypeReason": plan.typeReason,
		"operation": map[bool]string{true: "update", false: "create"}[plan.exists], "releaseType": plan.releaseType,
		"deployType":       map[bool]string{true: "image", false: "package"}[plan.imageURL != ""],
		"mergedFromRemote": nonNil(plan.kept), "warnings": nonNil(plan.warnings),
		"consoleUrl": consoleURL(envID, plan.svc),
	}
	if plan.imageURL != "" {
		out["imageUrl"] = plan.imageURL
	}
	if pkg != nil {
		out["package"] = pkg
	}
	if a.DryRun {
		out["dryRun"] = true
		out["items"] = maskItems(plan.items)
		out["message"] = "Nothing was uploaded or deployed. Call again without dryRun to deploy."
		return success(out)
	}

	// Upload, then create or update. Nothing is created if the upload fails.
	deployInfo := tcbr.DeployParam{DeployType: "image", ImageUrl: plan.imageURL}
	if plan.imageURL == "" {
		info, bad := p.upload(ctx, prog, plan, pkgFile, pkg)
		if bad != nil {
			return bad
		}
		deployInfo = info
	}
	if plan.serviceType == "function" && plan.imageURL == "" {
		deployInfo.BuildPacks = &tcbr.BuildPacksInfo{LanguageVersion: "20.18", RepoLanguage: "Node.js"}
	}
	prog.report(0, 0, "starting the deploy")
	var taskID int64
	var requestID string
	var err error
	if plan.exists {
		deployInfo.ReleaseType = plan.releaseType
		var resp *tcbr.UpdateCloudRunServerResponse
		resp, err = p.client.UpdateCloudRunServer(ctx, &tcbr.UpdateCloudRunServerRequest{
			EnvId: envID, ServerName: plan.svc, DeployInfo: deployInfo, Items: plan.items,
		})
		if resp != nil {
			taskID, requestID = resp.TaskId, resp.RequestId
		}
	} else {
		var resp *tcbr.CreateCloudRunServerResponse
		resp, err = p.client.CreateCloudRunServer(ctx, &tcbr.CreateCloudRunServerRequest{
			EnvId: envID, ServerName: plan.svc, DeployInfo: deployInfo, Items: plan.items, VpcInfo: plan.vpcInfo,
		})
		if resp != nil {
			taskID, requestID = resp.TaskId, resp.RequestId
		}
	}
	if err != nil {
		return p.writeFailed(plan, err)
	}
	p.invalidateService(envID, plan.svc)
	p.notify(ctx, "%s: %s deploy accepted in env %s (task %d, %s release)", plan.svc, out["operation"], envID, taskID, plan.releaseType)
	out["taskId"] = taskID
	out["requestId"] = requestID
	out["status"] = "deploying"
	if plan.dir != "" {
		if updated, err := writeCloudbaserc(plan.dir, envID, plan.svc); err != nil {
			out["warnings"] = append(plan.warnings, warning{Code: "CLOUDBASERC_NOT_WRITTEN", Message: err.Error()})
		} else {
			out["cloudbasercUpdated"] = updated
		}
	}

	wait := a.WaitRegistration == nil || *a.WaitRegistration
	reg := p.waitRegistration(ctx, prog, envID, plan.svc, taskID, plan.imageURL != "", wait)
	for k, v := range reg.fields() {
		out[k] = v
	}
	if urls := p.accessURLs(context.WithoutCancel(ctx), envID, plan.svc); len(urls) > 0 {
		out["accessUrl"], out["accessUrls"] = urls[0], urls
	}
	out["nextStep"] = reg.nextStep(plan.svc)
	out["message"] = reg.message(plan)
	return success(out)
}

// planLocal checks everything that needs no network.
func (p *Plugin) planLocal(ctx context.Context, a *ManageArgs) (*deployPlan, *mcp.CallToolResult) {
	plan := &deployPlan{svc: a.ServerName, imageURL: strings.TrimSpace(a.ImageURL), releaseType: "FULL"}
	if a.ReleaseType != "" {
		plan.releaseType = a.ReleaseType
	}
	cfg, err := parseServerConfig(a.ServerConfig)
	if err != nil {
		return nil, invalid(err.Error(), "Fix serverConfig and call again.")
	}
	plan.cfg = cfg
	if plan.imageURL != "" {
		if !imageRef.MatchString(plan.imageURL) {
			return nil, invalid(fmt.Sprintf("imageUrl %q is not an image reference", plan.imageURL),
				"Use registry/namespace/name:tag, e.g. ccr.ccs.tencentyun.com/ns/app:v1.")
		}
		if a.ServerType == "function" {
			return nil, invalid("an image deploy creates a container service; serverType function needs source code", "Drop serverType or imageUrl.")
		}
	}
	if a.TargetPath == "" && plan.imageURL == "" {
		return nil, invalid("deploy needs targetPath (the project directory) or imageUrl", "Pass the project directory as targetPath.")
	}
	if a.TargetPath != "" {
		dir, bad := p.resolvePath(ctx, a.TargetPath)
		if bad != nil {
			return nil, bad
		}
		st, err := os.Stat(dir)
		if err != nil || !st.IsDir() {
			return nil, invalid(fmt.Sprintf("targetPath %s is not a directory", dir), "Pass the project directory (create it with manageCloudRun init).")
		}
		// With imageUrl the directory only receives cloudbaserc.json.
		plan.dir = dir
	}
	return plan, nil
}

var imageRef = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

// planRemote reads the service and env, decides type and config.
func (p *Plugin) planRemote(ctx context.Context, plan *deployPlan, a *ManageArgs, pkg *pack.Result) *mcp.CallToolResult {
	detail, err := p.client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: plan.envID, ServerName: plan.svc})
	switch {
	case err == nil && detail.BaseInfo != nil:
		plan.exists, plan.remote = true, detail
	case err == nil || tcbr.IsNotFound(err):
		plan.exists = false
	default:
		return upstreamFailure("check whether "+plan.svc+" exists", err, plan.svc)
	}

	// Service type: the existing service's, else the request's, else detected.
	switch {
	case plan.exists && detail.BaseInfo.ServerType != "":
		plan.serviceType, plan.typeReason = detail.BaseInfo.ServerType, "the existing service's type"
		if a.ServerType != "" && a.ServerType != plan.serviceType {
			return invalid(fmt.Sprintf("%s is a %s service; serverType %s cannot change it", plan.svc, plan.serviceType, a.ServerType),
				"Drop serverType, or deploy under a new serverName.")
		}
	case plan.imageURL != "":
		plan.serviceType, plan.typeReason = "container", "image deploys run as container services"
	case a.ServerType != "":
		plan.serviceType, plan.typeReason = a.ServerType, "serverType argument"
	default:
		plan.serviceType, plan.typeReason = detectServiceType(plan.dir, plan.cfg)
	}
	if plan.releaseType == "GRAY" && !plan.exists {
		return invalid("releaseType GRAY needs an existing service with a live version",
			"Deploy with releaseType FULL first; GRAY is for the next versions.")
	}

	// Checks that depend on the type.
	if plan.imageURL == "" && plan.serviceType == "container" {
		dockerfile := "Dockerfile"
		buildDir := ""
		if plan.cfg != nil && plan.cfg.Dockerfile != nil && *plan.cfg.Dockerfile != "" {
			dockerfile = *plan.cfg.Dockerfile
		} else if plan.exists && plan.remote.ServerConfig != nil && plan.remote.ServerConfig.Dockerfile != "" {
			dockerfile = plan.remote.ServerConfig.Dockerfile
		}
		if plan.cfg != nil && plan.cfg.BuildDir != nil {
			buildDir = *plan.cfg.BuildDir
		}
		df := filepath.Join(plan.dir, filepath.FromSlash(buildDir), filepath.FromSlash(dockerfile))
		if _, err := os.Stat(df); err != nil {
			return invalid(fmt.Sprintf("a container service is built from %s, and there is none in %s", filepath.ToSlash(filepath.Join(buildDir, dockerfile)), plan.dir),
				"Add a Dockerfile, set serverConfig.Dockerfile to its name, or pass serverType: function for a Node.js function project.")
		}
		if plan.cfg == nil || plan.cfg.Port == nil {
			plan.port = exposedPort(df)
		}
	}
	if plan.serviceType == "function" {
		if plan.cfg != nil && plan.cfg.Port != nil && *plan.cfg.Port != 3000 {
			return invalid(fmt.Sprintf("function services listen on port 3000, not %d", *plan.cfg.Port), "Drop serverConfig.Port.")
		}
		if plan.imageURL == "" {
			if _, err := os.Stat(filepath.Join(plan.dir, "package.json")); err != nil {
				return invalid("a function service needs package.json in "+plan.dir, "Create the project with manageCloudRun init (template helloworld), or deploy a container with a Dockerfile.")
			}
		}
	}
	if plan.port == 0 {
		plan.port = 80
	}

	// Config: defaults for a new service, read-merge-write for an existing one.
	var env map[string]string
	hasVPC := plan.cfg != nil && plan.cfg.VpcConf != nil
	if plan.exists {
		m := mergeForUpdate(plan.cfg, plan.remote.ServerConfig, plan.serviceType, a.EnvParamsReplaceAll)
		plan.items, plan.kept = m.items, m.kept
		if rc := plan.remote.ServerConfig; rc != nil {
			env = remoteEnvParams(rc.EnvParams)
			hasVPC = hasVPC || (rc.VpcConf != nil && rc.VpcConf.VpcId != "")
		}
	} else {
		if bad := p.envGuard(ctx, plan); bad != nil {
			return bad
		}
		plan.items = createItems(plan.cfg, plan.serviceType, plan.port)
		hasVPC = hasVPC || plan.vpcInfo != nil
	}
	if plan.cfg != nil && plan.cfg.EnvParams != nil {
		if env == nil || a.EnvParamsReplaceAll {
			env = map[string]string{}
		}
		for k, v := range plan.cfg.EnvParams {
			env[k] = v
		}
	}
	plan.warnings = append(plan.warnings, dbWithoutVPC(env, hasVPC)...)
	if pkg != nil && pkg.Files == 0 {
		return invalid("the project directory has no files to deploy after the ignore rules", "Check targetPath and your .gitignore / .cloudbaseignore.")
	}
	return nil
}

// envGuard refuses to create a service on an env without CloudRun: the
// platform would put it in the wrong place. It also fills the VPC.
func (p *Plugin) envGuard(ctx context.Context, plan *deployPlan) *mcp.CallToolResult {
	if plan.cfg != nil && plan.cfg.VpcConf != nil {
		plan.vpcInfo = &tcbr.CreateVpcInfo{VpcId: plan.cfg.VpcConf.VpcId, CreateType: cmp.Or(plan.cfg.VpcConf.CreateType, 2)}
		if plan.cfg.VpcConf.SubnetId != "" {
			plan.vpcInfo.SubnetIds = []string{plan.cfg.VpcConf.SubnetId}
		}
	}
	resp, err := p.client.DescribeEnvBaseInfo(ctx, &tcbr.DescribeEnvBaseInfoRequest{EnvId: plan.envID})
	if err != nil {
		if tcbr.IsNotFound(err) || tcbr.KindOf(err) == tcbr.KindAuth {
			return upstreamFailure("check CloudRun on env "+plan.envID, err, "")
		}
		// Anything else: the create call itself will tell.
		plan.warnings = append(plan.warnings, warning{Code: "ENV_CHECK_SKIPPED", Message: "could not check that CloudRun is opened on the env: " + err.Error()})
		return nil
	}
	status := ""
	if resp.EnvBaseInfo != nil {
		status = strings.ToLower(resp.EnvBaseInfo.Status)
	}
	switch {
	case !resp.IsExist:
		return failure{
			What:     "CloudRun is not opened on env " + plan.envID,
			Why:      "creating a service there would put it in the wrong place",
			Hint:     "Open CloudRun first (it is quick), then deploy again.",
			NextStep: manageNext("initEnv", map[string]any{"envId": plan.envID}, "open CloudRun on the env"),
		}.result()
	case status == "creating":
		return failure{
			What:     "CloudRun is still being opened on env " + plan.envID,
			Why:      "services can be created once its status is normal",
			NextStep: queryNext("envStatus", map[string]any{"envId": plan.envID}, "check again in a few seconds"),
		}.result()
	}
	if plan.vpcInfo == nil && resp.EnvBaseInfo != nil && resp.EnvBaseInfo.VpcId != "" {
		plan.vpcInfo = &tcbr.CreateVpcInfo{VpcId: resp.EnvBaseInfo.VpcId, CreateType: 2, SubnetIds: splitList(resp.EnvBaseInfo.SubnetIds)}
	}
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		out = append(out, part)
	}
	return out
}

// writeFailed explains a failed create/update. A rate limit or a network
// failure may hide a write that went through: say so, and how to check.
func (p *Plugin) writeFailed(plan *deployPlan, err error) *mcp.CallToolResult {
	op := "update " + plan.svc
	if !plan.exists {
		op = "create " + plan.svc
	}
	f := describeFailure(op, err, plan.svc)
	switch tcbr.KindOf(err) {
	case tcbr.KindRateLimited, tcbr.KindNetwork, tcbr.KindTimeout, tcbr.KindBadResponse, tcbr.KindInternal:
		f.Hint = "The deploy request may or may not have been accepted (writes are never retried automatically). " +
			"Check the deploy records before deploying again, so the same version is not started twice."
		f.NextStep = queryNext("getDeployRecords", map[string]any{"detailServerName": plan.svc}, "see whether the deploy started")
	}
	if errors.Is(err, context.Canceled) {
		f.Hint = "The call was cancelled while the deploy request was in flight; it may have been accepted. Check the deploy records."
		f.NextStep = queryNext("getDeployRecords", map[string]any{"detailServerName": plan.svc}, "see whether the deploy started")
	}
	return f.result()
}

func consoleURL(envID, svc string) string {
	return fmt.Sprintf("https://tcb.cloud.tencent.com/dev?envId=%s#/platform-run/service/detail?serverName=%s&envId=%s", envID, svc, envID)
}

// maskItems hides EnvParam values in a dry-run report.
func maskItems(items []tcbr.DiffConfigItem) []tcbr.DiffConfigItem {
	out := make([]tcbr.DiffConfigItem, len(items))
	for i, it := range items {
		if it.Key == "EnvParam" && it.Value != nil {
			masked := map[string]string{}
			for k := range remoteEnvParams(*it.Value) {
				masked[k] = "***"
			}
			it.Value = tcbr.Ptr(envParamsJSON(masked))
		}
		out[i] = it
	}
	return out
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
