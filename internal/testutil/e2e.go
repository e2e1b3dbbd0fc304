package testutil

import (
	"os"
	"testing"
)

// E2EEnv turns on the end-to-end suites that need the network (npm installs
// from the registry) or take long (the race-built binary under load). CI sets
// it (.ci/run); `make test` runs hermetic without it.
const E2EEnv = "CLOUDBASE_MCP_E2E"

// E2E reports whether the end-to-end suites are on.
func E2E() bool { return os.Getenv(E2EEnv) == "1" }

// NeedsE2E skips the test unless the end-to-end suites are on.
func NeedsE2E(t testing.TB) {
	t.Helper()
	if !E2E() {
		t.Skip("end-to-end suite (network or long run): set " + E2EEnv + "=1 to run it, as CI does")
	}
}
