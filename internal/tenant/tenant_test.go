package tenant

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTenantNeverPrintsItsSecrets(t *testing.T) {
	tn := &Tenant{ID: "k:1", Label: MaskID("AKIDexampleSecretId0001"), SecretID: "AKIDexampleSecretId0001",
		SecretKey: "the-secret-key", SessionToken: "the-session-token", EnvID: "env-1"}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "tenant", tn)
	b, err := json.Marshal(map[string]any{"t": tn})
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(tn), fmt.Sprintf("%v %+v %#v %s", tn, tn, tn, tn), string(b), logs.String()} {
		assert.NotContains(t, s, "the-secret-key")
		assert.NotContains(t, s, "the-session-token")
		assert.NotContains(t, s, "AKIDexampleSecretId0001", "only the masked id")
	}
	assert.Equal(t, "AKID****0001 env env-1", tn.String())
}

func TestContext(t *testing.T) {
	_, ok := From(context.Background())
	assert.False(t, ok)
	tn := &Tenant{ID: "x"}
	got, ok := From(With(context.Background(), tn))
	require.True(t, ok)
	assert.Same(t, tn, got)
	_, ok = From(With(context.Background(), nil))
	assert.False(t, ok, "a nil tenant is no tenant")
	assert.True(t, (&Tenant{SecretID: "a", SecretKey: "b"}).OwnCredentials())
	assert.False(t, (&Tenant{SecretID: "a"}).OwnCredentials())
}

func TestCredentialIDTakesTheWholeCredential(t *testing.T) {
	key := []byte("process key")
	a := CredentialID(key, "AKIDa", "secret", "")
	assert.Equal(t, a, CredentialID(key, "AKIDa", "secret", ""), "stable")
	assert.NotEqual(t, a, CredentialID(key, "AKIDa", "guessed", ""), "the same SecretId with another key is someone else")
	assert.NotEqual(t, a, CredentialID(key, "AKIDa", "secret", "token"))
	assert.NotEqual(t, a, CredentialID([]byte("other process"), "AKIDa", "secret", ""), "keyed")
	assert.NotEqual(t, CredentialID(key, "ab", "c", ""), CredentialID(key, "a", "bc", ""), "fields do not run together")
	assert.NotContains(t, a, "secret")
	assert.Equal(t, "****", MaskID("short"))
}
