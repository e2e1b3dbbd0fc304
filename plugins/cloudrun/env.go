package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// ready checks that a cloud call can be made and resolves the env: the
// override (an envId argument), else the caller's (hosted mode, see
// tenancy.go), else the configured env, else the account's only env.
func (p *Plugin) ready(ctx context.Context, override string) (string, error) {
	if !p.canSign(ctx) {
		return "", &failure{
			Kind: kindInvalid,
			What: "No Tencent Cloud credentials",
			Why:  "the server found no SecretId/SecretKey in the environment or ~/.tencentcloud/credentials",
			Hint: config.MissingCredentialsMessage(),
		}
	}
	if env, ok, err := p.tenantEnv(ctx, override); ok {
		return env, err
	}
	if p.cfg.EnvID != "" {
		return p.cfg.EnvID, nil
	}
	p.envMu.Lock()
	defer p.envMu.Unlock()
	if p.resolvedEnv != "" {
		return p.resolvedEnv, nil
	}
	env, err := p.onlyEnv(ctx, "CLOUDBASE_ENV_ID is not set",
		"Set CLOUDBASE_ENV_ID (or envId in cloudbaserc.json in the workspace) to one of them, or pass envId.")
	if err != nil {
		return "", err
	}
	p.resolvedEnv = env
	p.log.Info("env resolved from the account", "envId", env)
	return env, nil
}

// onlyEnv is the account's env when it has exactly one; why says why it is
// looked up, hint what to do when there are several.
func (p *Plugin) onlyEnv(ctx context.Context, why, hint string) (string, error) {
	resp, err := p.client.DescribeCloudRunEnvs(ctx, &tcbr.DescribeCloudRunEnvsRequest{})
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
	for _, e := range resp.EnvList {
		label := e.EnvId
		if e.Alias != "" {
			label += " (" + e.Alias + ")"
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
func (p *Plugin) knownEnv() string {
	if p.cfg.EnvID != "" {
		return p.cfg.EnvID
	}
	p.envMu.Lock()
	defer p.envMu.Unlock()
	return p.resolvedEnv
}
