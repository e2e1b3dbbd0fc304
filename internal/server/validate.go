package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// inputValidator checks every tool call's arguments against the tool's
// published input schema before the handler runs. Values sent as strings
// where the schema wants a number or boolean ("42", "true") are coerced first:
// models often quote them, and refusing would only cost a round trip.
type inputValidator struct {
	mu      sync.RWMutex
	schemas map[string]*schema
}

func newInputValidator() *inputValidator {
	return &inputValidator{schemas: map[string]*schema{}}
}

// add compiles the tool's input schema (a few microseconds). A schema that does
// not compile, or uses a keyword the validator does not implement, is a
// programming error and fails server construction.
func (v *inputValidator) add(tool mcp.Tool) error {
	raw := tool.RawInputSchema
	if len(raw) == 0 {
		b, err := json.Marshal(tool.InputSchema)
		if err != nil {
			return err
		}
		raw = b
	}
	doc, err := decodeJSON(raw)
	if err != nil {
		return fmt.Errorf("decode input schema: %w", err)
	}
	s, err := compileSchema(doc, "")
	if err != nil {
		return fmt.Errorf("compile input schema: %w", err)
	}
	v.mu.Lock()
	v.schemas[tool.Name] = s
	v.mu.Unlock()
	return nil
}

func (v *inputValidator) middleware(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		v.mu.RLock()
		s := v.schemas[req.Params.Name]
		v.mu.RUnlock()
		if s == nil {
			return next(ctx, req)
		}
		var args map[string]any
		switch a := req.Params.Arguments.(type) {
		case nil:
			args = map[string]any{}
		case map[string]any:
			args = a
		default:
			b, err := json.Marshal(a)
			if err == nil {
				err = json.Unmarshal(b, &args)
			}
			if err != nil || args == nil {
				return mcp.NewToolResultError("Input validation error: arguments must be a JSON object."), nil
			}
		}
		coerced, _ := coerce(s, args).(map[string]any)
		// Validate the JSON the arguments stand for (any Go number type becomes
		// a json.Number, compared exactly), as a client would have sent them.
		b, err := json.Marshal(coerced)
		if err != nil {
			return mcp.NewToolResultError("Input validation error: arguments are not valid JSON: " + err.Error()), nil
		}
		inst, err := decodeJSON(b)
		if err != nil {
			return mcp.NewToolResultError("Input validation error: " + err.Error()), nil
		}
		var problems []violation
		s.validate(inst, nil, &problems)
		if len(problems) > 0 {
			return mcp.NewToolResultError(describe(req.Params.Name, problems)), nil
		}
		req.Params.Arguments = coerced
		return next(ctx, req)
	}
}

// describe turns validation failures into one message per problem, each
// naming the parameter and the values or keys that would be accepted.
func describe(tool string, problems []violation) string {
	parts := make([]string, 0, len(problems))
	for _, p := range problems {
		parts = append(parts, p.message())
	}
	slices.Sort(parts)
	parts = slices.Compact(parts)
	return fmt.Sprintf("Input validation error: %s. Fix the arguments and call %s again.", strings.Join(parts, "; "), tool)
}

func (p violation) message() string {
	where := strings.Join(p.at, ".")
	switch p.keyword {
	case "additionalProperties":
		noun := "unknown parameter"
		if len(p.names) > 1 {
			noun = "unknown parameters"
		}
		return fmt.Sprintf("%s %s%s; valid parameters: %s", noun, quoteAll(p.names), inWhere(where), strings.Join(p.want, ", "))
	case "enum":
		return fmt.Sprintf("%s: %q is not one of the valid values: %s", where, fmt.Sprint(p.got), strings.Join(p.want, ", "))
	case "required":
		return fmt.Sprintf("missing required parameter %s%s", quoteAll(p.names), inWhere(where))
	case "type":
		return fmt.Sprintf("%s: must be %s, got %s", where, strings.Join(p.want, " or "), p.got)
	}
	if where == "" {
		where = "arguments"
	}
	switch p.keyword {
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
		return fmt.Sprintf("%s: %s: got %v, want %s", where, p.keyword, p.got, p.limit)
	case "pattern":
		return fmt.Sprintf("%s: %s does not match pattern %s", where, singleQuote(p.got.(string)), singleQuote(p.limit))
	case "false":
		return where + ": false schema"
	}
	return fmt.Sprintf("%s: invalid JSON value %v", where, p.got)
}

// singleQuote is strconv.Quote with single quotes, as the messages have always been written.
func singleQuote(s string) string {
	q := strconv.Quote(s)
	q = strings.ReplaceAll(q, `\"`, `"`)
	q = strings.ReplaceAll(q, `'`, `\'`)
	return "'" + q[1:len(q)-1] + "'"
}

func inWhere(where string) string {
	if where == "" {
		return ""
	}
	return " in " + where
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// coerce converts string-encoded numbers and booleans where the schema asks
// for them, recursing into objects and arrays. Anything it cannot convert is
// left as is for the validator to report.
func coerce(s *schema, value any) any {
	switch val := value.(type) {
	case map[string]any:
		return coerceObject(s, val)
	case []any:
		return coerceArray(s, val)
	case string:
		return coerceString(s.types, val)
	case float64:
		// An integer sent as 42.0 is still 42.
		if slices.Contains(s.types, "integer") && val == float64(int64(val)) {
			return int64(val)
		}
		return val
	}
	return value
}

// coerceObject coerces the values of the properties the schema describes.
func coerceObject(s *schema, val map[string]any) map[string]any {
	out := make(map[string]any, len(val))
	for k, x := range val {
		if sub, ok := s.properties[k]; ok {
			out[k] = coerce(sub, x)
		} else {
			out[k] = x
		}
	}
	return out
}

// coerceArray coerces the items when the schema describes them.
func coerceArray(s *schema, val []any) []any {
	if s.items == nil {
		return val
	}
	out := make([]any, len(val))
	for i, x := range val {
		out[i] = coerce(s.items, x)
	}
	return out
}

// stringCoercions are tried in this order, each where the schema allows its
// type: "1" is an integer before it is a number or a boolean.
var stringCoercions = []struct {
	typ   string
	parse func(string) (any, bool)
}{
	{"integer", parseInteger},
	{"number", parseFiniteNumber},
	{"boolean", parseBoolean},
}

// coerceString converts a string, trimmed, to the first type the schema
// allows that it parses as; a schema that allows strings keeps it.
func coerceString(types []string, val string) any {
	if slices.Contains(types, "string") {
		return val
	}
	s := strings.TrimSpace(val)
	for _, c := range stringCoercions {
		if !slices.Contains(types, c.typ) {
			continue
		}
		if v, ok := c.parse(s); ok {
			return v
		}
	}
	return val
}

func parseInteger(s string) (any, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseFiniteNumber takes only finite numbers: "NaN" and "Inf" stay strings,
// so the schema check names the parameter instead of JSON failing on them.
func parseFiniteNumber(s string) (any, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func parseBoolean(s string) (any, bool) {
	b, err := strconv.ParseBool(s)
	return b, err == nil
}
