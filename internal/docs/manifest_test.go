package docs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerManifest checks server.json (the MCP registry manifest) against
// the registry's rules and the code: every variable it names is one the
// server reads, secrets are marked, defaults agree.
func TestServerManifest(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "server.json"))
	require.NoError(t, err)
	var m struct {
		Schema      string `json:"$schema"`
		Name        string `json:"name"`
		Description string `json:"description"`
		Version     string `json:"version"`
		Packages    []struct {
			RegistryType string `json:"registryType"`
			Identifier   string `json:"identifier"`
			Version      string `json:"version"`
			Transport    struct {
				Type string `json:"type"`
			} `json:"transport"`
			EnvironmentVariables []struct {
				Name     string `json:"name"`
				IsSecret bool   `json:"isSecret"`
				Default  string `json:"default"`
			} `json:"environmentVariables"`
		} `json:"packages"`
	}
	require.NoError(t, json.Unmarshal(raw, &m))
	assert.Contains(t, m.Schema, "server.schema.json")
	assert.Equal(t, 1, strings.Count(m.Name, "/"), "name is reverse-DNS with exactly one slash")
	assert.LessOrEqual(t, len(m.Description), 100, "the registry caps descriptions at 100 characters")
	assert.Regexp(t, `^\d+\.\d+\.\d+$`, m.Version, "a concrete version")
	require.NotEmpty(t, m.Packages)

	known := map[string]config.EnvVar{}
	for _, v := range config.EnvVars() {
		known[v.Name] = v
		for _, a := range v.Aliases {
			known[a] = v
		}
	}
	secrets := map[string]bool{"TENCENTCLOUD_SECRETKEY": true, "TENCENTCLOUD_SESSIONTOKEN": true}
	for _, p := range m.Packages {
		assert.Equal(t, "stdio", p.Transport.Type)
		switch p.RegistryType {
		case "oci": // the version is the image tag
			assert.True(t, strings.HasSuffix(p.Identifier, ":"+m.Version), "the image tag is the server's version")
			assert.Empty(t, p.Version, "the registry refuses a version field on oci packages")
		case "npm":
			assert.Equal(t, m.Version, p.Version, "the npm package version is the server's")
		default:
			t.Errorf("package %s: registryType %q is not one we ship", p.Identifier, p.RegistryType)
		}
		for _, e := range p.EnvironmentVariables {
			v, ok := known[e.Name]
			if assert.True(t, ok, "%s is not a variable the server reads", e.Name) {
				assert.Equal(t, secrets[e.Name], e.IsSecret, "%s: isSecret", e.Name)
				if e.Default != "" && v.Default != "" {
					assert.Equal(t, v.Default, e.Default, "%s: default", e.Name)
				}
			}
		}
	}
}
