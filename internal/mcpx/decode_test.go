package mcpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecodeMessage(t *testing.T) {
	t.Parallel()
	type args struct {
		PageSize int               `json:"pageSize"`
		Ratio    float64           `json:"ratio"`
		Force    bool              `json:"force"`
		Name     string            `json:"name"`
		IDs      []string          `json:"ids"`
		Env      map[string]string `json:"env"`
		Count    uint8             `json:"count"`
	}
	decode := func(src string) error {
		dec := json.NewDecoder(bytes.NewReader([]byte(src)))
		dec.DisallowUnknownFields()
		var a args
		return dec.Decode(&a)
	}
	cases := map[string]string{
		`{"pageSize":"ten"}`: "pageSize must be an integer, got string",
		`{"ratio":true}`:     "ratio must be a number, got bool",
		`{"force":"yes"}`:    "force must be a boolean, got string",
		`{"name":3}`:         "name must be a string, got number",
		`{"ids":"a"}`:        "ids must be an array, got string",
		`{"env":[1]}`:        "env must be an object, got array",
		`{"count":-1}`:       "count must be an integer, got number -1",
		`{"colour":"red"}`:   `unknown parameter "colour"`,
	}
	for src, want := range cases {
		assert.Equal(t, want, DecodeMessage(decode(src)), src)
	}

	// A value decoded on its own has no field name to give.
	var n int
	assert.Equal(t, "must be an integer, got string", DecodeMessage(json.Unmarshal([]byte(`"x"`), &n)))
	assert.Equal(t, "boom", DecodeMessage(errors.New("boom")))
}
