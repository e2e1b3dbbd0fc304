package hostedload

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTwoInstancesServeTheLoadWithoutErrors: the bounded load run of make
// bench (100 clients × 20 calls against two instances) completes with no
// failed call. Speed is measured by make bench, never asserted here.
func TestTwoInstancesServeTheLoadWithoutErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("a load run")
	}
	testutil.NeedsE2E(t) // a load run of two binaries: in CI, not in a plain make test
	bin := filepath.Join(t.TempDir(), "cloudbase-mcp")
	build := exec.Command("go", "build", "-o", bin, "../../../cmd/cloudbase-mcp")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	require.NoError(t, build.Run())

	r, err := Run(Options{Bin: bin})
	require.NoError(t, err)
	assert.Zero(t, r.Errors, "first failures: %q", r.FirstErrors)
	assert.Equal(t, 100*20, r.Total)
	assert.Equal(t, 100, r.First.N, "every client's first read")
	assert.Positive(t, r.Cached.N)
	assert.Positive(t, r.Uncached.N)
	require.Len(t, r.RSS, 2)
	for _, m := range r.RSS {
		assert.Positive(t, m.Peak, "RSS read for every instance")
	}
}
