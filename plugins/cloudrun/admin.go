package cloudrun

import (
	"log/slog"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// admin makes the changes to the cloud that are not deploys: a service's
// config (manage_config.go), its traffic (manage_traffic.go), its deletion
// (manage_delete.go), and opening CloudRun on an env (manage_env.go).
type admin struct {
	client tcbr.Client
	envs   *envResolver
	cache  *serviceCache
	clock  clock.Clock  // initEnv's wait
	log    *slog.Logger // deletions
}
