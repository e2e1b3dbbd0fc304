package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testStateKey = "0123456789abcdef0123456789abcdef"

func TestHostedDefaults(t *testing.T) {
	f := newFixture(t)
	cfg := f.load(t)
	assert.Equal(t, TransportStdio, cfg.Transport)
	assert.Equal(t, HTTP{Addr: "127.0.0.1:8080", Path: "/mcp", RateLimit: 20, DrainTimeout: 25 * time.Second}, cfg.HTTP)
	assert.Empty(t, cfg.StateKey)
	assert.False(t, cfg.SingleInstance)
	assert.Equal(t, 20.0, cfg.UpstreamRateLimit)

	// With auth the default address is every interface.
	f.env = map[string]string{"CLOUDBASE_MCP_HTTP_AUTH": "headers"}
	assert.Equal(t, "0.0.0.0:8080", f.load(t).HTTP.Addr)
}

func TestHostedSettings(t *testing.T) {
	f := newFixture(t)
	f.env = map[string]string{
		"CLOUDBASE_MCP_TRANSPORT":            "HTTP",
		"CLOUDBASE_MCP_HTTP_AUTH":            " tokens , headers,tokens",
		"CLOUDBASE_MCP_HTTP_TOKENS_FILE":     "tokens.json",
		"CLOUDBASE_MCP_STATE_KEY":            testStateKey,
		"CLOUDBASE_MCP_HTTP_ALLOWED_ORIGINS": "https://Studio.example.com/, http://localhost:6274",
		"CLOUDBASE_MCP_HTTP_RATE_LIMIT":      "5.5",
		"CLOUDBASE_MCP_UPSTREAM_RATE_LIMIT":  "0",
		"CLOUDBASE_MCP_HTTP_DRAIN_TIMEOUT":   "90",
	}
	f.args = []string{"--http-addr", "0.0.0.0:9090", "--http-path=/api/mcp/", "--http-local-actions"}
	cfg := f.load(t)
	assert.Equal(t, TransportHTTP, cfg.Transport)
	assert.Equal(t, HTTP{
		Addr: "0.0.0.0:9090", Path: "/api/mcp", Auth: []string{"tokens", "headers"}, TokensFile: f.wd + "/tokens.json",
		LocalActions: true, AllowedOrigins: []string{"https://studio.example.com", "http://localhost:6274"},
		RateLimit: 5.5, DrainTimeout: 90 * time.Second,
	}, cfg.HTTP)
	assert.True(t, cfg.HTTP.Auths(AuthHeaders))
	assert.Equal(t, Secret(testStateKey), cfg.StateKey)
	assert.Zero(t, cfg.UpstreamRateLimit)

	// The key never prints.
	b, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.NotContains(t, string(b), testStateKey)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.StateKey), testStateKey)
}

func TestHostedRefusesToStartUnsafely(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" = starts
	}{
		{"loopback without auth", map[string]string{"CLOUDBASE_MCP_SINGLE_INSTANCE": "true"}, ""},
		{"localhost without auth", map[string]string{"CLOUDBASE_MCP_HTTP_ADDR": "localhost:0", "CLOUDBASE_MCP_SINGLE_INSTANCE": "1"}, ""},
		{"every interface without auth", map[string]string{"CLOUDBASE_MCP_HTTP_ADDR": "0.0.0.0:8080", "CLOUDBASE_MCP_SINGLE_INSTANCE": "true"},
			"not a loopback address, and no auth is configured"},
		{"empty host without auth", map[string]string{"CLOUDBASE_MCP_HTTP_ADDR": ":8080", "CLOUDBASE_MCP_STATE_KEY": testStateKey},
			"not a loopback address"},
		{"no state key", map[string]string{"CLOUDBASE_MCP_HTTP_AUTH": "headers"}, "CLOUDBASE_MCP_STATE_KEY"},
		{"single instance needs no key", map[string]string{"CLOUDBASE_MCP_HTTP_AUTH": "headers", "CLOUDBASE_MCP_SINGLE_INSTANCE": "true"}, ""},
		{"shared key", map[string]string{"CLOUDBASE_MCP_HTTP_AUTH": "headers", "CLOUDBASE_MCP_STATE_KEY": testStateKey}, ""},
		{"tokens without a file", map[string]string{"CLOUDBASE_MCP_HTTP_AUTH": "tokens", "CLOUDBASE_MCP_STATE_KEY": testStateKey},
			"CLOUDBASE_MCP_HTTP_TOKENS_FILE is not set"},
		{"short key", map[string]string{"CLOUDBASE_MCP_STATE_KEY": "short"}, "at least 32 random characters"},
		{"bad transport", map[string]string{"CLOUDBASE_MCP_TRANSPORT": "sse"}, "use stdio or http"},
		{"bad address", map[string]string{"CLOUDBASE_MCP_HTTP_ADDR": "8080"}, "use host:port"},
		{"bad path", map[string]string{"CLOUDBASE_MCP_HTTP_PATH": "mcp"}, "absolute URL path"},
		{"bad auth", map[string]string{"CLOUDBASE_MCP_HTTP_AUTH": "oauth"}, `unknown auth "oauth"`},
		{"bad origin", map[string]string{"CLOUDBASE_MCP_HTTP_ALLOWED_ORIGINS": "example.com"}, "scheme://host"},
		{"bad rate", map[string]string{"CLOUDBASE_MCP_HTTP_RATE_LIMIT": "-1"}, "calls per second"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.env = map[string]string{"CLOUDBASE_MCP_TRANSPORT": "http"}
			for k, v := range tc.env {
				f.env[k] = v
			}
			_, err := Load(f.sources())
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// Over stdio none of this applies.
	f := newFixture(t)
	f.env = map[string]string{"CLOUDBASE_MCP_HTTP_ADDR": "0.0.0.0:8080"}
	f.load(t)
}

func TestStateKeyIsNeverReadFromTheConfigFile(t *testing.T) {
	f := newFixture(t)
	f.writeDefaultConfig(t, `{"CLOUDBASE_MCP_STATE_KEY": "`+testStateKey+`", "CLOUDBASE_MCP_HTTP_PATH": "/x"}`)
	cfg := f.load(t)
	assert.Empty(t, cfg.StateKey)
	assert.Equal(t, "/x", cfg.HTTP.Path)
	assert.Contains(t, strings.Join(cfg.Warnings(), "\n"), "CLOUDBASE_MCP_STATE_KEY ignored")
}

func TestRoleSettings(t *testing.T) {
	f := newFixture(t)
	f.env = map[string]string{"CLOUDBASE_MCP_CVM_ROLE": "auto", "TENCENTCLOUD_ROLE_ARN": "qcs::cam::uin/1:roleName/mcp"}
	cfg := f.load(t)
	assert.False(t, cfg.Credentials.Present())
	assert.True(t, cfg.Credentials.Available())
	assert.Equal(t, "temporary keys of the CVM instance role (auto), fetched at the first call, assuming the role qcs::cam::uin/1:roleName/mcp",
		cfg.Credentials.String())

	f.env = map[string]string{"TKE_ROLE_ARN": "qcs::cam::uin/1:roleName/pod", "TKE_REGION": "ap-shanghai"}
	cfg = f.load(t)
	assert.True(t, cfg.Credentials.TKEOIDC)
	assert.True(t, cfg.Credentials.Available())
	w := strings.Join(cfg.Warnings(), "\n")
	assert.Contains(t, w, "TKE_PROVIDER_ID is not")
	assert.Contains(t, w, "TKE_WEB_IDENTITY_TOKEN_FILE is not")

	// A pair wins; the role ARN is assumed with it.
	f.env = map[string]string{"TENCENTCLOUD_SECRETID": "AKIDexample0000000001", "TENCENTCLOUD_SECRETKEY": "k", "TENCENTCLOUD_ROLE_ARN": "arn"}
	assert.Equal(t, "AKID****0001 (from TENCENTCLOUD_SECRETID), assuming the role arn", f.load(t).Credentials.String())

	// The sandbox never uses real keys, nor roles.
	f.env = map[string]string{"CLOUDBASE_MCP_SANDBOX": "true", "CLOUDBASE_MCP_CVM_ROLE": "auto"}
	assert.False(t, f.load(t).Credentials.Available())
}
