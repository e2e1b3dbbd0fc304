package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// demoStep is one tool call of the demo session.
type demoStep struct {
	title string
	tool  string
	args  map[string]any
}

var demoSteps = []demoStep{
	{"Which CloudRun templates exist?", "queryCloudRun", map[string]any{"action": "templates"}},
	{"Is CloudRun opened on the env?", "queryCloudRun", map[string]any{"action": "envStatus"}},
	{"And on a fresh env?", "queryCloudRun", map[string]any{"action": "envStatus", "envId": "fresh-env-9z8y7x"}},
	{"List the services", "queryCloudRun", map[string]any{"action": "list"}},
	{"List again (served from the cache)", "queryCloudRun", map[string]any{"action": "list"}},
	{"Detail of hello-api (EnvParams masked)", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "hello-api"}},
	{"Deploy records of hello-api", "queryCloudRun", map[string]any{"action": "getDeployRecords", "detailServerName": "hello-api"}},
	{"Process log of hello-api's newest version", "queryCloudRun", map[string]any{"action": "getProcessLog", "detailServerName": "hello-api"}},
	{"Why did broken-build fail? (build log)", "queryCloudRun", map[string]any{"action": "getDeployLog", "detailServerName": "broken-build"}},
	{"A deploy in progress: orders-svc", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "orders-svc"}},
	{"todo-func was deployed from an image: no build log", "queryCloudRun", map[string]any{"action": "getDeployLog", "detailServerName": "todo-func"}},
	{"The open gray release of canary-web", "queryCloudRun", map[string]any{"action": "getManageTask", "detailServerName": "canary-web"}},
	{"Delete hello-api without confirmation (refused, nothing happens)", "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"}},
	{"Delete hello-api with force", "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api", "force": true}},
	{"List again (the write invalidated the cache)", "queryCloudRun", map[string]any{"action": "list"}},
	{"A bad argument is explained", "queryCloudRun", map[string]any{"action": "list", "pageSize": 500, "colour": "blue"}},
}

// runDemo starts this binary as a sandboxed MCP server over stdio and drives
// it through a real client session, printing every call and result.
func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	full := fs.Bool("full", false, "print whole results instead of abbreviating long ones")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	var serverLog bytes.Buffer
	c, err := client.NewStdioMCPClientWithOptions(exe, []string{"CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_LOG_LEVEL=warn"}, nil,
		transport.WithCommandStderrWriter(&serverLog))
	if err != nil {
		return fmt.Errorf("start the server: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	start := time.Now()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "cloudbase-mcp-demo", Version: "1"}
	ir, err := c.Initialize(ctx, init)
	if err != nil {
		return fmt.Errorf("initialize: %w (server log: %s)", err, serverLog.String())
	}
	out := os.Stdout
	fmt.Fprintf(out, "== Connected to %s %s over stdio in %s (protocol %s, sandbox mode)\n",
		ir.ServerInfo.Name, ir.ServerInfo.Version, time.Since(start).Round(time.Millisecond), ir.ProtocolVersion)
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	var names []string
	for _, t := range tools.Tools {
		names = append(names, t.Name)
	}
	fmt.Fprintf(out, "== tools/list: %s\n", strings.Join(names, ", "))

	for i, s := range demoSteps {
		argText, _ := json.Marshal(s.args)
		fmt.Fprintf(out, "\n-- %d. %s\n>> %s %s\n", i+1, s.title, s.tool, argText)
		req := mcp.CallToolRequest{}
		req.Params.Name = s.tool
		req.Params.Arguments = s.args
		t0 := time.Now()
		res, err := c.CallTool(ctx, req)
		if err != nil {
			return fmt.Errorf("%s: %w", s.tool, err)
		}
		label := "<<"
		if res.IsError {
			label = "<< isError"
		}
		fmt.Fprintf(out, "%s (%s)\n%s\n", label, time.Since(t0).Round(time.Microsecond), indent(resultText(res), *full))
	}
	fmt.Fprintf(out, "\n== Done: %d calls against the sandbox emulator; nothing left the machine.\n", len(demoSteps))
	return nil
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			b.WriteString(t.Text)
		}
	}
	s := b.String()
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		if pretty, err := json.MarshalIndent(v, "", "  "); err == nil {
			return string(pretty)
		}
	}
	return s
}

// indent prefixes lines and, unless full, abbreviates long results.
func indent(s string, full bool) string {
	lines := strings.Split(s, "\n")
	const max = 60
	if !full && len(lines) > max {
		omitted := len(lines) - max
		lines = append(lines[:max], fmt.Sprintf("... (%d more lines; run with --full to see all)", omitted))
	}
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString("   ")
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}
