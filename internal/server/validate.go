package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// inputValidator checks every tool call's arguments against the tool's
// published input schema before the handler runs. Values sent as strings
// where the schema wants a number or boolean ("42", "true") are coerced first:
// models often quote them, and refusing would only cost a round trip.
type inputValidator struct {
	mu      sync.RWMutex
	schemas map[string]*toolSchema
	printer *message.Printer
}

type toolSchema struct {
	name     string
	compiled *jsonschema.Schema // set at add, or on the first call for a schema added by addDeferred
	node     map[string]any     // the schema document, for coercion and messages

	once sync.Once
	doc  any // the decoded document, until compiled
	err  error
}

func newInputValidator() *inputValidator {
	return &inputValidator{schemas: map[string]*toolSchema{}, printer: message.NewPrinter(language.English)}
}

// add compiles the tool's input schema now. A schema that does not compile is a
// programming error and fails server construction.
func (v *inputValidator) add(tool mcp.Tool) error {
	return v.register(tool, false)
}

// addDeferred is add for server construction: a schema that wellFormed proves
// compilable is compiled on the tool's first call, so startup does not pay for
// the compiler (about a millisecond per tool schema, most of it checking the
// schema against the meta-schema). Any other schema is compiled now, so a broken
// one still fails construction.
func (v *inputValidator) addDeferred(tool mcp.Tool) error {
	return v.register(tool, true)
}

func (v *inputValidator) register(tool mcp.Tool, deferCompile bool) error {
	raw := tool.RawInputSchema
	if len(raw) == 0 {
		b, err := json.Marshal(tool.InputSchema)
		if err != nil {
			return err
		}
		raw = b
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("decode input schema: %w", err)
	}
	ts := &toolSchema{name: tool.Name, doc: doc}
	if !deferCompile || !wellFormed(doc) {
		if _, err := ts.schema(); err != nil {
			return err
		}
	}
	if ts.node, err = numbersAsFloats(doc, raw); err != nil {
		return err
	}
	v.mu.Lock()
	v.schemas[tool.Name] = ts
	v.mu.Unlock()
	return nil
}

// numbersAsFloats is the schema document as json.Unmarshal decodes raw (numbers as float64), made from
// doc, jsonschema's decoding (numbers as json.Number), to spare a second parse. A number beyond float64
// falls back to json.Unmarshal itself, for its error.
func numbersAsFloats(doc any, raw []byte) (map[string]any, error) {
	var convert func(v any) (any, bool)
	convert = func(v any) (any, bool) {
		switch x := v.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(x), 64)
			return f, err == nil
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				c, ok := convert(e)
				if !ok {
					return nil, false
				}
				out[k] = c
			}
			return out, true
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				c, ok := convert(e)
				if !ok {
					return nil, false
				}
				out[i] = c
			}
			return out, true
		}
		return v, true
	}
	if c, ok := convert(doc); ok {
		if m, ok := c.(map[string]any); ok {
			return m, nil
		}
	}
	var node map[string]any
	err := json.Unmarshal(raw, &node)
	return node, err
}

// schema returns the compiled schema, compiling it on first use.
func (ts *toolSchema) schema() (*jsonschema.Schema, error) {
	ts.once.Do(func() {
		url := "mem:///tools/" + ts.name + ".json"
		c := jsonschema.NewCompiler()
		if err := c.AddResource(url, ts.doc); err != nil {
			ts.err = err
			return
		}
		compiled, err := c.Compile(url)
		if err != nil {
			ts.err = fmt.Errorf("compile input schema: %w", err)
			return
		}
		ts.compiled, ts.doc = compiled, nil
	})
	return ts.compiled, ts.err
}

func (v *inputValidator) middleware(next mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		v.mu.RLock()
		ts := v.schemas[req.Params.Name]
		v.mu.RUnlock()
		if ts == nil {
			return next(ctx, req)
		}
		compiled, err := ts.schema()
		if err != nil { // wellFormed let through a schema that does not compile: a bug, shown plainly
			return nil, fmt.Errorf("tool %s: %w", req.Params.Name, err)
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
		coerced, _ := coerce(ts.node, args).(map[string]any)
		// The validator wants its own number representation; round-trip through JSON.
		b, err := json.Marshal(coerced)
		if err != nil {
			return mcp.NewToolResultError("Input validation error: arguments are not valid JSON: " + err.Error()), nil
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return mcp.NewToolResultError("Input validation error: " + err.Error()), nil
		}
		if err := compiled.Validate(inst); err != nil {
			return mcp.NewToolResultError(v.describe(req.Params.Name, ts.node, err)), nil
		}
		req.Params.Arguments = coerced
		return next(ctx, req)
	}
}

// describe turns a validation failure into one message per problem, each
// naming the parameter and the values or keys that would be accepted.
func (v *inputValidator) describe(tool string, schema map[string]any, err error) string {
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return "Input validation error: " + err.Error()
	}
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		parts = append(parts, v.leaf(schema, e))
	}
	walk(verr)
	slices.Sort(parts)
	parts = slices.Compact(parts)
	return fmt.Sprintf("Input validation error: %s. Fix the arguments and call %s again.", strings.Join(parts, "; "), tool)
}

func (v *inputValidator) leaf(schema map[string]any, e *jsonschema.ValidationError) string {
	where := strings.Join(e.InstanceLocation, ".")
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		valid := propertyNames(schemaAt(schema, e.InstanceLocation))
		noun := "unknown parameter"
		if len(k.Properties) > 1 {
			noun = "unknown parameters"
		}
		msg := fmt.Sprintf("%s %s", noun, quoteAll(k.Properties))
		if where != "" {
			msg += " in " + where
		}
		return msg + "; valid parameters: " + strings.Join(valid, ", ")
	case *kind.Enum:
		want := make([]string, 0, len(k.Want))
		for _, w := range k.Want {
			want = append(want, fmt.Sprint(w))
		}
		return fmt.Sprintf("%s: %q is not one of the valid values: %s", where, fmt.Sprint(k.Got), strings.Join(want, ", "))
	case *kind.Required:
		return fmt.Sprintf("missing required parameter %s%s", quoteAll(k.Missing), inWhere(where))
	case *kind.Type:
		return fmt.Sprintf("%s: must be %s, got %s", where, strings.Join(k.Want, " or "), k.Got)
	default:
		if where == "" {
			where = "arguments"
		}
		return where + ": " + e.ErrorKind.LocalizedString(v.printer)
	}
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

// schemaAt follows an instance location through "properties" and "items".
func schemaAt(schema map[string]any, loc []string) map[string]any {
	cur := schema
	for _, seg := range loc {
		if props, ok := cur["properties"].(map[string]any); ok {
			if next, ok := props[seg].(map[string]any); ok {
				cur = next
				continue
			}
		}
		if items, ok := cur["items"].(map[string]any); ok {
			cur = items
			continue
		}
		return map[string]any{}
	}
	return cur
}

func propertyNames(schema map[string]any) []string {
	props, _ := schema["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func schemaTypes(schema map[string]any) []string {
	switch t := schema["type"].(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// coerce converts string-encoded numbers and booleans where the schema asks
// for them, recursing into objects and arrays. Anything it cannot convert is
// left as is for the validator to report.
func coerce(schema map[string]any, value any) any {
	types := schemaTypes(schema)
	switch val := value.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		out := make(map[string]any, len(val))
		for k, x := range val {
			if sub, ok := props[k].(map[string]any); ok {
				out[k] = coerce(sub, x)
			} else {
				out[k] = x
			}
		}
		return out
	case []any:
		items, _ := schema["items"].(map[string]any)
		if items == nil {
			return val
		}
		out := make([]any, len(val))
		for i, x := range val {
			out[i] = coerce(items, x)
		}
		return out
	case string:
		if slices.Contains(types, "string") {
			return val
		}
		s := strings.TrimSpace(val)
		if slices.Contains(types, "integer") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		}
		if slices.Contains(types, "number") {
			// Only finite numbers: "NaN" and "Inf" stay strings, so the schema
			// check names the parameter instead of JSON failing on them.
			if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
		if slices.Contains(types, "boolean") {
			if b, err := strconv.ParseBool(s); err == nil {
				return b
			}
		}
		return val
	case float64:
		// An integer sent as 42.0 is still 42.
		if slices.Contains(types, "integer") && val == float64(int64(val)) {
			return int64(val)
		}
		return val
	}
	return value
}
