package mcpx

import mcpserver "github.com/mark3labs/mcp-go/server"

// InputRequest starts the input_required answer of a multi round-trip
// exchange, with state as its requestState.
func InputRequest(state string) *mcpserver.InputRequestBuilder {
	return mcpserver.NewInputRequestBuilder(state)
}
