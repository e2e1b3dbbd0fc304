// Command floor is the startup floor `make bench` sets beside our server: the
// least a Go program can do to answer the bench's MCP session over stdio. It
// answers initialize (the tools capability, as ours) and tools/list (no
// tools), ignores notifications, and exits when stdin ends. No MCP library,
// no plugins: encoding/json and the runtime, built like our binary.
package main

import (
	"bufio"
	"encoding/json"
	"os"
)

type request struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
}

func main() {
	in := bufio.NewReader(os.Stdin)
	for {
		line, err := in.ReadBytes('\n')
		var req request
		if json.Unmarshal(line, &req) == nil && req.ID != nil {
			answer(req)
		}
		if err != nil {
			return
		}
	}
}

func answer(req request) {
	var result any
	switch req.Method {
	case "initialize":
		result = map[string]any{
			"protocolVersion": "2025-06-18",
			"capabilities":    map[string]any{"tools": map[string]any{"listChanged": false}},
			"serverInfo":      map[string]any{"name": "floor", "version": "1"},
		}
	case "tools/list":
		result = map[string]any{"tools": []any{}}
	default:
		result = map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": result})
	if err == nil {
		_, _ = os.Stdout.Write(append(b, '\n'))
	}
}
