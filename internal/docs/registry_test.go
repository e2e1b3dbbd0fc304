package docs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerManifestMatchesRegistrySchema validates server.json against the
// MCP registry's own schema for the version it names (testdata/README.md
// says where the copy comes from).
func TestServerManifestMatchesRegistrySchema(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "server.json"))
	require.NoError(t, err)
	var head struct {
		Schema string `json:"$schema"`
	}
	require.NoError(t, json.Unmarshal(raw, &head))

	schemaRaw, err := os.ReadFile(filepath.Join("testdata", "server.schema.2025-12-11.json"))
	require.NoError(t, err)
	schemaDoc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaRaw))
	require.NoError(t, err)
	id, _ := schemaDoc.(map[string]any)["$id"].(string)
	require.Equal(t, head.Schema, id, "server.json names the schema this test has")

	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(id, schemaDoc))
	schema, err := c.Compile(id)
	require.NoError(t, err)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	assert.NoError(t, schema.Validate(doc))

	// The schema is not toothless: a package pinned to "latest" is refused.
	for i, p := range doc.(map[string]any)["packages"].([]any) {
		pkg := p.(map[string]any)
		if _, has := pkg["version"]; has {
			saved := pkg["version"]
			pkg["version"] = "latest"
			assert.Error(t, schema.Validate(doc), "package %d with version latest", i)
			pkg["version"] = saved
		}
	}
	assert.NoError(t, schema.Validate(doc))
}

// TestPackagesNameTheServer: what the registry checks when it publishes.
// The npm package must say mcpName = server.json's name, and the image must
// carry the label io.modelcontextprotocol.server.name with it.
func TestPackagesNameTheServer(t *testing.T) {
	var m struct {
		Name     string `json:"name"`
		Packages []struct {
			RegistryType string `json:"registryType"`
			Identifier   string `json:"identifier"`
		} `json:"packages"`
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "server.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &m))

	var npm struct {
		Name    string `json:"name"`
		MCPName string `json:"mcpName"`
	}
	raw, err = os.ReadFile(filepath.Join("..", "..", "npm", "cloudbase-mcp", "package.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &npm))
	assert.Equal(t, m.Name, npm.MCPName, "npm/cloudbase-mcp/package.json mcpName")

	dockerfile, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	require.NoError(t, err)
	label := regexp.MustCompile(`io\.modelcontextprotocol\.server\.name="([^"]*)"`).FindSubmatch(dockerfile)
	require.NotNil(t, label, "the Dockerfile has the io.modelcontextprotocol.server.name label")
	assert.Equal(t, m.Name, string(label[1]))

	kinds := map[string]string{}
	for _, p := range m.Packages {
		kinds[p.RegistryType] = p.Identifier
	}
	assert.Equal(t, npm.Name, kinds["npm"], "server.json's npm package is npm/cloudbase-mcp")
	assert.Regexp(t, `^ghcr\.io/cloudbase-mcp/cloudbase-mcp:`, kinds["oci"])
}

// TestReadmeInstallNamesThisRelease: the README's install snippets name the
// packages and the version server.json lists.
func TestReadmeInstallNamesThisRelease(t *testing.T) {
	var m struct {
		Version  string `json:"version"`
		Packages []struct {
			Identifier string `json:"identifier"`
		} `json:"packages"`
	}
	raw, err := os.ReadFile(filepath.Join("..", "..", "server.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(raw, &m))
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	for _, p := range m.Packages {
		assert.Contains(t, string(readme), p.Identifier)
	}
	for _, re := range []string{`ghcr\.io/cloudbase-mcp/cloudbase-mcp:([0-9]+\.[0-9]+\.[0-9]+)`, `cloudbase-mcp_([0-9]+\.[0-9]+\.[0-9]+)_`} {
		found := regexp.MustCompile(re).FindAllSubmatch(readme, -1)
		require.NotEmpty(t, found, re)
		for _, f := range found {
			assert.Equal(t, m.Version, string(f[1]), "README: %s", f[0])
		}
	}
}
