package mcpx

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// progressEvery throttles repeated updates of one stage (upload bytes,
// packaging counts); a new stage is always sent.
const progressEvery = 100 * time.Millisecond

// Progress sends notifications/progress when the request carries a progress
// token. Best effort: a client that cannot receive it never fails the call.
//
// The progress value counts the notifications sent, so it always increases
// as the protocol requires, across stages whose own units differ (files,
// bytes, polls); the message says where the work is in the stage's units.
type Progress struct {
	ctx   context.Context
	srv   *mcpserver.MCPServer
	token mcp.ProgressToken
	clock clock.Clock

	mu        sync.Mutex
	sent      int
	lastAt    time.Time
	lastStage string
}

// NewProgress reports on req's progress token, if it has one.
func NewProgress(ctx context.Context, req mcp.CallToolRequest, c clock.Clock) *Progress {
	p := &Progress{ctx: ctx, srv: mcpserver.ServerFromContext(ctx), clock: c}
	if req.Params.Meta != nil {
		p.token = req.Params.Meta.ProgressToken
	}
	if p.clock == nil {
		p.clock = clock.System{}
	}
	return p
}

// Report sends message; done of total (total 0 = unknown) in the stage's
// own units decides only whether a throttled update is the stage's last.
// The stage is the message up to its first colon.
func (p *Progress) Report(done, total float64, message string) {
	if p == nil || p.srv == nil || p.token == nil {
		return
	}
	stage, _, _ := strings.Cut(message, ":")
	p.mu.Lock()
	now := p.clock.Now()
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

// Notify sends a notable event to the client as a log notification at info
// level, from logger (the plugin's name), when the client asked for that
// level; the operational log stays on stderr.
func Notify(ctx context.Context, logger, message string) {
	srv := mcpserver.ServerFromContext(ctx)
	if srv == nil {
		return
	}
	_ = srv.SendLogMessageToClient(ctx, mcp.NewLoggingMessageNotification(mcp.LoggingLevelInfo, logger, message))
}
