package hosted

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/safefs"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
)

// The request headers of per-request credentials, as the reference's hosted
// endpoint names them, and the query parameter of the env.
const (
	HeaderSecretID     = "X-TencentCloud-SecretId"
	HeaderSecretKey    = "X-TencentCloud-SecretKey"
	HeaderSessionToken = "X-TencentCloud-SessionToken"
	QueryEnvID         = "env_id"
)

var (
	// A SecretId, key or token: printable ASCII without spaces (lengths are
	// bounded apart: a counted repeat would compile to a program that long).
	printable      = regexp.MustCompile(`^[\x21-\x7e]+$`)
	envIDChars     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	tokenNameChars = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]*$`)
)

// Bounds of header credentials: a SecretId or key, and a session token (STS
// tokens are a few hundred to about two thousand characters).
const (
	maxCredential   = 256
	maxSessionToken = 8192
)

// validEnvID: letters, digits, - and _, at most 64 (length apart from the
// pattern: a counted repeat compiles to a program that long).
func validEnvID(s string) bool { return len(s) <= 64 && envIDChars.MatchString(s) }

func validName(s string) bool { return len(s) <= 64 && tokenNameChars.MatchString(s) }

func isSHA256Hex(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

// authError is a refusal: the status and what the caller should do.
type authError struct {
	status int
	msg    string
}

func (e *authError) Error() string { return e.msg }

// TokenEntry is one bearer token of the tokens file. Only the token's
// SHA-256 is stored, so the file itself holds no usable secret.
type TokenEntry struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// EnvID, when set, holds the token to that env of the server's account.
	EnvID string `json:"envId,omitempty"`
}

// LoadTokens reads a tokens file: a JSON list of TokenEntry (or an object
// with a "tokens" list).
func LoadTokens(path string) ([]TokenEntry, error) {
	data, err := safefs.ReadFilePath(path, safefs.MaxSmallFile)
	if err != nil {
		return nil, fmt.Errorf("tokens file: %w", err)
	}
	return ParseTokens(data, path)
}

// ParseTokens checks a tokens file's content; where names it in messages.
func ParseTokens(data []byte, where string) ([]TokenEntry, error) {
	var list []TokenEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		var wrapped struct {
			Tokens []TokenEntry `json:"tokens"`
		}
		dec = json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err2 := dec.Decode(&wrapped); err2 != nil {
			return nil, fmt.Errorf(`tokens file %s: %v (expected [{"name": "alice", "sha256": "<hex SHA-256 of the token>", "envId": "optional"}])`, where, err)
		}
		list = wrapped.Tokens
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("tokens file %s lists no token", where)
	}
	names, hashes := map[string]bool{}, map[string]bool{}
	for i, e := range list {
		e.SHA256 = strings.ToLower(strings.TrimSpace(e.SHA256))
		list[i] = e
		switch {
		case !validName(e.Name):
			return nil, fmt.Errorf("tokens file %s, entry %d: name %q must be letters, digits, and . _ @ - (at most 64)", where, i+1, e.Name)
		case !isSHA256Hex(e.SHA256):
			return nil, fmt.Errorf("tokens file %s, token %s: sha256 must be 64 hex digits (printf %%s \"$TOKEN\" | sha256sum)", where, e.Name)
		case e.EnvID != "" && !validEnvID(e.EnvID):
			return nil, fmt.Errorf("tokens file %s, token %s: invalid envId %q", where, e.Name, e.EnvID)
		case names[e.Name]:
			return nil, fmt.Errorf("tokens file %s: the name %s is used twice", where, e.Name)
		case hashes[e.SHA256]:
			return nil, fmt.Errorf("tokens file %s: token %s has the same hash as another", where, e.Name)
		}
		names[e.Name], hashes[e.SHA256] = true, true
	}
	return list, nil
}

// authenticator finds the tenant of a request.
type authenticator struct {
	headers bool
	tokens  map[string]TokenEntry // by SHA-256 hex
	idKey   []byte                // keys the identity hash of this process
}

func newAuthenticator(cfg config.HTTP, tokens []TokenEntry) (*authenticator, error) {
	a := &authenticator{headers: cfg.Auths(config.AuthHeaders), idKey: make([]byte, 32)}
	_, _ = rand.Read(a.idKey)
	if cfg.Auths(config.AuthTokens) {
		if len(tokens) == 0 {
			return nil, errors.New("tokens auth needs at least one token (CLOUDBASE_MCP_HTTP_TOKENS_FILE)")
		}
		a.tokens = map[string]TokenEntry{}
		for _, t := range tokens {
			a.tokens[t.SHA256] = t
		}
	}
	return a, nil
}

func (a *authenticator) none() bool { return !a.headers && a.tokens == nil }

// authenticate returns the request's tenant (nil: no auth is configured
// and the server's own configuration applies), or why it is refused.
func (a *authenticator) authenticate(r *http.Request) (*tenant.Tenant, *authError) {
	env := r.URL.Query().Get(QueryEnvID)
	if env != "" && !validEnvID(env) {
		return nil, &authError{http.StatusBadRequest, "invalid env_id: use the env's id (letters, digits, - and _)"}
	}
	id := r.Header.Get(HeaderSecretID)
	bearer, hasBearer := bearerToken(r)
	switch {
	case id != "" || r.Header.Get(HeaderSecretKey) != "":
		if !a.headers {
			return nil, &authError{http.StatusUnauthorized, "this server does not take credentials in headers (CLOUDBASE_MCP_HTTP_AUTH); " + a.how()}
		}
		return a.fromHeaders(r, env)
	case hasBearer:
		if a.tokens == nil {
			return nil, &authError{http.StatusUnauthorized, "this server does not take bearer tokens (CLOUDBASE_MCP_HTTP_AUTH); " + a.how()}
		}
		return a.fromToken(bearer, env)
	case a.none():
		if env != "" {
			return &tenant.Tenant{ID: "local", Label: "local", EnvID: env}, nil
		}
		return nil, nil
	}
	return nil, &authError{http.StatusUnauthorized, "authentication required: " + a.how()}
}

// how tells the caller what this server accepts.
func (a *authenticator) how() string {
	var ways []string
	if a.headers {
		ways = append(ways, "send your Tencent Cloud keys as "+HeaderSecretID+" and "+HeaderSecretKey+
			" (plus "+HeaderSessionToken+" for temporary keys), and ?"+QueryEnvID+"=<env> in the URL")
	}
	if a.tokens != nil {
		ways = append(ways, "send Authorization: Bearer <token> with a token the server's operator gave you")
	}
	if len(ways) == 0 {
		return "this server takes no credentials"
	}
	return strings.Join(ways, "; or ")
}

func (a *authenticator) fromHeaders(r *http.Request, env string) (*tenant.Tenant, *authError) {
	id, key, token := r.Header.Get(HeaderSecretID), r.Header.Get(HeaderSecretKey), r.Header.Get(HeaderSessionToken)
	switch {
	case id == "" || key == "":
		return nil, &authError{http.StatusUnauthorized, "send both " + HeaderSecretID + " and " + HeaderSecretKey}
	case len(id) > maxCredential || len(key) > maxCredential || !printable.MatchString(id) || !printable.MatchString(key):
		// Never echo the values.
		return nil, &authError{http.StatusUnauthorized, HeaderSecretID + " and " + HeaderSecretKey + " must be printable ASCII without spaces, at most 256 characters"}
	case token != "" && (len(token) > maxSessionToken || !printable.MatchString(token)):
		return nil, &authError{http.StatusUnauthorized, HeaderSessionToken + " must be printable ASCII without spaces"}
	}
	return &tenant.Tenant{
		ID:    tenant.CredentialID(a.idKey, id, key, token),
		Label: tenant.MaskID(id), SecretID: id, SecretKey: key, SessionToken: token, EnvID: env,
	}, nil
}

func (a *authenticator) fromToken(bearer, env string) (*tenant.Tenant, *authError) {
	sum := sha256.Sum256([]byte(bearer))
	e, ok := a.tokens[hex.EncodeToString(sum[:])]
	if !ok {
		return nil, &authError{http.StatusUnauthorized, "unknown bearer token"}
	}
	t := &tenant.Tenant{ID: "t:" + e.Name, Label: "token " + e.Name, EnvID: env}
	if e.EnvID != "" {
		if env != "" && env != e.EnvID {
			return nil, &authError{http.StatusForbidden, "this token is limited to the env " + e.EnvID + "; leave env_id out or use " + e.EnvID}
		}
		t.EnvID, t.EnvOnly = e.EnvID, true
	}
	return t, nil
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}
