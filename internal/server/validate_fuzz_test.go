package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/require"
)

// fuzzToolSchema has every construct the real tool schemas use: enums, integer and number ranges,
// booleans, a pattern, a string-or-object union, nested objects with additionalProperties false, arrays
// of enums and of objects with required keys, a map of strings, and an integer enum.
var fuzzToolSchema = json.RawMessage(`{
  "type": "object", "additionalProperties": false, "required": ["action"],
  "properties": {
    "action": {"type": "string", "enum": ["list", "deploy", "traffic"]},
    "pageSize": {"type": "integer", "minimum": 1, "maximum": 100},
    "buildId": {"type": "integer", "minimum": 0},
    "ratio": {"type": "number", "exclusiveMinimum": 0},
    "refresh": {"type": "boolean"},
    "serverName": {"type": "string", "pattern": "^[a-zA-Z][a-zA-Z0-9_-]{2,44}$"},
    "mixed": {"type": ["integer", "string"]},
    "flag": {"type": ["boolean", "null"]},
    "cfg": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "Cpu": {"type": "number", "exclusiveMinimum": 0},
        "Port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "EnvParams": {"type": ["string", "object"]},
        "Types": {"type": "array", "items": {"type": "string", "enum": ["OA", "PUBLIC"]}},
        "Policies": {"type": "array", "items": {"type": "object", "additionalProperties": false, "required": ["T", "N"],
          "properties": {"T": {"type": "string", "enum": ["cpu", "mem"]}, "N": {"type": "integer", "minimum": 1, "maximum": 100}}}},
        "Vpc": {"type": "object", "properties": {"CreateType": {"type": "integer", "enum": [1, 2]}}},
        "Nums": {"type": "array", "items": {"type": "number"}}
      }
    },
    "env": {"type": "object", "additionalProperties": {"type": "string"}},
    "ids": {"type": "array", "items": {"type": "string"}},
    "anything": {}
  }
}`)

// FuzzInputValidation drives the validation middleware with any JSON value as a tool call's arguments.
//
// Properties: no panic; the call either reaches the tool handler or is refused with an error result whose
// text starts with "Input validation error" and names the tool or the problem; whatever reaches the handler
// is a JSON object that validates against the schema as is (by the reference implementation), and coercing it again changes nothing; and
// arguments that already validate against the schema are never refused, and reach the handler with the
// same JSON meaning (only string-encoded scalars are coerced, and a valid input has none where the schema
// does not accept a string).
//
// Run longer with: go test -run '^$' -fuzz '^FuzzInputValidation$' -fuzztime 60s ./internal/server/
func FuzzInputValidation(f *testing.F) {
	for _, s := range []string{
		`{"action":"list"}`,
		`{"action":"list","pageSize":"42","refresh":"true","ratio":" 1.5 "}`,
		`{"action":"list","pageSize":42.0,"buildId":0}`,
		`{"action":"deploy","cfg":{"Cpu":"0.5","Port":"8080","EnvParams":"{\"A\":\"1\"}","Types":["OA"],"Policies":[{"T":"cpu","N":"60"}],"Vpc":{"CreateType":"2"}}}`,
		`{"action":"deploy","cfg":{"EnvParams":{"A":"1"},"Nums":["1e3", 2, "NaN"]}}`,
		`{"action":"list","pageSize":0}`,
		`{"action":"nope","extra":1}`,
		`{"action":"list","cfg":{"Unknown":true}}`,
		`{"action":"list","mixed":"7","flag":null,"env":{"K":"v"},"ids":["a"],"anything":[1,{"x":null}]}`,
		`{"action":"list","ratio":"Infinity"}`,
		`{"action":"list","buildId":1e300,"pageSize":-0}`,
		`{"action":"list","serverName":"ab"}`,
		`{"action":"traffic","pageSize":"0x10","refresh":"1"}`,
		`{}`,
		`[]`,
		`"action"`,
		`null`,
		`42`,
	} {
		f.Add([]byte(s))
	}
	v := newInputValidator()
	const tool = "fuzzTool"
	require.NoError(f, v.add(mcp.NewToolWithRawSchema(tool, "fuzz", fuzzToolSchema)))
	ref := reference(f, string(fuzzToolSchema)) // the verdicts below are the reference implementation's

	f.Fuzz(func(t *testing.T, data []byte) {
		var args any
		if json.Unmarshal(data, &args) != nil {
			return
		}
		var got map[string]any
		reached := false
		h := v.middleware(func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			reached = true
			got = req.GetArguments()
			return mcp.NewToolResultText("ok"), nil
		})
		req := mcp.CallToolRequest{}
		req.Params.Name = tool
		req.Params.Arguments = args
		res, err := h(context.Background(), req)
		require.NoError(t, err)
		require.NotNil(t, res)

		obj, isObj := args.(map[string]any)
		validAsIs := isObj && referenceValid(ref, obj)
		if !reached {
			require.True(t, res.IsError)
			text := fzResultText(res)
			require.True(t, strings.HasPrefix(text, "Input validation error"), "refusal text %q", text)
			require.False(t, validAsIs, "valid arguments %s were refused: %s", data, text)
			return
		}
		require.False(t, res.IsError)
		require.True(t, args == nil || isObj, "a non-object %s reached the handler", data)
		require.NotNil(t, got)
		require.True(t, referenceValid(ref, got), "arguments that reached the handler do not validate: %v", got)
		again, _ := coerce(v.schemas[tool], got).(map[string]any)
		require.JSONEq(t, fzMustJSON(t, got), fzMustJSON(t, again), "coercion is not idempotent")
		if validAsIs {
			require.JSONEq(t, fzMustJSON(t, obj), fzMustJSON(t, got), "coercion changed valid arguments")
		}
	})
}

func fzMustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func fzResultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}
