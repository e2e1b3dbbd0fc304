package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modernSession drives the binary with raw 2026-07-28 requests (no
// initialize: each request carries its protocol version and the client's
// capabilities in _meta), reading one response per request.
type modernSession struct {
	t      *testing.T
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr *testutil.Buffer
	caps   map[string]any
	nextID int
}

func startModern(t *testing.T, caps map[string]any) *modernSession {
	t.Helper()
	ws := t.TempDir()
	cmd := exec.Command(binPath)
	cmd.Env = cleanEnv(t, "CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_WORKSPACE="+ws,
		"CLOUDBASE_MCP_AUDIT_LOG="+filepath.Join(t.TempDir(), "audit.log"))
	s := &modernSession{t: t, stderr: &testutil.Buffer{}, caps: caps}
	cmd.Stderr = s.stderr
	var err error
	s.in, err = cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	s.out = bufio.NewScanner(out)
	s.out.Buffer(make([]byte, 1<<20), 1<<24)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { assert.NotContains(t, s.stderr.String(), emulator.WireViolationLog) })
	t.Cleanup(func() {
		_ = s.in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return s
}

// call sends tools/call with params (plus the _meta of the era) and returns
// the raw result object of its response.
func (s *modernSession) call(params map[string]any) map[string]json.RawMessage {
	s.t.Helper()
	s.nextID++
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
		"io.modelcontextprotocol/clientCapabilities": s.caps,
	}
	_, err := io.WriteString(s.in, rpc(s.nextID, "tools/call", params)+"\n")
	require.NoError(s.t, err)
	for s.out.Scan() {
		var msg struct {
			ID     *int                       `json:"id"`
			Result map[string]json.RawMessage `json:"result"`
			Error  json.RawMessage            `json:"error"`
		}
		require.NoError(s.t, json.Unmarshal(s.out.Bytes(), &msg), "stdout line is not JSON: %q", s.out.Text())
		if msg.ID != nil && *msg.ID == s.nextID {
			require.Nil(s.t, msg.Error, "a protocol error: %s", msg.Error)
			return msg.Result
		}
	}
	s.t.Fatalf("the server closed stdout before answering; stderr:\n%s", s.stderr.String())
	return nil
}

// inputRequests checks that result asks for input and returns its requests,
// each decoded the way the official Go SDK decodes them: a JSON-RPC request
// object whose params must be present and an object.
func inputRequests(t *testing.T, result map[string]json.RawMessage) (map[string]map[string]json.RawMessage, string) {
	t.Helper()
	require.JSONEq(t, `"input_required"`, string(result["resultType"]))
	var reqs map[string]map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(result["inputRequests"], &reqs))
	for id, r := range reqs {
		var params map[string]any
		require.Contains(t, r, "params", "input request %q has no params", id)
		require.NoError(t, json.Unmarshal(r["params"], &params), "input request %q: params is not an object", id)
		require.NotNil(t, params, "input request %q: params is null", id)
	}
	var state string
	_ = json.Unmarshal(result["requestState"], &state)
	return reqs, state
}

// TestInputRequestsCarryParams: at 2026-07-28 a call that needs the client's
// roots or the user's confirmation answers input_required, and every input
// request in it carries params (roots/list an empty object), so clients that
// decode params unconditionally (the official Go SDK) can answer; the retry
// with the answers completes.
func TestInputRequestsCarryParams(t *testing.T) {
	t.Parallel()
	t.Run("roots", func(t *testing.T) {
		s := startModern(t, map[string]any{"roots": map[string]any{}})
		args := map[string]any{"action": "init", "serverName": "app", "template": "nodejs"}
		reqs, state := inputRequests(t, s.call(map[string]any{"name": "manageCloudRun", "arguments": args}))
		require.Len(t, reqs, 1)
		for id, r := range reqs {
			assert.JSONEq(t, `"roots/list"`, string(r["method"]))
			assert.JSONEq(t, `{}`, string(r["params"]))
			root := t.TempDir()
			res := s.call(map[string]any{"name": "manageCloudRun", "arguments": args, "requestState": state,
				"inputResponses": map[string]any{id: map[string]any{"roots": []any{map[string]any{"uri": "file://" + filepath.ToSlash(root)}}}}})
			assert.NotContains(t, res, "isError", "the retry succeeds: %s", res["content"])
			var out struct {
				ProjectDir string `json:"projectDir"`
			}
			require.NoError(t, json.Unmarshal(res["structuredContent"], &out))
			real, err := filepath.EvalSymlinks(root)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(real, "app"), out.ProjectDir, "the project lands in the root the client gave")
		}
	})
	t.Run("elicitation", func(t *testing.T) {
		s := startModern(t, map[string]any{"elicitation": map[string]any{"form": map[string]any{}}})
		args := map[string]any{"action": "delete", "serverName": "hello-api"}
		reqs, state := inputRequests(t, s.call(map[string]any{"name": "manageCloudRun", "arguments": args}))
		require.Len(t, reqs, 1)
		for id, r := range reqs {
			assert.JSONEq(t, `"elicitation/create"`, string(r["method"]))
			var params struct {
				Message         string         `json:"message"`
				RequestedSchema map[string]any `json:"requestedSchema"`
			}
			require.NoError(t, json.Unmarshal(r["params"], &params))
			assert.Contains(t, params.Message, "hello-api")
			assert.Equal(t, "object", params.RequestedSchema["type"])
			res := s.call(map[string]any{"name": "manageCloudRun", "arguments": args, "requestState": state,
				"inputResponses": map[string]any{id: map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}})
			assert.NotContains(t, res, "isError", "the retry succeeds: %s", res["content"])
			assert.Contains(t, string(res["structuredContent"]), `"deleted":true`)
		}
	})
}
