package wire

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed fields.json
var fieldsJSON []byte

// Table is the parsed fields.json with the allowances merged in.
type Table struct {
	SDK      SDKInfo             `json:"sdk"`
	Services map[string]*Service `json:"services"`
}

// SDKInfo names what the table was derived from.
type SDKInfo struct {
	Repository  string            `json:"repository"`
	Commit      string            `json:"commit"`
	Files       map[string]string `json:"files"`
	ManagerNode string            `json:"managerNode"`
}

// Service is one product's actions and the struct types they reference.
type Service struct {
	Version string             `json:"version"`
	Actions map[string]*Action `json:"actions"`
	Types   map[string]*Type   `json:"types"`
}

// Action is one API action. Request includes the allowances; Allowed names
// them.
type Action struct {
	Source   string               `json:"source"` // "sdk" or "manager-node"
	Evidence string               `json:"evidence"`
	Request  map[string]string    `json:"request"`
	Response map[string]string    `json:"response"`
	Allowed  map[string]Allowance `json:"-"`
}

// Type is a struct type: field name -> type.
type Type struct {
	Source   string            `json:"source"`
	Evidence string            `json:"evidence"`
	Fields   map[string]string `json:"fields"`
}

// Load returns the table (parsed once; the embedded file is checked by tests).
var Load = sync.OnceValue(func() *Table {
	t, err := parse(fieldsJSON)
	if err != nil {
		panic("wire: embedded fields.json: " + err.Error())
	}
	return t
})

func parse(b []byte) (*Table, error) {
	var t Table
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, err
	}
	for _, al := range Allowances {
		a := t.Action(al.Service, al.Action)
		switch {
		case a == nil:
			return nil, fmt.Errorf("allowance %s.%s: no such action", al.Service, al.Action)
		case a.Request[al.Field] != "":
			return nil, fmt.Errorf("allowance %s.%s.%s: the model has the field; drop the allowance", al.Service, al.Action, al.Field)
		}
		a.Request[al.Field] = al.Type
		if a.Allowed == nil {
			a.Allowed = map[string]Allowance{}
		}
		a.Allowed[al.Field] = al
	}
	return &t, nil
}

// Action returns the action, nil when the table does not know it.
func (t *Table) Action(service, action string) *Action {
	svc := t.Services[service]
	if svc == nil {
		return nil
	}
	return svc.Actions[action]
}

// Fields returns the fields of a struct type of a service, nil if unknown.
func (t *Table) Fields(service, typeName string) map[string]string {
	if svc := t.Services[service]; svc != nil && svc.Types[typeName] != nil {
		return svc.Types[typeName].Fields
	}
	return nil
}

// Violation is the first place a body departs from the table: Code is
// UnknownParameter or InvalidParameter, Path the dotted field path
// ("Items.0.IntValue"), Want the JSON type the table expects there.
type Violation struct {
	Code, Path, Want string
}

// Message is the gateway's wording for the violation.
func (v *Violation) Message() string {
	if v.Code == "UnknownParameter" {
		return "The parameter `" + v.Path + "` is not recognized."
	}
	return "The value type of parameter `" + v.Path + "` is not valid, input type should be `" + v.Want + "`."
}

func (v *Violation) Error() string { return v.Code + ": " + v.Message() }

// CheckRequest checks a request body (a JSON object) like the gateway does:
// every field must be in the action's request (or allowed), with its JSON
// type; null is not a value. The action must be in the table.
func (t *Table) CheckRequest(service, action string, body []byte) *Violation {
	a := t.Action(service, action)
	if a == nil {
		return &Violation{Code: "InvalidAction", Path: action}
	}
	return t.check(service, a.Request, body, false)
}

// CheckResponse checks a Response object of a successful call: every field
// must be in the action's response, with its JSON type (null is allowed: the
// models' fields are all pointers).
func (t *Table) CheckResponse(service, action string, response []byte) *Violation {
	a := t.Action(service, action)
	if a == nil {
		return &Violation{Code: "InvalidAction", Path: action}
	}
	return t.check(service, a.Response, response, true)
}

func (t *Table) check(service string, fields map[string]string, body []byte, nullOK bool) *Violation {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &Violation{Code: "InvalidParameter", Path: "", Want: "object"}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return &Violation{Code: "InvalidParameter", Path: "", Want: "object"}
	}
	c := checker{t: t, service: service, nullOK: nullOK}
	return c.object("", fields, obj)
}

type checker struct {
	t       *Table
	service string
	nullOK  bool
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func (c checker) object(path string, fields map[string]string, obj map[string]any) *Violation {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := join(path, k)
		typ, ok := fields[k]
		if !ok {
			return &Violation{Code: "UnknownParameter", Path: p}
		}
		if v := c.value(p, typ, obj[k]); v != nil {
			return v
		}
	}
	return nil
}

// value checks one value against a type of the table's notation.
func (c checker) value(path, typ string, v any) *Violation {
	if v == nil {
		if c.nullOK {
			return nil
		}
		return &Violation{Code: "InvalidParameter", Path: path, Want: wantName(typ)}
	}
	alts := strings.Split(typ, "|")
	if len(alts) == 1 {
		return c.one(path, typ, v)
	}
	// A union (only scalars in the table): any alternative will do.
	for _, alt := range alts {
		if c.one(path, alt, v) == nil {
			return nil
		}
	}
	return &Violation{Code: "InvalidParameter", Path: path, Want: wantName(typ)}
}

func (c checker) one(path, typ string, v any) *Violation {
	bad := &Violation{Code: "InvalidParameter", Path: path, Want: wantName(typ)}
	if scalar, ok := scalarOK(typ, v); scalar {
		if !ok {
			return bad
		}
		return nil
	}
	if elem, isArray := strings.CutPrefix(typ, "[]"); isArray {
		arr, ok := v.([]any)
		if !ok {
			return bad
		}
		for i, el := range arr {
			if viol := c.value(path+"."+strconv.Itoa(i), elem, el); viol != nil {
				return viol
			}
		}
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return bad
	}
	fields := c.t.Fields(c.service, typ)
	if fields == nil {
		return &Violation{Code: "InvalidParameter", Path: path, Want: "known type " + typ}
	}
	return c.object(path, fields, obj)
}

// scalarOK says whether typ is a scalar type and, if so, whether v is one.
func scalarOK(typ string, v any) (scalar, ok bool) {
	switch typ {
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "number":
		_, ok = v.(json.Number)
	case "integer":
		n, isNum := v.(json.Number)
		ok = isNum && isInteger(n)
	default:
		return false, false
	}
	return true, ok
}

func isInteger(n json.Number) bool {
	if _, err := n.Int64(); err == nil {
		return true
	}
	if _, err := strconv.ParseUint(string(n), 10, 64); err == nil {
		return true
	}
	f, err := n.Float64()
	return err == nil && f == float64(int64(f))
}

// wantName is the type named in a message: the JSON type, "array" or
// "object" for composite ones.
func wantName(typ string) string {
	if strings.Contains(typ, "|") {
		var names []string
		for _, alt := range strings.Split(typ, "|") {
			names = append(names, wantName(alt))
		}
		return strings.Join(names, " or ")
	}
	switch {
	case strings.HasPrefix(typ, "[]"):
		return "array"
	case typ == "string", typ == "integer", typ == "number", typ == "boolean":
		return typ
	}
	return "object"
}
