package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/hosted"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun"
)

// serveHTTP is hosted mode: the same server over Streamable HTTP until ctx
// ends (SIGTERM, SIGINT), then a drain of the calls in flight.
func serveHTTP(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	s, err := startHosted(cfg, logger)
	if err != nil {
		return err
	}
	select {
	case err := <-s.served:
		s.cleanup()
		return err
	case <-ctx.Done():
	}
	logger.Info("draining: no new connections; calls in flight may finish", "timeout", cfg.HTTP.DrainTimeout)
	if err := s.stop(cfg.HTTP.DrainTimeout); err != nil {
		logger.Warn("drain", "err", err)
	}
	logger.Info("server stopped")
	return nil
}

// hostedServer is a running hosted endpoint.
type hostedServer struct {
	h       *hosted.Server
	url     string // the MCP endpoint
	base    string // scheme://host:port
	served  chan error
	cleanup func()
}

// startHosted builds the server, listens on cfg.HTTP.Addr and serves.
func startHosted(cfg *config.Config, logger *slog.Logger) (*hostedServer, error) {
	var tokens []hosted.TokenEntry
	if cfg.HTTP.Auths(config.AuthTokens) {
		var err error
		if tokens, err = hosted.LoadTokens(cfg.HTTP.TokensFile); err != nil {
			return nil, err
		}
	}
	metrics := hosted.NewMetrics([]string{cloudrun.QueryToolName, cloudrun.ManageToolName},
		append(cloudrun.QueryActions(), cloudrun.ManageActions()...))
	built, cleanup, err := buildServer(cfg, logger, hooks{Metrics: metrics, CloudMode: !cfg.HTTP.LocalActions})
	if err != nil {
		return nil, err
	}
	v, _, _ := buildInfo()
	h, err := hosted.New(hosted.Options{Config: cfg.HTTP, MCP: built.Server, Tokens: tokens, Metrics: metrics,
		Logger: logger, Version: v})
	if err != nil {
		cleanup()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("CLOUDBASE_MCP_HTTP_ADDR %s: %w", cfg.HTTP.Addr, err)
	}
	s := &hostedServer{h: h, base: "http://" + ln.Addr().String(), served: make(chan error, 1), cleanup: cleanup}
	s.url = s.base + cfg.HTTP.Path
	auth := strings.Join(cfg.HTTP.Auth, ",")
	if auth == "" {
		auth = "none (loopback only)"
	}
	stateKey := "shared (CLOUDBASE_MCP_STATE_KEY)"
	if cfg.StateKey == "" {
		stateKey = "random, single instance"
	}
	logger.Info("hosted mode: listening", "url", s.url, "auth", auth, "cloudMode", !cfg.HTTP.LocalActions,
		"requestStateKey", stateKey, "health", "/healthz", "metrics", "/metrics")
	go func() { s.served <- h.Serve(ln) }()
	return s, nil
}

// stop drains for at most timeout, then releases the server's resources.
func (s *hostedServer) stop(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := s.h.Shutdown(ctx)
	<-s.served
	s.cleanup()
	return err
}
