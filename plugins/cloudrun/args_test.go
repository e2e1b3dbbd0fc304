package cloudrun

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestArgsAgreeWithSchema: the argument structs and the published schemas
// are two views of one contract. Every field is a property and every
// property a field; enums, ranges and the service-name pattern agree; the
// action enums are the action tables.
func TestArgsAgreeWithSchema(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		params []param
		typ    reflect.Type
	}{
		{queryParams(), reflect.TypeFor[QueryArgs]()},
		{manageParams(), reflect.TypeFor[ManageArgs]()},
		{nested(t, manageParams(), "runOptions"), reflect.TypeFor[RunOptions]()},
		{nested(t, manageParams(), "agentConfig"), reflect.TypeFor[AgentConfig]()},
	} {
		props := map[string]map[string]any{}
		for _, p := range c.params {
			props[p.name] = p.schema
		}
		fields := map[string]bool{}
		for f := range c.typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = true
			schema, ok := props[name]
			if !assert.True(t, ok, "%s.%s has no schema property", c.typ.Name(), name) {
				continue
			}
			checkTags(t, c.typ.Name()+"."+name, f.Tag.Get("validate"), schema)
		}
		for name := range props {
			assert.True(t, fields[name], "schema property %s has no %s field", name, c.typ.Name())
		}
	}
	assert.Equal(t, toAny(QueryActions()), toAny(schemaOf(queryParams(), "action")["enum"]))
	assert.Equal(t, toAny(ManageActions()), toAny(schemaOf(manageParams(), "action")["enum"]))
	assert.Equal(t, serverNamePattern().String(), schemaOf(manageParams(), "serverName")["pattern"])
	assert.Equal(t, serverconfig.Schema(), schemaOf(manageParams(), "serverConfig")["properties"])
}

func schemaOf(params []param, name string) map[string]any {
	for _, p := range params {
		if p.name == name {
			return p.schema
		}
	}
	return nil
}

// nested turns an object property's properties into params.
func nested(t *testing.T, params []param, name string) []param {
	t.Helper()
	props, ok := schemaOf(params, name)["properties"].(map[string]any)
	require.True(t, ok, name)
	var out []param
	for k, v := range props {
		out = append(out, param{name: k, schema: v.(map[string]any)})
	}
	return out
}

// checkTags compares a field's validator tags with its schema.
func checkTags(t *testing.T, where, tags string, schema map[string]any) {
	for tag := range strings.SplitSeq(tags, ",") {
		name, arg, _ := strings.Cut(tag, "=")
		switch name {
		case "oneof":
			assert.Equal(t, toAny(strings.Fields(arg)), toAny(schema["enum"]), "%s: oneof and enum", where)
		case "min":
			assert.Equal(t, num(t, arg), jsonNumber(schema["minimum"]), "%s: min and minimum", where)
		case "max":
			assert.Equal(t, num(t, arg), jsonNumber(schema["maximum"]), "%s: max and maximum", where)
		case "servername":
			assert.Equal(t, serverNamePattern().String(), schema["pattern"], where)
		case "queryaction", "manageaction":
			assert.NotEmpty(t, schema["enum"], where)
		}
	}
	if _, hasEnum := schema["enum"]; hasEnum && !strings.Contains(tags, "oneof") && !strings.Contains(tags, "action") {
		t.Errorf("%s: the schema has an enum the validator does not check", where)
	}
}

func num(t *testing.T, s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	require.NoError(t, err)
	return f
}

func jsonNumber(v any) float64 {
	b, _ := json.Marshal(v)
	f, _ := strconv.ParseFloat(string(b), 64)
	return f
}

// toAny normalises a list for comparison through JSON.
func toAny(v any) []any {
	b, _ := json.Marshal(v)
	var out []any
	_ = json.Unmarshal(b, &out)
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
	return out
}
