package cloudrun

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/skill"
	"github.com/mark3labs/mcp-go/mcp"
)

// The plugin carries its know-how itself: prompts (the workflows of
// plugins/cloudrun/skill), the development guide as a resource, and live
// read-only resources answered by the same reads as the tools (same cache,
// same client, EnvParams masked).

// content answers the prompts, resources and argument completions.
type content struct {
	cloudMode bool
	envs      *envResolver
	templates *templateSource
	// read runs a query action, as the tool does (actions.go).
	read func(ctx context.Context, envID string, a *QueryArgs) (any, error)
}

// Resource URIs.
const (
	guideURI         = "cloudrun://guide"
	serviceURI       = "cloudrun://services/{name}"
	serviceLogURI    = "cloudrun://services/{name}/deploy-log"
	servicePrefix    = "cloudrun://services/"
	deployLogSegment = "/deploy-log"
)

// prompts are the workflows of the skill this server offers.
func (ct *content) prompts() []server.Prompt {
	out := make([]server.Prompt, 0, len(skill.Workflows))
	for _, w := range skill.Workflows {
		if ct.cloudMode && w.Local {
			continue // a hosted server offers neither init nor run
		}
		opts := []mcp.PromptOption{mcp.WithPromptDescription(w.Description)}
		for _, a := range ct.promptArgs(w) {
			argOpts := []mcp.ArgumentOption{mcp.ArgumentDescription(a.Description)}
			if a.Required {
				argOpts = append(argOpts, mcp.RequiredArgument())
			}
			opts = append(opts, mcp.WithArgument(a.Name, argOpts...))
		}
		prompt := mcp.NewPrompt(w.Name, opts...)
		prompt.Title = w.Title
		out = append(out, server.Prompt{Prompt: prompt, Handler: ct.renderPrompt, Writes: w.Writes, Complete: ct.completeArgument})
	}
	return out
}

func (ct *content) renderPrompt(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	w, ok := skill.Find(req.Params.Name)
	if !ok || (ct.cloudMode && w.Local) {
		return nil, fmt.Errorf("no prompt named %q", req.Params.Name)
	}
	args := req.Params.Arguments
	for _, a := range ct.promptArgs(w) {
		if a.Required && strings.TrimSpace(args[a.Name]) == "" {
			return nil, fmt.Errorf("prompt %s needs the argument %s: %s", w.Name, a.Name, a.Description)
		}
	}
	if svc := args["serverName"]; svc != "" && !serverNamePattern().MatchString(svc) {
		return nil, fmt.Errorf("serverName %q is not a valid service name: a letter, then 2-44 letters, digits, _ or -", svc)
	}
	if c := args["canaryPercent"]; c != "" {
		if n, err := strconv.Atoi(c); err != nil || n < 1 || n > 99 {
			return nil, fmt.Errorf("canaryPercent %q must be a whole number from 1 to 99", c)
		}
	}
	return mcp.NewGetPromptResult(w.Title, []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(w.Render(args))),
	}), nil
}

// promptArgs are the workflow's arguments as this server offers them: a
// hosted server reads no local project, so targetPath goes and imageUrl is
// required.
func (ct *content) promptArgs(w skill.Workflow) []skill.Argument {
	if !ct.cloudMode {
		return w.Args
	}
	out := make([]skill.Argument, 0, len(w.Args))
	for _, a := range w.Args {
		switch a.Name {
		case "targetPath":
			continue
		case "imageUrl":
			a.Required = true
			a.Description = "The image to deploy (this server is hosted: it deploys images, it does not build projects)."
		}
		out = append(out, a)
	}
	return out
}

// completeArgument proposes values the server knows: service names from
// the cached list, template ids, the two modes.
func (ct *content) completeArgument(ctx context.Context, argument, _ string) []string {
	switch argument {
	case "serverName", "name":
		return ct.serviceNames(ctx)
	case "mode":
		return []string{"function", "container"}
	case "template":
		return ct.templateIDs(ctx)
	}
	return nil
}

// serviceNames lists the env's services from the cached list (one page of
// 100); nothing when they cannot be read.
func (ct *content) serviceNames(ctx context.Context) []string {
	envID, err := ct.envs.ready(ctx, "")
	if err != nil {
		return nil
	}
	v, err := ct.read(ctx, envID, &QueryArgs{Action: "list", PageSize: ptr(100), PageNum: ptr(1)})
	if err != nil {
		return nil
	}
	var names []string
	for _, s := range v.(*listResult).Services {
		names = append(names, s.Name)
	}
	return names
}

func (ct *content) templateIDs(ctx context.Context) []string {
	list, _, err := ct.templates.remote(ctx, false)
	if err != nil {
		list = embeddedTemplates()
	}
	ids := make([]string, 0, len(list))
	for _, t := range list {
		ids = append(ids, t.Identifier)
	}
	return ids
}

func ptr[T any](v T) *T { return &v }

// resources are the static resources: the development guide.
func (ct *content) resources() []server.Resource {
	guide := mcp.NewResource(guideURI, "CloudRun development guide",
		mcp.WithResourceDescription("When to use CloudRun, function vs container mode, the rules a service must follow, the workflow with these tools, safe releases, troubleshooting."),
		mcp.WithMIMEType("text/markdown"))
	return []server.Resource{{Resource: guide, Handler: func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
		return []mcp.ResourceContents{mcp.TextResourceContents{URI: guideURI, MIMEType: "text/markdown", Text: skill.Guide}}, nil
	}}}
}

// resourceTemplates are the live resources: a service and its deploy log.
func (ct *content) resourceTemplates() []server.ResourceTemplate {
	detail := mcp.NewResourceTemplate(serviceURI, "CloudRun service",
		mcp.WithTemplateDescription("A service's detail as queryCloudRun detail returns it (EnvParams masked)."),
		mcp.WithTemplateMIMEType("application/json"))
	log := mcp.NewResourceTemplate(serviceLogURI, "CloudRun deploy log",
		mcp.WithTemplateDescription("The build log of a service's latest deploy, as queryCloudRun getDeployLog returns it."),
		mcp.WithTemplateMIMEType("application/json"))
	return []server.ResourceTemplate{
		{Template: detail, Handler: ct.readServiceResource, Complete: ct.completeArgument},
		{Template: log, Handler: ct.readServiceResource, Complete: ct.completeArgument},
	}
}

// readServiceResource answers cloudrun://services/{name}[/deploy-log] with
// the result of the matching read.
func (ct *content) readServiceResource(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	uri := req.Params.URI
	name, ok := strings.CutPrefix(uri, servicePrefix)
	if !ok {
		return nil, fmt.Errorf("not a service resource: %s", uri)
	}
	action := "detail"
	if n, isLog := strings.CutSuffix(name, deployLogSegment); isLog {
		name, action = n, "getDeployLog"
	}
	if !serverNamePattern().MatchString(name) {
		return nil, fmt.Errorf("%q is not a valid service name", name)
	}
	envID, err := ct.envs.ready(ctx, "")
	if err != nil {
		return nil, err
	}
	v, err := ct.read(ctx, envID, &QueryArgs{Action: action, DetailServerName: name})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return []mcp.ResourceContents{mcp.TextResourceContents{URI: uri, MIMEType: "application/json", Text: string(b)}}, nil
}
