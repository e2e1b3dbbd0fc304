package mcpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// DecodeMessage says what was wrong with a tool's JSON arguments in the
// caller's terms: "pageSize must be an integer, got string", "unknown
// parameter \"foo\"". Any other error is returned as it reads.
func DecodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := ""
		if te.Field != "" {
			field = te.Field + " "
		}
		return fmt.Sprintf("%smust be %s, got %s", field, jsonType(te.Type.Kind().String()), te.Value)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown parameter " + name
	}
	return err.Error()
}

// jsonType names the JSON type a Go kind decodes from.
func jsonType(goKind string) string {
	switch goKind {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	case "bool":
		return "a boolean"
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	}
	return "an object"
}
