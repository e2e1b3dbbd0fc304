package cloudrun

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// progressEvery throttles repeated updates of one stage (upload bytes,
// packaging counts); a new stage is always sent.
const progressEvery = 100 * time.Millisecond

// progress sends notifications/progress when the request carries a progress
// token. Best effort: a client that cannot receive it never fails the call.
//
// The progress value counts the notifications sent, so it always increases
// as the protocol requires, across stages whose own units differ (files,
// bytes, polls); the message says where the work is in the stage's units.
type progress struct {
	ctx   context.Context
	srv   *mcpserver.MCPServer
	token mcp.ProgressToken

	mu        sync.Mutex
	sent      int
	lastAt    time.Time
	lastStage string
}

func newProgress(ctx context.Context, req mcp.CallToolRequest) *progress {
	p := &progress{ctx: ctx, srv: mcpserver.ServerFromContext(ctx)}
	if req.Params.Meta != nil {
		p.token = req.Params.Meta.ProgressToken
	}
	return p
}

// report sends message; done of total (total 0 = unknown) in the stage's
// own units decides only whether a throttled update is the stage's last.
func (p *progress) report(done, total float64, message string) {
	if p == nil || p.srv == nil || p.token == nil {
		return
	}
	stage, _, _ := strings.Cut(message, ":")
	p.mu.Lock()
	now := time.Now()
	final := total > 0 && done >= total
	if stage == p.lastStage && !final && now.Sub(p.lastAt) < progressEvery {
		p.mu.Unlock()
		return
	}
	defer p.mu.Unlock() // sent under the lock, so the values reach the client in order
	p.sent++
	p.lastAt, p.lastStage = now, stage
	params := map[string]any{"progressToken": p.token, "progress": p.sent, "message": message}
	_ = p.srv.SendNotificationToClient(p.ctx, "notifications/progress", params)
}
