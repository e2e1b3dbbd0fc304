//go:build unix

package cloudrun

import (
	"io"
	"net/http"
	"os/exec"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContainerTemplatesRunLocally: each container template, created with
// init, runs locally through the tool with its own toolchain (no Docker
// engine here), answers on its port, and stops.
func TestContainerTemplatesRunLocally(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		template, tool string
		long           bool // compiles first: part of the end-to-end suite
	}{
		{"nodejs", "node", false},
		{"python", "python3", false},
		{"golang", "go", true},
		{"java", "java", true},
	} {
		t.Run(c.template, func(t *testing.T) {
			if c.long {
				testutil.NeedsE2E(t)
			}
			if _, err := exec.LookPath(c.tool); err != nil {
				t.Skipf("%s is not on PATH", c.tool)
			}
			h := newHarness(t)
			t.Cleanup(func() { _ = h.plugin.Close() })
			svc := "local-" + c.template
			res, _ := h.manage(t, map[string]any{"action": "init", "serverName": svc, "template": c.template})
			require.False(t, res.IsError, resultText(res))
			port := freePort(t)
			res, _ = h.manage(t, map[string]any{"action": "run", "serverName": svc, "runOptions": map[string]any{"port": port}})
			require.False(t, res.IsError, resultText(res))
			run := decodeAs[runResult](t, res)
			assert.Equal(t, "running", run.Run.Status)
			assert.NotEqual(t, "functions framework", run.Run.How, "a container project runs with its own start command")

			client := http.Client{Timeout: 5 * time.Second}
			resp, err := client.Get(run.Run.URL)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))

			res, _ = h.manage(t, map[string]any{"action": "stop", "serverName": svc})
			require.False(t, res.IsError, resultText(res))
		})
	}
}
