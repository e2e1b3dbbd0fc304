package server

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func compiles(doc any) error {
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem:///t.json", doc); err != nil {
		return err
	}
	_, err := c.Compile("mem:///t.json")
	return err
}

func decodeSchema(t testing.TB, raw string) any {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(raw)))
	require.NoError(t, err)
	return doc
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

// The shipped tool schemas are proven well-formed, so startup defers their compilation; a schema keyword
// the proof does not know makes this fail (add it to keywordChecks, checked as the meta-schema checks it).
func TestShippedSchemasAreDeferred(t *testing.T) {
	for name, raw := range shippedSchemas(t) {
		doc := decodeSchema(t, raw)
		assert.True(t, wellFormed(doc), "%s would be compiled at startup", name)
		assert.NoError(t, compiles(doc), name)
	}
	assert.True(t, wellFormed(decodeSchema(t, string(fuzzToolSchema))))
}

func TestWellFormedRefusesWhatItCannotProve(t *testing.T) {
	for _, raw := range []string{
		`{"type": 12}`,
		`{"type": "strin"}`,
		`{"type": []}`,
		`{"type": ["string", "string"]}`,
		`{"required": ["a", "a"]}`,
		`{"required": "a"}`,
		`{"pattern": "("}`,
		`{"minLength": -1}`,
		`{"minLength": 1.5}`,
		`{"maxItems": 1e40}`,
		`{"multipleOf": 0}`,
		`{"anyOf": []}`,
		`{"properties": {"a": {"type": 1}}}`,
		`{"items": [{"type": "string"}]}`,
		`{"$ref": "#/$defs/x"}`,
		`{"$schema": "http://json-schema.org/draft-07/schema#"}`,
		`{"x-unknown": true}`,
		`"string"`,
		`12`,
	} {
		assert.False(t, wellFormed(decodeSchema(t, raw)), raw)
	}
	for _, raw := range []string{`true`, `false`, `{}`, `{"minLength": 1.0, "type": ["integer", "null"]}`} {
		doc := decodeSchema(t, raw)
		assert.True(t, wellFormed(doc), raw)
		assert.NoError(t, compiles(doc), raw)
	}
}

// Soundness: whatever wellFormed accepts compiles. Random mutations of real schemas (a value replaced by
// another JSON value, a keyword added) explore both answers.
func TestWellFormedImpliesCompiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var seeds []any
	for _, raw := range shippedSchemas(t) {
		seeds = append(seeds, decodeSchema(t, raw))
	}
	seeds = append(seeds, decodeSchema(t, string(fuzzToolSchema)))
	accepted, refused := 0, 0
	for i := range 4000 {
		doc := mutate(rng, clone(seeds[i%len(seeds)]), 1+rng.IntN(2))
		if !wellFormed(doc) {
			refused++
			continue
		}
		accepted++
		b, _ := json.Marshal(doc)
		require.NoError(t, compiles(doc), "wellFormed accepted a schema that does not compile: %s", b)
	}
	assert.Greater(t, accepted, 200)
	assert.Greater(t, refused, 200)
}

// FuzzWellFormedImpliesCompiles: any JSON document that wellFormed accepts compiles.
func FuzzWellFormedImpliesCompiles(f *testing.F) {
	f.Add([]byte(fuzzToolSchema))
	f.Add([]byte(`{"type": ["integer", "string"], "minimum": 1e2, "multipleOf": 0.5}`))
	f.Add([]byte(`{"properties": {"a": {"pattern": "^a+$", "maxLength": 3}}, "required": ["a"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil || !wellFormed(doc) {
			return
		}
		require.NoError(t, compiles(doc), "%s", data)
	})
}

// A deferred schema compiles on the first call, once, and validates as an eagerly compiled one.
func TestDeferredSchemaCompilesOnFirstCall(t *testing.T) {
	v := newInputValidator()
	require.NoError(t, v.addDeferred(mcp.NewToolWithRawSchema("lazy", "d", fuzzToolSchema)))
	ts := v.schemas["lazy"]
	assert.Nil(t, ts.compiled, "compiled before any call")
	s1, err := ts.schema()
	require.NoError(t, err)
	s2, err := ts.schema()
	require.NoError(t, err)
	assert.Same(t, s1, s2)

	// A schema the proof cannot vouch for is compiled at once, and a broken one fails.
	require.NoError(t, v.addDeferred(mcp.NewToolWithRawSchema("ref", "d", json.RawMessage(`{"$ref": "#/$defs/a", "$defs": {"a": {"type": "string"}}}`))))
	assert.NotNil(t, v.schemas["ref"].compiled)
	assert.ErrorContains(t, v.addDeferred(mcp.NewToolWithRawSchema("bad", "d", json.RawMessage(`{"type": 12}`))), "compile input schema")
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

var mutationKeys = []string{"type", "enum", "minimum", "multipleOf", "minLength", "maxItems", "pattern", "required",
	"properties", "items", "additionalProperties", "anyOf", "not", "uniqueItems", "description", "default", "$ref"}

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

// The schema document used for coercion and messages is what json.Unmarshal makes of the schema.
func TestNumbersAsFloatsIsJSONUnmarshal(t *testing.T) {
	raws := []string{string(fuzzToolSchema), `{"minimum": 1e-400, "maximum": 12345678901234567890, "x": [1, 2.5, "3"]}`}
	for _, raw := range shippedSchemas(t) {
		raws = append(raws, raw)
	}
	for _, raw := range raws {
		var want map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &want))
		got, err := numbersAsFloats(decodeSchema(t, raw), []byte(raw))
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, raw := range []string{`{"maximum": 1e400}`, `true`, `[1]`} {
		var want map[string]any
		wantErr := json.Unmarshal([]byte(raw), &want)
		got, err := numbersAsFloats(decodeSchema(t, raw), []byte(raw))
		assert.Equal(t, wantErr, err, raw)
		assert.Equal(t, want, got, raw)
	}
}
