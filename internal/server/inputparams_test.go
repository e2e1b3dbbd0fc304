package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encode renders a tools/call response the way mcp-go's stdio transport does:
// one JSON line.
func encode(t *testing.T, res *mcp.CallToolResult) []byte {
	t.Helper()
	b, err := json.Marshal(mcp.NewJSONRPCResultResponse(mcp.NewRequestId(7), res))
	require.NoError(t, err)
	return append(b, '\n')
}

func TestInputRequestParams(t *testing.T) {
	elicit := mcp.ElicitationParams{Message: "Delete hello-api?", RequestedSchema: map[string]any{"type": "object"}}
	asking := mcpserver.NewInputRequestBuilder("st").Roots("roots").Elicit("confirm", elicit).ToolResult()
	line := encode(t, asking)
	require.Contains(t, string(line), `"roots":{"method":"roots/list"}`, "mcp-go writes roots/list without params (else this shim can go)")

	var out bytes.Buffer
	n, err := WithInputRequestParams(&out).Write(line)
	require.NoError(t, err)
	assert.Equal(t, len(line), n, "the caller sees its whole line written")
	require.Equal(t, byte('\n'), out.Bytes()[out.Len()-1], "still one line")

	var msg struct {
		ID     int `json:"id"`
		Result struct {
			ResultType    string `json:"resultType"`
			RequestState  string `json:"requestState"`
			InputRequests map[string]struct {
				Method string          `json:"method"`
				Params json.RawMessage `json:"params"`
			} `json:"inputRequests"`
		} `json:"result"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &msg))
	assert.Equal(t, 7, msg.ID)
	assert.Equal(t, "input_required", msg.Result.ResultType)
	assert.Equal(t, "st", msg.Result.RequestState)
	assert.Equal(t, "roots/list", msg.Result.InputRequests["roots"].Method)
	assert.JSONEq(t, `{}`, string(msg.Result.InputRequests["roots"].Params))
	assert.Equal(t, "elicitation/create", msg.Result.InputRequests["confirm"].Method)
	assert.JSONEq(t, `{"message":"Delete hello-api?","requestedSchema":{"type":"object"}}`, string(msg.Result.InputRequests["confirm"].Params),
		"params already there are kept as they are")
}

func TestInputRequestParamsLeavesTheRestAlone(t *testing.T) {
	done := encode(t, mcp.NewToolResultText(`a text that mentions "input_required"`))
	onlyElicit := encode(t, mcpserver.NewInputRequestBuilder("").Elicit("c", mcp.ElicitationParams{Message: "ok?"}).ToolResult())
	for name, line := range map[string][]byte{
		"a complete result":           done,
		"input requests with params":  onlyElicit,
		"a partial line":              []byte(`{"result":{"resultType":"input_required"`),
		"two lines in one write":      append(append([]byte{}, done...), done...),
		"a notification":              []byte(`{"jsonrpc":"2.0","method":"notifications/progress","params":{}}` + "\n"),
		"not JSON but mentions input": []byte(`"input_required" {` + "\n"),
	} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			n, err := WithInputRequestParams(&out).Write(line)
			require.NoError(t, err)
			assert.Equal(t, len(line), n)
			assert.Equal(t, string(line), out.String(), "passed through byte for byte")
		})
	}
}
