package cloudrun

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tiktoken-go/tokenizer"
)

// toolsListTokenBudget bounds what every session pays before its first
// call: the tools/list result in o200k tokens (the reference spends 5,748).
const toolsListTokenBudget = 2600

// TestToolsListTokenBudget measures tools/list with a real tokenizer.
func TestToolsListTokenBudget(t *testing.T) {
	t.Parallel()
	_, raw := listTools(t, newHarness(t))
	enc, err := tokenizer.Get(tokenizer.O200kBase)
	require.NoError(t, err)
	ids, _, err := enc.Encode(string(raw))
	require.NoError(t, err)
	t.Logf("tools/list: %d bytes, %d o200k tokens (budget %d)", len(raw), len(ids), toolsListTokenBudget)
	assert.LessOrEqual(t, len(ids), toolsListTokenBudget)
}

// TestEveryFieldIsDescribed: the model reads nothing but the schema before
// its first call; every parameter it may fill says what it is for, down to
// the keys of serverConfig, runOptions and agentConfig (deeper, the API's own
// structures, such as VpcConf.VpcId, are named by the key above them).
func TestEveryFieldIsDescribed(t *testing.T) {
	t.Parallel()
	tools, _ := listTools(t, newHarness(t))
	for name, tool := range tools {
		assert.NotEmpty(t, tool.Description, name)
		b, err := json.Marshal(tool)
		require.NoError(t, err)
		var published struct {
			InputSchema map[string]any `json:"inputSchema"`
		}
		require.NoError(t, json.Unmarshal(b, &published))
		require.NotEmpty(t, published.InputSchema, name)
		describedProperties(t, name, published.InputSchema, 2)
	}
}

func describedProperties(t *testing.T, where string, schema map[string]any, depth int) {
	if depth == 0 {
		return
	}
	props, _ := schema["properties"].(map[string]any)
	for k, v := range props {
		p := v.(map[string]any)
		assert.NotEmpty(t, p["description"], "%s.%s has no description", where, k)
		describedProperties(t, where+"."+k, p, depth-1)
	}
}
