package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The validator is checked against github.com/google/jsonschema-go (a complete draft 2020-12
// implementation, already linked through mcp-go), the reference here: same verdict on every instance.

func reference(t testing.TB, raw string) *jsonschema.Resolved {
	t.Helper()
	var s jsonschema.Schema
	require.NoError(t, json.Unmarshal([]byte(raw), &s))
	r, err := s.Resolve(nil)
	require.NoError(t, err, raw)
	return r
}

// referenceValid: the reference's verdict on a JSON value (numbers as float64, as a client's arguments
// arrive).
func referenceValid(r *jsonschema.Resolved, v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var inst any
	if json.Unmarshal(b, &inst) != nil {
		return false
	}
	return r.Validate(inst) == nil
}

func ourViolations(s *schema, v any) []violation {
	b, err := json.Marshal(v)
	if err != nil {
		return []violation{{keyword: "invalid"}}
	}
	inst, err := decodeJSON(b)
	if err != nil {
		return []violation{{keyword: "invalid"}}
	}
	var out []violation
	s.validate(inst, nil, &out)
	return out
}

func mustCompile(t testing.TB, raw string) *schema {
	t.Helper()
	doc, err := decodeJSON([]byte(raw))
	require.NoError(t, err)
	s, err := compileSchema(doc, "")
	require.NoError(t, err, raw)
	return s
}

// shippedSchemas are the input schemas of the tools the binary serves (the snapshot files).
func shippedSchemas(t testing.TB) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "schemas", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		var tool struct {
			InputSchema json.RawMessage `json:"inputSchema"`
		}
		require.NoError(t, json.Unmarshal(b, &tool))
		require.NotEmpty(t, tool.InputSchema, p)
		out[filepath.Base(p)] = string(tool.InputSchema)
	}
	return out
}

func TestShippedSchemasCompile(t *testing.T) {
	for name, raw := range shippedSchemas(t) {
		doc, err := decodeJSON([]byte(raw))
		require.NoError(t, err)
		_, err = compileSchema(doc, "")
		assert.NoError(t, err, name)
		reference(t, raw)
	}
}

// A schema that uses a keyword the validator does not implement, or a keyword with a value the
// meta-schema refuses, fails server construction, naming the keyword and where it is.
func TestCompileRefusesWhatItDoesNotImplement(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"format": "uri"}`, `input schema: keyword "format" is not implemented by the input validator`},
		{`{"$ref": "#/$defs/x"}`, `keyword "$ref" is not implemented`},
		{`{"$schema": "http://json-schema.org/draft-07/schema#"}`, `keyword "$schema" is not implemented`},
		{`{"minLength": 1}`, `keyword "minLength" is not implemented`},
		{`{"anyOf": [{"type": "string"}]}`, `keyword "anyOf" is not implemented`},
		{`{"const": 1}`, `keyword "const" is not implemented`},
		{`{"x-unknown": true}`, `keyword "x-unknown" is not implemented`},
		{`{"properties": {"a": {"properties": {"b": {"multipleOf": 2}}}}}`, `input schema at /properties/a/properties/b: keyword "multipleOf" is not implemented`},
		{`{"items": {"uniqueItems": true}}`, `input schema at /items: keyword "uniqueItems"`},
		{`{"additionalProperties": {"not": {}}}`, `input schema at /additionalProperties: keyword "not"`},
		{`{"type": 12}`, `"type" must be a JSON type name`},
		{`{"type": "strin"}`, `"type" must be a JSON type name`},
		{`{"type": []}`, `"type" must be a JSON type name`},
		{`{"type": ["string", "string"]}`, `"type" must be a JSON type name`},
		{`{"enum": "a"}`, `"enum" must be an array`},
		{`{"minimum": "1"}`, `"minimum" must be a number`},
		{`{"exclusiveMaximum": true}`, `"exclusiveMaximum" must be a number`},
		{`{"pattern": "("}`, `pattern: error parsing regexp`},
		{`{"pattern": 1}`, `"pattern" must be a string`},
		{`{"required": ["a", "a"]}`, `"required" must be an array of distinct strings`},
		{`{"required": "a"}`, `"required" must be an array of distinct strings`},
		{`{"properties": []}`, `"properties" must be an object of schemas`},
		{`{"properties": {"a": {"type": 1}}}`, `input schema at /properties/a: "type" must be`},
		{`{"items": [{"type": "string"}]}`, `input schema at /items: a schema must be an object or a boolean, not array`},
		{`{"additionalProperties": null}`, `a schema must be an object or a boolean, not null`},
		{`{"description": 1}`, `"description" must be a string`},
		{`{"examples": {}}`, `"examples" must be a array`},
		{`"string"`, `a schema must be an object or a boolean, not string`},
		{`12`, `not number`},
	} {
		doc, err := decodeJSON([]byte(tc.raw))
		require.NoError(t, err)
		_, err = compileSchema(doc, "")
		assert.ErrorContains(t, err, tc.want, tc.raw)
	}
	for _, raw := range []string{`true`, `false`, `{}`, `{"minimum": 1.0, "type": ["integer", "null"]}`,
		`{"title": "t", "description": "d", "$comment": "c", "default": [1], "examples": [1], "deprecated": true, "readOnly": false, "writeOnly": false}`} {
		mustCompile(t, raw)
	}
}

// A pattern is only parsed when the schema compiles (the matcher is built on first use): parsing must
// refuse exactly what regexp.Compile refuses, so the first use can never fail.
func TestLazyRegexpRefusesWhatRegexpRefuses(t *testing.T) {
	for _, p := range []string{`^[a-zA-Z][a-zA-Z0-9_-]{2,44}$`, `(`, `a{1001}`, `a{2,1}`, `\p{Nope}`, `[z-a]`, `a**`,
		`(?P<n>a)(?P<n>b)`, `(?i)x`, `\Q.*\E`, `x{0,1000}`, `((((((((((a))))))))))`, `\8`, `[[:alpha:]]`, `[[:nope:]]`, ``} {
		_, want := regexp.Compile(p)
		lazy, err := newLazyRegexp(p)
		if want != nil {
			assert.EqualError(t, err, want.Error(), p)
			continue
		}
		require.NoError(t, err, p)
		assert.Equal(t, regexp.MustCompile(p).String(), lazy.re().String(), p)
	}
}

// Through the server: a tool whose schema the validator cannot check fails construction.
func TestUnimplementedKeywordFailsConstruction(t *testing.T) {
	v := newInputValidator()
	err := v.add(mcp.NewToolWithRawSchema("t", "d", json.RawMessage(`{"type": "object", "properties": {"url": {"type": "string", "format": "uri"}}}`)))
	assert.ErrorContains(t, err, `compile input schema: input schema at /properties/url: keyword "format" is not implemented`)
	assert.Empty(t, v.schemas)
}

// The messages, word for word (they are what the model reads to correct its call). Only the number
// formatting differs from the previous validator's: numbers are printed as JSON writes them
// (70000 and 1e+300, where it wrote 70,000 and 1×10³⁰⁰).
func TestValidationMessages(t *testing.T) {
	v := newInputValidator()
	require.NoError(t, v.add(mcp.NewToolWithRawSchema("fuzzTool", "fuzz", fuzzToolSchema)))
	for _, tc := range []struct{ args, want string }{
		{`{"action":"nope"}`, "Input validation error: action: \"nope\" is not one of the valid values: list, deploy, traffic. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","pageSize":500}`, "Input validation error: pageSize: maximum: got 500, want 100. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","pageSize":0}`, "Input validation error: pageSize: minimum: got 0, want 1. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","pageSize":70000}`, "Input validation error: pageSize: maximum: got 70000, want 100. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","pageSize":1.5}`, "Input validation error: pageSize: must be integer, got number. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","pageSize":"many"}`, "Input validation error: pageSize: must be integer, got string. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","ratio":0}`, "Input validation error: ratio: exclusiveMinimum: got 0, want 0. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","ratio":-1e300}`, "Input validation error: ratio: exclusiveMinimum: got -1e+300, want 0. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","buildId":-0.5}`, "Input validation error: buildId: must be integer, got number. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","serverName":"1ab"}`, "Input validation error: serverName: '1ab' does not match pattern '^[a-zA-Z][a-zA-Z0-9_-]{2,44}$'. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","serverName":"it's"}`, "Input validation error: serverName: 'it\\'s' does not match pattern '^[a-zA-Z][a-zA-Z0-9_-]{2,44}$'. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","mixed":true}`, "Input validation error: mixed: must be integer or string, got boolean. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","flag":"maybe"}`, "Input validation error: flag: must be null or boolean, got string. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","flag":1}`, "Input validation error: flag: must be null or boolean, got number. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","cfg":{"Unknown":true,"Other":1}}`, "Input validation error: unknown parameters \"Other\", \"Unknown\" in cfg; valid parameters: Cpu, EnvParams, Nums, Policies, Port, Types, Vpc. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","cfg":{"Types":["OA","X"],"Policies":[{"T":"disk"},{"N":0,"Z":1}]}}`, "Input validation error: cfg.Policies.0.T: \"disk\" is not one of the valid values: cpu, mem; cfg.Policies.1.N: minimum: got 0, want 1; cfg.Types.1: \"X\" is not one of the valid values: OA, PUBLIC; missing required parameter \"N\" in cfg.Policies.0; missing required parameter \"T\" in cfg.Policies.1; unknown parameter \"Z\" in cfg.Policies.1; valid parameters: N, T. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","cfg":{"Vpc":{"CreateType":3}}}`, "Input validation error: cfg.Vpc.CreateType: \"3\" is not one of the valid values: 1, 2. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","cfg":{"Vpc":{"CreateType":"3"}}}`, "Input validation error: cfg.Vpc.CreateType: \"3\" is not one of the valid values: 1, 2. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","cfg":{"Nums":[1,"x",null]}}`, "Input validation error: cfg.Nums.1: must be number, got string; cfg.Nums.2: must be number, got null. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","cfg":{"EnvParams":5}}`, "Input validation error: cfg.EnvParams: must be string or object, got number. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","cfg":"str"}`, "Input validation error: cfg: must be object, got string. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","env":{"K":5,"L":true}}`, "Input validation error: env.K: must be string, got number; env.L: must be string, got boolean. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","ids":"a"}`, "Input validation error: ids: must be array, got string. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","ids":[1,2]}`, "Input validation error: ids.0: must be string, got number; ids.1: must be string, got number. Fix the arguments and call fuzzTool again."},
		{`{"action":{"x":1}}`, "Input validation error: action: must be string, got object. Fix the arguments and call fuzzTool again."},
		{`{"action":["list"]}`, "Input validation error: action: must be string, got array. Fix the arguments and call fuzzTool again."},
		{`{"action":null}`, "Input validation error: action: must be string, got null. Fix the arguments and call fuzzTool again."},
		{`{}`, "Input validation error: missing required parameter \"action\". Fix the arguments and call fuzzTool again."},
		{`{"x":1}`, "Input validation error: missing required parameter \"action\"; unknown parameter \"x\"; valid parameters: action, anything, buildId, cfg, env, flag, ids, mixed, pageSize, ratio, refresh, serverName. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","pageSize":0,"ratio":0,"serverName":"1","zz":1}`, "Input validation error: pageSize: minimum: got 0, want 1; ratio: exclusiveMinimum: got 0, want 0; serverName: '1' does not match pattern '^[a-zA-Z][a-zA-Z0-9_-]{2,44}$'; unknown parameter \"zz\"; valid parameters: action, anything, buildId, cfg, env, flag, ids, mixed, pageSize, ratio, refresh, serverName. Fix the arguments and call fuzzTool again."},
		{`{"action":"list","pageSize":1e300}`, "Input validation error: pageSize: maximum: got 1e+300, want 100. Fix the arguments and call fuzzTool again."},
	} {
		var args any
		require.NoError(t, json.Unmarshal([]byte(tc.args), &args))
		h := v.middleware(func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("reached"), nil
		})
		req := mcp.CallToolRequest{}
		req.Params.Name = "fuzzTool"
		req.Params.Arguments = args
		res, err := h(context.Background(), req)
		require.NoError(t, err)
		assert.True(t, res.IsError, tc.args)
		assert.Equal(t, tc.want, fzResultText(res), tc.args)
	}
}

// Same verdict as the reference on instances generated from the schemas (valid ones, values near the
// bounds and the enums, wrong types, unknown and missing keys), for the shipped schemas, the fuzz schema
// and random mutations of them; and every mutated schema the validator accepts, the reference accepts.
func TestValidatorAgreesWithReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(15, 2))
	var seeds []string
	for _, raw := range shippedSchemas(t) {
		seeds = append(seeds, raw)
	}
	slices.Sort(seeds)
	seeds = append(seeds, string(fuzzToolSchema))
	var valid, invalid, mutants int
	check := func(raw string, doc any, s *schema, n int) {
		ref := reference(t, raw)
		for range n {
			inst := instance(rng, doc, 0)
			got := ourViolations(s, inst)
			want := referenceValid(ref, inst)
			if want != (len(got) == 0) {
				b, _ := json.Marshal(inst)
				require.Equal(t, want, len(got) == 0, "schema %s\ninstance %s\nours: %v", raw, b, got)
			}
			if want {
				valid++
			} else {
				invalid++
			}
		}
	}
	for _, raw := range seeds {
		doc, err := decodeJSON([]byte(raw))
		require.NoError(t, err)
		check(raw, doc, mustCompile(t, raw), 3000)
	}
	for i := range 3000 {
		seed, err := decodeJSON([]byte(seeds[i%len(seeds)]))
		require.NoError(t, err)
		doc := mutate(rng, seed, 1+rng.IntN(2))
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		normalized, err := decodeJSON(b) // what the reference is given, decoded as the server decodes it
		require.NoError(t, err)
		s, err := compileSchema(normalized, "")
		if err != nil {
			continue
		}
		mutants++
		check(string(b), doc, s, 20)
	}
	t.Logf("%d valid and %d invalid instances, %d mutated schemas", valid, invalid, mutants)
	assert.Greater(t, valid, 800)
	assert.Greater(t, invalid, 2000)
	assert.Greater(t, mutants, 300)
}

// FuzzValidatorAgreesWithReference: any JSON value gets the reference's verdict on the fuzz schema.
//
// Run longer with: go test -run '^$' -fuzz '^FuzzValidatorAgreesWithReference$' -fuzztime 60s ./internal/server/
func FuzzValidatorAgreesWithReference(f *testing.F) {
	for _, s := range []string{`{"action":"list"}`, `{"action":"list","pageSize":100,"ratio":1e-300}`,
		`{"action":"deploy","cfg":{"Policies":[{"T":"cpu","N":1}],"Vpc":{"CreateType":2.0},"Nums":[-0]}}`,
		`{"action":"traffic","serverName":"abc","env":{"a":"b"},"mixed":7,"flag":null,"anything":[{}]}`, `[]`, `null`} {
		f.Add([]byte(s))
	}
	s := mustCompile(f, string(fuzzToolSchema))
	ref := reference(f, string(fuzzToolSchema))
	f.Fuzz(func(t *testing.T, data []byte) {
		var inst any
		if json.Unmarshal(data, &inst) != nil {
			return
		}
		got := ourViolations(s, inst)
		require.Equal(t, referenceValid(ref, inst), len(got) == 0, "%s: %v", data, got)
	})
}

// instance makes a JSON value for a schema document: usually one the schema is about (its types, enum
// values, numbers at and around its bounds, strings for its pattern, objects with its required and
// other properties), sometimes anything.
func instance(rng *rand.Rand, doc any, depth int) any {
	s, _ := doc.(map[string]any)
	if s == nil || depth > 4 || rng.IntN(40) == 0 {
		return randomValue(rng, depth)
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 && rng.IntN(4) > 0 {
		return jsonNumberToFloat(enum[rng.IntN(len(enum))])
	}
	types := docTypes(s)
	switch types[rng.IntN(len(types))] {
	case "object":
		return instanceObject(rng, s, depth)
	case "array":
		out := make([]any, rng.IntN(4))
		for i := range out {
			out[i] = instance(rng, s["items"], depth+1)
		}
		return out
	case "integer", "number":
		return instanceNumber(rng, s)
	case "string":
		if _, ok := s["pattern"]; ok {
			return []string{"abc", "a-b_c9", "1abc", "ab", "a", "", "x" + strings.Repeat("y", 44), "it's"}[rng.IntN(8)]
		}
	}
	return randomValue(rng, depth)
}

// docTypes: the types a schema document allows (all of them when it says nothing).
func docTypes(s map[string]any) []string {
	var types []string
	switch t := s["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if n, ok := x.(string); ok {
				types = append(types, n)
			}
		}
	}
	if len(types) == 0 {
		return typeOrder
	}
	return types
}

func instanceObject(rng *rand.Rand, s map[string]any, depth int) map[string]any {
	out := map[string]any{}
	props, _ := s["properties"].(map[string]any)
	for _, name := range sortedKeys(props) {
		if rng.IntN(4) == 0 {
			out[name] = instance(rng, props[name], depth+1)
		}
	}
	if req, ok := s["required"].([]any); ok {
		for _, r := range req {
			if name, ok := r.(string); ok && rng.IntN(20) > 0 {
				out[name] = instance(rng, props[name], depth+1)
			}
		}
	}
	if rng.IntN(12) == 0 {
		out[[]string{"extra", "Cpu", "action", "K"}[rng.IntN(4)]] = instance(rng, s["additionalProperties"], depth+1)
	}
	return out
}

func instanceNumber(rng *rand.Rand, s map[string]any) any {
	var near []float64
	for _, k := range []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"} {
		if n, ok := s[k].(json.Number); ok {
			if f, err := n.Float64(); err == nil {
				near = append(near, f, f-1, f+1, f-0.5, f+0.5, f-1e-9, f+1e-9)
			}
		}
	}
	near = append(near, 0, math.Copysign(0, -1), 1, 2, 1.5, -1, 1e300, -1e300, 5e-324, 12345678901234567890)
	f := near[rng.IntN(len(near))]
	if rng.IntN(12) == 0 { // a number sent as a string: refused here (coercion comes before validation)
		return fmt.Sprint(f)
	}
	return f
}

func randomValue(rng *rand.Rand, depth int) any {
	switch rng.IntN(7) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return []float64{0, 1, -1, 2.5, 100, 65536, 1e21}[rng.IntN(7)]
	case 3:
		return []string{"", "x", "list", "cpu", "OA", "1", "true"}[rng.IntN(7)]
	case 4:
		if depth < 5 {
			return []any{randomValue(rng, depth+1)}
		}
		return []any{}
	case 5:
		if depth < 5 {
			return map[string]any{"k": randomValue(rng, depth+1)}
		}
		return map[string]any{}
	}
	return 1.0
}

func jsonNumberToFloat(v any) any {
	if n, ok := v.(json.Number); ok {
		f, _ := n.Float64()
		return f
	}
	return v
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = clone(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clone(e)
		}
		return out
	}
	return v
}

var mutationValues = []any{
	json.Number("0"), json.Number("-1"), json.Number("1.5"), json.Number("3"), json.Number("1e40"), "string", "integer",
	"(", "^a$", "", true, false, nil, []any{}, []any{"a", "a"}, []any{"a", "b"}, []any{"string", "null"},
	map[string]any{}, map[string]any{"type": "string"}, map[string]any{"type": 3},
}

var mutationKeys = []string{"type", "enum", "minimum", "exclusiveMaximum", "multipleOf", "minLength", "pattern", "required",
	"properties", "items", "additionalProperties", "anyOf", "not", "description", "default", "examples", "$ref"}

// mutate changes n random spots of doc: a value replaced, or a keyword added to an object.
func mutate(rng *rand.Rand, doc any, n int) any {
	for range n {
		var objects []map[string]any
		collectObjects(doc, &objects)
		if len(objects) == 0 {
			return doc
		}
		obj := objects[rng.IntN(len(objects))]
		val := mutationValues[rng.IntN(len(mutationValues))]
		if rng.IntN(2) == 0 || len(obj) == 0 {
			obj[mutationKeys[rng.IntN(len(mutationKeys))]] = clone(val)
			continue
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		obj[keys[rng.IntN(len(keys))]] = clone(val)
	}
	return doc
}

func collectObjects(v any, out *[]map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		*out = append(*out, x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic order, so a failure reproduces
		for _, k := range keys {
			collectObjects(x[k], out)
		}
	case []any:
		for _, e := range x {
			collectObjects(e, out)
		}
	}
}
