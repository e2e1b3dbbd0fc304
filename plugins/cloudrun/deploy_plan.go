package cloudrun

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/workspace"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
)

// deployPlan is everything decided before the first write.
type deployPlan struct {
	envID       string
	svc         string
	loc         workspace.Path // targetPath, confined; zero for image deploys without one
	dir         string         // loc's absolute path, for messages; "" without targetPath
	project     *projectRoot   // the opened project directory; nil without targetPath
	imageURL    string
	cfg         *serverconfig.Config
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

var imageRef = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)+(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)
})

// planLocal checks everything that needs no network.
func (d *deployer) planLocal(ctx context.Context, a *ManageArgs) (*deployPlan, error) {
	plan := &deployPlan{svc: a.ServerName, imageURL: strings.TrimSpace(a.ImageURL), releaseType: "FULL"}
	if a.ReleaseType != "" {
		plan.releaseType = a.ReleaseType
	}
	cfg, err := serverconfig.Parse(a.ServerConfig)
	if err != nil {
		return nil, invalid(err.Error(), "Fix serverConfig and call again.")
	}
	plan.cfg = cfg
	if err := checkImage(plan.imageURL, a); err != nil {
		return nil, err
	}
	if a.TargetPath == "" {
		return plan, nil
	}
	loc, err := d.paths.locate(ctx, a.TargetPath)
	if err != nil {
		return nil, err
	}
	// Opened once, through the workspace's root: packaging and every read
	// below go through this handle, whatever happens to the path later.
	project, err := openProject(loc)
	if err != nil {
		return nil, invalid(fmt.Sprintf("targetPath %s is not a directory", loc.Abs()), "Pass the project directory (create it with manageCloudRun init).")
	}
	// With imageUrl the directory only receives cloudbaserc.json.
	plan.loc, plan.dir, plan.project = loc, loc.Abs(), project
	return plan, nil
}

func checkImage(image string, a *ManageArgs) error {
	if image == "" {
		if a.TargetPath == "" {
			return invalid("deploy needs targetPath (the project directory) or imageUrl", "Pass the project directory as targetPath.")
		}
		return nil
	}
	if !imageRef().MatchString(image) {
		return invalid(fmt.Sprintf("imageUrl %q is not an image reference", image),
			"Use registry/namespace/name:tag, e.g. ccr.ccs.tencentyun.com/ns/app:v1.")
	}
	if a.ServerType == "function" {
		return invalid("an image deploy creates a container service; serverType function needs source code", "Drop serverType or imageUrl.")
	}
	return nil
}

// planRemote reads the service and env, decides type and config.
func (d *deployer) planRemote(ctx context.Context, plan *deployPlan, a *ManageArgs, pkg *pack.Result) error {
	if err := d.readService(ctx, plan); err != nil {
		return err
	}
	if err := decideType(plan, a.ServerType); err != nil {
		return err
	}
	if plan.releaseType == "GRAY" && !plan.exists {
		return invalid("releaseType GRAY needs an existing service with a live version",
			"Deploy with releaseType FULL first; GRAY is for the next versions.")
	}
	if err := checkProjectForType(plan); err != nil {
		return err
	}
	if err := d.planConfig(ctx, plan, a.EnvParamsReplaceAll); err != nil {
		return err
	}
	if pkg != nil && pkg.Files == 0 {
		return invalid("the project directory has no files to deploy after the ignore rules", "Check targetPath and your .gitignore / .cloudbaseignore.")
	}
	return nil
}

// readService learns whether the service exists, and its config.
func (d *deployer) readService(ctx context.Context, plan *deployPlan) error {
	detail, err := d.client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: plan.envID, ServerName: plan.svc})
	switch {
	case err == nil && detail.BaseInfo != nil:
		plan.exists, plan.remote = true, detail
	case err == nil || tcbr.IsNotFound(err):
		plan.exists = false
	default:
		return upstreamFailure("check whether "+plan.svc+" exists", err, plan.svc)
	}
	return nil
}

// decideType: the existing service's type, else the request's, else detected.
func decideType(plan *deployPlan, requested string) error {
	switch {
	case plan.exists && plan.remote.BaseInfo.ServerType != "":
		plan.serviceType, plan.typeReason = plan.remote.BaseInfo.ServerType, "the existing service's type"
		if requested != "" && requested != plan.serviceType {
			return invalid(fmt.Sprintf("%s is a %s service; serverType %s cannot change it", plan.svc, plan.serviceType, requested),
				"Drop serverType, or deploy under a new serverName.")
		}
	case plan.imageURL != "":
		plan.serviceType, plan.typeReason = "container", "image deploys run as container services"
	case requested != "":
		plan.serviceType, plan.typeReason = requested, "serverType argument"
	default:
		plan.serviceType, plan.typeReason = detectServiceType(plan.project, plan.cfg)
	}
	return nil
}

// checkProjectForType checks what the type needs: a container build needs its
// Dockerfile (whose EXPOSE gives the default port), a function its package.json
// and port 3000.
func checkProjectForType(plan *deployPlan) error {
	plan.port = 80
	if plan.serviceType == "function" {
		if port, ok := plan.cfg.Int("Port"); ok && port != 3000 {
			return invalid(fmt.Sprintf("function services listen on port 3000, not %d", port), "Drop serverConfig.Port.")
		}
		if plan.imageURL == "" {
			return checkFunctionProject(plan.project, plan.dir)
		}
		return nil
	}
	if plan.imageURL != "" {
		return nil
	}
	dockerfile, _ := plan.cfg.String("Dockerfile")
	if dockerfile == "" {
		dockerfile = "Dockerfile"
		if plan.exists && plan.remote.ServerConfig != nil && plan.remote.ServerConfig.Dockerfile != "" {
			dockerfile = plan.remote.ServerConfig.Dockerfile
		}
	}
	buildDir, _ := plan.cfg.String("BuildDir")
	df, err := dockerfilePath(buildDir, dockerfile)
	if err != nil {
		return invalid(err.Error(), "Name the Dockerfile and build directory relative to targetPath.")
	}
	content, err := plan.project.read(df)
	if err != nil {
		return invalid(fmt.Sprintf("a container service is built from %s, and there is none in %s", filepath.ToSlash(df), plan.dir),
			missingDockerfileHint(plan.project))
	}
	if _, given := plan.cfg.Int("Port"); !given {
		plan.port = exposedPort(content)
	}
	return nil
}

// dockerfilePath is where the build reads the Dockerfile, relative to the
// project; both parts must stay inside it.
func dockerfilePath(buildDir, dockerfile string) (string, error) {
	df, err := projectRel("Dockerfile", dockerfile)
	if err != nil {
		return "", err
	}
	if buildDir == "" {
		return df, nil
	}
	bd, err := projectRel("BuildDir", buildDir)
	if err != nil {
		return "", err
	}
	return filepath.Join(bd, df), nil
}

// planConfig: defaults for a new service, read-merge-write for an existing
// one, and the warnings the resulting config deserves.
func (d *deployer) planConfig(ctx context.Context, plan *deployPlan, replaceAllEnv bool) error {
	function := plan.serviceType == "function"
	var env map[string]string
	_, hasVPC := plan.cfg.Vpc()
	if plan.exists {
		m := serverconfig.MergeForUpdate(plan.cfg, plan.remote.ServerConfig, function, replaceAllEnv)
		plan.items, plan.kept = m.Items, m.Kept
		if rc := plan.remote.ServerConfig; rc != nil {
			env = serverconfig.RemoteEnv(rc.EnvParams)
			rememberSecrets(ctx, env)
			hasVPC = hasVPC || (rc.VpcConf != nil && rc.VpcConf.VpcId != "")
		}
	} else {
		if err := d.envGuard(ctx, plan); err != nil {
			return err
		}
		plan.items = serverconfig.Create(plan.cfg, function, plan.port)
		hasVPC = hasVPC || plan.vpcInfo != nil
	}
	if given, ok := plan.cfg.Env(); ok {
		if env == nil || replaceAllEnv {
			env = map[string]string{}
		}
		maps.Copy(env, given)
	}
	plan.warnings = append(plan.warnings, dbWithoutVPC(env, hasVPC)...)
	return nil
}

// envGuard refuses to create a service on an env without CloudRun: the
// platform would put it in the wrong place. It also fills the VPC.
func (d *deployer) envGuard(ctx context.Context, plan *deployPlan) error {
	if v, ok := plan.cfg.Vpc(); ok {
		plan.vpcInfo = &tcbr.CreateVpcInfo{VpcId: v.VpcId, CreateType: cmp.Or(v.CreateType, 2)}
		if v.SubnetId != "" {
			plan.vpcInfo.SubnetIds = []string{v.SubnetId}
		}
	}
	resp, err := d.client.DescribeEnvBaseInfo(ctx, &tcbr.DescribeEnvBaseInfoRequest{EnvId: plan.envID})
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
		return &failure{
			What:     "CloudRun is not opened on env " + plan.envID,
			Why:      "creating a service there would put it in the wrong place",
			Hint:     "Open CloudRun first (it is quick), then deploy again.",
			NextStep: manageStep("initEnv", "open CloudRun on the env", Args{EnvID: plan.envID}),
		}
	case status == "creating":
		return &failure{
			What:     "CloudRun is still being opened on env " + plan.envID,
			Why:      "services can be created once its status is normal",
			NextStep: queryStep("envStatus", "check again in a few seconds", Args{EnvID: plan.envID}),
		}
	}
	if plan.vpcInfo == nil && resp.EnvBaseInfo != nil && resp.EnvBaseInfo.VpcId != "" {
		plan.vpcInfo = &tcbr.CreateVpcInfo{VpcId: resp.EnvBaseInfo.VpcId, CreateType: 2, SubnetIds: splitList(resp.EnvBaseInfo.SubnetIds)}
	}
	return nil
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}
