package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"sync"
)

// schema is a tool's input schema compiled for validation. It implements the part of JSON Schema
// (draft 2020-12) that tool schemas use: type (one name or a list), enum, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum, pattern, required, properties, additionalProperties (false or a
// schema), items (one schema) and boolean schemas; title, description, $comment, default, examples,
// deprecated, readOnly and writeOnly are annotations and change nothing. compileSchema refuses every
// other keyword, so a schema can never carry a rule that would go unchecked.
//
// It replaces a general validator whose package initialisation (compiling its meta-schemas) was a
// third of the server's startup, for the same verdicts and messages on these schemas (see
// schema_test.go, which checks it against an independent implementation).
type schema struct {
	never      bool     // the false schema: no value is valid
	types      []string // allowed JSON types in canonical order (typeOrder); nil = any
	hasEnum    bool
	enum       []any // numbers as json.Number
	bounds     []bound
	pattern    *lazyRegexp
	required   []string
	properties map[string]*schema
	additional *schema // for keys not in properties; nil = any value
	items      *schema // nil = any items
}

// lazyRegexp is a pattern checked at compile time and compiled on its first use: building the matcher
// for a bounded repeat like {2,44} costs more than the rest of the schema's compile.
type lazyRegexp struct {
	src string
	re  func() *regexp.Regexp
}

// newLazyRegexp refuses exactly the patterns regexp.Compile refuses: it fails only when parsing fails
// (compiling a parsed expression cannot), so parsing here makes the later MustCompile safe.
func newLazyRegexp(src string) (*lazyRegexp, error) {
	if _, err := syntax.Parse(src, syntax.Perl); err != nil {
		return nil, err
	}
	return &lazyRegexp{src: src, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(src) })}, nil
}

// bound is one of minimum, maximum, exclusiveMinimum, exclusiveMaximum.
type bound struct {
	keyword string
	limit   *big.Rat
	literal string // as written in the schema, for messages
}

// typeOrder is the order in which messages list types (the one the previous validator used).
var typeOrder = []string{"null", "boolean", "number", "integer", "string", "array", "object"}

// annotations are keywords that carry documentation only, with the JSON type the meta-schema gives them
// ("" = any value).
var annotations = map[string]string{
	"title": "string", "description": "string", "$comment": "string", "default": "",
	"examples": "array", "deprecated": "boolean", "readOnly": "boolean", "writeOnly": "boolean",
}

// decodeJSON decodes one JSON value with numbers as json.Number, so that bounds, enum values and
// instance numbers compare exactly.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid character after top-level value")
	}
	return v, nil
}

// compileSchema compiles a schema document decoded by decodeJSON. at is its location, for errors.
func compileSchema(doc any, at string) (*schema, error) {
	switch d := doc.(type) {
	case bool:
		return &schema{never: !d}, nil
	case map[string]any:
		s := &schema{}
		for _, k := range sortedKeys(d) {
			if err := s.compileKeyword(k, d[k], at); err != nil {
				return nil, err
			}
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s: a schema must be an object or a boolean, not %s", loc(at), jsonType(doc))
}

func (s *schema) compileKeyword(k string, v any, at string) error {
	var ok bool
	var want string // what the value must be, when it is not
	switch k {
	case "type":
		s.types, ok = compileTypes(v)
		want = "a JSON type name or a non-empty list of distinct ones"
	case "enum":
		s.enum, ok = v.([]any)
		s.hasEnum, want = true, "an array"
	case "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum":
		ok, want = s.addBound(k, v), "a number"
	case "pattern":
		return s.compilePattern(v, at)
	case "required":
		s.required, ok = uniqueStrings(v)
		want = "an array of distinct strings"
	case "properties":
		return s.compileProperties(v, at)
	case "additionalProperties":
		var err error
		s.additional, err = compileSchema(v, at+"/additionalProperties")
		return err
	case "items":
		var err error
		s.items, err = compileSchema(v, at+"/items")
		return err
	default:
		typ, known := annotations[k]
		if !known {
			return fmt.Errorf("%s: keyword %q is not implemented by the input validator (internal/server/schema.go): implement it there or leave it out of the schema", loc(at), k)
		}
		ok, want = typ == "" || jsonType(v) == typ, "a "+typ
	}
	if !ok {
		return fmt.Errorf("%s: %q must be %s", loc(at), k, want)
	}
	return nil
}

func (s *schema) addBound(k string, v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	r, ok := rat(n)
	if ok {
		s.bounds = append(s.bounds, bound{keyword: k, limit: r, literal: n.String()})
	}
	return ok
}

func (s *schema) compilePattern(v any, at string) error {
	p, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: \"pattern\" must be a string", loc(at))
	}
	var err error
	if s.pattern, err = newLazyRegexp(p); err != nil {
		return fmt.Errorf("%s: pattern: %w", loc(at), err)
	}
	return nil
}

func (s *schema) compileProperties(v any, at string) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: \"properties\" must be an object of schemas", loc(at))
	}
	s.properties = make(map[string]*schema, len(m))
	for _, name := range sortedKeys(m) {
		var err error
		if s.properties[name], err = compileSchema(m[name], at+"/properties/"+name); err != nil {
			return err
		}
	}
	return nil
}

func loc(at string) string {
	if at == "" {
		return "input schema"
	}
	return "input schema at " + at
}

func compileTypes(v any) ([]string, bool) {
	var names []string
	switch t := v.(type) {
	case string:
		names = []string{t}
	case []any:
		var ok bool
		if names, ok = uniqueStrings(t); !ok || len(names) == 0 {
			return nil, false
		}
	default:
		return nil, false
	}
	var out []string
	for _, t := range typeOrder {
		if slices.Contains(names, t) {
			out = append(out, t)
		}
	}
	return out, len(out) == len(names) // every name is a JSON type
}

func uniqueStrings(v any) ([]string, bool) {
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok || slices.Contains(out, s) {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// jsonType is the JSON type of a decodeJSON value ("" for anything else).
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

func rat(n json.Number) (*big.Rat, bool) {
	return new(big.Rat).SetString(string(n))
}

// violation is one reason a value does not validate.
type violation struct {
	at      []string // instance location: property names and array indexes
	keyword string   // type, enum, required, additionalProperties, a bound keyword, pattern, false, invalid
	got     any      // the value (enum, pattern, bounds) or its JSON type (type)
	want    []string // the types, values, or valid property names (additionalProperties)
	limit   string   // the bound, as written in the schema
	names   []string // the missing or unknown property names
}

// validate appends to out every violation of s by v, a value decoded by decodeJSON, at location at.
// Like the previous validator, a value of the wrong type or outside its enum reports only that.
func (s *schema) validate(v any, at []string, out *[]violation) {
	add := func(x violation) {
		x.at = slices.Clone(at)
		*out = append(*out, x)
	}
	if s.never {
		add(violation{keyword: "false"})
		return
	}
	t := jsonType(v)
	if t == "" {
		add(violation{keyword: "invalid", got: v})
		return
	}
	if p, failed := s.checkTypeAndEnum(t, v); failed {
		add(p)
		return
	}
	switch x := v.(type) {
	case map[string]any:
		s.validateObject(x, at, out, add)
	case []any:
		if s.items != nil {
			for i, item := range x {
				s.items.validate(item, append(at, strconv.Itoa(i)), out)
			}
		}
	case string:
		if s.pattern != nil && !s.pattern.re().MatchString(x) {
			add(violation{keyword: "pattern", got: x, limit: s.pattern.src})
		}
	case json.Number:
		s.validateNumber(x, add)
	}
}

// checkTypeAndEnum reports the type or enum violation of v, whose JSON type is t.
func (s *schema) checkTypeAndEnum(t string, v any) (violation, bool) {
	if s.types != nil && !s.hasType(t, v) {
		return violation{keyword: "type", got: t, want: s.types}, true
	}
	if s.hasEnum && !slices.ContainsFunc(s.enum, func(e any) bool { return equalJSON(v, e) }) {
		want := make([]string, len(s.enum))
		for i, e := range s.enum {
			want[i] = fmt.Sprint(e)
		}
		return violation{keyword: "enum", got: v, want: want}, true
	}
	return violation{}, false
}

func (s *schema) hasType(t string, v any) bool {
	if slices.Contains(s.types, t) {
		return true
	}
	if t != "number" || !slices.Contains(s.types, "integer") {
		return false
	}
	r, ok := rat(v.(json.Number))
	return ok && r.IsInt()
}

func (s *schema) validateObject(obj map[string]any, at []string, out *[]violation, add func(violation)) {
	var missing []string
	for _, name := range s.required {
		if _, ok := obj[name]; !ok {
			missing = append(missing, name)
		}
	}
	if missing != nil {
		add(violation{keyword: "required", names: missing})
	}
	var unknown []string
	for _, name := range sortedKeys(obj) {
		sub, ok := s.properties[name]
		if !ok {
			sub = s.additional
		}
		switch {
		case sub == nil:
		case sub.never && !ok: // additionalProperties: false
			unknown = append(unknown, name)
		default:
			sub.validate(obj[name], append(at, name), out)
		}
	}
	if unknown != nil {
		valid := make([]string, 0, len(s.properties))
		for name := range s.properties {
			valid = append(valid, name)
		}
		slices.Sort(valid)
		add(violation{keyword: "additionalProperties", names: unknown, want: valid})
	}
}

func (s *schema) validateNumber(n json.Number, add func(violation)) {
	if len(s.bounds) == 0 {
		return
	}
	r, ok := rat(n)
	if !ok {
		add(violation{keyword: "invalid", got: n})
		return
	}
	for _, b := range s.bounds {
		c := r.Cmp(b.limit)
		var fails bool
		switch b.keyword {
		case "minimum":
			fails = c < 0
		case "maximum":
			fails = c > 0
		case "exclusiveMinimum":
			fails = c <= 0
		case "exclusiveMaximum":
			fails = c >= 0
		}
		if fails {
			add(violation{keyword: b.keyword, got: n, limit: b.literal})
		}
	}
}

// equalJSON is JSON equality: numbers by value, objects regardless of key order.
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		rx, okx := rat(x)
		ry, oky := rat(y)
		return okx && oky && rx.Cmp(ry) == 0
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalJSON(xv, yv) {
				return false
			}
		}
		return true
	case []any:
		y, ok := b.([]any)
		return ok && slices.EqualFunc(x, y, equalJSON)
	}
	return a == b // nil, bool, string; false for mismatched types
}
