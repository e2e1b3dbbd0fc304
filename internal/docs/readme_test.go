package docs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeMatchesCode fails when the README's configuration table or tools
// section differs from what the code defines. UPDATE_DOCS=1 rewrites them.
func TestReadmeMatchesCode(t *testing.T) {
	file := filepath.Join("..", "..", "README.md")
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	doc := string(raw)

	var tools []mcp.Tool
	for _, tool := range cloudrun.New(cloudrun.Deps{Config: &config.Config{}}).Tools() {
		tools = append(tools, tool.Tool)
	}
	toolsDoc, err := ToolsSection(tools)
	require.NoError(t, err)

	want, err := Replace(doc, "config", ConfigTable())
	require.NoError(t, err)
	want, err = Replace(want, "tools", toolsDoc)
	require.NoError(t, err)
	if os.Getenv("UPDATE_DOCS") == "1" && want != doc {
		require.NoError(t, os.WriteFile(file, []byte(want), 0o644))
		doc = want
	}
	assert.Equal(t, want, doc, "README.md is out of date with the code; run `make docs`")
}
