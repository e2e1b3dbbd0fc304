package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// keySep separates key components; escape keeps a component containing it
// (a fuzzy name filter, say) from colliding with another split of parts.
const keySep = "|"

var keyEscaper = strings.NewReplacer("%", "%25", keySep, "%7C")

// Key builds a cache key scoped by region, env and credential identity, then
// parts: "ap-shanghai|env-1|<16 hex digits>|detail|svc". The identity is the
// first 8 bytes of sha256(credentialID) in hex, so two accounts never share
// entries and the SecretId itself never appears in keys (which may be
// logged). Pass the SecretId only, never the SecretKey.
func Key(region, envID, credentialID string, parts ...string) string {
	var b strings.Builder
	b.WriteString(keyEscaper.Replace(region))
	b.WriteString(keySep)
	b.WriteString(keyEscaper.Replace(envID))
	b.WriteString(keySep)
	b.WriteString(credentialHash(credentialID))
	for _, p := range parts {
		b.WriteString(keySep)
		b.WriteString(keyEscaper.Replace(p))
	}
	return b.String()
}

// ScopePrefix is the prefix shared by every Key built from the same leading
// arguments plus at least one more part, for DeletePrefix. It ends with the
// separator, so ScopePrefix(..., "list") does not match a "listx" part.
func ScopePrefix(region, envID, credentialID string, parts ...string) string {
	return Key(region, envID, credentialID, parts...) + keySep
}

func credentialHash(credentialID string) string {
	sum := sha256.Sum256([]byte(credentialID))
	return hex.EncodeToString(sum[:8])
}
