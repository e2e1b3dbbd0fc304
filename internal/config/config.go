// Package config resolves every setting of the server once, with one
// precedence: flag > environment > config file > default. An empty value at
// any level counts as unset there, so the next level applies.
//
// The table of settings (EnvVars) is the single source for the loader, the
// flags and the README.
package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is the resolved configuration.
type Config struct {
	// PluginsEnabled replaces the default set (all plugins) when non-nil.
	PluginsEnabled  []string
	PluginsDisabled []string
	// ReadOnly is true when CLOUDBASE_MCP_READ_ONLY or its alias
	// CLOUDBASE_MCP_CLOUD_MODE (MCP_CLOUD_MODE) is true.
	ReadOnly bool
	Sandbox  bool
	// SandboxSpeed is the sandbox emulator's virtual seconds per real
	// second: builds that take minutes on the platform take seconds at 20.
	SandboxSpeed float64
	Credentials  Credentials
	EnvID        string
	// EnvIDSource is where EnvID came from: "flag", "env", "file",
	// "cloudbaserc.json", ".cloudbase/project.json"; "" when unset.
	EnvIDSource  string
	Region       string
	APIBaseURL   string
	TemplatesURL string
	// Workspace is absolute and cleaned (symlinks are resolved where paths
	// are checked against it).
	Workspace string
	LogLevel  slog.Level
	// LogFile receives logs instead of stderr when set.
	LogFile string
	// AuditLog is "" only when no user config dir is known and none is set.
	AuditLog       string
	CacheTTL       CacheTTL
	RequestTimeout time.Duration
	// ConfigFile is the config file that was read, "" if none.
	ConfigFile string

	// Transport is TransportStdio or TransportHTTP.
	Transport string
	HTTP      HTTP
	// StateKey signs confirmation round trips ("" = a random key of the
	// process); SingleInstance declares no other instance shares the work.
	StateKey       Secret
	SingleInstance bool
	// UpstreamRateLimit is calls per second per account and action (0 = no
	// limit).
	UpstreamRateLimit float64

	warnings []string
}

// CacheTTL holds the read cache lifetimes; 0 disables caching.
type CacheTTL struct{ List, Detail, Templates time.Duration }

// Warnings returns the non-fatal notes gathered while loading, for the
// caller to log (malformed credentials file, partial credentials, ...).
func (c *Config) Warnings() []string { return append([]string(nil), c.warnings...) }

// Sources is everything Load reads from the process, injectable for tests.
type Sources struct {
	// Args are the flags after the subcommand, e.g. os.Args[1:].
	Args []string
	// Getenv reads the environment; nil reads an empty one.
	Getenv func(string) string
	// HomeDir locates ~/.tencentcloud/credentials and expands "~/" in paths.
	HomeDir string
	// Getwd is the base of relative paths and the default workspace.
	Getwd func() (string, error)
	// UserConfigDir holds the default config file and audit log.
	UserConfigDir string
}

// DefaultSources reads the real process: the environment, the home, working
// and user config directories; args are the flags after the subcommand
// (e.g. os.Args[2:] after "serve").
func DefaultSources(args []string) Sources {
	home, _ := os.UserHomeDir()
	cfgDir, _ := os.UserConfigDir()
	return Sources{
		Args:          args,
		Getenv:        os.Getenv,
		HomeDir:       home,
		Getwd:         os.Getwd,
		UserConfigDir: cfgDir,
	}
}

// value is a resolved raw setting and where it came from.
type value struct {
	raw string
	// origin is "flag", "env" or "file".
	origin string
	// where names the source in messages: "--region", "TCB_REGION", or
	// "TCB_REGION in /path/config.json".
	where string
}

type loader struct {
	src      Sources
	cfg      *Config
	flags    map[string]string
	file     map[string]string
	wd       string
	wdErr    error
	warnings []string
}

// Load resolves the configuration. It fails only on malformed input (a bad
// flag, an unparsable value, an unreadable explicit or malformed config
// file), with a message naming the flag or variable and the accepted form.
// Missing credentials are not an error: the server starts and its tools
// explain (see MissingCredentialsMessage).
func Load(src Sources) (*Config, error) {
	if src.Getenv == nil {
		src.Getenv = func(string) string { return "" }
	}
	l := &loader{
		src: src,
		cfg: &Config{
			Region:         DefaultRegion,
			TemplatesURL:   DefaultTemplatesURL,
			LogLevel:       slog.LevelInfo,
			RequestTimeout: DefaultRequestTimeout,
			SandboxSpeed:   DefaultSandboxSpeed,
			CacheTTL:       CacheTTL{List: DefaultListTTL, Detail: DefaultDetailTTL, Templates: DefaultTemplatesTTL},
			Transport:      TransportStdio,
			HTTP: HTTP{Path: DefaultHTTPPath, RateLimit: DefaultHTTPRateLimit,
				DrainTimeout: DefaultDrainTimeout},
			UpstreamRateLimit: DefaultUpstreamRateLimit,
		},
	}
	if src.Getwd != nil {
		l.wd, l.wdErr = src.Getwd()
	} else {
		l.wdErr = fmt.Errorf("no working directory given")
	}

	var err error
	if l.flags, err = parseFlags(src.Args); err != nil {
		return nil, err
	}
	if err := l.readConfigFile(); err != nil {
		return nil, err
	}
	for _, s := range settings {
		if s.apply == nil {
			continue
		}
		if v, ok := l.resolve(s); ok {
			if err := s.apply(l, v); err != nil {
				return nil, err
			}
		}
	}
	l.finishWorkspace()
	l.envIDFromWorkspace()
	l.defaultAuditLog()
	roles := l.cfg.Credentials.Roles
	l.cfg.Credentials = l.credentials()
	if !l.cfg.Sandbox {
		l.cfg.Credentials.Roles = roles
	}
	if err := l.finishHosted(); err != nil {
		return nil, err
	}
	l.cfg.warnings = l.warnings
	return l.cfg, nil
}

// resolve finds a setting's value by precedence: flag, environment (Name
// then aliases), config file.
func (l *loader) resolve(s setting) (value, bool) {
	if s.Flag != "" {
		if v := strings.TrimSpace(l.flags[s.Flag]); v != "" {
			return value{raw: v, origin: "flag", where: "--" + s.Flag}, true
		}
	}
	names := append([]string{s.Name}, s.Aliases...)
	for _, n := range names {
		if v := strings.TrimSpace(l.src.Getenv(n)); v != "" {
			return value{raw: v, origin: "env", where: n}, true
		}
	}
	if !s.noFile {
		for _, n := range names {
			if v := strings.TrimSpace(l.file[n]); v != "" {
				return value{raw: v, origin: "file", where: n + " in " + l.cfg.ConfigFile}, true
			}
		}
	}
	return value{}, false
}

func (l *loader) warnf(format string, args ...any) {
	l.warnings = append(l.warnings, fmt.Sprintf(format, args...))
}

// absPath expands a leading "~/" and makes p absolute against the working
// directory, cleaned.
func (l *loader) absPath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") || strings.HasPrefix(p, `~\`) {
		if l.src.HomeDir != "" {
			p = filepath.Join(l.src.HomeDir, p[1:])
		}
	}
	if !filepath.IsAbs(p) {
		if l.wdErr != nil {
			l.warnf("cannot make %q absolute: working directory unknown (%v)", p, l.wdErr)
			return filepath.Clean(p)
		}
		p = filepath.Join(l.wd, p)
	}
	return filepath.Clean(p)
}

func (l *loader) finishWorkspace() {
	if l.cfg.Workspace == "" {
		if l.wdErr != nil {
			l.warnf("no workspace: the working directory is unknown (%v); set CLOUDBASE_MCP_WORKSPACE", l.wdErr)
			return
		}
		l.cfg.Workspace = filepath.Clean(l.wd)
	}
	if fi, err := os.Stat(l.cfg.Workspace); err != nil {
		l.warnf("workspace %s: %v", l.cfg.Workspace, err)
	} else if !fi.IsDir() {
		l.warnf("workspace %s is not a directory", l.cfg.Workspace)
	}
}

func (l *loader) defaultAuditLog() {
	if l.cfg.AuditLog != "" {
		return
	}
	if l.src.UserConfigDir == "" {
		l.warnf("audit log disabled: no user config directory is known; set CLOUDBASE_MCP_AUDIT_LOG")
		return
	}
	l.cfg.AuditLog = filepath.Join(l.src.UserConfigDir, "cloudbase-mcp", "audit.log")
}

// pluginList trims, lower-cases, de-duplicates and drops empty names.
func (l *loader) pluginList(v value) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range strings.Split(v.raw, ",") {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	if out == nil {
		l.warnf("%s lists no plugin names; ignored", v.where)
	}
	return out
}

func parseBool(v value) (bool, error) {
	switch strings.ToLower(v.raw) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%s: invalid boolean %q (use true/false, 1/0, yes/no or on/off)", v.where, v.raw)
}

// applyReadOnly ORs: a read-only switch set anywhere is never turned off by
// its alias, and an explicit false only overrides lower precedence levels
// of the same variable.
func applyReadOnly(l *loader, v value) error {
	b, err := parseBool(v)
	l.cfg.ReadOnly = l.cfg.ReadOnly || b
	return err
}

var regionPattern = regexp.MustCompile(`^[a-z]+(-[a-z0-9]+)+$`)

func applyRegion(l *loader, v value) error {
	r := strings.ToLower(v.raw)
	if !regionPattern.MatchString(r) {
		return fmt.Errorf("%s: invalid region %q (use a Tencent Cloud region such as ap-shanghai or ap-guangzhou)", v.where, v.raw)
	}
	l.cfg.Region = r
	return nil
}

func parseURL(v value, dst *string) error {
	u, err := url.Parse(v.raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: invalid URL %q (use an absolute http or https URL such as http://127.0.0.1:9000)", v.where, v.raw)
	}
	*dst = v.raw
	return nil
}

func applyLogLevel(l *loader, v value) error {
	switch strings.ToLower(v.raw) {
	case "debug":
		l.cfg.LogLevel = slog.LevelDebug
	case "info":
		l.cfg.LogLevel = slog.LevelInfo
	case "warn", "warning":
		l.cfg.LogLevel = slog.LevelWarn
	case "error":
		l.cfg.LogLevel = slog.LevelError
	default:
		return fmt.Errorf("%s: invalid log level %q (use debug, info, warn or error)", v.where, v.raw)
	}
	return nil
}

// parseDuration accepts a Go duration ("90s", "5m") or whole seconds ("300").
func parseDuration(v value) (time.Duration, error) {
	if n, err := strconv.ParseInt(v.raw, 10, 64); err == nil {
		if n >= 0 && n <= int64(time.Duration(1<<63-1)/time.Second) {
			return time.Duration(n) * time.Second, nil
		}
	} else if d, err := time.ParseDuration(v.raw); err == nil && d >= 0 {
		return d, nil
	}
	return 0, fmt.Errorf(`%s: invalid duration %q (use a Go duration such as "90s" or "5m", or whole seconds such as "300"; not negative)`, v.where, v.raw)
}

func parseTTL(v value, dst *time.Duration) error {
	d, err := parseDuration(v)
	if err != nil {
		return fmt.Errorf("%w; 0 disables caching", err)
	}
	*dst = d
	return nil
}

// applyRequestTimeout refuses 0: every upstream call must have a timeout.
func applySandboxSpeed(l *loader, v value) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v.raw), 64)
	if err != nil || f <= 0 || f > 10000 {
		return fmt.Errorf(`%s: invalid speed %q (a number of virtual seconds per real second, greater than 0 and at most 10000, e.g. "20")`, v.where, v.raw)
	}
	l.cfg.SandboxSpeed = f
	return nil
}

func applyRequestTimeout(l *loader, v value) error {
	d, err := parseDuration(v)
	if err == nil && d == 0 {
		err = fmt.Errorf(`%s: must be greater than 0 (every upstream call needs a timeout), e.g. "30s"`, v.where)
	}
	if err != nil {
		return err
	}
	l.cfg.RequestTimeout = d
	return nil
}
