package mcpx

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStatesAreBoundToTheirQuestion(t *testing.T) {
	c := NewConfirmer(nil, nil)
	assert.Equal(t, c.State(askConfirm, "delete|env|a"), c.State(askConfirm, "delete|env|a"))
	assert.NotEqual(t, c.State(askConfirm, "delete|env|a"), c.State(askConfirm, "delete|env|b"))
	assert.NotEqual(t, c.State(askConfirm, "delete|env|a"), NewConfirmer(nil, nil).State(askConfirm, "delete|env|a"), "a random key per process")
	assert.Equal(t, NewConfirmer([]byte("shared"), nil).State(askRoots, ""), NewConfirmer([]byte("shared"), nil).State(askRoots, ""),
		"instances sharing a key hand out the same states")
	assert.True(t, c.Verify(c.State(askConfirm, "delete|env|a"), askConfirm, "delete|env|a"))
	assert.False(t, c.Verify(c.State(askConfirm, "delete|env|a"), askConfirm, "delete|env|b"), "another service")
	assert.False(t, c.Verify(c.State(askConfirm, "delete|env|a"), askConfirm, "init|env|a"), "another action")
	assert.False(t, c.Verify(c.State(askRoots, ""), askConfirm, ""), "a roots state is no confirmation")
	assert.False(t, c.Verify("", askConfirm, ""), "no state")
}

func TestOnlyAnExplicitYesConfirms(t *testing.T) {
	assert.True(t, confirmed(map[string]any{"confirm": true}))
	for _, content := range []any{nil, "yes", true, map[string]any{}, map[string]any{"confirm": "true"}, map[string]any{"confirm": false}, map[string]any{"confirm": 1}} {
		assert.False(t, confirmed(content), "%v", content)
	}
}
