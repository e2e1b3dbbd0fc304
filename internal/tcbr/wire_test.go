package tcbr

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clientActions lists every Client method as (action, request type,
// response type): the method name is the action.
func clientActions(t *testing.T) []struct {
	action    string
	req, resp reflect.Type
} {
	ctxType := reflect.TypeFor[context.Context]()
	errType := reflect.TypeFor[error]()
	it := reflect.TypeFor[Client]()
	var out []struct {
		action    string
		req, resp reflect.Type
	}
	for i := range it.NumMethod() {
		m := it.Method(i)
		ft := m.Type
		require.Equal(t, 2, ft.NumIn(), m.Name)
		require.Equal(t, ctxType, ft.In(0), m.Name)
		require.Equal(t, 2, ft.NumOut(), m.Name)
		require.Equal(t, errType, ft.Out(1), m.Name)
		req, resp := ft.In(1), ft.Out(0)
		require.Equal(t, reflect.Pointer, req.Kind(), m.Name)
		require.Equal(t, m.Name+"Request", req.Elem().Name(), "the request type is named after the action")
		require.Equal(t, m.Name+"Response", resp.Elem().Name(), "the response type is named after the action")
		out = append(out, struct {
			action    string
			req, resp reflect.Type
		}{m.Name, req.Elem(), resp.Elem()})
	}
	return out
}

// serviceOf finds the one service of the table that has the action.
func serviceOf(t *testing.T, tab *wire.Table, action string) string {
	var found []string
	for name := range tab.Services {
		if tab.Action(name, action) != nil {
			found = append(found, name)
		}
	}
	require.Len(t, found, 1, "action %s must be in exactly one service of the table", action)
	return found[0]
}

// TestRequestTypesMatchTheTable walks every request (and response) struct
// of the client field by field: each JSON name must be a field of the
// action's model (or an explicit allowance), with the same JSON type and the
// same nesting. A field that drifts in fails here before it reaches the wire.
func TestRequestTypesMatchTheTable(t *testing.T) {
	tab := wire.Load()
	actions := clientActions(t)
	require.NotEmpty(t, actions)
	for _, a := range actions {
		svc := serviceOf(t, tab, a.action)
		act := tab.Action(svc, a.action)
		t.Run(a.action, func(t *testing.T) {
			var problems []string
			matchStruct(tab, svc, a.req, act.Request, a.action+"Request", true, &problems)
			matchStruct(tab, svc, a.resp, act.Response, a.action+"Response", false, &problems)
			assert.Empty(t, problems)
		})
	}
}

// TestEveryClientActionIsServedByItsService pins the service each method
// calls (the SDK call sites pick tcbr or tcb) to the table's.
func TestEveryClientActionIsServedByItsService(t *testing.T) {
	tab := wire.Load()
	for _, a := range clientActions(t) {
		svc := serviceOf(t, tab, a.action)
		want := map[string]string{ServiceTCBR: VersionTCBR, ServiceTCB: VersionTCB}[svc]
		assert.Equal(t, want, tab.Services[svc].Version, a.action)
	}
}

var (
	flexIntType   = reflect.TypeFor[FlexInt]()
	numStringType = reflect.TypeFor[NumString]()
)

// matchStruct compares the JSON fields of a Go struct with a table field map.
// In a request, slices and pointers must be omitempty: null is not a value
// the gateway takes (the SDK never sends one).
func matchStruct(tab *wire.Table, svc string, gt reflect.Type, fields map[string]string, where string, request bool, problems *[]string) {
	for gt.Kind() == reflect.Pointer {
		gt = gt.Elem()
	}
	for i := range gt.NumField() {
		f := gt.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if f.Anonymous && name == "" { // Meta: its fields are promoted
			matchStruct(tab, svc, f.Type, fields, where, request, problems)
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := where + "." + name
		want, ok := fields[name]
		if !ok {
			*problems = append(*problems, path+": not in the model")
			continue
		}
		if k := f.Type.Kind(); request && (k == reflect.Slice || k == reflect.Pointer) && !strings.Contains(","+opts+",", ",omitempty,") {
			*problems = append(*problems, path+": a nil "+k.String()+" would go out as null; add omitempty")
		}
		matchType(tab, svc, f.Type, want, path, request, problems)
	}
}

// matchType compares one Go type with a table type.
func matchType(tab *wire.Table, svc string, gt reflect.Type, want, path string, request bool, problems *[]string) {
	for gt.Kind() == reflect.Pointer {
		gt = gt.Elem()
	}
	got := goJSONType(gt)
	alts := strings.Split(want, "|")
	switch {
	case got != "" && slices.Contains(alts, got):
	case got == "" && gt.Kind() == reflect.Slice && strings.HasPrefix(want, "[]"):
		matchType(tab, svc, gt.Elem(), want[2:], path+"[]", request, problems)
	case got == "" && gt.Kind() == reflect.Struct && tab.Fields(svc, want) != nil:
		matchStruct(tab, svc, gt, tab.Fields(svc, want), path, request, problems)
	default:
		*problems = append(*problems, fmt.Sprintf("%s: Go %s, model %s", path, gt, want))
	}
}

// goJSONType is the table type a scalar Go type encodes as, "" for slices
// and structs.
func goJSONType(gt reflect.Type) string {
	switch {
	case gt == flexIntType:
		return "integer"
	case gt == numStringType:
		return "string"
	}
	switch gt.Kind() {
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "integer"
	case reflect.Float64, reflect.Float32:
		return "number"
	case reflect.Bool:
		return "boolean"
	}
	return ""
}
