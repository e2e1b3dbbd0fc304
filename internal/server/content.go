package server

import (
	"context"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Besides tools, a plugin may carry its know-how in the server itself:
// prompts (workflows a user picks, which drive the plugin's tools) and
// resources (a guide, live read-only views). The toggles apply to them as to
// tools: a disabled plugin offers nothing, and read-only mode offers no
// prompt that needs a write.

// Complete proposes values for an argument from what was typed so far.
type Complete func(ctx context.Context, argument, typed string) []string

// Prompt is one prompt of a plugin.
type Prompt struct {
	Prompt  mcp.Prompt
	Handler mcpserver.PromptHandlerFunc
	// Writes: the workflow drives write tools; not offered in read-only mode.
	Writes   bool
	Complete Complete
}

// Resource is one fixed resource of a plugin.
type Resource struct {
	Resource mcp.Resource
	Handler  mcpserver.ResourceHandlerFunc
}

// ResourceTemplate is one family of resources named by a URI template.
type ResourceTemplate struct {
	Template mcp.ResourceTemplate
	Handler  mcpserver.ResourceTemplateHandlerFunc
	Complete Complete
}

// ContentPlugin is a Plugin that also offers prompts and resources.
type ContentPlugin interface {
	Plugin
	Prompts() []Prompt
	Resources() []Resource
	ResourceTemplates() []ResourceTemplate
}

// content is what the enabled plugins offer beside their tools.
type content struct {
	prompts   []mcpserver.ServerPrompt
	resources []mcpserver.ServerResource
	templates []mcpserver.ServerResourceTemplate
	complete  completions
}

// completions routes completion requests to the prompt or template asked about.
type completions struct {
	prompts   map[string]Complete // by prompt name
	templates map[string]Complete // by URI template
}

func collectContent(enabled []Plugin, readOnly bool) *content {
	c := &content{complete: completions{prompts: map[string]Complete{}, templates: map[string]Complete{}}}
	for _, p := range enabled {
		cp, ok := p.(ContentPlugin)
		if !ok {
			continue
		}
		for _, pr := range cp.Prompts() {
			if readOnly && pr.Writes {
				continue
			}
			c.prompts = append(c.prompts, mcpserver.ServerPrompt{Prompt: pr.Prompt, Handler: pr.Handler})
			if pr.Complete != nil {
				c.complete.prompts[pr.Prompt.Name] = pr.Complete
			}
		}
		for _, r := range cp.Resources() {
			c.resources = append(c.resources, mcpserver.ServerResource{Resource: r.Resource, Handler: r.Handler})
		}
		for _, rt := range cp.ResourceTemplates() {
			c.templates = append(c.templates, mcpserver.ServerResourceTemplate{Template: rt.Template, Handler: rt.Handler})
			if rt.Complete != nil {
				c.complete.templates[rt.Template.URITemplate.Raw()] = rt.Complete
			}
		}
	}
	return c
}

// options declares the capabilities the content needs.
func (c *content) options() []mcpserver.ServerOption {
	var opts []mcpserver.ServerOption
	if len(c.prompts) > 0 {
		opts = append(opts, mcpserver.WithPromptCapabilities(false))
	}
	if len(c.resources)+len(c.templates) > 0 {
		opts = append(opts, mcpserver.WithResourceCapabilities(false, false))
	}
	if len(c.complete.prompts)+len(c.complete.templates) > 0 {
		opts = append(opts, mcpserver.WithCompletions(),
			mcpserver.WithPromptCompletionProvider(c.complete), mcpserver.WithResourceCompletionProvider(c.complete))
	}
	return opts
}

func (c *content) register(s *mcpserver.MCPServer) {
	if len(c.prompts) > 0 {
		s.AddPrompts(c.prompts...)
	}
	if len(c.resources) > 0 {
		s.AddResources(c.resources...)
	}
	if len(c.templates) > 0 {
		s.AddResourceTemplates(c.templates...)
	}
}

// maxCompletions is the most values one completion answers with.
const maxCompletions = 100

// CompletePromptArgument implements mcpserver.PromptCompletionProvider.
func (c completions) CompletePromptArgument(ctx context.Context, prompt string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	return answer(ctx, c.prompts[prompt], arg), nil
}

// CompleteResourceArgument implements mcpserver.ResourceCompletionProvider.
func (c completions) CompleteResourceArgument(ctx context.Context, uri string, arg mcp.CompleteArgument, _ mcp.CompleteContext) (*mcp.Completion, error) {
	return answer(ctx, c.templates[uri], arg), nil
}

func answer(ctx context.Context, complete Complete, arg mcp.CompleteArgument) *mcp.Completion {
	values := []string{}
	if complete != nil {
		for _, v := range complete(ctx, arg.Name, arg.Value) {
			if strings.HasPrefix(strings.ToLower(v), strings.ToLower(arg.Value)) {
				values = append(values, v)
			}
		}
	}
	sort.Strings(values)
	total := len(values)
	more := total > maxCompletions
	if more {
		values = values[:maxCompletions]
	}
	return &mcp.Completion{Values: values, Total: total, HasMore: more}
}
