package cloudrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// NextStep tells the agent which call to make next and why.
type NextStep struct {
	Tool   string         `json:"tool"`
	Action string         `json:"action"`
	Args   map[string]any `json:"args"`
	Why    string         `json:"why"`
}

func next(tool, action string, args map[string]any, why string) *NextStep {
	if args == nil {
		args = map[string]any{}
	}
	args["action"] = action
	return &NextStep{Tool: tool, Action: action, Args: args, Why: why}
}

func queryNext(action string, args map[string]any, why string) *NextStep {
	return next("queryCloudRun", action, args, why)
}

func manageNext(action string, args map[string]any, why string) *NextStep {
	return next("manageCloudRun", action, args, why)
}

// success returns v as structuredContent and the same JSON as text.
func success(v any) *mcp.CallToolResult {
	b, err := json.Marshal(v)
	if err != nil {
		return mcp.NewToolResultError("internal error: cannot encode the result: " + err.Error())
	}
	var structured map[string]any
	if err := json.Unmarshal(b, &structured); err != nil {
		return mcp.NewToolResultError("internal error: result is not a JSON object")
	}
	return mcp.NewToolResultStructured(structured, string(b))
}

// failure is a tool error the model can act on: what failed, why, and what
// to do next, with the upstream Code and RequestId when there is one.
type failure struct {
	// Kind sorts the failure for the audit log, which never records the
	// free text (it may quote arguments): invalid, upstream, declined,
	// needsConfirmation, or "" (failed).
	Kind      string    `json:"-"`
	What      string    `json:"what"`
	Why       string    `json:"why"`
	Code      string    `json:"code,omitempty"`
	RequestID string    `json:"requestId,omitempty"`
	NextStep  *NextStep `json:"nextStep,omitempty"`
	Hint      string    `json:"hint,omitempty"`
}

func (f failure) text() string {
	var b strings.Builder
	b.WriteString(f.What)
	if f.Why != "" {
		b.WriteString(": ")
		b.WriteString(f.Why)
	}
	if !strings.HasSuffix(b.String(), ".") {
		b.WriteString(".")
	}
	if f.Code != "" || f.RequestID != "" {
		fmt.Fprintf(&b, " [Code %s, RequestId %s]", orDash(f.Code), orDash(f.RequestID))
	}
	if f.Hint != "" {
		b.WriteString("\nWhat to do: ")
		b.WriteString(f.Hint)
	}
	if f.NextStep != nil {
		args, _ := json.Marshal(f.NextStep.Args)
		fmt.Fprintf(&b, "\nNext step: call %s with %s (%s).", f.NextStep.Tool, args, f.NextStep.Why)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (f failure) result() *mcp.CallToolResult {
	res := mcp.NewToolResultError(f.text())
	res.StructuredContent = map[string]any{"error": f}
	return res
}

// invalid is a failure caused by the arguments.
func invalid(what, hint string) *mcp.CallToolResult {
	return failure{Kind: "invalid", What: "Invalid arguments", Why: what, Hint: hint}.result()
}

// upstreamFailure maps an error from the CloudRun API to a message the model
// can act on. op says what we were doing ("list services").
func upstreamFailure(op string, err error, svc string) *mcp.CallToolResult {
	return describeFailure(op, err, svc).result()
}

// describeFailure is the one place upstream errors become what/why/next.
func describeFailure(op string, err error, svc string) failure {
	f := failure{Kind: "upstream", What: "Could not " + op}
	var te *tcbr.Error
	if errors.As(err, &te) {
		f.Code, f.RequestID = te.Code, te.RequestId
		f.Why = te.Message
	} else {
		f.Why = err.Error()
	}
	switch {
	case errors.Is(err, context.Canceled):
		f.Why = "the request was cancelled"
		f.Hint = "Call again if the result is still needed."
		return f
	case errors.Is(err, context.DeadlineExceeded) && te == nil:
		f.Why = "no answer before the deadline"
		f.Hint = "The platform may be slow; call again. Before repeating a write, read the current state first."
		return f
	}
	switch tcbr.KindOf(err) {
	case tcbr.KindNotFound:
		if svc != "" {
			f.Hint = fmt.Sprintf("Service %q does not exist in this env (or is already deleted). List the services to find the right name.", svc)
		} else {
			f.Hint = "The env or resource does not exist. Check CLOUDBASE_ENV_ID and list the services."
		}
		f.NextStep = queryNext("list", nil, "see which services exist")
	case tcbr.KindAuth:
		f.Hint = "The credentials were rejected or lack permission. Check TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for temporary keys), and that the CAM policy allows tcbr:* and tcb:DescribeCloudBaseBuildService."
	case tcbr.KindRateLimited:
		f.Hint = "The API rate limit was hit (reads were already retried with backoff). Wait a few seconds, then call again."
	case tcbr.KindInvalid:
		f.Hint = "The platform rejected the request parameters; fix them using the message above."
	case tcbr.KindConflict:
		f.Hint = "Another deploy or release task is running on this service, or a limit was reached. Check the task, wait for it to finish, then call again."
		if svc != "" {
			f.NextStep = queryNext("getManageTask", map[string]any{"detailServerName": svc}, "see the running task")
		}
	case tcbr.KindTimeout:
		f.Hint = "The platform did not answer in time. Call again; before repeating a write, read the current state first."
	case tcbr.KindNetwork:
		f.Hint = "The CloudRun API could not be reached. Check the network, proxy settings and CLOUDBASE_API_BASE_URL, then call again."
	case tcbr.KindUnavailable:
		f.Hint = "The platform is temporarily unavailable or the resource is frozen/isolated. Retry later; if it persists, check the env in the console."
	case tcbr.KindBadResponse:
		f.Hint = "The API answered with something that is not a valid response. Call again; if it persists, the endpoint may not be a CloudRun API."
	case tcbr.KindNoCredential:
		f.Why = "no Tencent Cloud credentials are configured"
		f.Hint = config.MissingCredentialsMessage()
	default:
		f.Hint = "An unexpected platform error occurred. Call again; if it persists, check the service in the console."
	}
	return f
}
