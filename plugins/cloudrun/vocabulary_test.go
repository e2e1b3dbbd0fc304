package cloudrun

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOneVocabulary: what detail shows under config is what serverConfig
// takes: a value copies back as it is, keys match in any case (the
// result says which it normalised), and the EnvParams mask is never sent.
func TestOneVocabulary(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	_, out := h.query(t, map[string]any{"action": "detail", "detailServerName": "hello-api"})
	config := path(out, "service", "config").(map[string]any)
	for _, k := range []string{"Cpu", "Mem", "MinNum", "MaxNum", "Port", "EnvParams", "OpenAccessTypes", "PolicyDetails"} {
		assert.Contains(t, config, k)
	}
	assert.Equal(t, true, path(out, "service", "envParamsMasked"))

	// Copied back as detail shows them: nothing to change.
	res, upd := h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "dryRun": true,
		"serverConfig": map[string]any{"Cpu": config["Cpu"], "Mem": config["Mem"], "MinNum": config["MinNum"], "PolicyDetails": config["PolicyDetails"]}})
	require.False(t, res.IsError, resultText(res))
	assert.Empty(t, upd["changed"])

	// Any case; the result says what it normalised.
	res, upd = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api", "dryRun": true,
		"serverConfig": map[string]any{"minNum": 2, "maxnum": "6"}})
	require.False(t, res.IsError, resultText(res))
	assert.ElementsMatch(t, []any{"maxnum → MaxNum", "minNum → MinNum"}, upd["normalizedKeys"])
	assert.Len(t, upd["changed"], 2)

	// The mask copied back is refused, naming the key.
	res, _ = h.manage(t, map[string]any{"action": "updateConfig", "serverName": "hello-api",
		"serverConfig": map[string]any{"EnvParams": config["EnvParams"]}})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "the mask detail shows")
	assert.Empty(t, h.requestsOf(t, "SubmitServerConfigChangeDiff"))
}
