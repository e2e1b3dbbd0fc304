package cloudrun

import (
	"context"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
)

// serviceCache holds the cached reads of services (list pages, details),
// each keyed by region, env and the caller's identity (tenancy.go). Reads
// fill it; every write drops what it makes stale.
type serviceCache struct {
	cfg     *config.Config // Region
	envs    *envResolver   // the caller's identity
	lists   *cache.Cache[*listPage]
	details *cache.Cache[*detailData]
}

func newServiceCache(cfg *config.Config, envs *envResolver, clk clock.Clock) *serviceCache {
	return &serviceCache{cfg: cfg, envs: envs, lists: cache.New[*listPage](clk), details: cache.New[*detailData](clk)}
}

// observe reports every cached read's outcome to o, by cache name.
func (sc *serviceCache) observe(o func(cacheName string, out cache.Outcome)) {
	sc.lists.Observe(func(out cache.Outcome) { o("list", out) })
	sc.details.Observe(func(out cache.Outcome) { o("detail", out) })
}

// key scopes a key by region, env and the caller's identity.
func (sc *serviceCache) key(ctx context.Context, envID string, parts ...string) string {
	return cache.Key(sc.cfg.Region, envID, sc.envs.identity(ctx), parts...)
}

// invalidateService drops what a write to one service makes stale: every
// list page of the env and that service's detail. Entries other callers
// keep of the same env expire with their TTL: a write by one caller never
// reaches into another's cache.
func (sc *serviceCache) invalidateService(ctx context.Context, envID, serverName string) {
	sc.invalidateLists(ctx, envID)
	sc.details.Delete(sc.key(ctx, envID, "detail", serverName))
}

// invalidateLists drops every cached list page of the env.
func (sc *serviceCache) invalidateLists(ctx context.Context, envID string) {
	sc.lists.DeletePrefix(cache.ScopePrefix(sc.cfg.Region, envID, sc.envs.identity(ctx), "list"))
}
