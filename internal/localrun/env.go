package localrun

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// A local run executes the project's code and its dependencies' install
// scripts: code the server has no reason to trust. It therefore starts from
// an empty environment plus what running node and npm needs, never the
// server's own settings or credentials (TENCENTCLOUD_*, CLOUDBASE_*, TCB_*).

// passedThrough are the server environment variables a child gets; names are
// exact, or prefixes when they end in "*".
var passedThrough = []string{
	"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "LC_*", "TZ", "TERM",
	"TMPDIR", "TMP", "TEMP",
	"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_RUNTIME_DIR",
	// npm behind a proxy or a private registry, with its own CA bundle.
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "no_proxy", "all_proxy",
	"npm_config_*", "NPM_CONFIG_*", "NVM_DIR", "NVM_BIN",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS",
	// The toolchains of container projects run natively, and the Docker CLI.
	"GOPATH", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOPRIVATE", "GONOSUMDB", "JAVA_HOME", "VIRTUAL_ENV",
	"DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT", "DOCKER_CERT_PATH", "DOCKER_TLS_VERIFY",
	// What Windows programs expect to find.
	"SYSTEMROOT", "SYSTEMDRIVE", "WINDIR", "COMSPEC", "PATHEXT", "APPDATA", "LOCALAPPDATA",
	"USERPROFILE", "HOMEDRIVE", "HOMEPATH", "PROGRAMFILES", "PROGRAMFILES(X86)", "PROGRAMDATA",
	"NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE", "OS",
}

// passes reports whether the server variable name reaches a child.
func passes(name string) bool {
	if runtime.GOOS == "windows" {
		name = strings.ToUpper(name)
	}
	for _, p := range passedThrough {
		if runtime.GOOS == "windows" {
			p = strings.ToUpper(p)
		}
		if prefix, ok := strings.CutSuffix(p, "*"); ok {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		} else if name == p {
			return true
		}
	}
	return false
}

// ScrubbedEnviron is the part of the server's environment a child process
// may see.
func ScrubbedEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, ok := strings.Cut(kv, "=")
		if ok && name != "" && passes(name) {
			out = append(out, kv)
		}
	}
	return out
}

// loaderVars make a runtime load code from wherever they point (a path, a
// data: URL, a preload library): refused in runOptions.envParams. Names end
// in "*" for prefixes; compared case-insensitively.
var loaderVars = []string{
	"NODE_OPTIONS", "NODE_PATH", "NODE_REPL_EXTERNAL_MODULE", "NODE_ICU_DATA",
	"LD_*", "DYLD_*", "NPM_CONFIG_*", "PATH",
	"BASH_ENV", "ENV", "PERL5OPT", "PERL5LIB", "PERLLIB", "RUBYOPT", "RUBYLIB",
	"PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONINSPECT",
	"JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "CLASSPATH", "GCONV_PATH",
	"GOFLAGS", "GOROOT",
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// CheckEnv refuses run variables that are not plain names or that would make
// the runtime load code from outside the project. The error names the key.
func CheckEnv(env map[string]string) error {
	keys := envKeys(env)
	for _, k := range keys {
		if !envName.MatchString(k) {
			return fmt.Errorf("%w: runOptions.envParams key %q is not a variable name (letters, digits and _, not starting with a digit)", ErrInvalidOptions, k)
		}
		if strings.ContainsRune(env[k], 0) {
			return fmt.Errorf("%w: runOptions.envParams %s holds a NUL byte", ErrInvalidOptions, k)
		}
		upper := strings.ToUpper(k)
		for _, v := range loaderVars {
			prefix, isPrefix := strings.CutSuffix(v, "*")
			if upper == v || (isPrefix && strings.HasPrefix(upper, prefix)) {
				return fmt.Errorf("%w: runOptions.envParams may not set %s: it makes the runtime load code from wherever it points, outside the project. Refused keys: %s. Put such settings in the project itself",
					ErrInvalidOptions, k, strings.Join(loaderVars, ", "))
			}
		}
	}
	return nil
}

// childEnv: the scrubbed server environment, the framework settings, the
// caller's extra variables (which may override CORS and RUN_MODE), and PORT
// last because readiness watches that port.
func childEnv(o Options) []string {
	env := append(ScrubbedEnviron(), "ENABLE_CORS=true", "ALLOWED_ORIGINS=*", "RUN_MODE="+o.Mode)
	if o.Mode == ModeAgent && o.AgentID != "" {
		env = append(env, AgentIDEnv+"="+o.AgentID)
	}
	for _, k := range envKeys(o.Env) {
		if k == "PORT" {
			continue
		}
		env = append(env, k+"="+o.Env[k])
	}
	return append(env, "PORT="+strconv.Itoa(o.Port)) // exec keeps the last of duplicate keys
}

func envKeys(env map[string]string) []string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
