// Package server builds the MCP server: options, instructions assembled from
// the enabled plugins, the plugin registry with its toggles, read-only mode
// enforced at registration, and the input validation every tool call passes
// through before its handler runs.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Name is the server name announced in initialize.
const Name = "cloudbase-mcp"

// Tool is one tool a plugin offers. ReadOnly tools are the only ones
// registered in read-only mode.
type Tool struct {
	Tool     mcp.Tool
	Handler  mcpserver.ToolHandlerFunc
	ReadOnly bool
	// Refused, when set, hears of every call refused before Handler ran
	// (argument limits, schema check), e.g. to audit it.
	Refused Refusal
}

// Plugin is a named group of tools.
type Plugin interface {
	// Name is the lower-case name used by CLOUDBASE_MCP_PLUGINS_ENABLED/DISABLED.
	Name() string
	// Instructions is a short paragraph for the server instructions.
	Instructions() string
	// Tools returns the plugin's tools.
	Tools() []Tool
}

// NotificationPlugin is a Plugin that handles client notifications (for
// example notifications/roots/list_changed).
type NotificationPlugin interface {
	Plugin
	Notifications() map[string]mcpserver.NotificationHandlerFunc
}

// Options configure New.
type Options struct {
	Version  string
	Logger   *slog.Logger
	ReadOnly bool
	// Enabled replaces the default set (all plugins) when non-nil; Disabled
	// is removed from the resulting set. Names are trimmed and lower-cased.
	Enabled  []string
	Disabled []string
	// Middleware wraps every tool call inside the call log and outside the
	// checks (hosted mode's metrics); the first is the outermost.
	Middleware []mcpserver.ToolHandlerMiddleware
}

// Built is the server plus what was decided while building it.
type Built struct {
	Server  *mcpserver.MCPServer
	Enabled []string // plugin names in registration order
	Tools   []string // registered tool names
}

// New builds the MCP server from the plugins that the toggles leave enabled.
// With nothing enabled the server still serves, with no tools.
func New(opts Options, plugins ...Plugin) (*Built, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	enabled := Select(plugins, opts.Enabled, opts.Disabled, func(name string) {
		logger.Warn("unknown plugin name ignored", "plugin", name, "known", pluginNames(plugins))
	})

	validator := newInputValidator()
	reg, err := collectTools(enabled, opts.ReadOnly, validator)
	if err != nil {
		return nil, err
	}
	srvOpts := serverOptions(opts, logger, reg, validator)
	extra := collectContent(enabled, opts.ReadOnly)
	srvOpts = append(srvOpts, extra.options()...)
	s := mcpserver.NewMCPServer(Name, opts.Version, srvOpts...)
	if len(reg.tools) > 0 {
		s.AddTools(reg.tools...)
	}
	extra.register(s)
	addNotificationHandlers(s, enabled)
	logger.Info("server built", "plugins", reg.plugins, "tools", reg.toolNames, "readOnly", opts.ReadOnly)
	return &Built{Server: s, Enabled: reg.plugins, Tools: reg.toolNames}, nil
}

// registry is what the enabled plugins contribute to the server.
type registry struct {
	instructions []string
	tools        []mcpserver.ServerTool
	toolNames    []string
	plugins      []string // names, in registration order
	refusals     map[string]Refusal
}

// collectTools gathers the plugins' instructions and tools (only the
// read-only ones in read-only mode), compiling each tool's input schema into
// validator.
func collectTools(enabled []Plugin, readOnly bool, validator *inputValidator) (*registry, error) {
	reg := &registry{refusals: map[string]Refusal{}}
	reg.instructions = append(reg.instructions, "cloudbase-mcp manages Tencent CloudBase Run (CloudRun) services.")
	if readOnly {
		reg.instructions = append(reg.instructions, "Read-only mode: write tools are not registered.")
	}
	for _, p := range enabled {
		reg.plugins = append(reg.plugins, p.Name())
		if s := strings.TrimSpace(p.Instructions()); s != "" {
			reg.instructions = append(reg.instructions, s)
		}
		for _, t := range p.Tools() {
			if readOnly && !t.ReadOnly {
				continue
			}
			if err := reg.add(t, validator); err != nil {
				return nil, err
			}
		}
	}
	return reg, nil
}

func (reg *registry) add(t Tool, validator *inputValidator) error {
	if err := validator.add(t.Tool); err != nil {
		return fmt.Errorf("tool %s: %w", t.Tool.Name, err)
	}
	reg.tools = append(reg.tools, mcpserver.ServerTool{Tool: t.Tool, Handler: t.Handler})
	if t.Refused != nil {
		reg.refusals[t.Tool.Name] = t.Refused
	}
	reg.toolNames = append(reg.toolNames, t.Tool.Name)
	return nil
}

// serverOptions are the server's options before the plugins' content
// (prompts, resources): recovery, logging, instructions and the tool-call
// middleware chain.
func serverOptions(opts Options, logger *slog.Logger, reg *registry, validator *inputValidator) []mcpserver.ServerOption {
	srvOpts := []mcpserver.ServerOption{
		mcpserver.WithRecovery(),
		mcpserver.WithLogging(),
		mcpserver.WithInstructions(strings.Join(reg.instructions, "\n")),
		// The first middleware is the outermost: every call is logged,
		// including those refused by validation.
		mcpserver.WithToolHandlerMiddleware(logCalls(logger)),
	}
	for _, m := range opts.Middleware {
		srvOpts = append(srvOpts, mcpserver.WithToolHandlerMiddleware(m))
	}
	srvOpts = append(srvOpts,
		mcpserver.WithToolHandlerMiddleware(noticeRefusals(reg.refusals)),
		mcpserver.WithToolHandlerMiddleware(limitArguments),
		// Our own schema validation instead of WithInputSchemaValidation: it
		// must coerce "42" to 42 before checking, and its messages name the
		// valid keys and values so the model can correct itself.
		mcpserver.WithToolHandlerMiddleware(validator.middleware),
		mcpserver.WithToolHandlerMiddleware(markReached),
	)
	if len(reg.tools) > 0 {
		srvOpts = append(srvOpts, mcpserver.WithToolCapabilities(false))
	}
	return srvOpts
}

// addNotificationHandlers registers the client notifications the enabled
// plugins handle.
func addNotificationHandlers(s *mcpserver.MCPServer, enabled []Plugin) {
	for _, p := range enabled {
		if np, ok := p.(NotificationPlugin); ok {
			for method, h := range np.Notifications() {
				s.AddNotificationHandler(method, h)
			}
		}
	}
}

// Select applies the toggles: enabled (when non-nil) replaces the default set
// of all plugins, disabled removes from it. Unknown names are reported to warn.
func Select(plugins []Plugin, enabled, disabled []string, warn func(name string)) []Plugin {
	known := map[string]bool{}
	for _, p := range plugins {
		known[p.Name()] = true
	}
	normalize := func(names []string) []string {
		var out []string
		for _, n := range names {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			if !known[n] {
				warn(n)
				continue
			}
			out = append(out, n)
		}
		return out
	}
	want := map[string]bool{}
	if enabled == nil {
		for n := range known {
			want[n] = true
		}
	} else {
		for _, n := range normalize(enabled) {
			want[n] = true
		}
	}
	for _, n := range normalize(disabled) {
		delete(want, n)
	}
	var out []Plugin
	for _, p := range plugins {
		if want[p.Name()] {
			out = append(out, p)
		}
	}
	return out
}

func pluginNames(plugins []Plugin) []string {
	names := make([]string, 0, len(plugins))
	for _, p := range plugins {
		names = append(names, p.Name())
	}
	slices.Sort(names)
	return names
}

// logCalls logs every tool call on the operational log: tool, action,
// duration and outcome. Arguments are never logged (they may hold secrets).
func logCalls(logger *slog.Logger) mcpserver.ToolHandlerMiddleware {
	return func(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			start := time.Now()
			res, err := next(ctx, req)
			action, _ := req.GetArguments()["action"].(string)
			attrs := []any{"tool", req.Params.Name, "action", action, "ms", time.Since(start).Milliseconds()}
			if t, ok := tenant.From(ctx); ok {
				attrs = append(attrs, "caller", t.Label)
			}
			switch {
			case err != nil:
				logger.Error("tool call failed", append(attrs, "err", err)...)
			case res != nil && res.IsError:
				logger.Info("tool call returned an error result", attrs...)
			default:
				logger.Debug("tool call", attrs...)
			}
			return res, err
		}
	}
}
