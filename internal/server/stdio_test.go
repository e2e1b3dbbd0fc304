package server

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStdioGuardPassesLinesAndRefusesOversizedOnes(t *testing.T) {
	big := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"x":"` + strings.Repeat("A", 5000) + `"}}`
	bigNoID := `{"jsonrpc":"2.0","method":"notifications/x","params":{"x":"` + strings.Repeat("A", 5000) + `"}}`
	nested := `{"params":{"id":99,"x":"` + strings.Repeat("A", 5000) + `"},"id":"abc"}`
	in := strings.Join([]string{`{"a":1}`, big, `{"b":2}`, bigNoID, nested, `{"c":3}`}, "\n") + "\n" + `{"tail":true}`
	var out bytes.Buffer
	g := NewStdioGuard(strings.NewReader(in), &out, 1024, nil)
	got, err := io.ReadAll(g)
	require.NoError(t, err)
	assert.Equal(t, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"tail\":true}", string(got), "short lines pass whole, long ones are dropped")
	select {
	case <-g.EOF():
	default:
		t.Fatal("EOF is signalled")
	}

	var answers []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		answers = append(answers, m)
	}
	require.Len(t, answers, 2, "a message without id gets no answer")
	assert.Equal(t, float64(7), answers[0]["id"])
	assert.Equal(t, "abc", answers[1]["id"], "the top-level id, not a nested one")
	assert.Contains(t, answers[0]["error"].(map[string]any)["message"], "message too large")
	assert.Less(t, len(out.String()), 600, "nothing of the message is echoed")
}

func TestOversizedArguments(t *testing.T) {
	assert.Empty(t, oversized(map[string]any{"action": "list", "nested": map[string]any{"k": strings.Repeat("x", MaxArgumentString)}}))
	msg := oversized(map[string]any{"serverConfig": map[string]any{"EnvParams": map[string]any{"K": strings.Repeat("x", MaxArgumentString+1)}}})
	assert.Contains(t, msg, "serverConfig.EnvParams.K is 65537 bytes long")
	assert.NotContains(t, msg, "xxx")
	msg = oversized(map[string]any{"subnetIds": []any{"a", strings.Repeat("y", MaxArgumentString+1)}})
	assert.Contains(t, msg, "subnetIds[1]")
	msg = oversized(map[string]any{"a": strings.Repeat("z", MaxArguments)})
	assert.Contains(t, msg, "the limit is 1048576")
}
