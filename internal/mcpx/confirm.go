package mcpx

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Input request keys of the multi round-trip exchange.
const (
	inputConfirm = "confirm"
	inputRoots   = "roots"
)

// Question kinds bound into a requestState.
const (
	askConfirm = "confirm"
	askRoots   = "roots"
)

// Confirmer asks the user to confirm, and binds the answers of a multi
// round-trip exchange to the question asked: the requestState it hands out is
// an HMAC, under its key, of what was asked ("roots", or a confirmation of one
// exact subject). An answer is only taken with a state that verifies for that
// question, so a confirmation given for one delete cannot be replayed for
// another, and roots the server never asked for are ignored. Servers behind a
// load balancer share the key, so a retry may land on any of them.
type Confirmer struct {
	key    []byte
	logger *slog.Logger
}

// NewConfirmer uses key, or a random key of this process when key is empty.
func NewConfirmer(key []byte, logger *slog.Logger) *Confirmer {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Confirmer{key: key, logger: logger}
}

// State is the requestState for a question.
func (c *Confirmer) State(kind, subject string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(subject))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Verify reports whether state is the one handed out for (kind, subject).
func (c *Confirmer) Verify(state, kind, subject string) bool {
	return state != "" && hmac.Equal([]byte(state), []byte(c.State(kind, subject)))
}

// Question is what the user is asked to confirm.
type Question struct {
	Subject string // a stable description of exactly what changes, e.g. "delete|env|svc"
	Title   string // short, e.g. "Delete svc"
	Message string // the full question
}

// ErrCannotAsk: the client declared no elicitation, or asking failed; the
// caller falls back to its own consent path (force: true).
var ErrCannotAsk = errors.New("the client cannot ask the user")

// Declined is the user's no: Action is decline, cancel, or accept without
// an explicit confirm: true.
type Declined struct{ Action mcp.ElicitationResponseAction }

func (d *Declined) Error() string { return "the user did not confirm (" + string(d.Action) + ")" }

// Confirm asks the user and returns nil only on an explicit yes. Otherwise:
// ErrCannotAsk, *NeedInput (protocol 2026-07-28: end the call with it),
// *Declined, or ctx's error when the call ended while waiting.
func (c *Confirmer) Confirm(ctx context.Context, req mcp.CallToolRequest, q Question) error {
	if !CanElicit(ctx) {
		return ErrCannotAsk
	}
	params := mcp.ElicitationParams{
		Message: q.Message,
		RequestedSchema: map[string]any{
			"type": "object",
			"properties": map[string]any{
				// Defaults to false: nothing is destroyed unless the user ticks it.
				"confirm": map[string]any{"type": "boolean", "title": q.Title, "description": q.Message, "default": false},
			},
			"required": []string{"confirm"},
		},
	}
	var result *mcp.ElicitationResult
	if mcpserver.IsModernRequest(ctx) {
		result = mcpserver.ElicitationResponse(req.Params.InputResponses, inputConfirm)
		if result == nil || !c.Verify(req.Params.RequestState, askConfirm, q.Subject) {
			return &NeedInput{Result: InputRequest(c.State(askConfirm, q.Subject)).Elicit(inputConfirm, params).ToolResult()}
		}
	} else {
		srv := mcpserver.ServerFromContext(ctx)
		if srv == nil {
			return ErrCannotAsk
		}
		r, err := srv.RequestElicitation(ctx, mcp.ElicitationRequest{
			Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
			Params:  params,
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.logger.Warn("elicitation failed; falling back to force", "err", err)
			return ErrCannotAsk
		}
		result = r
	}
	if result.Action == mcp.ElicitationResponseActionAccept && confirmed(result.Content) {
		c.logger.Info("user confirmed", "subject", q.Subject)
		return nil
	}
	return &Declined{Action: result.Action}
}

// confirmed reads the "confirm" answer: only an object with confirm: true is
// a yes. Anything else (no content, a string, confirm missing or false)
// counts as a decline: a destructive action needs an explicit yes.
func confirmed(content any) bool {
	m, ok := content.(map[string]any)
	if !ok {
		return false
	}
	v, ok := m["confirm"].(bool)
	return ok && v
}
