package config

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/safefs"
)

// Credential sources (Credentials.Source).
const (
	SourceFlag            = "flag"
	SourceSandbox         = "sandbox"
	SourceCredentialsFile = "~/.tencentcloud/credentials"
	// SourceCredentialsFileEnv: the INI file named by
	// TENCENTCLOUD_CREDENTIALS_FILE.
	SourceCredentialsFileEnv = envCredentialsFile
)

// Credentials is a Tencent Cloud API key pair. Its String, GoString,
// LogValue and MarshalJSON never show the key or token.
type Credentials struct {
	SecretID, SecretKey, SessionToken string
	// Source is where the pair came from: "TENCENTCLOUD_SECRETID",
	// "TENCENTCLOUD_SECRET_ID", "~/.tencentcloud/credentials",
	// "TENCENTCLOUD_CREDENTIALS_FILE", "flag", "sandbox"; "" when none.
	Source string
	// Roles are the Tencent Cloud SDK's providers of temporary keys.
	Roles
}

// Roles choose where temporary keys come from (the Tencent Cloud SDK's
// providers, asked at the first call): a role of the machine when no pair is
// set, and a role the keys assume.
type Roles struct {
	// TKEOIDC: TKE_ROLE_ARN and its companions are set.
	TKEOIDC bool
	// CVMRole is "auto" or a role name; "" = not asked.
	CVMRole string
	// RoleARN is assumed with whatever keys were found.
	RoleARN, RoleSessionName string
}

// Present reports whether a complete key pair is set.
func (c Credentials) Present() bool { return c.SecretID != "" && c.SecretKey != "" }

// Available reports whether calls can be signed: a key pair, or a role of
// the machine that gives temporary keys.
func (c Credentials) Available() bool { return c.Present() || c.TKEOIDC || c.CVMRole != "" }

// String describes the credentials safely, e.g.
// "AKID****MPLE (from TENCENTCLOUD_SECRETID)".
func (c Credentials) String() string {
	var s string
	switch {
	case c.Present():
		s = maskID(c.SecretID) + " (from " + c.Source
		if c.SessionToken != "" {
			s += ", with session token"
		}
		s += ")"
	case c.TKEOIDC:
		s = "temporary keys of the TKE OIDC role (TKE_ROLE_ARN), fetched at the first call"
	case c.CVMRole != "":
		s = "temporary keys of the CVM instance role (" + c.CVMRole + "), fetched at the first call"
	default:
		return "none"
	}
	if c.RoleARN != "" {
		s += ", assuming the role " + c.RoleARN
	}
	return s
}

// GoString keeps %#v from printing the key.
func (c Credentials) GoString() string { return "config.Credentials{" + c.String() + "}" }

// LogValue implements slog.LogValuer like String.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON keeps a serialised Config free of secrets.
func (c Credentials) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

var (
	_ fmt.Stringer   = Credentials{}
	_ fmt.GoStringer = Credentials{}
	_ slog.LogValuer = Credentials{}
	_ json.Marshaler = Credentials{}
)

// maskID shows the first and last four characters of a SecretId, enough to
// tell keys apart in logs.
func maskID(id string) string {
	if len(id) < 12 {
		return "****"
	}
	return id[:4] + "****" + id[len(id)-4:]
}

// MissingCredentialsMessage tells a user without credentials what to set.
func MissingCredentialsMessage() string {
	return "No Tencent Cloud credentials found. Set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY " +
		"(plus TENCENTCLOUD_SESSIONTOKEN for temporary keys) in the MCP server's environment, " +
		"or put secret_id and secret_key under [default] in ~/.tencentcloud/credentials. " +
		"Create API keys at https://console.cloud.tencentcloud.com/cam/capi. " +
		"To try the tools without an account, set CLOUDBASE_MCP_SANDBOX=true: the server then runs " +
		"against its built-in emulator."
}

// candidate is one link of the credential chain.
type candidate struct {
	source                     string
	id, key, token             string
	idName, keyName, tokenName string
}

// credentials walks the chain; the first complete pair wins:
// TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN, then TENCENTCLOUD_SECRET_ID/
// SECRET_KEY/SESSION_TOKEN, then the INI credentials file. --secret-id picks
// the identity; its key comes from the first link whose id is unset or
// equal.
//
// In sandbox mode the chain is skipped: real keys have no business signing
// calls to the emulator. Only Source is set; the sandbox wiring installs the
// emulator's own demo key pair (it owns those constants).
func (l *loader) credentials() Credentials {
	if l.cfg.Sandbox {
		return Credentials{Source: SourceSandbox}
	}
	env := func(n string) string { return strings.TrimSpace(l.src.Getenv(n)) }
	links := []func() (candidate, bool){
		func() (candidate, bool) {
			return candidate{source: envSecretID, id: env(envSecretID), key: env(envSecretKey), token: env(envSessionToken),
				idName: envSecretID, keyName: envSecretKey, tokenName: envSessionToken}, true
		},
		func() (candidate, bool) {
			return candidate{source: envSecretIDAlt, id: env(envSecretIDAlt), key: env(envSecretKeyAlt), token: env(envSessionTokenAlt),
				idName: envSecretIDAlt, keyName: envSecretKeyAlt, tokenName: envSessionTokenAlt}, true
		},
		l.credentialsFile,
	}

	if flagID := strings.TrimSpace(l.flags[flagSecretID]); flagID != "" {
		for _, link := range links {
			c, ok := link()
			if ok && c.key != "" && (c.id == "" || c.id == flagID) {
				return Credentials{SecretID: flagID, SecretKey: c.key, SessionToken: c.token, Source: SourceFlag}
			}
		}
		l.warnf("--%s is set but no secret key for it was found: set %s (keys are never taken from the command line); "+
			"no credentials are used", flagSecretID, envSecretKey)
		return Credentials{}
	}

	for _, link := range links {
		c, ok := link()
		if !ok {
			continue
		}
		switch {
		case c.id != "" && c.key != "":
			return Credentials{SecretID: c.id, SecretKey: c.key, SessionToken: c.token, Source: c.source}
		case c.id != "":
			l.warnf("%s is set but %s is not; this partial pair is ignored", c.idName, c.keyName)
		case c.key != "":
			l.warnf("%s is set but %s is not; this partial pair is ignored", c.keyName, c.idName)
		case c.token != "":
			l.warnf("%s is set without %s and %s; ignored", c.tokenName, c.idName, c.keyName)
		}
	}
	return Credentials{}
}

// credentialsFile reads section [default] of $TENCENTCLOUD_CREDENTIALS_FILE
// or ~/.tencentcloud/credentials. A missing default file is silent; other
// problems are warnings, because the server runs without credentials.
func (l *loader) credentialsFile() (candidate, bool) {
	source, path := SourceCredentialsFile, ""
	explicit := false
	if v, ok := l.resolve(settingByName(envCredentialsFile)); ok {
		source, path, explicit = SourceCredentialsFileEnv, l.absPath(v.raw), true
	} else if l.src.HomeDir != "" {
		path = filepath.Join(l.src.HomeDir, ".tencentcloud", "credentials")
	} else {
		return candidate{}, false
	}
	data, err := safefs.ReadFilePath(path, safefs.MaxSmallFile)
	if err != nil {
		if explicit || !errors.Is(err, fs.ErrNotExist) {
			l.warnf("credentials file: %v", err)
		}
		return candidate{}, false
	}
	sec, problems := parseINISection(data, "default")
	for _, p := range problems {
		l.warnf("credentials file %s: %s", path, p)
	}
	if sec == nil {
		l.warnf("credentials file %s has no [default] section; ignored", path)
		return candidate{}, false
	}
	return candidate{source: source, id: sec["secret_id"], key: sec["secret_key"], token: sec["token"],
		idName: "secret_id in " + path, keyName: "secret_key in " + path, tokenName: "token in " + path}, true
}

// applyTKE notes a TKE OIDC identity; the SDK reads its variables itself,
// and names the one missing at the first call, but a partial set is worth a
// warning at startup.
func applyTKE(l *loader, v value) error {
	l.cfg.Credentials.TKEOIDC = true
	for _, n := range []string{"TKE_REGION", "TKE_PROVIDER_ID", "TKE_WEB_IDENTITY_TOKEN_FILE"} {
		if strings.TrimSpace(l.src.Getenv(n)) == "" {
			l.warnf("%s is set but %s is not: the TKE OIDC identity will fail (TKE's pod identity sets all four)", v.where, n)
		}
	}
	return nil
}

func settingByName(name string) setting {
	for _, s := range settings {
		if s.Name == name {
			return s
		}
	}
	panic("config: no setting " + name)
}

// parseINISection returns the key=value pairs of one section (nil when the
// section is absent) and a note for every line it could not read. Comments
// start with # or ;.
func parseINISection(data []byte, section string) (map[string]string, []string) {
	var (
		out      map[string]string
		problems []string
		current  string
		lineNo   int
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				problems = append(problems, fmt.Sprintf("line %d: malformed section header", lineNo))
				current = ""
				continue
			}
			current = strings.TrimSpace(line[1 : len(line)-1])
			if current == section && out == nil {
				out = map[string]string{}
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				// Never echo the line: it may hold a key.
				problems = append(problems, fmt.Sprintf("line %d: expected key = value", lineNo))
				continue
			}
			if current == section {
				out[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, err.Error())
	}
	return out, problems
}
