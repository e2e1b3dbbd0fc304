package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Transports.
const (
	TransportStdio = "stdio"
	TransportHTTP  = "http"
)

// Ways a hosted server's callers prove who they are (CLOUDBASE_MCP_HTTP_AUTH).
const (
	// AuthHeaders: the caller's own Tencent Cloud keys in request headers.
	AuthHeaders = "headers"
	// AuthTokens: a bearer token from the tokens file; calls use the
	// server's keys.
	AuthTokens = "tokens"
)

// Defaults of hosted mode.
const (
	DefaultHTTPPath          = "/mcp"
	DefaultHTTPPort          = "8080"
	DefaultHTTPRateLimit     = 20.0
	DefaultUpstreamRateLimit = 20.0
	DefaultDrainTimeout      = 25 * time.Second
	// MinStateKey is the shortest requestState key accepted.
	MinStateKey = 32
)

// HTTP is the configuration of hosted mode (CLOUDBASE_MCP_TRANSPORT=http).
type HTTP struct {
	// Addr is host:port to listen on; the default is loopback unless auth
	// is configured.
	Addr string
	Path string
	// Auth lists AuthHeaders and/or AuthTokens; empty = no auth (loopback
	// only).
	Auth       []string
	TokensFile string
	// LocalActions offers the actions that reach this machine's files and
	// processes over HTTP (off: cloud mode).
	LocalActions bool
	// AllowedOrigins are the browser origins allowed besides loopback ones.
	AllowedOrigins []string
	// RateLimit is requests per second per caller (0 = unlimited).
	RateLimit    float64
	DrainTimeout time.Duration
}

// HasAuth reports whether callers must authenticate.
func (h HTTP) HasAuth() bool { return len(h.Auth) > 0 }

// Auths reports whether mode is enabled.
func (h HTTP) Auths(mode string) bool {
	for _, a := range h.Auth {
		if a == mode {
			return true
		}
	}
	return false
}

// Secret is a value that never prints.
type Secret string

func (Secret) String() string   { return "****" }
func (Secret) GoString() string { return "config.Secret(****)" }

// MarshalJSON keeps a serialised Config free of the secret.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"****"`), nil }

func applyTransport(l *loader, v value) error {
	switch strings.ToLower(v.raw) {
	case TransportStdio, TransportHTTP:
		l.cfg.Transport = strings.ToLower(v.raw)
		return nil
	}
	return fmt.Errorf("%s: invalid transport %q (use stdio or http)", v.where, v.raw)
}

func applyHTTPAddr(l *loader, v value) error {
	_, port, err := net.SplitHostPort(v.raw)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fmt.Errorf("%s: invalid address %q (use host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080; port 0 picks a free one)", v.where, v.raw)
	}
	l.cfg.HTTP.Addr = v.raw
	return nil
}

func applyHTTPPath(l *loader, v value) error {
	u, err := url.Parse(v.raw)
	if err != nil || !strings.HasPrefix(v.raw, "/") || u.RawQuery != "" || u.Fragment != "" || u.Path != v.raw {
		return fmt.Errorf("%s: invalid path %q (use an absolute URL path such as /mcp)", v.where, v.raw)
	}
	l.cfg.HTTP.Path = strings.TrimRight(v.raw, "/")
	if l.cfg.HTTP.Path == "" {
		l.cfg.HTTP.Path = "/"
	}
	return nil
}

func applyHTTPAuth(l *loader, v value) error {
	var out []string
	for _, a := range strings.Split(v.raw, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		switch a {
		case "", "none":
		case AuthHeaders, AuthTokens:
			if !contains(out, a) {
				out = append(out, a)
			}
		default:
			return fmt.Errorf("%s: unknown auth %q (use headers, tokens, or both: headers,tokens)", v.where, a)
		}
	}
	l.cfg.HTTP.Auth = out
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func applyOrigins(l *loader, v value) error {
	var out []string
	for _, o := range strings.Split(v.raw, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if o != "*" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/")) {
			return fmt.Errorf("%s: invalid origin %q (use scheme://host[:port], e.g. https://studio.example.com, or *)", v.where, o)
		}
		out = append(out, strings.ToLower(strings.TrimRight(o, "/")))
	}
	l.cfg.HTTP.AllowedOrigins = out
	return nil
}

// parseRate reads calls per second: a number >= 0, 0 = no limit.
func parseRate(v value, dst *float64) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(v.raw), 64)
	if err != nil || f < 0 || f > 1e6 {
		return fmt.Errorf(`%s: invalid rate %q (calls per second, e.g. "20"; 0 means no limit)`, v.where, v.raw)
	}
	*dst = f
	return nil
}

func applyStateKey(l *loader, v value) error {
	if len(v.raw) < MinStateKey {
		return fmt.Errorf("%s: the key is %d characters; use at least %d random characters (e.g. the output of `openssl rand -hex 32`), "+
			"the same on every instance", v.where, len(v.raw), MinStateKey)
	}
	l.cfg.StateKey = Secret(v.raw)
	return nil
}

func applyBoolTo(dst func(*Config) *bool) func(*loader, value) error {
	return func(l *loader, v value) error {
		b, err := parseBool(v)
		*dst(l.cfg) = b
		return err
	}
}

// finishHosted applies the defaults that depend on other settings and
// refuses the combinations hosted mode must not start with.
func (l *loader) finishHosted() error {
	h := &l.cfg.HTTP
	if h.Addr == "" {
		h.Addr = "127.0.0.1:" + DefaultHTTPPort
		if h.HasAuth() {
			h.Addr = "0.0.0.0:" + DefaultHTTPPort
		}
	}
	if l.cfg.Transport != TransportHTTP {
		return nil
	}
	if !h.HasAuth() && !LoopbackAddr(h.Addr) {
		return fmt.Errorf("CLOUDBASE_MCP_HTTP_ADDR %s is not a loopback address, and no auth is configured: anyone who can reach it "+
			"would use the server's credentials. Set CLOUDBASE_MCP_HTTP_AUTH (headers: callers send their own keys; tokens: bearer "+
			"tokens from CLOUDBASE_MCP_HTTP_TOKENS_FILE), or listen on 127.0.0.1", h.Addr)
	}
	if h.Auths(AuthTokens) && h.TokensFile == "" {
		return fmt.Errorf("CLOUDBASE_MCP_HTTP_AUTH includes tokens but CLOUDBASE_MCP_HTTP_TOKENS_FILE is not set: " +
			"name the JSON file of bearer tokens (see the README's hosted mode section)")
	}
	if l.cfg.StateKey == "" && !l.cfg.SingleInstance {
		return fmt.Errorf("hosted mode needs CLOUDBASE_MCP_STATE_KEY, the key that signs confirmation round trips, the same on " +
			"every instance (e.g. `openssl rand -hex 32`), so that a retry landing on another instance is accepted; " +
			"with only one instance, set CLOUDBASE_MCP_SINGLE_INSTANCE=true instead")
	}
	return nil
}

// LoopbackAddr reports whether a host:port listens on loopback only.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
