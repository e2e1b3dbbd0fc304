package cloudrun

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// envResolver decides which env a call acts on, and whether it can be
// signed at all: the caller's (hosted mode, tenancy.go), the configured one,
// or the account's only env, found once.
type envResolver struct {
	cfg    *config.Config
	client tcbr.Client // DescribeCloudRunEnvs only
	log    *slog.Logger
	// tenantEnvs: the env found for each hosted caller's account.
	tenantEnvs *cache.Cache[string]

	mu       sync.Mutex
	resolved string // env found by DescribeCloudRunEnvs when none is configured
}

// ready checks that a cloud call can be made and resolves the env: the
// override (an envId argument), else the caller's (hosted mode, see
// tenancy.go), else the configured env, else the account's only env.
func (e *envResolver) ready(ctx context.Context, override string) (string, error) {
	if !e.canSign(ctx) {
		return "", &failure{
			Kind: kindInvalid,
			What: "No Tencent Cloud credentials",
			Why:  "the server found no SecretId/SecretKey in the environment or ~/.tencentcloud/credentials",
			Hint: config.MissingCredentialsMessage(),
		}
	}
	if env, ok, err := e.tenantEnv(ctx, override); ok {
		return env, err
	}
	if e.cfg.EnvID != "" {
		return e.cfg.EnvID, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.resolved != "" {
		return e.resolved, nil
	}
	env, err := e.onlyEnv(ctx, "CLOUDBASE_ENV_ID is not set",
		"Set CLOUDBASE_ENV_ID (or envId in cloudbaserc.json in the workspace) to one of them, or pass envId.")
	if err != nil {
		return "", err
	}
	e.resolved = env
	e.log.Info("env resolved from the account", "envId", env)
	return env, nil
}

// onlyEnv is the account's env when it has exactly one; why says why it is
// looked up, hint what to do when there are several.
func (e *envResolver) onlyEnv(ctx context.Context, why, hint string) (string, error) {
	resp, err := e.client.DescribeCloudRunEnvs(ctx, &tcbr.DescribeCloudRunEnvsRequest{})
	if err != nil {
		return "", upstreamFailure("find the CloudBase env ("+why+")", err, "")
	}
	switch len(resp.EnvList) {
	case 0:
		return "", &failure{
			What: "No CloudBase env",
			Why:  why + " and this account has no CloudBase env",
			Hint: "Create an env in the CloudBase console, then set CLOUDBASE_ENV_ID to its id.",
		}
	case 1:
		return resp.EnvList[0].EnvId, nil
	}
	ids := make([]string, 0, len(resp.EnvList))
	for _, env := range resp.EnvList {
		label := env.EnvId
		if env.Alias != "" {
			label += " (" + env.Alias + ")"
		}
		ids = append(ids, label)
	}
	return "", &failure{
		What: "Which env?",
		Why:  fmt.Sprintf("%s and this account has %d envs: %s", why, len(ids), strings.Join(ids, ", ")),
		Hint: hint,
	}
}

// knownEnv is the env a local action records in cloudbaserc.json: the
// configured one, or the one resolved from the account; "" when neither.
func (e *envResolver) knownEnv() string {
	if e.cfg.EnvID != "" {
		return e.cfg.EnvID
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.resolved
}
