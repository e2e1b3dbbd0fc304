package config

import (
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is an isolated process: its own working, home and config dirs.
type fixture struct {
	wd, home, cfgDir string
	env              map[string]string
	args             []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{wd: t.TempDir(), home: t.TempDir(), cfgDir: t.TempDir(), env: map[string]string{}}
}

func (f *fixture) sources() Sources {
	return Sources{
		Args:          f.args,
		Getenv:        func(k string) string { return f.env[k] },
		HomeDir:       f.home,
		Getwd:         func() (string, error) { return f.wd, nil },
		UserConfigDir: f.cfgDir,
	}
}

// writeDefaultConfig writes <UserConfigDir>/cloudbase-mcp/config.json.
func (f *fixture) writeDefaultConfig(t *testing.T, body string) string {
	t.Helper()
	return writeFile(t, filepath.Join(f.cfgDir, "cloudbase-mcp", "config.json"), body)
}

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
	return path
}

func (f *fixture) load(t *testing.T) *Config {
	t.Helper()
	cfg, err := Load(f.sources())
	require.NoError(t, err)
	return cfg
}

func TestDefaults(t *testing.T) {
	f := newFixture(t)
	cfg := f.load(t)
	assert.Nil(t, cfg.PluginsEnabled)
	assert.Nil(t, cfg.PluginsDisabled)
	assert.False(t, cfg.ReadOnly)
	assert.False(t, cfg.Sandbox)
	assert.False(t, cfg.Credentials.Present())
	assert.Empty(t, cfg.Credentials.Source)
	assert.Empty(t, cfg.EnvID)
	assert.Empty(t, cfg.EnvIDSource)
	assert.Equal(t, "ap-shanghai", cfg.Region)
	assert.Empty(t, cfg.APIBaseURL)
	assert.Equal(t, "https://qcloud-tcb-console-1258344699.ap-shanghai.service.tcloudbase.com/func_tpl/v1.0/function_list/find?skip=0&limit=500", cfg.TemplatesURL)
	assert.Equal(t, f.wd, cfg.Workspace)
	assert.Equal(t, slog.LevelInfo, cfg.LogLevel)
	assert.Empty(t, cfg.LogFile)
	assert.Equal(t, filepath.Join(f.cfgDir, "cloudbase-mcp", "audit.log"), cfg.AuditLog)
	assert.Equal(t, CacheTTL{List: 5 * time.Minute, Detail: 2 * time.Minute, Templates: 30 * time.Minute}, cfg.CacheTTL)
	assert.Equal(t, 30*time.Second, cfg.RequestTimeout)
	assert.Empty(t, cfg.ConfigFile)
	assert.Empty(t, cfg.Warnings())
}

func TestDefaultSourcesReadsTheProcess(t *testing.T) {
	t.Setenv("CLOUDBASE_ENV_ID", "env-from-process")
	src := DefaultSources([]string{"--sandbox"})
	assert.Equal(t, []string{"--sandbox"}, src.Args)
	require.NotNil(t, src.Getenv)
	require.NotNil(t, src.Getwd)
	assert.Equal(t, "env-from-process", src.Getenv("CLOUDBASE_ENV_ID"))
	wd, err := src.Getwd()
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(wd))
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		file  string // default config file body; "" = none
		check func(t *testing.T, cfg *Config)
	}{
		{"region default", nil, nil, "", func(t *testing.T, c *Config) { assert.Equal(t, "ap-shanghai", c.Region) }},
		{"region file", nil, nil, `{"TCB_REGION":"ap-beijing"}`,
			func(t *testing.T, c *Config) { assert.Equal(t, "ap-beijing", c.Region) }},
		{"region env over file", nil, map[string]string{"TENCENTCLOUD_REGION": "ap-guangzhou"}, `{"TCB_REGION":"ap-beijing"}`,
			func(t *testing.T, c *Config) { assert.Equal(t, "ap-guangzhou", c.Region) }},
		{"region TCB_REGION over TENCENTCLOUD_REGION", nil,
			map[string]string{"TCB_REGION": "ap-shanghai-fsi", "TENCENTCLOUD_REGION": "ap-guangzhou"}, "",
			func(t *testing.T, c *Config) { assert.Equal(t, "ap-shanghai-fsi", c.Region) }},
		{"region flag over env and file", []string{"--region", "eu-frankfurt"},
			map[string]string{"TCB_REGION": "ap-guangzhou"}, `{"TCB_REGION":"ap-beijing"}`,
			func(t *testing.T, c *Config) { assert.Equal(t, "eu-frankfurt", c.Region) }},
		{"env id file", nil, nil, `{"CLOUDBASE_ENV_ID":"env-file"}`, func(t *testing.T, c *Config) {
			assert.Equal(t, "env-file", c.EnvID)
			assert.Equal(t, "file", c.EnvIDSource)
		}},
		{"env id env over file", nil, map[string]string{"CLOUDBASE_ENV_ID": "env-env"}, `{"CLOUDBASE_ENV_ID":"env-file"}`,
			func(t *testing.T, c *Config) {
				assert.Equal(t, "env-env", c.EnvID)
				assert.Equal(t, "env", c.EnvIDSource)
			}},
		{"env id flag over env", []string{"--env-id=env-flag"}, map[string]string{"CLOUDBASE_ENV_ID": "env-env"}, "",
			func(t *testing.T, c *Config) {
				assert.Equal(t, "env-flag", c.EnvID)
				assert.Equal(t, "flag", c.EnvIDSource)
			}},
		{"empty env value is unset", nil, map[string]string{"CLOUDBASE_ENV_ID": "  "}, `{"CLOUDBASE_ENV_ID":"env-file"}`,
			func(t *testing.T, c *Config) { assert.Equal(t, "env-file", c.EnvID) }},
		{"log level file, env, flag", []string{"-log-level", "error"}, map[string]string{"CLOUDBASE_MCP_LOG_LEVEL": "warn"},
			`{"CLOUDBASE_MCP_LOG_LEVEL":"debug"}`, func(t *testing.T, c *Config) { assert.Equal(t, slog.LevelError, c.LogLevel) }},
		{"log level env over file", nil, map[string]string{"CLOUDBASE_MCP_LOG_LEVEL": "WARNING"},
			`{"CLOUDBASE_MCP_LOG_LEVEL":"debug"}`, func(t *testing.T, c *Config) { assert.Equal(t, slog.LevelWarn, c.LogLevel) }},
		{"cache ttl number in file", nil, nil, `{"CLOUDBASE_MCP_CACHE_TTL_LIST": 60, "CLOUDBASE_MCP_CACHE_TTL_DETAIL": "0"}`,
			func(t *testing.T, c *Config) {
				assert.Equal(t, time.Minute, c.CacheTTL.List)
				assert.Zero(t, c.CacheTTL.Detail)
				assert.Equal(t, 30*time.Minute, c.CacheTTL.Templates)
			}},
		{"cache ttl flag over env", []string{"--cache-ttl-templates=1h"},
			map[string]string{"CLOUDBASE_MCP_CACHE_TTL_TEMPLATES": "10"}, "",
			func(t *testing.T, c *Config) { assert.Equal(t, time.Hour, c.CacheTTL.Templates) }},
		{"request timeout env", nil, map[string]string{"CLOUDBASE_MCP_REQUEST_TIMEOUT": "5"}, "",
			func(t *testing.T, c *Config) { assert.Equal(t, 5*time.Second, c.RequestTimeout) }},
		{"sandbox file bool", nil, nil, `{"CLOUDBASE_MCP_SANDBOX": true}`,
			func(t *testing.T, c *Config) { assert.True(t, c.Sandbox) }},
		{"sandbox env false over file true", nil, map[string]string{"CLOUDBASE_MCP_SANDBOX": "off"}, `{"CLOUDBASE_MCP_SANDBOX": true}`,
			func(t *testing.T, c *Config) { assert.False(t, c.Sandbox) }},
		{"sandbox bare flag over env", []string{"--sandbox"}, map[string]string{"CLOUDBASE_MCP_SANDBOX": "false"}, "",
			func(t *testing.T, c *Config) { assert.True(t, c.Sandbox) }},
		{"urls", []string{"--api-base-url", "http://127.0.0.1:9000"},
			map[string]string{"CLOUDBASE_API_BASE_URL": "http://env.example", "CLOUDBASE_TEMPLATES_URL": "https://t.example/list"}, "",
			func(t *testing.T, c *Config) {
				assert.Equal(t, "http://127.0.0.1:9000", c.APIBaseURL)
				assert.Equal(t, "https://t.example/list", c.TemplatesURL)
			}},
		{"plugins list in file", nil, nil, `{"CLOUDBASE_MCP_PLUGINS_ENABLED": ["CloudRun", "other"]}`,
			func(t *testing.T, c *Config) { assert.Equal(t, []string{"cloudrun", "other"}, c.PluginsEnabled) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.args = tt.args
			for k, v := range tt.env {
				f.env[k] = v
			}
			if tt.file != "" {
				f.writeDefaultConfig(t, tt.file)
			}
			cfg := f.load(t)
			tt.check(t, cfg)
			if tt.file != "" {
				assert.Equal(t, filepath.Join(f.cfgDir, "cloudbase-mcp", "config.json"), cfg.ConfigFile)
			}
		})
	}
}

func TestPluginLists(t *testing.T) {
	tests := []struct {
		name, enabled, disabled string
		wantEnabled, wantDis    []string
		warns                   bool
	}{
		{"unset", "", "", nil, nil, false},
		{"trim lower dedupe", " CloudRun , ,FUNCTIONS,cloudrun ", "", []string{"cloudrun", "functions"}, nil, false},
		{"disabled", "", "Storage, ", nil, []string{"storage"}, false},
		{"only separators", " , ,", "", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.env["CLOUDBASE_MCP_PLUGINS_ENABLED"] = tt.enabled
			f.env["CLOUDBASE_MCP_PLUGINS_DISABLED"] = tt.disabled
			cfg := f.load(t)
			assert.Equal(t, tt.wantEnabled, cfg.PluginsEnabled)
			assert.Equal(t, tt.wantDis, cfg.PluginsDisabled)
			assert.Equal(t, tt.warns, len(cfg.Warnings()) > 0, cfg.Warnings())
		})
	}
}

func TestReadOnlyAliases(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want bool
	}{
		{"default", nil, nil, "", false},
		{"READ_ONLY", nil, map[string]string{"CLOUDBASE_MCP_READ_ONLY": "true"}, "", true},
		{"CLOUD_MODE", nil, map[string]string{"CLOUDBASE_MCP_CLOUD_MODE": "1"}, "", true},
		{"MCP_CLOUD_MODE", nil, map[string]string{"MCP_CLOUD_MODE": "yes"}, "", true},
		{"on", nil, map[string]string{"CLOUDBASE_MCP_READ_ONLY": "ON"}, "", true},
		{"explicit false", nil, map[string]string{"CLOUDBASE_MCP_READ_ONLY": "false", "MCP_CLOUD_MODE": "0"}, "", false},
		{"an alias never turns the other off", nil,
			map[string]string{"CLOUDBASE_MCP_READ_ONLY": "false", "CLOUDBASE_MCP_CLOUD_MODE": "true"}, "", true},
		{"flag", []string{"--read-only"}, nil, "", true},
		{"cloud-mode flag", []string{"--cloud-mode"}, nil, "", true},
		{"flag false over env true", []string{"--read-only=false"}, map[string]string{"CLOUDBASE_MCP_READ_ONLY": "true"}, "", false},
		{"file", nil, nil, `{"CLOUDBASE_MCP_CLOUD_MODE": "true"}`, true},
		{"env false over file true", nil, map[string]string{"CLOUDBASE_MCP_READ_ONLY": "no"}, `{"CLOUDBASE_MCP_READ_ONLY": true}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.args = tt.args
			for k, v := range tt.env {
				f.env[k] = v
			}
			if tt.file != "" {
				f.writeDefaultConfig(t, tt.file)
			}
			assert.Equal(t, tt.want, f.load(t).ReadOnly)
		})
	}
}

func TestMalformedInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"ttl words", nil, map[string]string{"CLOUDBASE_MCP_CACHE_TTL_LIST": "five minutes"},
			[]string{"CLOUDBASE_MCP_CACHE_TTL_LIST", `"90s"`, `"300"`, "0 disables"}},
		{"ttl negative", nil, map[string]string{"CLOUDBASE_MCP_CACHE_TTL_LIST": "-1"}, []string{"CLOUDBASE_MCP_CACHE_TTL_LIST"}},
		{"ttl negative duration", nil, map[string]string{"CLOUDBASE_MCP_CACHE_TTL_DETAIL": "-5s"}, []string{"CLOUDBASE_MCP_CACHE_TTL_DETAIL"}},
		{"ttl flag", []string{"--cache-ttl-list=soon"}, nil, []string{"--cache-ttl-list"}},
		{"request timeout 0", nil, map[string]string{"CLOUDBASE_MCP_REQUEST_TIMEOUT": "0"},
			[]string{"CLOUDBASE_MCP_REQUEST_TIMEOUT", "greater than 0"}},
		{"bool", nil, map[string]string{"CLOUDBASE_MCP_SANDBOX": "maybe"}, []string{"CLOUDBASE_MCP_SANDBOX", "true/false"}},
		{"bool alias named", nil, map[string]string{"MCP_CLOUD_MODE": "enable"}, []string{"MCP_CLOUD_MODE"}},
		{"bool flag", []string{"--read-only=sure"}, nil, []string{"--read-only"}},
		{"log level", nil, map[string]string{"CLOUDBASE_MCP_LOG_LEVEL": "verbose"}, []string{"CLOUDBASE_MCP_LOG_LEVEL", "debug, info, warn or error"}},
		{"region", nil, map[string]string{"TENCENTCLOUD_REGION": "shanghai!"}, []string{"TENCENTCLOUD_REGION", "ap-shanghai"}},
		{"url", nil, map[string]string{"CLOUDBASE_API_BASE_URL": "127.0.0.1:9000"}, []string{"CLOUDBASE_API_BASE_URL", "http"}},
		{"unknown flag", []string{"--no-such-flag"}, nil, []string{"no-such-flag", "--help"}},
		{"secret key flag does not exist", []string{"--secret-key=x"}, nil, []string{"secret-key"}},
		{"positional argument", []string{"--sandbox", "extra"}, nil, []string{`"extra"`}},
		{"explicit config missing", []string{"--config=/nonexistent/cloudbase.json"}, nil, []string{"--config", "nonexistent"}},
		{"explicit config env missing", nil, map[string]string{"CLOUDBASE_MCP_CONFIG": "/nonexistent/c.json"}, []string{"CLOUDBASE_MCP_CONFIG"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.args = tt.args
			for k, v := range tt.env {
				f.env[k] = v
			}
			_, err := Load(f.sources())
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestHelpFlag(t *testing.T) {
	f := newFixture(t)
	f.args = []string{"--help"}
	_, err := Load(f.sources())
	assert.True(t, errors.Is(err, flag.ErrHelp))
	assert.Contains(t, err.Error(), "--cache-ttl-list value", "the error carries the flag list")

	var out strings.Builder
	fs := NewFlagSet("cloudbase-mcp")
	fs.SetOutput(&out)
	fs.Usage()
	assert.Contains(t, out.String(), "--env-id value")
	assert.Contains(t, out.String(), "CLOUDBASE_ENV_ID")
	assert.Contains(t, out.String(), "--read-only\n")
}

func TestTTLParsing(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"90s", 90 * time.Second},
		{"300", 300 * time.Second},
		{"0", 0},
		{"1m30s", 90 * time.Second},
		{" 2h ", 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			f := newFixture(t)
			f.env["CLOUDBASE_MCP_CACHE_TTL_LIST"] = tt.in
			assert.Equal(t, tt.want, f.load(t).CacheTTL.List)
		})
	}
}

func TestConfigFile(t *testing.T) {
	t.Run("explicit path via flag wins over env and default", func(t *testing.T) {
		f := newFixture(t)
		f.writeDefaultConfig(t, `{"CLOUDBASE_ENV_ID":"from-default"}`)
		envPath := writeFile(t, filepath.Join(f.wd, "env.json"), `{"CLOUDBASE_ENV_ID":"from-env-path"}`)
		writeFile(t, filepath.Join(f.wd, "flag.json"), `{"CLOUDBASE_ENV_ID":"from-flag-path"}`)
		f.env["CLOUDBASE_MCP_CONFIG"] = envPath
		f.args = []string{"--config", "flag.json"} // relative to the working directory
		cfg := f.load(t)
		assert.Equal(t, "from-flag-path", cfg.EnvID)
		assert.Equal(t, filepath.Join(f.wd, "flag.json"), cfg.ConfigFile)
	})
	t.Run("malformed default file is an error", func(t *testing.T) {
		f := newFixture(t)
		path := f.writeDefaultConfig(t, `{"CLOUDBASE_ENV_ID": }`)
		_, err := Load(f.sources())
		require.Error(t, err)
		assert.Contains(t, err.Error(), path)
	})
	for _, body := range []string{`[]`, `"x"`, `{"CLOUDBASE_ENV_ID": {"a": 1}}`, `{} {}`, `{"CLOUDBASE_MCP_PLUGINS_ENABLED": [1]}`} {
		t.Run("rejects "+body, func(t *testing.T) {
			f := newFixture(t)
			f.writeDefaultConfig(t, body)
			_, err := Load(f.sources())
			assert.Error(t, err)
		})
	}
	t.Run("credentials and unknown keys are ignored with warnings", func(t *testing.T) {
		f := newFixture(t)
		f.writeDefaultConfig(t, `{"TENCENTCLOUD_SECRETID":"AKIDfromconfigfile0000","TENCENTCLOUD_SECRETKEY":"k",`+
			`"CLOUDBASE_ENVID":"typo","CLOUDBASE_MCP_LOG_LEVEL":null}`)
		cfg := f.load(t)
		assert.False(t, cfg.Credentials.Present())
		w := strings.Join(cfg.Warnings(), "\n")
		assert.Contains(t, w, "TENCENTCLOUD_SECRETID ignored")
		assert.Contains(t, w, "TENCENTCLOUD_SECRETKEY ignored")
		assert.Contains(t, w, `unknown key "CLOUDBASE_ENVID"`)
		assert.Equal(t, slog.LevelInfo, cfg.LogLevel)
	})
	t.Run("errors in file values name the key and file", func(t *testing.T) {
		f := newFixture(t)
		path := f.writeDefaultConfig(t, `{"CLOUDBASE_MCP_CACHE_TTL_LIST":"later"}`)
		_, err := Load(f.sources())
		require.Error(t, err)
		assert.Contains(t, err.Error(), "CLOUDBASE_MCP_CACHE_TTL_LIST in "+path)
	})
}

func TestEnvIDFromWorkspace(t *testing.T) {
	tests := []struct {
		name       string
		rc, proj   string // file bodies; "" = absent
		env        string
		wantID     string
		wantSource string
		warns      bool
	}{
		{"none", "", "", "", "", "", false},
		{"cloudbaserc.json", `{"envId":"env-rc","version":"2.0"}`, "", "", "env-rc", "cloudbaserc.json", false},
		{"project.json", "", `{"envId":"env-proj"}`, "", "env-proj", ".cloudbase/project.json", false},
		{"cloudbaserc.json first", `{"envId":"env-rc"}`, `{"envId":"env-proj"}`, "", "env-rc", "cloudbaserc.json", false},
		{"env var wins", `{"envId":"env-rc"}`, "", "env-var", "env-var", "env", false},
		{"malformed rc falls through", `{envId: 1}`, `{"envId":"env-proj"}`, "", "env-proj", ".cloudbase/project.json", true},
		{"placeholder skipped", `{"envId":"{{env.ENV_ID}}"}`, "", "", "", "", true},
		{"non-string envId", `{"envId":42}`, "", "", "", "", true},
		{"no envId key", `{"version":"2.0"}`, "", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.rc != "" {
				writeFile(t, filepath.Join(f.wd, "cloudbaserc.json"), tt.rc)
			}
			if tt.proj != "" {
				writeFile(t, filepath.Join(f.wd, ".cloudbase", "project.json"), tt.proj)
			}
			f.env["CLOUDBASE_ENV_ID"] = tt.env
			cfg := f.load(t)
			assert.Equal(t, tt.wantID, cfg.EnvID)
			assert.Equal(t, tt.wantSource, cfg.EnvIDSource)
			assert.Equal(t, tt.warns, len(cfg.Warnings()) > 0, cfg.Warnings())
		})
	}

	t.Run("read from the configured workspace", func(t *testing.T) {
		f := newFixture(t)
		ws := t.TempDir()
		writeFile(t, filepath.Join(ws, "cloudbaserc.json"), `{"envId":"env-ws"}`)
		f.env["CLOUDBASE_MCP_WORKSPACE"] = ws
		assert.Equal(t, "env-ws", f.load(t).EnvID)
	})
}

func TestPaths(t *testing.T) {
	t.Run("workspace made absolute and cleaned", func(t *testing.T) {
		f := newFixture(t)
		require.NoError(t, os.MkdirAll(filepath.Join(f.wd, "proj"), 0o755))
		f.env["CLOUDBASE_MCP_WORKSPACE"] = "./sub/../proj/"
		cfg := f.load(t)
		assert.Equal(t, filepath.Join(f.wd, "proj"), cfg.Workspace)
		assert.Empty(t, cfg.Warnings())
	})
	t.Run("home expansion", func(t *testing.T) {
		f := newFixture(t)
		f.args = []string{"--workspace=~/code", "--log-file=~/mcp.log", "--audit-log", "logs/audit.log"}
		cfg := f.load(t)
		assert.Equal(t, filepath.Join(f.home, "code"), cfg.Workspace)
		assert.Equal(t, filepath.Join(f.home, "mcp.log"), cfg.LogFile)
		assert.Equal(t, filepath.Join(f.wd, "logs", "audit.log"), cfg.AuditLog)
		assert.Contains(t, strings.Join(cfg.Warnings(), "\n"), "workspace", "a missing workspace is worth a warning")
	})
	t.Run("default audit log", func(t *testing.T) {
		f := newFixture(t)
		assert.Equal(t, filepath.Join(f.cfgDir, "cloudbase-mcp", "audit.log"), f.load(t).AuditLog)
	})
	t.Run("no user config dir", func(t *testing.T) {
		f := newFixture(t)
		src := f.sources()
		src.UserConfigDir = ""
		cfg, err := Load(src)
		require.NoError(t, err)
		assert.Empty(t, cfg.AuditLog)
		assert.Contains(t, strings.Join(cfg.Warnings(), "\n"), "CLOUDBASE_MCP_AUDIT_LOG")
	})
}

// configTable is the Configuration table of spec/tools.md, verbatim.
const configTable = "" +
	"| `CLOUDBASE_MCP_PLUGINS_ENABLED` | comma list; replaces the default set (default: all plugins). |\n" +
	"| `CLOUDBASE_MCP_PLUGINS_DISABLED` | comma list, removed from the set above |\n" +
	"| `TENCENTCLOUD_SECRETID` / `TENCENTCLOUD_SECRETKEY` / `TENCENTCLOUD_SESSIONTOKEN` | credentials (also accept `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` / `TENCENTCLOUD_SESSION_TOKEN`, then `~/.tencentcloud/credentials`) |\n" +
	"| `CLOUDBASE_ENV_ID` | the CloudBase environment; else `envId` from `cloudbaserc.json` (or `.cloudbase/project.json`) in the workspace; else, when the account has exactly one env, that one (`tcbr:DescribeCloudRunEnvs`) |\n" +
	"| `TCB_REGION` / `TENCENTCLOUD_REGION` | region, default `ap-shanghai` |\n" +
	"| `CLOUDBASE_API_BASE_URL` | send every Tencent Cloud API call (tcbr and tcb) to this base URL |\n" +
	"| `CLOUDBASE_TEMPLATES_URL` | template list URL |\n" +
	"| `CLOUDBASE_MCP_SANDBOX` | `true`: run against the built-in emulator in process; no credentials needed |\n" +
	"| `CLOUDBASE_MCP_CLOUD_MODE` | accepted as an alias of read-only (the reference's name) |\n" +
	"| `CLOUDBASE_MCP_READ_ONLY`, `CLOUDBASE_MCP_WORKSPACE`, `CLOUDBASE_MCP_LOG_LEVEL`, `CLOUDBASE_MCP_AUDIT_LOG`, cache TTL overrides | as named |\n"

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", 30 * time.Second: "30s", 90 * time.Second: "1m30s", 2 * time.Hour: "2h", 0: "0s",
	} {
		assert.Equal(t, want, shortDuration(d))
	}
}

func TestEnvVarsCoverSpec(t *testing.T) {
	names := map[string]bool{}
	flags := map[string]bool{}
	for _, v := range EnvVars() {
		for _, n := range append([]string{v.Name}, v.Aliases...) {
			assert.False(t, names[n], "duplicate variable %s", n)
			names[n] = true
		}
		if v.Flag != "" {
			assert.False(t, flags[v.Flag], "duplicate flag %s", v.Flag)
			flags[v.Flag] = true
		}
		assert.NotEmpty(t, v.Description, v.Name)
	}

	for _, m := range regexp.MustCompile("`([A-Z][A-Z0-9_]+)`").FindAllStringSubmatch(configTable, -1) {
		assert.True(t, names[m[1]], "EnvVars lacks %s from the spec", m[1])
	}
	for _, n := range []string{"CLOUDBASE_MCP_CACHE_TTL_LIST", "CLOUDBASE_MCP_CACHE_TTL_DETAIL", "CLOUDBASE_MCP_CACHE_TTL_TEMPLATES",
		"MCP_CLOUD_MODE", "CLOUDBASE_MCP_LOG_FILE", "CLOUDBASE_MCP_REQUEST_TIMEOUT", "CLOUDBASE_MCP_CONFIG", "TENCENTCLOUD_CREDENTIALS_FILE"} {
		assert.True(t, names[n], "EnvVars lacks %s", n)
	}

	wantFlags := []string{"plugins-enabled", "plugins-disabled", "read-only", "cloud-mode", "sandbox", "env-id", "region",
		"api-base-url", "templates-url", "workspace", "log-level", "log-file", "audit-log", "cache-ttl-list",
		"cache-ttl-detail", "cache-ttl-templates", "request-timeout", "config", "secret-id", "sandbox-speed",
		"cvm-role", "role-arn", "role-session-name", "transport", "http-addr", "http-path", "http-auth", "http-tokens-file",
		"single-instance", "http-local-actions", "http-allowed-origins", "http-rate-limit", "upstream-rate-limit", "http-drain-timeout"}
	fs := NewFlagSet("x")
	for _, fl := range wantFlags {
		assert.True(t, flags[fl], "EnvVars lacks flag --%s", fl)
		assert.NotNil(t, fs.Lookup(fl), "flag set lacks --%s", fl)
	}
	assert.Len(t, flags, len(wantFlags))
	assert.Nil(t, fs.Lookup("secret-key"), "a key on the command line leaks into process lists")

	// EnvVars hands out copies.
	EnvVars()[0].Name = "CHANGED"
	for i := range EnvVars() {
		if a := EnvVars()[i].Aliases; len(a) > 0 {
			a[0] = "CHANGED"
		}
	}
	assert.NotContains(t, EnvVars()[0].Name, "CHANGED")
	for _, v := range EnvVars() {
		assert.NotContains(t, v.Aliases, "CHANGED")
	}
}

func TestSandboxSpeed(t *testing.T) {
	for _, tc := range []struct {
		env  string
		args []string
		want float64
		bad  bool
	}{
		{"", nil, DefaultSandboxSpeed, false},
		{"100", nil, 100, false},
		{"5", []string{"--sandbox-speed=1"}, 1, false},
		{"0", nil, 0, true},
		{"fast", nil, 0, true},
	} {
		env := map[string]string{"CLOUDBASE_MCP_SANDBOX_SPEED": tc.env}
		cfg, err := Load(Sources{Args: tc.args, Getenv: func(k string) string { return env[k] }, HomeDir: t.TempDir(),
			Getwd: func() (string, error) { return t.TempDir(), nil }, UserConfigDir: t.TempDir()})
		if tc.bad {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "CLOUDBASE_MCP_SANDBOX_SPEED")
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.want, cfg.SandboxSpeed)
	}
}
