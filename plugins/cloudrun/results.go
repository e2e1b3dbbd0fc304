package cloudrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

// Every action returns a typed result (its JSON is the structuredContent
// and the text) or an error. Errors are converted once, in respond: a
// *failure becomes an isError result the model can act on, a *mcpx.NeedInput
// becomes the input_required result, anything else is shown plainly.

// NextStep tells the agent which call to make next and why.
type NextStep struct {
	Tool   string `json:"tool"`
	Action string `json:"action"`
	Args   Args   `json:"args"`
	Why    string `json:"why"`
}

// Args are the arguments of a suggested call, complete: the call can be made
// as it is. Action is repeated in them.
type Args struct {
	Action           string       `json:"action"`
	ServerName       string       `json:"serverName,omitempty"`
	DetailServerName string       `json:"detailServerName,omitempty"`
	EnvID            string       `json:"envId,omitempty"`
	TargetPath       string       `json:"targetPath,omitempty"`
	Template         string       `json:"template,omitempty"`
	BuildID          int64        `json:"buildId,omitempty"`
	RunID            string       `json:"runId,omitempty"`
	FromLine         int          `json:"fromLine,omitempty"`
	ReleaseType      string       `json:"releaseType,omitempty"`
	TrafficOp        string       `json:"trafficOp,omitempty"`
	RunOptions       *RunOptions  `json:"runOptions,omitempty"`
	AgentConfig      *AgentConfig `json:"agentConfig,omitempty"`
	Refresh          bool         `json:"refresh,omitempty"`
	Force            bool         `json:"force,omitempty"`
}

func step(tool, action, why string, args Args) *NextStep {
	args.Action = action
	return &NextStep{Tool: tool, Action: action, Args: args, Why: why}
}

func queryStep(action, why string, args Args) *NextStep {
	return step(QueryToolName, action, why, args)
}

func manageStep(action, why string, args Args) *NextStep {
	return step(ManageToolName, action, why, args)
}

// failure is an error the model can act on: what failed, why, and what to do
// next, with the upstream Code and RequestId when there is one.
type failure struct {
	// Kind sorts the failure for the audit log, which never records the
	// free text (it may quote arguments).
	Kind      failureKind `json:"-"`
	What      string      `json:"what"`
	Why       string      `json:"why"`
	Code      string      `json:"code,omitempty"`
	RequestID string      `json:"requestId,omitempty"`
	NextStep  *NextStep   `json:"nextStep,omitempty"`
	Hint      string      `json:"hint,omitempty"`
	// PlatformMessage is the platform's own text when it is not English
	// (Why carries its English meaning).
	PlatformMessage string `json:"platformMessage,omitempty"`
}

type failureKind string

const (
	kindFailed            failureKind = "failed"
	kindInvalid           failureKind = "invalid"
	kindUpstream          failureKind = "upstream"
	kindDeclined          failureKind = "declined"
	kindNeedsConfirmation failureKind = "needsConfirmation"
)

func (f *failure) Error() string { return f.text() }

func (f *failure) text() string {
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
	if f.PlatformMessage != "" {
		b.WriteString("\nPlatform message: ")
		b.WriteString(f.PlatformMessage)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// errorBody is the structuredContent of a failure.
type errorBody struct {
	Error *failure `json:"error"`
}

func (f *failure) result() *mcp.CallToolResult {
	res := mcp.NewToolResultError(f.text())
	res.StructuredContent = errorBody{Error: f}
	return res
}

// invalid is a failure caused by the arguments.
func invalid(what, hint string) error {
	return &failure{Kind: kindInvalid, What: "Invalid arguments", Why: what, Hint: hint}
}

// respond turns what an action returned into the tool result.
func respond(v any, err error) *mcp.CallToolResult {
	if err == nil {
		b, merr := json.Marshal(v)
		if merr != nil {
			return mcp.NewToolResultError("internal error: cannot encode the result: " + merr.Error())
		}
		return mcp.NewToolResultStructured(v, string(b))
	}
	var need *mcpx.NeedInput
	if errors.As(err, &need) {
		return need.Result
	}
	var f *failure
	if errors.As(err, &f) {
		return f.result()
	}
	return (&failure{Kind: kindFailed, What: "Internal error", Why: err.Error()}).result()
}

// upstreamFailure maps an error from the CloudRun API to a failure the model
// can act on. op says what we were doing ("list services").
func upstreamFailure(op string, err error, svc string) error {
	return describeFailure(op, err, svc)
}

// describeFailure is the one place upstream errors become what/why/next.
func describeFailure(op string, err error, svc string) *failure {
	f := &failure{Kind: kindUpstream, What: "Could not " + op}
	var te *tcbr.Error
	if errors.As(err, &te) {
		f.Code, f.RequestID = te.Code, te.RequestId
		f.Why, f.PlatformMessage = english(te.Code, te.Message)
	} else {
		f.Why = err.Error()
	}
	switch {
	case errors.Is(err, context.Canceled):
		f.Why = "the request was cancelled"
		f.Hint = "Call again if the result is still needed."
	case errors.Is(err, context.DeadlineExceeded) && te == nil:
		f.Why = "no answer before the deadline"
		f.Hint = "The platform may be slow; call again. Before repeating a write, read the current state first."
	default:
		explain(f, tcbr.KindOf(err), svc)
	}
	return f
}

// kindHints is what to do about each kind of upstream error.
var kindHints = map[tcbr.Kind]string{
	tcbr.KindAuth:        "The credentials were rejected or lack permission. Check TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY (and TENCENTCLOUD_SESSIONTOKEN for temporary keys), and that the CAM policy allows tcbr:* and tcb:DescribeCloudBaseBuildService.",
	tcbr.KindRateLimited: "The API rate limit was hit (reads were already retried with backoff). Wait a few seconds, then call again.",
	tcbr.KindInvalid:     "The platform rejected the request parameters; fix them using the message above.",
	tcbr.KindConflict:    "Another deploy or release task is running on this service, or a limit was reached. Check the task, wait for it to finish, then call again.",
	tcbr.KindTimeout:     "The platform did not answer in time. Call again; before repeating a write, read the current state first.",
	tcbr.KindNetwork:     "The CloudRun API could not be reached. Check the network, proxy settings and CLOUDBASE_API_BASE_URL, then call again.",
	tcbr.KindUnavailable: "The platform is temporarily unavailable or the resource is frozen/isolated. Retry later; if it persists, check the env in the console.",
	tcbr.KindBadResponse: "The API answered with something that is not a valid response. Call again; if it persists, the endpoint may not be a CloudRun API.",
}

func explain(f *failure, kind tcbr.Kind, svc string) {
	switch kind {
	case tcbr.KindNotFound:
		f.Hint = "The env or resource does not exist. Check CLOUDBASE_ENV_ID and list the services."
		if svc != "" {
			f.Hint = fmt.Sprintf("Service %q does not exist in this env (or is already deleted). List the services to find the right name.", svc)
		}
		f.NextStep = queryStep("list", "see which services exist", Args{})
	case tcbr.KindConflict:
		f.Hint = kindHints[kind]
		if svc != "" {
			f.NextStep = queryStep("getManageTask", "see the running task", Args{DetailServerName: svc})
		}
	case tcbr.KindNoCredential:
		f.Why = "no Tencent Cloud credentials are configured"
		f.Hint = config.MissingCredentialsMessage()
	default:
		f.Hint = kindHints[kind]
		if f.Hint == "" {
			f.Hint = "An unexpected platform error occurred. Call again; if it persists, check the service in the console."
		}
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
