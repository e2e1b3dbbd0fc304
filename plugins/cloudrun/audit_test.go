package cloudrun

import (
	"bufio"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readAudit(t *testing.T, file string) []auditEntry {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	var out []auditEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e auditEntry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		out = append(out, e)
	}
	return out
}

func TestEveryWriteIsAudited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	h.project(t, "container-node")
	calls := []map[string]any{
		{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node", "serverConfig": map[string]any{"EnvParams": map[string]any{"DB_PASSWORD": "hunter2-audit"}}},
		{"action": "updateConfig", "serverName": "hello-api", "serverConfig": map[string]any{"MinNum": 1}, "dryRun": true},
		{"action": "delete", "serverName": "no-such-svc", "force": true},
		{"action": "delete", "serverName": "todo-func", "force": true},
		{"action": "init", "serverName": "local-app"},
	}
	for _, args := range calls {
		h.manage(t, args)
	}
	lines := readAudit(t, h.cfg.AuditLog)
	require.Len(t, lines, len(calls), "one line per call")
	for i, e := range lines {
		assert.Equal(t, ManageToolName, e.Tool)
		assert.Equal(t, calls[i]["action"], e.Action)
		assert.Equal(t, calls[i]["serverName"], e.ServerName)
		assert.NotEmpty(t, e.Time)
	}
	assert.Equal(t, "ok", lines[0].Outcome)
	assert.Equal(t, demoEnv, lines[0].EnvID)
	assert.NotEmpty(t, lines[0].RequestID, "the RequestId of the deploy")
	assert.Equal(t, "dryRun", lines[1].Outcome)
	assert.Equal(t, "error", lines[2].Outcome)
	assert.Equal(t, "ResourceNotFound.ServerNotFound", lines[2].Code)
	assert.NotEmpty(t, lines[2].RequestID)
	assert.Equal(t, "ok", lines[3].Outcome)
	assert.NotEmpty(t, lines[3].RequestID)
	assert.Equal(t, "ok", lines[4].Outcome)

	raw, err := os.ReadFile(h.cfg.AuditLog)
	require.NoError(t, err)
	for _, secret := range []string{"hunter2-audit", emulator.DemoSecretKey} {
		assert.NotContains(t, string(raw), secret)
	}
	st, err := os.Stat(h.cfg.AuditLog)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "only the user reads the audit log")
}

func TestAnUnwritableAuditLogNeverBlocksACall(t *testing.T) {
	t.Parallel()
	blocker := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))
	var stderr testutil.Buffer
	h := newHarness(t, func(s *setup) {
		s.cfg.AuditLog = filepath.Join(blocker, "audit.log") // a path under a file
		s.deps.Logger = slog.New(slog.NewTextHandler(&stderr, nil))
	})
	res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "todo-func", "force": true})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, true, out["deleted"])
	h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api", "force": true})
	assert.Equal(t, 1, strings.Count(stderr.String(), "cannot write the audit log"), "reported once on the operational log")
}
