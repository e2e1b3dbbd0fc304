package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// demo drives a sandboxed server through a real MCP client session over
// stdio, printing every call and its result.
type demo struct {
	c     *client.Client
	ctx   context.Context
	out   io.Writer
	full  bool
	calls int
	user  *demoUser
}

// demoUser answers the server's confirmation prompts with the scripted answers.
type demoUser struct {
	mu      sync.Mutex
	out     io.Writer
	answers []mcp.ElicitationResponseAction
}

func (u *demoUser) script(answers ...mcp.ElicitationResponseAction) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.answers = answers
}

func (u *demoUser) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	answer := mcp.ElicitationResponseActionDecline
	if len(u.answers) > 0 {
		answer, u.answers = u.answers[0], u.answers[1:]
	}
	fmt.Fprintf(u.out, "   ?? the server asks the user: %q\n   ?? the user answers: %s\n", req.Params.Message, answer)
	r := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: answer}}
	if answer == mcp.ElicitationResponseActionAccept {
		r.Content = map[string]any{"confirm": true}
	}
	return r, nil
}

// runDemo starts this binary as a sandboxed MCP server and walks through the
// whole loop: read, open an env, deploy, follow the build, release gray,
// shift traffic, promote, roll back, change config, delete.
func runDemo(args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	full := fs.Bool("full", false, "print whole results instead of abbreviating long ones")
	project := fs.String("project", filepath.Join("testdata", "projects", "container-node"), "sample container project to deploy")
	if err := fs.Parse(args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// The server works in a scratch workspace holding a copy of the sample,
	// so the demo writes nothing (cloudbaserc.json) into the repository.
	ws, err := os.MkdirTemp("", "cloudbase-mcp-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(ws)
	haveProject := os.CopyFS(filepath.Join(ws, "shop-api"), os.DirFS(*project)) == nil

	var serverLog syncBuffer
	env := []string{"CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_SANDBOX_SPEED=60", "CLOUDBASE_MCP_LOG_LEVEL=warn",
		"CLOUDBASE_MCP_WORKSPACE=" + ws, "CLOUDBASE_MCP_AUDIT_LOG=" + filepath.Join(ws, "audit.log")}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The demo's client plays the user too: it answers confirmation prompts
	// (elicitation) as scripted, and prints progress and log notifications.
	user := &demoUser{out: os.Stdout}
	tr := transport.NewStdioWithOptions(exe, env, nil, transport.WithCommandStderrWriter(&serverLog))
	c := client.NewClient(tr, client.WithElicitationHandler(user))
	if err := c.Start(ctx); err != nil {
		return fmt.Errorf("start the server: %w", err)
	}
	defer c.Close()
	c.OnNotification(printNotification)

	d := &demo{c: c, ctx: ctx, out: os.Stdout, full: *full, user: user}
	if err := d.connect(&serverLog); err != nil {
		return err
	}
	return d.tour(haveProject, *project, &serverLog)
}

// printNotification shows the server's progress and log notifications.
func printNotification(n mcp.JSONRPCNotification) {
	f := n.Params.AdditionalFields
	switch n.Method {
	case "notifications/progress":
		fmt.Fprintf(os.Stdout, "   .. progress %v: %v\n", f["progress"], f["message"])
	case "notifications/message":
		fmt.Fprintf(os.Stdout, "   .. [%v] %v\n", f["level"], f["data"])
	}
}

// connect runs the MCP handshake, asks for info-level client logs and prints
// the server and its tools.
func (d *demo) connect(serverLog *syncBuffer) error {
	start := time.Now()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "cloudbase-mcp-demo", Version: "1"}
	init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{}
	ir, err := d.c.Initialize(d.ctx, init)
	if err != nil {
		return fmt.Errorf("initialize: %w (server log: %s)", err, serverLog.String())
	}
	//lint:ignore SA1019 deprecated at 2026-07-28 but still served; the demo shows the log notifications older hosts get
	if err := d.c.SetLevel(d.ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}); err != nil {
		return fmt.Errorf("logging/setLevel: %w", err)
	}
	fmt.Fprintf(d.out, "== Connected to %s %s over stdio in %s (protocol %s, sandbox mode, virtual clock x60)\n",
		ir.ServerInfo.Name, ir.ServerInfo.Version, time.Since(start).Round(time.Millisecond), ir.ProtocolVersion)
	tools, err := d.c.ListTools(d.ctx, mcp.ListToolsRequest{})
	if err != nil {
		return fmt.Errorf("tools/list: %w", err)
	}
	var names []string
	for _, t := range tools.Tools {
		names = append(names, t.Name)
	}
	fmt.Fprintf(d.out, "== tools/list: %s\n", strings.Join(names, ", "))
	return nil
}

// tour runs the demo's sections in order, then checks that the emulator saw
// only requests the real API accepts.
func (d *demo) tour(haveProject bool, project string, serverLog *syncBuffer) error {
	if err := d.reads(); err != nil {
		return err
	}
	if err := d.localLoop(); err != nil {
		return fmt.Errorf("%w (server log: %s)", err, serverLog.String())
	}
	if haveProject {
		if err := d.deployLoop(); err != nil {
			return fmt.Errorf("%w (server log: %s)", err, serverLog.String())
		}
	} else {
		fmt.Fprintf(d.out, "\n== Skipping the deploy loop: no sample project at %s (run make demo from the repository root)\n", project)
	}
	if strings.Contains(serverLog.String(), emulator.WireViolationLog) {
		return fmt.Errorf("the sandbox emulator saw requests the real API would refuse (server log: %s)", serverLog.String())
	}
	fmt.Fprintf(d.out, "\n== Done: %d calls against the sandbox emulator; nothing left the machine.\n", d.calls)
	return nil
}

// syncBuffer holds the server log: written by the transport's stderr drain
// while the demo reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (d *demo) reads() error {
	d.section("Reading what is there")
	return d.steps([]step{
		{"Which CloudRun templates exist?", "queryCloudRun", map[string]any{"action": "templates"}},
		{"List the services", "queryCloudRun", map[string]any{"action": "list", "pageSize": 3}},
		{"List again (served from the cache)", "queryCloudRun", map[string]any{"action": "list", "pageSize": 3}},
		{"Detail of hello-api (EnvParams masked)", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "hello-api"}},
		{"Why did broken-build fail? (build log)", "queryCloudRun", map[string]any{"action": "getDeployLog", "detailServerName": "broken-build"}},
		{"todo-func was deployed from an image: no build log", "queryCloudRun", map[string]any{"action": "getDeployLog", "detailServerName": "todo-func"}},
		{"The open gray release of canary-web", "queryCloudRun", map[string]any{"action": "getManageTask", "detailServerName": "canary-web"}},
		{"A bad argument is explained", "queryCloudRun", map[string]any{"action": "list", "pageSize": 500, "colour": "blue"}},
	})
}

// localLoop is the developer-machine half: a project from a template, run
// locally and answered over HTTP, then a scaffolded agent.
func (d *demo) localLoop() error {
	d.section("The local loop: a project from a template, run on this machine")
	res, err := d.call("Create a function project from the helloworld template", "manageCloudRun",
		map[string]any{"action": "init", "serverName": "hello-local", "template": "helloworld"})
	if err != nil {
		return err
	}
	if _, failed := res["error"]; failed || res["projectDir"] == nil {
		return errors.New("init failed")
	}
	if _, err := exec.LookPath("node"); err != nil {
		fmt.Fprintln(d.out, "\n== Skipping run: node is not on PATH (install Node.js 18 or later to run function services locally)")
	} else {
		fmt.Fprintln(d.out, "\n== run installs the dependencies from the npm registry first (about 20 s the first time)")
		args := map[string]any{"action": "run", "serverName": "hello-local"}
		if port, err := freePort(); err == nil { // 3000, the default, may be taken on this machine
			args["runOptions"] = map[string]any{"port": port}
		}
		res, err := d.call("Run it locally", "manageCloudRun", args)
		if err != nil {
			return err
		}
		if url, ok := pathOf(res, "run", "url").(string); ok {
			if err := d.httpGet(url + "hello"); err != nil {
				return err
			}
			if _, err := d.call("What runs locally", "queryCloudRun", map[string]any{"action": "localRuns"}); err != nil {
				return err
			}
			if _, err := d.call("Stop it", "manageCloudRun", map[string]any{"action": "stop", "serverName": "hello-local"}); err != nil {
				return err
			}
		}
	}
	_, err = d.call("Scaffold an AI agent", "manageCloudRun", map[string]any{"action": "createAgent", "serverName": "helpdesk",
		"agentConfig": map[string]any{"agentName": "Help Desk", "description": "Answers questions about the shop"}})
	return err
}

// freePort asks the kernel for a port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// httpGet shows what the locally running service answers.
func (d *demo) httpGet(url string) error {
	ctx, cancel := context.WithTimeout(d.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	fmt.Fprintf(d.out, "\n-- GET %s (plain HTTP, not a tool call)\n<< HTTP %d\n%s\n", url, resp.StatusCode, indent(string(body), d.full))
	return nil
}

// deployLoop is the cloud half, one phase per section: open an env, deploy
// and follow the build, a canary promoted, a canary rolled back, config
// changes, download and delete.
func (d *demo) deployLoop() error {
	for _, phase := range []func() error{d.openEnv, d.deployShopAPI, d.canaryPromoted, d.canaryRolledBack, d.configThenDelete} {
		if err := phase(); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) openEnv() error {
	d.section("Opening CloudRun on a fresh env")
	return d.steps([]step{
		{"Is CloudRun opened on fresh-env-9z8y7x?", "queryCloudRun", map[string]any{"action": "envStatus", "envId": "fresh-env-9z8y7x"}},
		{"Open it (waits until normal)", "manageCloudRun", map[string]any{"action": "initEnv", "envId": "fresh-env-9z8y7x"}},
	})
}

func (d *demo) deployShopAPI() error {
	d.section("Deploying a container project (shop-api, from testdata/projects/container-node)")
	if _, err := d.call("Dry run: what would be uploaded and sent", "manageCloudRun",
		map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "shop-api", "dryRun": true}); err != nil {
		return err
	}
	dep, err := d.call("Deploy", "manageCloudRun", map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "shop-api",
		"serverConfig": map[string]any{"Cpu": 0.5, "Mem": 1, "MaxNum": 3, "EnvParams": map[string]any{"NODE_ENV": "production"}}})
	if err != nil {
		return err
	}
	return d.followBuild("shop-api", dep)
}

func (d *demo) canaryPromoted() error {
	d.section("A canary: deploy again as GRAY, shift 10 %, promote")
	if err := d.deployGray("Deploy v2 as a GRAY release"); err != nil {
		return err
	}
	return d.steps([]step{
		{"Send 10 % to the canary", "manageCloudRun", map[string]any{"action": "traffic", "serverName": "shop-api", "trafficOp": "set", "stablePercent": 90, "canaryPercent": 10}},
		{"Both versions now serve", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "shop-api", "refresh": true}},
		{"Promote the canary to 100 %", "manageCloudRun", map[string]any{"action": "traffic", "serverName": "shop-api", "trafficOp": "promote"}},
	})
}

func (d *demo) canaryRolledBack() error {
	d.section("The rollback path: another GRAY release, abandoned")
	if err := d.deployGray("Deploy v3 as a GRAY release"); err != nil {
		return err
	}
	if err := d.steps([]step{
		{"Send half the traffic to v3", "manageCloudRun", map[string]any{"action": "traffic", "serverName": "shop-api", "trafficOp": "set", "stablePercent": 50, "canaryPercent": 50}},
		{"Roll back: the stable version takes 100 % again", "manageCloudRun", map[string]any{"action": "traffic", "serverName": "shop-api", "trafficOp": "rollback"}},
	}); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond) // a few virtual seconds for the rollback to apply
	_, err := d.call("Online versions after the rollback", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "shop-api", "refresh": true})
	return err
}

// deployGray deploys shop-api as a GRAY release and waits until its release
// order is open for traffic.
func (d *demo) deployGray(title string) error {
	if _, err := d.call(title, "manageCloudRun",
		map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "shop-api", "releaseType": "GRAY"}); err != nil {
		return err
	}
	return d.waitGrayOpen("shop-api")
}

func (d *demo) configThenDelete() error {
	d.section("Config without code, then delete")
	if err := d.steps([]step{
		{"Keep one instance warm (a hot change)", "manageCloudRun", map[string]any{"action": "updateConfig", "serverName": "shop-api", "serverConfig": map[string]any{"MinNum": 1}}},
		{"Add an env param (merged by key with the remote ones; rolls out a new version)", "manageCloudRun", map[string]any{"action": "updateConfig", "serverName": "shop-api", "serverConfig": map[string]any{"EnvParams": map[string]any{"LOG_LEVEL": "debug"}}}},
	}); err != nil {
		return err
	}
	if err := d.waitTask("shop-api"); err != nil {
		return err
	}
	d.user.script(mcp.ElicitationResponseActionDecline, mcp.ElicitationResponseActionAccept)
	return d.steps([]step{
		{"Download the online version's code into the workspace", "manageCloudRun", map[string]any{"action": "download", "serverName": "shop-api", "targetPath": "shop-api-online"}},
		{"Delete: the server asks the user first, who declines (nothing happens)", "manageCloudRun", map[string]any{"action": "delete", "serverName": "shop-api"}},
		{"Delete again: this time the user accepts", "manageCloudRun", map[string]any{"action": "delete", "serverName": "shop-api"}},
		{"List again (the write invalidated the cache)", "queryCloudRun", map[string]any{"action": "list", "serverName": "shop"}},
	})
}

// followBuild polls the build log until the build ends, then the detail
// until the version is live, printing the final answers.
func (d *demo) followBuild(svc string, dep map[string]any) error {
	buildID, _ := dep["buildId"].(float64)
	for i := 0; i < 60; i++ {
		res, err := d.quiet("queryCloudRun", map[string]any{"action": "getDeployLog", "detailServerName": svc, "buildId": buildID})
		if err != nil {
			return err
		}
		if more, _ := res["more"].(bool); !more {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if _, err := d.call("The build log, followed until the build ended", "queryCloudRun", map[string]any{"action": "getDeployLog", "detailServerName": svc, "buildId": buildID}); err != nil {
		return err
	}
	if err := d.waitTask(svc); err != nil {
		return err
	}
	_, err := d.call("The service is live", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": svc, "refresh": true})
	return err
}

// waitTask polls until the service's latest task has ended: the version is
// normal and released, or it failed.
func (d *demo) waitTask(svc string) error {
	for i := 0; i < 120; i++ {
		res, err := d.quiet("queryCloudRun", map[string]any{"action": "getManageTask", "detailServerName": svc})
		if err != nil {
			return err
		}
		if status, _ := pathOf(res, "task", "status").(string); status == "finished" || status == "failed" || status == "" {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return errors.New("the task of " + svc + " did not end in time")
}

// waitGrayOpen polls the task until the GRAY version is built and its
// release order is open for traffic.
func (d *demo) waitGrayOpen(svc string) error {
	for i := 0; i < 80; i++ {
		res, err := d.quiet("queryCloudRun", map[string]any{"action": "getManageTask", "detailServerName": svc})
		if err != nil {
			return err
		}
		if status, _ := pathOf(res, "latestDeploy", "status").(string); status == "normal" {
			_, err := d.call("The GRAY version is built and waits at 0 %", "queryCloudRun", map[string]any{"action": "getManageTask", "detailServerName": svc})
			return err
		}
		time.Sleep(250 * time.Millisecond)
	}
	return errors.New("the GRAY version did not become normal in time")
}

func (d *demo) section(title string) {
	fmt.Fprintf(d.out, "\n==== %s\n", title)
}

// step is one printed call of the demo.
type step struct {
	title string
	tool  string
	args  map[string]any
}

// steps makes each call in turn, stopping at a protocol failure.
func (d *demo) steps(steps []step) error {
	for _, s := range steps {
		if _, err := d.call(s.title, s.tool, s.args); err != nil {
			return err
		}
	}
	return nil
}

// call prints a call and its result; isError results are printed, not fatal.
func (d *demo) call(title, tool string, args map[string]any) (map[string]any, error) {
	argText, _ := json.Marshal(args)
	d.calls++
	fmt.Fprintf(d.out, "\n-- %d. %s\n>> %s %s\n", d.calls, title, tool, argText)
	t0 := time.Now()
	res, out, err := d.invoke(tool, args)
	if err != nil {
		return nil, err
	}
	label := "<<"
	if res.IsError {
		label = "<< isError"
	}
	fmt.Fprintf(d.out, "%s (%s)\n%s\n", label, time.Since(t0).Round(time.Microsecond), indent(resultText(res), d.full))
	return out, nil
}

// quiet makes a call without printing it (polling).
func (d *demo) quiet(tool string, args map[string]any) (map[string]any, error) {
	d.calls++
	_, out, err := d.invoke(tool, args)
	return out, err
}

func (d *demo) invoke(tool string, args map[string]any) (*mcp.CallToolResult, map[string]any, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	if args["action"] == "deploy" || args["action"] == "run" || args["action"] == "download" {
		// Long calls carry a progress token: the server reports as it goes.
		req.Params.Meta = &mcp.Meta{ProgressToken: fmt.Sprintf("demo-%d", d.calls)}
	}
	res, err := d.c.CallTool(d.ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", tool, err)
	}
	out := map[string]any{}
	_ = json.Unmarshal([]byte(resultText(res)), &out)
	return res, out, nil
}

func pathOf(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
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
	const max = 45
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
