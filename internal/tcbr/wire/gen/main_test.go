package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFieldsJSONIsGenerated regenerates the table from the SDK models and
// compares it with the checked-in fields.json. The models live outside the
// repository (shared/spec/sdk-models, or $SDK_MODELS_DIR); without them
// there is nothing to compare against.
func TestFieldsJSONIsGenerated(t *testing.T) {
	dir := filepath.Join("..", defaultModelsDir())
	if d := os.Getenv("SDK_MODELS_DIR"); d != "" {
		dir = d
	}
	if _, err := os.Stat(filepath.Join(dir, "tcbr_models.go")); err != nil {
		t.Skipf("SDK models not found in %s; set SDK_MODELS_DIR to check fields.json against them", dir)
	}
	got, err := Generate(dir, "manager_node.json")
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "fields.json"))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "fields.json is stale: run go generate ./internal/tcbr/wire")
}
