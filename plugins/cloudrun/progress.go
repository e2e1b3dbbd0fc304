package cloudrun

import (
	"context"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// progress sends notifications/progress when the request carries a progress
// token. Best effort: a client that cannot receive it never fails the call.
type progress struct {
	ctx   context.Context
	srv   *mcpserver.MCPServer
	token mcp.ProgressToken
}

func newProgress(ctx context.Context, req mcp.CallToolRequest) *progress {
	p := &progress{ctx: ctx, srv: mcpserver.ServerFromContext(ctx)}
	if req.Params.Meta != nil {
		p.token = req.Params.Meta.ProgressToken
	}
	return p
}

// report sends done out of total (total 0 = unknown) with a message.
func (p *progress) report(done, total float64, message string) {
	if p == nil || p.srv == nil || p.token == nil {
		return
	}
	params := map[string]any{"progressToken": p.token, "progress": done, "message": message}
	if total > 0 {
		params["total"] = total
	}
	_ = p.srv.SendNotificationToClient(p.ctx, "notifications/progress", params)
}
