// Package tenant carries the caller of one request through its context, for a
// server that serves several callers at once (hosted mode): who the caller is
// (an opaque identity that scopes caches and rate limits), which Tencent Cloud
// credentials its calls are signed with (its own, from request headers, or
// the server's), and which env it works in.
//
// Over stdio there is no tenant in the context: the server's own
// configuration applies, as before.
package tenant

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Tenant is the caller of one request. Its String, GoString, LogValue and
// MarshalJSON never show the secret key or the session token.
type Tenant struct {
	// ID scopes caches and rate limits: an opaque hash, never a secret, the
	// same for every request of the caller on this instance.
	ID string
	// Label names the caller in logs: a masked SecretId ("AKID****WXYZ") or
	// "token <name>".
	Label string
	// SecretID, SecretKey, SessionToken are the caller's own credentials,
	// from request headers; empty when the caller uses the server's.
	SecretID, SecretKey, SessionToken string
	// EnvID is the env the caller asked for (the env_id query parameter, or
	// its bearer token's env); "" = the server's configured env.
	EnvID string
	// EnvOnly holds the caller to EnvID (a bearer token limited to one env
	// of the server's account).
	EnvOnly bool
}

// OwnCredentials reports whether calls are signed with the caller's own keys.
func (t *Tenant) OwnCredentials() bool { return t.SecretID != "" && t.SecretKey != "" }

// String describes the tenant without its secrets.
func (t *Tenant) String() string {
	s := t.Label
	if t.EnvID != "" {
		s += " env " + t.EnvID
	}
	return s
}

// GoString keeps %#v from printing the key.
func (t *Tenant) GoString() string { return "tenant.Tenant{" + t.String() + "}" }

// LogValue implements slog.LogValuer like String.
func (t *Tenant) LogValue() slog.Value { return slog.StringValue(t.String()) }

// MarshalJSON keeps a serialised tenant free of secrets.
func (t *Tenant) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

var (
	_ fmt.Stringer   = (*Tenant)(nil)
	_ fmt.GoStringer = (*Tenant)(nil)
	_ slog.LogValuer = (*Tenant)(nil)
	_ json.Marshaler = (*Tenant)(nil)
)

type key struct{}

// With returns ctx carrying t.
func With(ctx context.Context, t *Tenant) context.Context { return context.WithValue(ctx, key{}, t) }

// From returns the tenant of the request, if there is one.
func From(ctx context.Context) (*Tenant, bool) {
	t, ok := ctx.Value(key{}).(*Tenant)
	return t, ok && t != nil
}

// CredentialID hashes a whole credential (id, key and token) under key, so
// that two callers share an identity only when they hold the same secret: a
// caller who knows someone's SecretId but not the key gets another identity,
// hence none of that someone's cached data. The hash is one-way and keyed:
// it cannot be turned back into the secret, nor checked against a guess
// without the key.
func CredentialID(hmacKey []byte, secretID, secretKey, token string) string {
	m := hmac.New(sha256.New, hmacKey)
	for _, s := range []string{secretID, secretKey, token} {
		m.Write([]byte(s))
		m.Write([]byte{0})
	}
	return "k:" + hex.EncodeToString(m.Sum(nil)[:16])
}

// MaskID shows the first and last four characters of a SecretId, enough to
// tell keys apart in logs.
func MaskID(id string) string {
	if len(id) < 12 {
		return "****"
	}
	return id[:4] + "****" + id[len(id)-4:]
}
