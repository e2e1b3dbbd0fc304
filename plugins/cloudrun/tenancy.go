package cloudrun

import (
	"context"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
)

// Hosted mode serves many callers with one plugin (internal/tenant carries
// the caller of each request). What calls leave behind — cached reads, the
// env found for an account — is kept under the identity of the keys that
// signed them, so no caller is ever served data its own keys would not get:
// callers with keys of their own each have theirs (a hash of the whole key,
// so knowing a SecretId is not enough), and callers of the server's keys
// (bearer tokens) share the server's, as they would see the same data. Over
// stdio there is no tenant and the server's configuration applies.

// tenantEnvTTL is how long the env found for a caller's account is kept.
const tenantEnvTTL = 10 * time.Minute

// identity scopes cache keys by the keys that sign the caller's calls: the
// caller's opaque identity when it brings its own, else the server's
// SecretId. It is hashed again in the key, and never holds a secret.
func (e *envResolver) identity(ctx context.Context) string {
	if t, ok := tenant.From(ctx); ok && t.OwnCredentials() {
		return t.ID
	}
	return e.cfg.Credentials.SecretID
}

// canSign reports whether the caller's calls can be signed: with its own
// keys, or with the server's.
func (e *envResolver) canSign(ctx context.Context) bool {
	if t, ok := tenant.From(ctx); ok && t.OwnCredentials() {
		return true
	}
	return e.cfg.Sandbox || e.cfg.Credentials.Available()
}

// tenantEnv is the env of a caller that decides its own: override (an
// envId argument) unless the caller is held to one env, the env it named,
// or, for a caller with keys of its own, the only env of its account (found
// once per caller and kept for tenantEnvTTL). ok is false when the server's
// configuration decides.
func (e *envResolver) tenantEnv(ctx context.Context, override string) (env string, ok bool, err error) {
	t, found := tenant.From(ctx)
	switch {
	case !found:
		return override, override != "", nil
	case t.EnvOnly && override != "" && override != t.EnvID:
		return "", true, &failure{
			Kind: kindInvalid,
			What: "Env not allowed: " + override,
			Why:  "this caller's token is limited to the env " + t.EnvID,
			Hint: "Leave envId out (the token's env is used), or ask the server's operator for a token of " + override + ".",
		}
	case override != "":
		return override, true, nil
	case t.EnvID != "":
		return t.EnvID, true, nil
	case !t.OwnCredentials():
		return "", false, nil // the server's account: its env applies
	}
	env, _, err = e.tenantEnvs.GetOrLoad(ctx, t.ID, tenantEnvTTL, false, func(ctx context.Context) (string, bool, error) {
		env, err := e.onlyEnv(ctx, "no env_id was given", "Add ?env_id=<your env id> to the server URL, or pass envId.")
		return env, err == nil, err
	})
	return env, true, err
}
