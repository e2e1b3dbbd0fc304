// Package mcpx is the MCP plumbing a tool handler uses to talk back to the
// client mid-call, for any plugin: what the client declared it can do, asking
// the user to confirm (elicitation), learning the workspace (roots), progress
// notifications and log notifications.
//
// Both eras of the protocol are served by one code path. Before 2026-07-28
// the server sends elicitation/create and roots/list itself; from 2026-07-28
// on it answers input_required and the client retries the call with the
// answers (multi round-trip requests). Every requestState handed out is an
// HMAC of the question asked, so an answer is only ever taken for the
// question it was given to.
package mcpx

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// ClientCaps returns what the client declared: per request from 2026-07-28,
// else at initialize.
func ClientCaps(ctx context.Context) mcp.ClientCapabilities {
	if info := mcpserver.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern && info.ClientCapabilities != nil {
		return *info.ClientCapabilities
	}
	if s, ok := mcpserver.ClientSessionFromContext(ctx).(mcpserver.SessionWithClientInfo); ok {
		return s.GetClientCapabilities()
	}
	return mcp.ClientCapabilities{}
}

// CanElicit reports whether the user can be asked during this call.
func CanElicit(ctx context.Context) bool { return ClientCaps(ctx).Elicitation != nil }

// NeedInput is returned when the call must end with a request for input
// (protocol 2026-07-28): Result is the input_required result to send back
// as it is; the client retries the call with the answers.
type NeedInput struct{ Result *mcp.CallToolResult }

func (*NeedInput) Error() string { return "the client is asked for input" }

// SessionID is the id of the client session the call belongs to ("" when
// the transport has none).
func SessionID(ctx context.Context) string {
	if s := mcpserver.ClientSessionFromContext(ctx); s != nil {
		return s.SessionID()
	}
	return ""
}
