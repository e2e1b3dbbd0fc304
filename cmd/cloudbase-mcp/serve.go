package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/hosted"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// shutdownGrace bounds how long in-flight calls get after stdin closes or a
// signal arrives; the process exits within 2 s either way.
const shutdownGrace = 1500 * time.Millisecond

// SandboxEnvID is the env the sandbox emulator seeds.
const sandboxEnvID = "demo-env-1a2b3c"

func serve(args []string) error {
	cfg, err := config.Load(config.DefaultSources(args))
	if err != nil {
		return err
	}
	logger, closeLog, err := newLogger(cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	for _, w := range cfg.Warnings() {
		logger.Warn(w)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if cfg.Transport == config.TransportHTTP {
		return serveHTTP(ctx, cfg, logger)
	}
	return serveStdio(ctx, cfg, logger)
}

// serveStdio speaks MCP over stdin/stdout until stdin ends or a signal
// cancels ctx, then shuts down within shutdownGrace.
func serveStdio(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	if stdinIsTerminal() {
		greet(os.Stderr)
	}

	built, cleanup, err := buildServer(cfg, logger, hooks{})
	if err != nil {
		return err
	}

	stdio := mcpserver.NewStdioServer(built.Server)
	stdio.SetErrorLogger(log.New(slogWriter{logger}, "", 0))
	// The guard bounds each message and tells us when stdin ends, even if
	// the transport is still waiting for calls to return.
	// Input requests gain the params some clients require (see
	// WithInputRequestParams) on their way out.
	guard := server.NewStdioGuard(os.Stdin, server.WithInputRequestParams(os.Stdout), server.MaxMessage, logger)
	done := make(chan error, 1)
	go func() { done <- stdio.Listen(ctx, guard, guard.Stdout()) }()

	err = awaitShutdown(ctx, guard.EOF(), done, cleanup, shutdownGrace, logger)
	logger.Info("server stopped")
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// awaitShutdown waits until the transport stops, stdin ends (eof) or ctx is
// cancelled, then runs cleanup alongside the calls still winding down, giving
// both grace in all. It returns what Listen returned, if it did; a cleanup
// still running at the deadline finishes on its own.
func awaitShutdown(ctx context.Context, eof <-chan struct{}, done <-chan error, cleanup func(), grace time.Duration, logger *slog.Logger) error {
	var err error
	listening := true
	select {
	case err = <-done: // stdin closed and every call returned
		listening = false
	case <-eof: // stdin closed: calls still running get shutdownGrace
	case <-ctx.Done(): // SIGTERM or SIGINT: Listen cancels in-flight calls
	}
	// Local runs stop while in-flight calls wind down, not after them: the
	// whole shutdown fits in shutdownGrace.
	// The goroutine closes its own channel: the loop below may drop its
	// reference (cleaned = nil) at the deadline while cleanup still runs.
	finished := make(chan struct{})
	go func() { cleanup(); close(finished) }()
	var cleaned <-chan struct{} = finished
	deadline := time.After(grace)
	for listening || cleaned != nil {
		select {
		case err = <-done:
			listening = false
		case <-cleaned:
			cleaned = nil
		case <-deadline:
			logger.Warn("shutdown took too long; exiting anyway", "callsRunning", listening, "cleanupRunning", cleaned != nil)
			listening, cleaned = false, nil
		}
	}
	return err
}

// hooks are what hosted mode adds to the server buildServer builds.
type hooks struct {
	// Metrics hear tool calls, upstream calls and cache outcomes.
	Metrics *hosted.Metrics
	// CloudMode: the actions that use this machine's files and processes
	// are not offered.
	CloudMode bool
}

// buildServer wires config → (sandbox emulator) → client → plugins → server.
func buildServer(cfg *config.Config, logger *slog.Logger, h hooks) (*server.Built, func(), error) {
	cleanup := func() {}
	if cfg.Sandbox {
		emu, err := emulator.New(emulator.Options{Logger: logger.With("component", "emulator"), Speed: cfg.SandboxSpeed})
		if err != nil {
			return nil, nil, fmt.Errorf("sandbox: %w", err)
		}
		base, err := emu.Listen("127.0.0.1:0")
		if err != nil {
			return nil, nil, fmt.Errorf("sandbox: %w", err)
		}
		cleanup = func() { _ = emu.Close() }
		cfg.APIBaseURL = base
		cfg.TemplatesURL = base + "/func_tpl/v1.0/function_list/find?skip=0&limit=500"
		cfg.Credentials = config.Credentials{SecretID: emulator.DemoSecretID, SecretKey: emulator.DemoSecretKey, Source: "sandbox"}
		if cfg.EnvID == "" {
			cfg.EnvID, cfg.EnvIDSource = sandboxEnvID, "sandbox"
		}
		logger.Info("sandbox: CloudRun emulator running in process", "baseURL", base, "envId", cfg.EnvID, "speed", cfg.SandboxSpeed)
	}
	client, err := newClient(cfg, logger, h)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	v, _, _ := buildInfo()
	deps := cloudrun.Deps{Config: cfg, Client: client, Logger: logger, CloudMode: h.CloudMode}
	if cfg.StateKey != "" {
		deps.StateKey = []byte(cfg.StateKey)
	}
	var middleware []mcpserver.ToolHandlerMiddleware
	if h.Metrics != nil {
		deps.CacheObserver = h.Metrics.ObserveCache
		middleware = append(middleware, h.Metrics.ToolMiddleware)
	}
	cr := cloudrun.New(deps)
	plugins := []server.Plugin{cr}
	stopEmulator := cleanup
	cleanup = func() {
		// Local runs end with the server; then the sandbox goes.
		if err := cr.Close(); err != nil {
			logger.Warn("stopping local runs", "err", err)
		}
		stopEmulator()
	}
	built, err := server.New(server.Options{
		Version: v, Logger: logger, ReadOnly: cfg.ReadOnly,
		Enabled: cfg.PluginsEnabled, Disabled: cfg.PluginsDisabled,
		Middleware: middleware,
	}, plugins...)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return built, cleanup, nil
}

// newClient builds the CloudRun client: calls are signed with the caller's
// own keys (hosted mode) or the server's, which come from the configured
// pair or the Tencent Cloud SDK's role providers; every account's calls stay
// under the upstream rate limit.
func newClient(cfg *config.Config, logger *slog.Logger, h hooks) (tcbr.Client, error) {
	c := cfg.Credentials
	src := tcbr.Providers(tcbr.RoleOptions{
		Base:    tcbr.Credential{SecretID: c.SecretID, SecretKey: c.SecretKey, SessionToken: c.SessionToken},
		TKEOIDC: c.TKEOIDC, CVMRole: c.CVMRole, RoleARN: c.RoleARN, RoleSessionName: c.RoleSessionName,
	})
	tmpl := tcbr.Options{
		Region:  cfg.Region,
		BaseURL: cfg.APIBaseURL,
		Timeout: cfg.RequestTimeout,
		Logger:  logger.With("component", "tcbr"),
	}
	held := tmpl
	held.Source = src
	serverClient, err := tcbr.NewSDKClient(held)
	if err != nil {
		return nil, err
	}
	if c.Available() {
		logger.Info("Tencent Cloud credentials", "credentials", c, "provider", src.Describe())
	} else if !cfg.Sandbox && !cfg.HTTP.Auths(config.AuthHeaders) {
		logger.Warn("no Tencent Cloud credentials; tools will explain how to set them", "hint", "TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY, or CLOUDBASE_MCP_SANDBOX=true")
	}
	ro := tcbr.RouterOptions{Server: serverClient, Tenant: tmpl,
		UpstreamRate: cfg.UpstreamRateLimit, UpstreamBurst: int(cfg.UpstreamRateLimit)}
	if h.Metrics != nil {
		ro.Observe = h.Metrics.ObserveUpstream
	}
	return tcbr.NewRouter(ro), nil
}

// newLogger writes to stderr, or to CLOUDBASE_MCP_LOG_FILE: never stdout,
// which carries only JSON-RPC.
func newLogger(cfg *config.Config) (*slog.Logger, func(), error) {
	var w io.Writer = os.Stderr
	closeFn := func() {}
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("open log file %s (CLOUDBASE_MCP_LOG_FILE): %w", cfg.LogFile, err)
		}
		w, closeFn = f, func() { _ = f.Close() }
	}
	h := slog.NewTextHandler(w, &slog.HandlerOptions{Level: cfg.LogLevel})
	return slog.New(h), closeFn, nil
}

// slogWriter adapts mcp-go's *log.Logger output to slog.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Error(string(trimNewline(p)), "component", "stdio")
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
