package serverconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// kind is how one type of key is read, sent, compared and shown. Values are
// Go values: string, int64, float64, []string, map[string]string (EnvParams),
// []tcbr.HpaPolicy, []tcbr.TimerScale, Vpc, []tcbr.VolumeConf,
// tcbr.PublicNetConf.
type kind interface {
	schema() map[string]any
	decode(raw json.RawMessage) (any, error)
	// item is the wire item; ok false when nothing is sent (an empty string).
	item(key string, v any) (it tcbr.DiffConfigItem, ok bool)
	equal(a, b any) bool
	view(v any) any
}

// strict decodes raw into T, refusing unknown object keys.
func strict[T any](raw json.RawMessage) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&v)
	return v, err
}

// unquoteNumber accepts a number sent as a string ("2"), as the schema check
// does for keys it knows by their exact name.
func unquoteNumber(raw json.RawMessage) json.RawMessage {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if _, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return json.RawMessage(strings.TrimSpace(s))
		}
	}
	return raw
}

// sameList compares lists by their JSON; none and empty are the same.
func sameList[T any](a, b []T) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return sameJSON(a, b)
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// --- string

type strKind struct{ enum []string }

func str(enum ...string) kind { return strKind{enum: enum} }

func (k strKind) schema() map[string]any {
	s := map[string]any{"type": "string"}
	if len(k.enum) > 0 {
		s["enum"] = k.enum
	}
	return s
}
func (strKind) decode(raw json.RawMessage) (any, error) { return strict[string](raw) }
func (strKind) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	s := v.(string)
	return tcbr.DiffConfigItem{Key: key, Value: tcbr.Ptr(s)}, s != "" // empty strings are not sent, as the reference does
}
func (strKind) equal(a, b any) bool { return a.(string) == b.(string) }
func (strKind) view(v any) any      { return v }

// --- integer

type intKind struct{ min, max int64 }

func integer(min, max int64) kind { return intKind{min: min, max: max} }

func (k intKind) schema() map[string]any {
	s := map[string]any{"type": "integer", "minimum": k.min}
	if k.max > 0 {
		s["maximum"] = k.max
	}
	return s
}
func (intKind) decode(raw json.RawMessage) (any, error) { return strict[int64](unquoteNumber(raw)) }
func (intKind) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	return tcbr.DiffConfigItem{Key: key, IntValue: tcbr.Ptr(v.(int64))}, true
}
func (intKind) equal(a, b any) bool { return a.(int64) == b.(int64) }
func (intKind) view(v any) any      { return v }

// --- number (Cpu, Mem)

type numKind struct{}

func number() kind { return numKind{} }

func (numKind) schema() map[string]any {
	return map[string]any{"type": "number", "exclusiveMinimum": 0}
}
func (numKind) decode(raw json.RawMessage) (any, error) { return strict[float64](unquoteNumber(raw)) }
func (numKind) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	return tcbr.DiffConfigItem{Key: key, FloatValue: tcbr.Ptr(v.(float64))}, true
}
func (numKind) equal(a, b any) bool { return a.(float64) == b.(float64) }
func (numKind) view(v any) any      { return v }

// --- list of strings

type listKind struct{ items map[string]any }

func stringList(items map[string]any) kind { return listKind{items: items} }

func enumItems(values ...string) map[string]any {
	return map[string]any{"type": "string", "enum": values}
}

func (k listKind) schema() map[string]any {
	items := k.items
	if items == nil {
		items = map[string]any{"type": "string"}
	}
	return map[string]any{"type": "array", "items": items}
}
func (listKind) decode(raw json.RawMessage) (any, error) {
	v, err := strict[[]string](raw)
	if v == nil && err == nil {
		v = []string{}
	}
	return v, err
}
func (listKind) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	return tcbr.DiffConfigItem{Key: key, ArrayValue: v.([]string)}, true
}
func (listKind) equal(a, b any) bool { return slices.Equal(a.([]string), b.([]string)) }
func (listKind) view(v any) any {
	if s := v.([]string); s != nil {
		return s
	}
	return []string{}
}

// --- EnvParams

type envParams struct{}

func (envParams) schema() map[string]any {
	return map[string]any{"type": []string{"string", "object"}, "description": "JSON object text or an object of string values."}
}
func (envParams) decode(raw json.RawMessage) (any, error) { return ParseEnv(raw) }
func (envParams) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	return tcbr.DiffConfigItem{Key: key, Value: tcbr.Ptr(EnvJSON(v.(map[string]string)))}, true
}
func (envParams) equal(a, b any) bool {
	return maps.Equal(a.(map[string]string), b.(map[string]string))
}
func (envParams) view(v any) any { return v }

// ParseEnv accepts a JSON object, or JSON object text; values must be
// strings (numbers and booleans are turned into their text).
func ParseEnv(raw json.RawMessage) (map[string]string, error) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if strings.TrimSpace(text) == "" {
			return map[string]string{}, nil
		}
		raw = json.RawMessage(text)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf(`EnvParams must be a JSON object of strings, e.g. {"NODE_ENV":"production"}`)
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("EnvParams value of %s must be a string", k)
		}
	}
	return out, nil
}

// RemoteEnv parses a service's EnvParams text; text that is not a JSON
// object gives an empty map.
func RemoteEnv(text string) map[string]string {
	out := map[string]string{}
	if strings.TrimSpace(text) == "" {
		return out
	}
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) != nil {
		return out
	}
	for k, v := range obj {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// EnvJSON is the wire form: a JSON object text with sorted keys.
func EnvJSON(m map[string]string) string {
	b, _ := json.Marshal(m) // map keys are sorted by encoding/json
	return string(b)
}

// --- scaling policies

type policies struct{}

func (policies) schema() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"PolicyType", "PolicyThreshold"},
		"properties": map[string]any{
			"PolicyType":      map[string]any{"type": "string", "enum": []string{"cpu", "mem", "cpu/mem"}},
			"PolicyThreshold": map[string]any{"type": "integer", "minimum": 1, "maximum": 100},
		}}}
}
func (policies) decode(raw json.RawMessage) (any, error) { return strict[[]tcbr.HpaPolicy](raw) }
func (policies) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	return tcbr.DiffConfigItem{Key: key, PolicyDetails: v.([]tcbr.HpaPolicy)}, true
}
func (policies) equal(a, b any) bool { return sameList(a.([]tcbr.HpaPolicy), b.([]tcbr.HpaPolicy)) }

func (policies) view(v any) any { return nonNil(v.([]tcbr.HpaPolicy)) }

// --- scheduled scaling

type timers struct{}

func (timers) schema() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{
		"type": "object", "additionalProperties": false,
		"properties": map[string]any{
			"CycleType":  map[string]any{"type": "string", "enum": []string{"none", "daily", "weekly", "monthly"}},
			"StartDate":  map[string]any{"type": "string"},
			"EndDate":    map[string]any{"type": "string"},
			"StartTime":  map[string]any{"type": "string"},
			"EndTime":    map[string]any{"type": "string"},
			"ReplicaNum": map[string]any{"type": "integer", "minimum": 0},
		}}}
}
func (timers) decode(raw json.RawMessage) (any, error) { return strict[[]tcbr.TimerScale](raw) }
func (timers) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	return tcbr.DiffConfigItem{Key: key, TimerScale: v.([]tcbr.TimerScale)}, true
}
func (timers) equal(a, b any) bool { return sameList(a.([]tcbr.TimerScale), b.([]tcbr.TimerScale)) }
func (timers) view(v any) any      { return nonNil(v.([]tcbr.TimerScale)) }

// --- VPC

// Vpc is serverConfig.VpcConf: the wire's VpcConf plus CreateType (1 a new
// VPC, 2 an existing one).
type Vpc struct {
	VpcId      string `json:"VpcId"`
	SubnetId   string `json:"SubnetId"`
	VpcCIDR    string `json:"VpcCIDR"`
	SubnetCIDR string `json:"SubnetCIDR"`
	CreateType int64  `json:"CreateType"`
}

type vpc struct{}

func (vpc) schema() map[string]any {
	return map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
		"VpcId": map[string]any{"type": "string"}, "SubnetId": map[string]any{"type": "string"},
		"VpcCIDR": map[string]any{"type": "string"}, "SubnetCIDR": map[string]any{"type": "string"},
		"CreateType": map[string]any{"type": "integer", "enum": []int{1, 2}},
	}}
}
func (vpc) decode(raw json.RawMessage) (any, error) { return strict[Vpc](raw) }
func (vpc) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	c := v.(Vpc)
	return tcbr.DiffConfigItem{Key: key, VpcConf: &tcbr.VpcConf{VpcId: c.VpcId, SubnetId: c.SubnetId, VpcCIDR: c.VpcCIDR, SubnetCIDR: c.SubnetCIDR}}, true
}
func (vpc) equal(a, b any) bool {
	x, y := a.(Vpc), b.(Vpc)
	return x.VpcId == y.VpcId && x.SubnetId == y.SubnetId
}

// VpcView is a VPC as detail shows it: the keys serverConfig.VpcConf takes.
type VpcView struct {
	VpcId      string `json:"VpcId"`
	SubnetId   string `json:"SubnetId"`
	VpcCIDR    string `json:"VpcCIDR,omitempty"`
	SubnetCIDR string `json:"SubnetCIDR,omitempty"`
}

func (vpc) view(v any) any {
	c := v.(Vpc)
	return VpcView{VpcId: c.VpcId, SubnetId: c.SubnetId, VpcCIDR: c.VpcCIDR, SubnetCIDR: c.SubnetCIDR}
}

// --- volumes

type volumes struct{}

func (volumes) schema() map[string]any {
	return map[string]any{"type": "array", "items": map[string]any{"type": "object"}}
}
func (volumes) decode(raw json.RawMessage) (any, error) { return strict[[]tcbr.VolumeConf](raw) }
func (volumes) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	return tcbr.DiffConfigItem{Key: key, VolumesConf: v.([]tcbr.VolumeConf)}, true
}
func (volumes) equal(a, b any) bool { return sameList(a.([]tcbr.VolumeConf), b.([]tcbr.VolumeConf)) }
func (volumes) view(v any) any      { return nonNil(v.([]tcbr.VolumeConf)) }

// --- public network

type publicNet struct{}

func (publicNet) schema() map[string]any                  { return map[string]any{"type": "object"} }
func (publicNet) decode(raw json.RawMessage) (any, error) { return strict[tcbr.PublicNetConf](raw) }
func (publicNet) item(key string, v any) (tcbr.DiffConfigItem, bool) {
	c := v.(tcbr.PublicNetConf)
	return tcbr.DiffConfigItem{Key: key, PublicNetConf: &c}, true
}
func (publicNet) equal(a, b any) bool { return sameJSON(a, b) }
func (publicNet) view(v any) any      { return v }

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
