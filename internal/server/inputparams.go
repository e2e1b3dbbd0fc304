package server

import (
	"bytes"
	"encoding/json"
	"io"
)

// WithInputRequestParams wraps the stdio transport's output so every input
// request of a multi round-trip answer (protocol 2026-07-28) carries params.
//
// mcp-go v1.2.1 writes a roots request as {"method":"roots/list"} with no
// params (mcp.InputRequest.MarshalJSON drops them, and tool handlers cannot
// change how a result is encoded). The schema allows that, but the official
// Go SDK (v1.8.0, InputRequestMap.UnmarshalJSON) decodes params
// unconditionally and fails the whole call with "unexpected end of JSON
// input". Adding "params": {} is valid for every client.
//
// mcp-go writes each message with one Write ending in a newline; anything
// else passes through untouched, as does every message that is not an
// input_required result (found by a byte search, so the cost is nil for the
// rest).
func WithInputRequestParams(w io.Writer) io.Writer { return inputParamsWriter{w} }

type inputParamsWriter struct{ w io.Writer }

var inputRequiredMark = []byte(`"input_required"`)

func (f inputParamsWriter) Write(p []byte) (int, error) {
	if !bytes.Contains(p, inputRequiredMark) || bytes.IndexByte(p, '\n') != len(p)-1 {
		return f.w.Write(p)
	}
	fixed, ok := addInputParams(p[:len(p)-1])
	if !ok {
		return f.w.Write(p)
	}
	if _, err := f.w.Write(append(fixed, '\n')); err != nil {
		return 0, err
	}
	return len(p), nil
}

// addInputParams returns msg with "params": {} added to each input request
// that has none, and false when msg is not an input_required result lacking
// some.
func addInputParams(msg []byte) ([]byte, bool) {
	var env map[string]json.RawMessage
	if json.Unmarshal(msg, &env) != nil || env["result"] == nil {
		return nil, false
	}
	var result map[string]json.RawMessage
	if json.Unmarshal(env["result"], &result) != nil || string(result["resultType"]) != `"input_required"` {
		return nil, false
	}
	var reqs map[string]map[string]json.RawMessage
	if json.Unmarshal(result["inputRequests"], &reqs) != nil {
		return nil, false
	}
	changed := false
	for _, r := range reqs {
		if p, has := r["params"]; !has || string(p) == "null" {
			r["params"] = json.RawMessage(`{}`)
			changed = true
		}
	}
	if !changed {
		return nil, false
	}
	var err error
	if result["inputRequests"], err = json.Marshal(reqs); err != nil {
		return nil, false
	}
	if env["result"], err = json.Marshal(result); err != nil {
		return nil, false
	}
	out, err := json.Marshal(env)
	return out, err == nil
}
