package templates

import (
	"context"
	"encoding/json"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Checks that compile or run template code with the real toolchains. Each
// skips, naming the tool, where that toolchain is not installed.

// goEnv builds the golang template offline (standard library only) with the
// installed toolchain, whatever the caller's Go settings.
var goEnv = []string{"GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off", "GOPROXY=off"}

// tool returns the path of a toolchain binary or skips the test.
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (not in PATH): skipping this toolchain check", name)
	}
	return p
}

// materialize writes a template's files into a new temporary directory.
func materialize(t *testing.T, id string) string {
	t.Helper()
	fsys, ok := FS(id)
	require.True(t, ok, id)
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, fsys))
	return dir
}

// writeAgent writes an agent scaffold into a new temporary directory.
func writeAgent(t *testing.T, o AgentOptions) string {
	t.Helper()
	files, err := AgentFiles(o)
	require.NoError(t, err)
	dir := t.TempDir()
	for name, b := range files {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	return dir
}

// run runs a command in dir and fails the test, with its output, if it fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
	return string(out)
}

func TestGolangTemplateBuilds(t *testing.T) {
	t.Parallel()
	goBin := tool(t, "go")
	dir := materialize(t, "golang")
	run(t, dir, goEnv, goBin, "build", "./...")
	run(t, dir, goEnv, goBin, "vet", "./...")
}

func TestGolangTemplateIsGofmted(t *testing.T) {
	t.Parallel()
	fsys, _ := FS("golang")
	src := read(t, fsys, "main.go")
	formatted, err := format.Source([]byte(src))
	require.NoError(t, err)
	assert.Equal(t, string(formatted), src, "main.go is gofmt-ed")
}

func TestNodeTemplatesParse(t *testing.T) {
	t.Parallel()
	node := tool(t, "node")
	dirs := map[string]string{"agent scaffold": writeAgent(t, AgentOptions{AgentName: "checker", BotTag: "t1"})}
	for _, tpl := range List() {
		if tpl.Language == "Node.js" {
			dirs[tpl.Identifier] = materialize(t, tpl.Identifier)
		}
	}
	require.Len(t, dirs, 3, "helloworld, nodejs and the agent scaffold")
	for name, dir := range dirs {
		matches, err := filepath.Glob(filepath.Join(dir, "*.js"))
		require.NoError(t, err)
		require.NotEmpty(t, matches, name)
		for _, js := range matches {
			run(t, dir, nil, node, "--check", js)
		}
	}
}

func TestPythonTemplateCompiles(t *testing.T) {
	t.Parallel()
	python := tool(t, "python3")
	dir := materialize(t, "python")
	run(t, dir, nil, python, "-m", "py_compile", "app.py")
}

func TestJavaTemplateCompiles(t *testing.T) {
	t.Parallel()
	javac := tool(t, "javac")
	dir := materialize(t, "java")
	out := t.TempDir()
	run(t, dir, nil, javac, "-Xlint:all", "-Werror", "-d", out, "App.java")
	_, err := os.Stat(filepath.Join(out, "App.class"))
	assert.NoError(t, err)
}

// agentDriver calls the scaffold's main as @cloudbase/functions-framework
// 1.18.0 does (event = parsed body; context.httpContext {url, httpMethod,
// headers}; context.sse() returning an object with send, end and closed),
// without installing the framework, and prints each result as JSON.
const agentDriver = `"use strict";
const { main } = require("./index.js");
const cases = JSON.parse(process.argv[2]);
(async () => {
  const results = [];
  for (const c of cases) {
    const events = [];
    const sse = { closed: false, send(e) { events.push(e); return true; }, end(e) { events.push(e); this.closed = true; } };
    const context = {
      eventID: "evt-1",
      httpContext: { url: "http://127.0.0.1:3000" + c.path, httpMethod: c.method, headers: c.headers || {} },
      sse: () => sse,
    };
    const result = await main(c.event, context);
    results.push({ result, events, closed: sse.closed });
  }
  process.stdout.write(JSON.stringify(results));
})().catch((err) => { console.error(err); process.exit(1); });
`

func TestAgentHandler(t *testing.T) {
	t.Parallel()
	node := tool(t, "node")
	dir := writeAgent(t, AgentOptions{AgentName: "Help Desk", BotTag: "x1", Description: "Helps."})
	require.NoError(t, os.WriteFile(filepath.Join(dir, "drive.js"), []byte(agentDriver), 0o644))

	const sendPath = "/v1/aibot/bots/ibot-help-desk-x1/send-message"
	stream := map[string]string{"accept": "text/event-stream"}
	type tcase struct {
		Method  string            `json:"method"`
		Path    string            `json:"path"`
		Headers map[string]string `json:"headers,omitempty"`
		Event   any               `json:"event"`
	}
	cases := []tcase{
		{Method: "GET", Path: "/", Event: map[string]any{}},
		{Method: "POST", Path: sendPath, Event: map[string]any{"msg": "hi"}},
		{Method: "POST", Path: sendPath, Headers: stream, Event: map[string]any{"msg": "hi",
			"history": []any{map[string]any{"role": "user", "content": "a"}, map[string]any{"role": "assistant", "content": "b"}}}},
		{Method: "POST", Path: "/x1/send-message/", Headers: stream, Event: map[string]any{"threadId": "t-1",
			"messages": []any{map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "hello"}}}}}},
		{Method: "POST", Path: sendPath, Event: "plain text"},
		{Method: "POST", Path: sendPath, Event: map[string]any{}},
		{Method: "GET", Path: sendPath, Event: map[string]any{}},
		{Method: "GET", Path: "/nope", Event: map[string]any{}},
	}
	arg, err := json.Marshal(cases)
	require.NoError(t, err)
	var results []struct {
		Result json.RawMessage `json:"result"`
		Events []struct {
			Data json.RawMessage `json:"data"`
		} `json:"events"`
		Closed bool `json:"closed"`
	}
	require.NoError(t, json.Unmarshal([]byte(run(t, dir, nil, node, "drive.js", string(arg))), &results))
	require.Len(t, results, len(cases))

	type response struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       map[string]any    `json:"body"`
	}
	resp := func(i int) response {
		var r response
		require.NoError(t, json.Unmarshal(results[i].Result, &r), "case %d: %s", i, results[i].Result)
		assert.Equal(t, "application/json; charset=utf-8", r.Headers["Content-Type"],
			"case %d: headers make it an integration response", i)
		return r
	}

	info := resp(0)
	assert.Equal(t, 200, info.StatusCode)
	assert.Equal(t, "ibot-help-desk-x1", info.Body["botId"])
	assert.Equal(t, "Helps.", info.Body["description"])

	answer := resp(1)
	assert.Equal(t, 200, answer.StatusCode)
	assert.Equal(t, "assistant", answer.Body["role"])
	content, _ := answer.Body["content"].(string)
	assert.Contains(t, content, `You said: "hi"`)
	assert.Contains(t, content, "ibot-help-desk-x1")
	assert.Empty(t, results[1].Events, "no SSE without Accept: text/event-stream")

	// {msg} streamed: data: {"content"} events, then data: [DONE].
	sse := results[2]
	assert.JSONEq(t, `""`, string(sse.Result))
	require.Greater(t, len(sse.Events), 2)
	assert.True(t, sse.Closed, "the stream is ended")
	var streamed strings.Builder
	for _, e := range sse.Events[:len(sse.Events)-1] {
		var piece struct{ Content string }
		require.NoError(t, json.Unmarshal(e.Data, &piece))
		streamed.WriteString(piece.Content)
	}
	assert.Contains(t, streamed.String(), `You said: "hi"`)
	assert.Contains(t, streamed.String(), "2 earlier message(s)")
	assert.JSONEq(t, `"[DONE]"`, string(sse.Events[len(sse.Events)-1].Data))

	// {messages} streamed as AG-UI events.
	agui := results[3]
	assert.True(t, agui.Closed)
	var types []string
	var deltas strings.Builder
	for _, e := range agui.Events {
		var ev struct{ Type, ThreadID, Delta string }
		require.NoError(t, json.Unmarshal(e.Data, &ev))
		if len(types) == 0 || types[len(types)-1] != ev.Type {
			types = append(types, ev.Type)
		}
		deltas.WriteString(ev.Delta)
		if ev.Type == "RUN_STARTED" || ev.Type == "RUN_FINISHED" {
			assert.Equal(t, "t-1", ev.ThreadID)
		}
	}
	assert.Equal(t, []string{"RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED"}, types)
	assert.Contains(t, deltas.String(), `You said: "hello"`)

	plain := resp(4)
	assert.Equal(t, 200, plain.StatusCode)
	assert.Contains(t, plain.Body["content"], `You said: "plain text"`)

	for i, want := range map[int]int{5: 400, 6: 405, 7: 404} {
		r := resp(i)
		assert.Equal(t, want, r.StatusCode, "case %d (%s %s)", i, cases[i].Method, cases[i].Path)
		assert.NotEmpty(t, r.Body["message"], "case %d says what to do", i)
	}
	assert.Contains(t, resp(5).Body["message"], `{"msg": "hi"`)
}
