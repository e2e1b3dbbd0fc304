package config

import (
	"strings"
	"time"
)

// Names of the variables the loader treats specially (the rest are only
// mentioned in the settings table).
const (
	envConfig          = "CLOUDBASE_MCP_CONFIG"
	envEnvID           = "CLOUDBASE_ENV_ID"
	envSecretID        = "TENCENTCLOUD_SECRETID"
	envSecretKey       = "TENCENTCLOUD_SECRETKEY"
	envSessionToken    = "TENCENTCLOUD_SESSIONTOKEN"
	envSecretIDAlt     = "TENCENTCLOUD_SECRET_ID"
	envSecretKeyAlt    = "TENCENTCLOUD_SECRET_KEY"
	envSessionTokenAlt = "TENCENTCLOUD_SESSION_TOKEN"
	envCredentialsFile = "TENCENTCLOUD_CREDENTIALS_FILE"
	envPluginsEnabled  = "CLOUDBASE_MCP_PLUGINS_ENABLED"

	flagSecretID = "secret-id"
	flagConfig   = "config"
)

// Defaults that are values rather than "derived at load time".
const (
	DefaultRegion         = "ap-shanghai"
	DefaultTemplatesURL   = "https://qcloud-tcb-console-1258344699.ap-shanghai.service.tcloudbase.com/func_tpl/v1.0/function_list/find?skip=0&limit=500"
	DefaultListTTL        = 5 * time.Minute
	DefaultDetailTTL      = 2 * time.Minute
	DefaultTemplatesTTL   = 30 * time.Minute
	DefaultRequestTimeout = 30 * time.Second
	DefaultSandboxSpeed   = 20.0
)

// EnvVar is one row of the configuration table: README generation and its
// check read EnvVars(), and the loader walks the same rows.
type EnvVar struct {
	Name string
	// Aliases are read after Name at the same precedence level, in order.
	Aliases []string
	// Flag is the command-line flag without dashes; "" when there is none.
	Flag        string
	Default     string
	Description string
}

// setting is an EnvVar plus how the loader applies it.
type setting struct {
	EnvVar
	// noFile: never read from the config file (secrets, and the config
	// file's own path).
	noFile bool
	// apply stores a resolved value; nil when a later step resolves the row
	// itself (the config file path, the credential chain).
	apply func(l *loader, v value) error
}

// settings is the configuration table, in README order.
var settings = []setting{
	{EnvVar: EnvVar{Name: envConfig, Flag: flagConfig,
		Default:     "<user config dir>/cloudbase-mcp/config.json, if it exists",
		Description: "JSON file of settings keyed by these variable names (credentials excepted); flags and environment override it"},
		noFile: true},
	{EnvVar: EnvVar{Name: envPluginsEnabled, Flag: "plugins-enabled", Default: "all plugins",
		Description: "comma list of plugins; replaces the default set. Names are trimmed and lower-cased"},
		apply: func(l *loader, v value) error {
			l.cfg.PluginsEnabled = l.pluginList(v)
			return nil
		}},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_PLUGINS_DISABLED", Flag: "plugins-disabled",
		Description: "comma list of plugins removed from the enabled set"},
		apply: func(l *loader, v value) error {
			l.cfg.PluginsDisabled = l.pluginList(v)
			return nil
		}},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_READ_ONLY", Flag: "read-only", Default: "false",
		Description: "true: register queryCloudRun only (no writes)"},
		apply: applyReadOnly},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_CLOUD_MODE", Aliases: []string{"MCP_CLOUD_MODE"}, Flag: "cloud-mode", Default: "false",
		Description: "the reference server's name for read-only mode; read-only applies when either is true"},
		apply: applyReadOnly},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_SANDBOX", Flag: "sandbox", Default: "false",
		Description: "true: run against the built-in emulator in process; no account or credentials needed"},
		apply: func(l *loader, v value) error {
			b, err := parseBool(v)
			l.cfg.Sandbox = b
			return err
		}},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_SANDBOX_SPEED", Flag: "sandbox-speed", Default: "20",
		Description: "sandbox only: virtual seconds per real second of the emulator's clock (deploys that take minutes finish in seconds)"},
		apply: applySandboxSpeed},
	// --secret-id exists so one of several identities can be chosen per
	// process; there is deliberately no --secret-key: a key on the command
	// line is visible to every user in process lists and lands in shell
	// history and client config files.
	{EnvVar: EnvVar{Name: envSecretID, Aliases: []string{envSecretIDAlt}, Flag: flagSecretID,
		Description: "Tencent Cloud API SecretId (https://console.cloud.tencentcloud.com/cam/capi)"},
		noFile: true},
	{EnvVar: EnvVar{Name: envSecretKey, Aliases: []string{envSecretKeyAlt},
		Description: "Tencent Cloud API SecretKey; environment or credentials file only, never a flag"},
		noFile: true},
	{EnvVar: EnvVar{Name: envSessionToken, Aliases: []string{envSessionTokenAlt},
		Description: "session token for temporary credentials"},
		noFile: true},
	{EnvVar: EnvVar{Name: envCredentialsFile, Default: "~/.tencentcloud/credentials",
		Description: "INI credentials file read when the variables above are unset: [default] secret_id, secret_key, token"}},
	{EnvVar: EnvVar{Name: "TKE_ROLE_ARN",
		Description: "with TKE_REGION, TKE_PROVIDER_ID and TKE_WEB_IDENTITY_TOKEN_FILE (set by TKE's pod identity): when no key pair is set, temporary keys of this role through the pod's OIDC token, refreshed before they expire"},
		apply: applyTKE, noFile: true},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_CVM_ROLE", Flag: "cvm-role",
		Description: "when no key pair is set: temporary keys of the CVM instance role from the metadata server, refreshed before they expire; auto finds the role bound to the instance, or name it"},
		apply: func(l *loader, v value) error {
			l.cfg.Credentials.CVMRole = v.raw
			return nil
		}},
	{EnvVar: EnvVar{Name: "TENCENTCLOUD_ROLE_ARN", Flag: "role-arn",
		Description: "assume this role (STS AssumeRole) with the keys found above; calls use its temporary keys, refreshed before they expire"},
		apply: func(l *loader, v value) error {
			l.cfg.Credentials.RoleARN = v.raw
			return nil
		}},
	{EnvVar: EnvVar{Name: "TENCENTCLOUD_ROLE_SESSION_NAME", Flag: "role-session-name", Default: "cloudbase-mcp",
		Description: "session name of the assumed role (shows in CloudAudit)"},
		apply: func(l *loader, v value) error {
			l.cfg.Credentials.RoleSessionName = v.raw
			return nil
		}},
	{EnvVar: EnvVar{Name: envEnvID, Flag: "env-id",
		Default:     "envId in the workspace's cloudbaserc.json or .cloudbase/project.json",
		Description: "the CloudBase environment id"},
		apply: func(l *loader, v value) error {
			l.cfg.EnvID, l.cfg.EnvIDSource = v.raw, v.origin
			return nil
		}},
	{EnvVar: EnvVar{Name: "TCB_REGION", Aliases: []string{"TENCENTCLOUD_REGION"}, Flag: "region", Default: DefaultRegion,
		Description: "Tencent Cloud region"},
		apply: applyRegion},
	{EnvVar: EnvVar{Name: "CLOUDBASE_API_BASE_URL", Flag: "api-base-url",
		Description: "send every Tencent Cloud API call (tcbr and tcb) to this base URL (the emulator, a proxy)"},
		apply: func(l *loader, v value) error { return parseURL(v, &l.cfg.APIBaseURL) }},
	{EnvVar: EnvVar{Name: "CLOUDBASE_TEMPLATES_URL", Flag: "templates-url", Default: DefaultTemplatesURL,
		Description: "template list URL"},
		apply: func(l *loader, v value) error { return parseURL(v, &l.cfg.TemplatesURL) }},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_WORKSPACE", Flag: "workspace", Default: "the working directory",
		Description: "workspace root when the client offers no MCP roots; file paths must stay inside it"},
		apply: func(l *loader, v value) error {
			l.cfg.Workspace = l.absPath(v.raw)
			return nil
		}},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_LOG_LEVEL", Flag: "log-level", Default: "info",
		Description: "debug, info, warn or error"},
		apply: applyLogLevel},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_LOG_FILE", Flag: "log-file", Default: "stderr",
		Description: "write logs to this file instead of stderr"},
		apply: func(l *loader, v value) error {
			l.cfg.LogFile = l.absPath(v.raw)
			return nil
		}},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_AUDIT_LOG", Flag: "audit-log", Default: "<user config dir>/cloudbase-mcp/audit.log",
		Description: "JSON-lines log of every write"},
		apply: func(l *loader, v value) error {
			l.cfg.AuditLog = l.absPath(v.raw)
			return nil
		}},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_CACHE_TTL_LIST", Flag: "cache-ttl-list", Default: shortDuration(DefaultListTTL),
		Description: "how long list results are cached; Go duration or seconds, 0 disables"},
		apply: func(l *loader, v value) error { return parseTTL(v, &l.cfg.CacheTTL.List) }},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_CACHE_TTL_DETAIL", Flag: "cache-ttl-detail", Default: shortDuration(DefaultDetailTTL),
		Description: "how long service details are cached (never while a deploy runs); Go duration or seconds, 0 disables"},
		apply: func(l *loader, v value) error { return parseTTL(v, &l.cfg.CacheTTL.Detail) }},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_CACHE_TTL_TEMPLATES", Flag: "cache-ttl-templates", Default: shortDuration(DefaultTemplatesTTL),
		Description: "how long the template list is cached; Go duration or seconds, 0 disables"},
		apply: func(l *loader, v value) error { return parseTTL(v, &l.cfg.CacheTTL.Templates) }},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_REQUEST_TIMEOUT", Flag: "request-timeout", Default: shortDuration(DefaultRequestTimeout),
		Description: "timeout of each upstream API call; Go duration or seconds, greater than 0"},
		apply: applyRequestTimeout},
	// Hosted mode: one server for a team or a CI fleet over Streamable HTTP.
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_TRANSPORT", Flag: "transport", Default: TransportStdio,
		Description: "stdio (one server per user, started by the client) or http (hosted mode: MCP Streamable HTTP for many callers)"},
		apply: applyTransport},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_ADDR", Flag: "http-addr", Default: "127.0.0.1:8080; 0.0.0.0:8080 when auth is set",
		Description: "http: host:port to listen on; without auth only a loopback address is accepted"},
		apply: applyHTTPAddr},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_PATH", Flag: "http-path", Default: DefaultHTTPPath,
		Description: "http: the MCP endpoint's path (/healthz and /metrics are at the root)"},
		apply: applyHTTPPath},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_AUTH", Flag: "http-auth", Default: "none (loopback only)",
		Description: "http: headers (callers send their own keys: X-TencentCloud-SecretId, X-TencentCloud-SecretKey, X-TencentCloud-SessionToken, and env_id in the URL), tokens (Authorization: Bearer from the tokens file; calls use the server's keys), or headers,tokens"},
		apply: applyHTTPAuth},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_TOKENS_FILE", Flag: "http-tokens-file",
		Description: "http: JSON list of bearer tokens, each {\"name\", \"sha256\" of the token, optional \"envId\"}"},
		apply: func(l *loader, v value) error {
			l.cfg.HTTP.TokensFile = l.absPath(v.raw)
			return nil
		}},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_STATE_KEY",
		Description: "http: the key (32+ characters, the same on every instance) that signs the requestState of confirmation round trips, so a retry may land on any instance; environment only"},
		noFile: true, apply: applyStateKey},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_SINGLE_INSTANCE", Flag: "single-instance", Default: "false",
		Description: "http: true declares this the only instance: a random CLOUDBASE_MCP_STATE_KEY of the process is then enough"},
		apply: applyBoolTo(func(c *Config) *bool { return &c.SingleInstance })},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_LOCAL_ACTIONS", Flag: "http-local-actions", Default: "false",
		Description: "http: true also offers the actions that use this machine's files and processes (init, download, run, stop, localRuns, createAgent, deploy from targetPath); off, the server runs in cloud mode"},
		apply: applyBoolTo(func(c *Config) *bool { return &c.HTTP.LocalActions })},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_ALLOWED_ORIGINS", Flag: "http-allowed-origins", Default: "loopback origins only",
		Description: "http: comma list of browser origins allowed to call (Origin header); requests without Origin are not browsers and pass"},
		apply: applyOrigins},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_RATE_LIMIT", Flag: "http-rate-limit", Default: "20",
		Description: "http: requests per second per caller (bursts of twice that); beyond it the answer is 429 with Retry-After; 0 disables"},
		apply: func(l *loader, v value) error { return parseRate(v, &l.cfg.HTTP.RateLimit) }},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_UPSTREAM_RATE_LIMIT", Flag: "upstream-rate-limit", Default: "20",
		Description: "Tencent Cloud API calls per second per account and action (the platform's usual limit is 20); calls beyond it wait their turn. Per instance: divide by the instance count. 0 disables"},
		apply: func(l *loader, v value) error { return parseRate(v, &l.cfg.UpstreamRateLimit) }},
	{EnvVar: EnvVar{Name: "CLOUDBASE_MCP_HTTP_DRAIN_TIMEOUT", Flag: "http-drain-timeout", Default: shortDuration(DefaultDrainTimeout),
		Description: "http: on SIGTERM, how long calls in flight get to finish (/healthz answers 503 meanwhile); Go duration or seconds"},
		apply: func(l *loader, v value) error {
			d, err := parseDuration(v)
			l.cfg.HTTP.DrainTimeout = d
			return err
		}},
}

// EnvVars returns the configuration table: every variable the server reads,
// its flag, default and meaning.
func EnvVars() []EnvVar {
	out := make([]EnvVar, len(settings))
	for i, s := range settings {
		out[i] = s.EnvVar
		out[i].Aliases = append([]string(nil), s.Aliases...)
	}
	return out
}

// shortDuration prints 5*time.Minute as "5m" rather than "5m0s".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}
