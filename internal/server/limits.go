package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// Size limits of tool arguments. No argument of ours is anywhere near them;
// they keep a runaway or hostile caller from making the server hold, parse,
// log or echo megabytes (an error message never quotes an oversized value).
const (
	// MaxArgumentString bounds one string argument (a path, an env value).
	MaxArgumentString = 64 << 10
	// MaxArguments bounds the arguments of one call, as JSON.
	MaxArguments = 1 << 20
)

// limitArguments refuses calls whose arguments exceed the limits, naming the
// parameter and its size, never its value.
func limitArguments(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if msg := oversized(req.Params.Arguments); msg != "" {
			return mcp.NewToolResultError("Input validation error: " + msg), nil
		}
		return next(ctx, req)
	}
}

func oversized(args any) string {
	b, err := json.Marshal(args)
	if err != nil {
		return "arguments are not valid JSON"
	}
	if len(b) > MaxArguments {
		return fmt.Sprintf("the arguments are %d bytes of JSON; the limit is %d. Send smaller values.", len(b), MaxArguments)
	}
	var long []string
	walkStrings("", args, func(path string, s string) {
		if len(s) > MaxArgumentString {
			long = append(long, fmt.Sprintf("%s is %d bytes long", path, len(s)))
		}
	})
	if len(long) == 0 {
		return ""
	}
	sort.Strings(long)
	return fmt.Sprintf("%s; the limit is %d bytes per string. Send a shorter value.", strings.Join(long, "; "), MaxArgumentString)
}

// walkStrings calls fn for every string (keys included) in v, with its path.
func walkStrings(path string, v any, fn func(path, s string)) {
	switch x := v.(type) {
	case string:
		fn(orArgs(path), x)
	case map[string]any:
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if len(k) > MaxArgumentString {
				p = path + ".<key>"
				fn(p, k)
			}
			walkStrings(p, e, fn)
		}
	case []any:
		for i, e := range x {
			walkStrings(fmt.Sprintf("%s[%d]", orArgs(path), i), e, fn)
		}
	}
}

func orArgs(path string) string {
	if path == "" {
		return "arguments"
	}
	return path
}

// Refusal is told about tool calls refused before their handler ran (by the
// size limits or the schema check), so that a plugin can audit them.
type Refusal func(ctx context.Context, req mcp.CallToolRequest, res *mcp.CallToolResult)

type reachedKey struct{}

// noticeRefusals wraps the checks: a call that comes back without having
// reached the handler (marked by markReached, the innermost middleware) was
// refused, and the tool's Refusal hook hears of it.
func noticeRefusals(hooks map[string]Refusal) mcpserver.ToolHandlerMiddleware {
	return func(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			hook := hooks[req.Params.Name]
			if hook == nil {
				return next(ctx, req)
			}
			reached := new(bool)
			res, err := next(context.WithValue(ctx, reachedKey{}, reached), req)
			if !*reached && err == nil && res != nil && res.IsError {
				hook(ctx, req, res)
			}
			return res, err
		}
	}
}

func markReached(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if reached, ok := ctx.Value(reachedKey{}).(*bool); ok {
			*reached = true
		}
		return next(ctx, req)
	}
}
