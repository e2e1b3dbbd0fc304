package server

import (
	"encoding/json"
	"math/big"
	"regexp/syntax"
	"slices"
)

// wellFormed reports whether doc (a schema as jsonschema.UnmarshalJSON decodes it) is certain to compile:
// it uses only the keywords below, each with a value the draft 2020-12 meta-schema accepts, checked the
// way the compiler checks them (numbers as big.Rat, patterns parsed as Go's regexp parses them). It is a cheap proof, not
// a validator: anything it does not know ($ref, $schema, if/then/else, an unknown keyword, ...) makes it
// answer false, and the schema is then compiled at once, so a broken schema still fails server
// construction. A true answer lets the compile (~a millisecond per tool, with the meta-schema check)
// wait for the tool's first call.
func wellFormed(doc any) bool {
	switch s := doc.(type) {
	case bool:
		return true
	case map[string]any:
		for k, v := range s {
			check, ok := keywordChecks[k]
			if !ok || !check(v) {
				return false
			}
		}
		return true
	}
	return false
}

var keywordChecks map[string]func(any) bool

func init() { // a map literal referring to wellFormed would be an initialization cycle
	keywordChecks = map[string]func(any) bool{
		// annotations
		"title": isString, "description": isString, "$comment": isString, "format": isString,
		"default": anyValue, "examples": isArray, "deprecated": isBool, "readOnly": isBool, "writeOnly": isBool,
		"contentEncoding": isString, "contentMediaType": isString,
		// validation
		"type": isTypeKeyword, "enum": isArray, "const": anyValue,
		"minimum": isNumber, "maximum": isNumber, "exclusiveMinimum": isNumber, "exclusiveMaximum": isNumber,
		"multipleOf": isPositiveNumber,
		"minLength":  isSmallCount, "maxLength": isSmallCount, "minItems": isSmallCount, "maxItems": isSmallCount,
		"minProperties": isSmallCount, "maxProperties": isSmallCount,
		"pattern": isRegexp, "uniqueItems": isBool, "required": isUniqueStrings,
		// applicators
		"properties": isSchemaMap, "additionalProperties": wellFormed, "items": wellFormed, "not": wellFormed,
		"propertyNames": wellFormed, "anyOf": isSchemaList, "oneOf": isSchemaList, "allOf": isSchemaList,
	}
}

func anyValue(any) bool { return true }

func isString(v any) bool { _, ok := v.(string); return ok }
func isBool(v any) bool   { _, ok := v.(bool); return ok }
func isArray(v any) bool  { _, ok := v.([]any); return ok }

func number(v any) (*big.Rat, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, false
	}
	return new(big.Rat).SetString(string(n))
}

func isNumber(v any) bool { _, ok := number(v); return ok }

func isPositiveNumber(v any) bool {
	n, ok := number(v)
	return ok && n.Sign() > 0
}

// isSmallCount: a non-negative integer the compiler's int conversion keeps exact.
func isSmallCount(v any) bool {
	n, ok := number(v)
	return ok && n.IsInt() && n.Sign() >= 0 && n.Num().IsInt64() && n.Num().Int64() <= 1<<31
}

var simpleTypes = []string{"array", "boolean", "integer", "null", "number", "object", "string"}

func isTypeKeyword(v any) bool {
	switch t := v.(type) {
	case string:
		return slices.Contains(simpleTypes, t)
	case []any:
		seen := map[string]bool{}
		for _, x := range t {
			s, ok := x.(string)
			if !ok || !slices.Contains(simpleTypes, s) || seen[s] {
				return false
			}
			seen[s] = true
		}
		return len(t) > 0
	}
	return false
}

// isRegexp: the compiler uses regexp.Compile, which fails exactly when parsing fails (the compile to a
// program that follows cannot), so parsing is enough and spares building the program.
func isRegexp(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := syntax.Parse(s, syntax.Perl)
	return err == nil
}

func isUniqueStrings(v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	seen := map[string]bool{}
	for _, x := range list {
		s, ok := x.(string)
		if !ok || seen[s] {
			return false
		}
		seen[s] = true
	}
	return true
}

func isSchemaMap(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, s := range m {
		if !wellFormed(s) {
			return false
		}
	}
	return true
}

func isSchemaList(v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	for _, s := range list {
		if !wellFormed(s) {
			return false
		}
	}
	return true
}
