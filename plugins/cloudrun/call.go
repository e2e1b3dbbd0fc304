package cloudrun

import (
	"context"
	"errors"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/mark3labs/mcp-go/mcp"
)

// call is one manageCloudRun call as its action sees it.
type call struct {
	req      mcp.CallToolRequest
	args     *ManageArgs
	progress *mcpx.Progress
	confirm  *mcpx.Confirmer // asks the user about this call (askUser)
}

// askUser asks the user, through the client, to confirm q. nil means go on:
// the user said yes. Otherwise the error ends the call: the user declined,
// the client is being asked (input_required), or the client cannot ask and
// withoutClient says how to consent instead (force: true).
func (c *call) askUser(ctx context.Context, q mcpx.Question, withoutClient error) error {
	err := c.confirm.Confirm(ctx, c.req, q)
	var declined *mcpx.Declined
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mcpx.ErrCannotAsk):
		return withoutClient
	case errors.As(err, &declined):
		verb := "declined"
		switch declined.Action {
		case mcp.ElicitationResponseActionCancel:
			verb = "cancelled (declined)"
		case mcp.ElicitationResponseActionAccept:
			verb = "answered without ticking confirm (declined)"
		}
		return &failure{Kind: kindDeclined, What: q.Title + ": not done",
			Why:  "the user " + verb + " the confirmation, so nothing was changed",
			Hint: "Do not retry unless the user asks for it again."}
	case ctx.Err() != nil:
		return &failure{What: q.Title + ": not done", Why: "the call was cancelled while waiting for the user's answer"}
	}
	return err // *mcpx.NeedInput
}
