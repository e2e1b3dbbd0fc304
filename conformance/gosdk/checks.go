package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// modernVersion is the first protocol version with multi round-trip requests
// (input_required) in place of server-initiated requests.
const modernVersion = "2026-07-28"

type checkFunc func(ctx context.Context, c *checkCtx) (note string, err error)

var checks = []struct {
	name string
	fn   checkFunc
}{
	{"handshake", checkHandshake},
	{"init", checkInit},
	{"roots", checkRoots},
	{"deploy", checkDeploy},
	{"progress", checkProgress},
	{"logging", checkLogging},
	{"elicitation-accept", checkElicitation(true)},
	{"elicitation-decline", checkElicitation(false)},
	{"delete-force", checkDeleteForce},
	{"cancellation", checkCancellation},
}

func negotiated(s *session) string {
	if r := s.cs.InitializeResult(); r != nil {
		return r.ProtocolVersion
	}
	return ""
}

func checkHandshake(ctx context.Context, c *checkCtx) (string, error) {
	s, err := c.open(ctx, sessionOpts{})
	if err != nil {
		return "", err
	}
	r := s.cs.InitializeResult()
	want := c.era
	if want == "" {
		want = modernVersion // the SDK's default, which the server must accept
	}
	if err := checkInitializeResult(r, want); err != nil {
		return "", err
	}
	how := "initialize"
	if len(s.tap.requestsSent("initialize")) == 0 {
		how = "server/discover"
	}
	tools, err := s.cs.ListTools(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("tools/list: %w", err)
	}
	names, err := checkToolList(tools.Tools)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s via %s, %s %s, tools %v", r.ProtocolVersion, how, r.ServerInfo.Name, r.ServerInfo.Version, names), nil
}

// checkInitializeResult fails unless the server negotiated want and names
// itself cloudbase-mcp, with tools and logging.
func checkInitializeResult(r *mcp.InitializeResult, want string) error {
	if r.ProtocolVersion != want {
		return fmt.Errorf("asked for %q, negotiated %q", want, r.ProtocolVersion)
	}
	if r.ServerInfo == nil || r.ServerInfo.Name != "cloudbase-mcp" {
		return fmt.Errorf("serverInfo is %s, want name cloudbase-mcp", short(r.ServerInfo, 200))
	}
	if r.Capabilities == nil || r.Capabilities.Tools == nil || r.Capabilities.Logging == nil {
		return fmt.Errorf("capabilities lack tools or logging: %s", short(r.Capabilities, 300))
	}
	return nil
}

// checkToolList fails unless the tools are exactly manageCloudRun and
// queryCloudRun, each well formed (see checkTool); it returns their names,
// sorted.
func checkToolList(tools []*mcp.Tool) ([]string, error) {
	var names []string
	for _, t := range tools {
		names = append(names, t.Name)
		if err := checkTool(t); err != nil {
			return nil, err
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"manageCloudRun", "queryCloudRun"}) {
		return nil, fmt.Errorf("tools are %v, want manageCloudRun and queryCloudRun", names)
	}
	return names, nil
}

// checkTool fails unless t's input schema is an object whose action property
// has an enum, and t has a title.
func checkTool(t *mcp.Tool) error {
	schema, _ := structuredJSON(t.InputSchema)
	props, _ := schema["properties"].(map[string]any)
	action, _ := props["action"].(map[string]any)
	if schema["type"] != "object" || action == nil {
		return fmt.Errorf("%s: inputSchema is not an object with an action property: %s", t.Name, short(t.InputSchema, 300))
	}
	if enum, _ := action["enum"].([]any); len(enum) == 0 {
		return fmt.Errorf("%s: action has no enum", t.Name)
	}
	if t.Annotations == nil || t.Annotations.Title == "" && t.Title == "" {
		return fmt.Errorf("%s: no title or annotations", t.Name)
	}
	return nil
}

func structuredJSON(v any) (map[string]any, bool) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m) == nil && m != nil
}

// initProject runs manageCloudRun init name (template nodejs) in the workspace.
func initProject(ctx context.Context, s *session, name string) (map[string]any, error) {
	return s.okCall(ctx, "init "+name, "manageCloudRun", map[string]any{"action": "init", "serverName": name, "template": "nodejs"})
}

func checkInit(ctx context.Context, c *checkCtx) (string, error) {
	// The SDK's default capabilities offer roots (an empty list here), so the
	// server asks for them before it resolves the path: a roots round trip in
	// either era, then the configured workspace.
	s, err := c.open(ctx, sessionOpts{})
	if err != nil {
		return "", err
	}
	out, err := initProject(ctx, s, "conf-app")
	if err != nil {
		return "", err
	}
	want := filepath.Join(realpath(s.workspace), "conf-app")
	if out["projectDir"] != want {
		return "", fmt.Errorf("projectDir is %v, want %s", out["projectDir"], want)
	}
	files, _ := out["files"].([]any)
	if len(files) == 0 {
		return "", fmt.Errorf("init listed no files: %s", short(out, 300))
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(want, fmt.Sprint(f))); err != nil {
			return "", fmt.Errorf("init listed %v, which is not on disk: %v", f, err)
		}
	}
	how, err := rootsExchange(c, s)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d files in %s; roots asked by %s", len(files), filepath.Base(want), how), nil
}

// rootsExchange says how the server asked for the roots, and fails when it
// did not ask in the way the negotiated era calls for.
func rootsExchange(c *checkCtx, s *session) (string, error) {
	modern := negotiated(s) >= modernVersion
	irs := inputRequests(s.tap, "roots/list")
	legacy := len(s.tap.requestsReceived("roots/list"))
	switch {
	case modern && len(irs) == 0:
		return "", fmt.Errorf("at %s the server did not ask for roots with input_required", negotiated(s))
	case modern && legacy > 0:
		return "", fmt.Errorf("at %s the server sent roots/list itself %d time(s)", negotiated(s), legacy)
	case !modern && legacy == 0:
		return "", fmt.Errorf("at %s the server did not send roots/list", negotiated(s))
	case !modern && len(irs) > 0:
		return "", fmt.Errorf("at %s the server answered input_required", negotiated(s))
	}
	if modern {
		return fmt.Sprintf("input_required (%d)", len(irs)), nil
	}
	return fmt.Sprintf("roots/list (%d)", legacy), nil
}

// inputRequests returns the input requests with method that came in
// input_required tool results. Each must be a JSON-RPC request object with
// params (an object), as the spec's InputRequest is: the Go SDK refuses the
// whole result otherwise, so a malformed one fails the call before this.
func inputRequests(t *tapTransport, method string) []map[string]any {
	_, received := t.snapshot()
	var out []map[string]any
	for _, m := range received {
		var r struct {
			ResultType    string                    `json:"resultType"`
			InputRequests map[string]map[string]any `json:"inputRequests"`
		}
		if m.Result == nil || json.Unmarshal(m.Result, &r) != nil || r.ResultType != "input_required" {
			continue
		}
		for _, ir := range r.InputRequests {
			if ir["method"] == method {
				out = append(out, ir)
			}
		}
	}
	return out
}

func realpath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

func checkRoots(ctx context.Context, c *checkCtx) (string, error) {
	dirA, dirB := realpath(c.tmpDir("rootA")), realpath(c.tmpDir("rootB"))
	s, err := c.open(ctx, sessionOpts{roots: []string{dirA}})
	if err != nil {
		return "", err
	}
	// 1. init without targetPath lands in the client's root, not in the configured workspace.
	out, err := s.okCall(ctx, "init rooted (root A)", "manageCloudRun", map[string]any{"action": "init", "serverName": "rooted", "template": "helloworld"})
	if err != nil {
		return "", err
	}
	if want := filepath.Join(dirA, "rooted"); out["projectDir"] != want {
		return "", fmt.Errorf("projectDir is %v, want %s (the client's root)", out["projectDir"], want)
	}
	// 2. a targetPath outside the roots is refused and nothing is written there.
	r2, err := s.call(ctx, "manageCloudRun", map[string]any{"action": "init", "serverName": "outside", "template": "helloworld", "targetPath": dirB})
	msg, err := toolError(r2, err, "init into root B while the root is A")
	if err != nil {
		return "", err
	}
	if !strings.Contains(msg, "outside the workspace") {
		return "", fmt.Errorf("the refusal does not say \"outside the workspace\": %s", short(msg, 300))
	}
	if entries, _ := os.ReadDir(dirB); len(entries) != 0 {
		return "", fmt.Errorf("the refused init wrote into %s", dirB)
	}
	// 3. the client moves its root to B (the SDK sends notifications/roots/list_changed).
	s.client.RemoveRoots(fileURI(dirA))
	s.client.AddRoots(&mcp.Root{URI: fileURI(dirB), Name: "b"})
	if n := len(s.tap.notificationsSent("notifications/roots/list_changed")); n < 2 {
		return "", fmt.Errorf("the SDK sent %d roots/list_changed notifications, want 2 (harness bug)", n)
	}
	// The SDK writes the notification before AddRoots returns, and the server
	// handles notifications in order on its read loop: no wait is needed.
	r3, err := s.call(ctx, "manageCloudRun", map[string]any{"action": "init", "serverName": "moved", "template": "helloworld", "targetPath": dirB})
	if _, err := ok(r3, err, "init into root B after the roots changed to B"); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(dirB, "moved")); err != nil {
		return "", fmt.Errorf("init after the change wrote nothing into root B: %v", err)
	}
	how, err := rootsExchange(c, s)
	if err != nil {
		return "", err
	}
	return "roots asked by " + how, nil
}

// deploy inits name and deploys it; params may carry a progress token.
func deploy(ctx context.Context, s *session, name string, meta mcp.Meta) (map[string]any, error) {
	if _, err := initProject(ctx, s, name); err != nil {
		return nil, err
	}
	res, err := s.callWith(ctx, &mcp.CallToolParams{Name: "manageCloudRun", Meta: meta,
		Arguments: map[string]any{"action": "deploy", "serverName": name, "targetPath": name}})
	return ok(res, err, "deploy "+name)
}

func checkDeploy(ctx context.Context, c *checkCtx) (string, error) {
	s, err := c.open(ctx, sessionOpts{})
	if err != nil {
		return "", err
	}
	out, err := deploy(ctx, s, "conf-app", nil)
	if err != nil {
		return "", err
	}
	if out["serverName"] != "conf-app" {
		return "", fmt.Errorf("deploy result names %v, want conf-app: %s", out["serverName"], short(out, 400))
	}
	if id, _ := out["buildId"].(float64); id <= 0 {
		return "", fmt.Errorf("deploy result has no buildId: %s", short(out, 400))
	}
	detail, err := s.okCall(ctx, "detail conf-app after deploy", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "conf-app", "refresh": true})
	if err != nil {
		return "", err
	}
	svc, _ := detail["service"].(map[string]any)
	latest, _ := detail["latestDeploy"].(map[string]any)
	if svc["name"] != "conf-app" || latest["buildId"] != out["buildId"] {
		return "", fmt.Errorf("detail does not show the deploy (service %v, latest build %v, deployed build %v)", svc["name"], latest["buildId"], out["buildId"])
	}
	return fmt.Sprintf("buildId %.0f, %v; detail shows it, %v", out["buildId"], out["status"], latest["status"]), nil
}

func checkProgress(ctx context.Context, c *checkCtx) (string, error) {
	var mu sync.Mutex
	var got []*mcp.ProgressNotificationParams
	s, err := c.open(ctx, sessionOpts{opts: mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, r.Params)
		},
	}})
	if err != nil {
		return "", err
	}
	if _, err := deploy(ctx, s, "conf-app", mcp.Meta{"progressToken": "deploy-1"}); err != nil {
		return "", err
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		return "", fmt.Errorf("%d progress notification(s), want at least 2", len(got))
	}
	var steps []string
	for i, p := range got {
		if p.ProgressToken != "deploy-1" {
			return "", fmt.Errorf("notification %d has token %v, want deploy-1", i+1, p.ProgressToken)
		}
		if p.Message == "" {
			return "", fmt.Errorf("notification %d has no message", i+1)
		}
		if i > 0 && p.Progress <= got[i-1].Progress {
			return "", fmt.Errorf("progress not increasing: %v then %v", got[i-1].Progress, p.Progress)
		}
		steps = append(steps, fmt.Sprint(p.Progress))
	}
	return fmt.Sprintf("%d notifications, progress %s", len(got), strings.Join(steps, " → ")), nil
}

// checkLogging: at 2025-11-25 logging/setLevel sets the session's level; from
// 2026-07-28 on the level travels in each request's _meta (SEP-2575) and a
// request without it gets no log notifications.
func checkLogging(ctx context.Context, c *checkCtx) (string, error) {
	var mu sync.Mutex
	var withLevel, without []*mcp.LoggingMessageParams
	collect := func(sink *[]*mcp.LoggingMessageParams) mcp.ClientOptions {
		return mcp.ClientOptions{LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
			mu.Lock()
			defer mu.Unlock()
			*sink = append(*sink, r.Params)
		}}
	}
	s, err := c.open(ctx, sessionOpts{opts: collect(&withLevel)})
	if err != nil {
		return "", err
	}
	how := "logging/setLevel info"
	var meta mcp.Meta
	if negotiated(s) >= modernVersion {
		how, meta = "_meta logLevel info", mcp.Meta{mcp.MetaKeyLogLevel: "info"}
	} else if err := s.cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
		return "", fmt.Errorf("logging/setLevel info: %w", err)
	}
	if _, err := deploy(ctx, s, "conf-app", meta); err != nil {
		return "", err
	}
	s2, err := c.open(ctx, sessionOpts{opts: collect(&without)})
	if err != nil {
		return "", err
	}
	if _, err := deploy(ctx, s2, "conf-app", nil); err != nil {
		return "", err
	}
	// Notifications sent just before a result may be handled just after it.
	_ = s.cs.Ping(ctx, nil)
	_ = s2.cs.Ping(ctx, nil)
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	infos := 0
	for _, m := range withLevel {
		if m.Level == "info" {
			infos++
		}
	}
	if infos == 0 {
		return "", fmt.Errorf("after %s a deploy sent no info message (%d messages in all)", how, len(withLevel))
	}
	for _, m := range without {
		if m.Level == "info" {
			return "", fmt.Errorf("without a level the server sent an info message: %s", short(m.Data, 200))
		}
	}
	return fmt.Sprintf("%d info message(s) with %s, %d without", infos, how, len(without)), nil
}

func checkElicitation(accept bool) checkFunc {
	return func(ctx context.Context, c *checkCtx) (string, error) {
		var mu sync.Mutex
		var asked []*mcp.ElicitParams
		s, err := c.open(ctx, sessionOpts{opts: mcp.ClientOptions{
			ElicitationHandler: func(_ context.Context, r *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				mu.Lock()
				asked = append(asked, r.Params)
				mu.Unlock()
				if accept {
					return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
				}
				return &mcp.ElicitResult{Action: "decline"}, nil
			},
		}})
		if err != nil {
			return "", err
		}
		res, err := s.call(ctx, "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"})
		if err != nil {
			return "", err
		}
		mu.Lock()
		n := len(asked)
		var first *mcp.ElicitParams
		if n > 0 {
			first = asked[0]
		}
		mu.Unlock()
		if n == 0 {
			return "", fmt.Errorf("the user was never asked; the result: %s", short(text(res), 300))
		}
		if !strings.Contains(first.Message, "hello-api") {
			return "", fmt.Errorf("the question does not name hello-api: %s", first.Message)
		}
		schema, _ := structuredJSON(first.RequestedSchema)
		props, _ := schema["properties"].(map[string]any)
		if confirm, _ := props["confirm"].(map[string]any); confirm["type"] != "boolean" {
			return "", fmt.Errorf("requestedSchema has no boolean confirm: %s", short(first.RequestedSchema, 300))
		}
		if err := elicitExchange(s); err != nil {
			return "", err
		}
		if accept {
			out, err := ok(res, nil, "delete hello-api after accept")
			if err != nil {
				return "", err
			}
			if out["deleted"] != true {
				return "", fmt.Errorf("deleted is %v: %s", out["deleted"], short(out, 300))
			}
			return fmt.Sprintf("asked %d time(s); deleted", n), nil
		}
		msg, err := toolError(res, nil, "delete hello-api after decline")
		if err != nil {
			return "", err
		}
		if !strings.Contains(strings.ToLower(msg), "declined") {
			return "", fmt.Errorf("the refusal does not say declined: %s", short(msg, 300))
		}
		if _, err := s.okCall(ctx, "detail hello-api after the declined delete", "queryCloudRun", map[string]any{"action": "detail", "detailServerName": "hello-api", "refresh": true}); err != nil {
			return "", err
		}
		return fmt.Sprintf("asked %d time(s); declined, hello-api still there", n), nil
	}
}

// elicitExchange fails when the server asked in a way the negotiated era does not call for.
func elicitExchange(s *session) error {
	modern := negotiated(s) >= modernVersion
	irs := inputRequests(s.tap, "elicitation/create")
	legacy := len(s.tap.requestsReceived("elicitation/create"))
	if modern && (len(irs) == 0 || legacy > 0) {
		return fmt.Errorf("at %s: %d input_required elicitations, %d elicitation/create requests; want input_required only", negotiated(s), len(irs), legacy)
	}
	if !modern && (legacy == 0 || len(irs) > 0) {
		return fmt.Errorf("at %s: %d input_required elicitations, %d elicitation/create requests; want elicitation/create only", negotiated(s), len(irs), legacy)
	}
	return nil
}

func checkDeleteForce(ctx context.Context, c *checkCtx) (string, error) {
	s, err := c.open(ctx, sessionOpts{}) // no elicitation handler: the client cannot be asked
	if err != nil {
		return "", err
	}
	r1, err := s.call(ctx, "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api"})
	msg, err := toolError(r1, err, "delete hello-api without force, from a client without elicitation")
	if err != nil {
		return "", err
	}
	if !strings.Contains(msg, "force: true") {
		return "", fmt.Errorf("the refusal does not say force: true: %s", short(msg, 300))
	}
	out, err := s.okCall(ctx, "delete hello-api with force", "manageCloudRun", map[string]any{"action": "delete", "serverName": "hello-api", "force": true})
	if err != nil {
		return "", err
	}
	if out["deleted"] != true {
		return "", fmt.Errorf("deleted is %v", out["deleted"])
	}
	return "refused without force, deleted with it", nil
}

func checkCancellation(ctx context.Context, c *checkCtx) (string, error) {
	// A slow sandbox clock: the deploy then waits for its build for as long as
	// the server's cap, so it is still running when the client gives up.
	progressed := make(chan struct{}, 16)
	s, err := c.open(ctx, sessionOpts{
		env:  []string{"CLOUDBASE_MCP_SANDBOX_SPEED=0.01"},
		opts: mcp.ClientOptions{ProgressNotificationHandler: signalProgress(progressed)},
	})
	if err != nil {
		return "", err
	}
	if _, err := initProject(ctx, s, "slow-app"); err != nil {
		return "", err
	}
	if err := cancelMidDeploy(ctx, s, progressed); err != nil {
		return "", err
	}
	calls := s.tap.requestsSent("tools/call")
	deployID := calls[len(calls)-1].ID
	// The SDK sends notifications/cancelled off the caller's return path.
	for i := 0; i < 100 && !cancelledSent(s.tap, deployID); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if !cancelledSent(s.tap, deployID) {
		return "", fmt.Errorf("the SDK sent no notifications/cancelled for request %v", deployID)
	}
	// The server goes on serving.
	if _, err := s.okCall(ctx, "envStatus after the cancel", "queryCloudRun", map[string]any{"action": "envStatus"}); err != nil {
		return "", err
	}
	late, err := lateAnswer(s.tap, deployID)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("request %v cancelled mid-deploy; the next call was served; %s", deployID, late), nil
}

// signalProgress is a progress handler that signals ch without ever blocking
// the SDK's reader.
func signalProgress(ch chan<- struct{}) func(context.Context, *mcp.ProgressNotificationClientRequest) {
	return func(context.Context, *mcp.ProgressNotificationClientRequest) {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// cancelMidDeploy starts a deploy of slow-app, cancels its context once the
// deploy has reported progress, and fails unless CallTool then returns
// context.Canceled within 10 s.
func cancelMidDeploy(ctx context.Context, s *session, progressed <-chan struct{}) error {
	callCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := s.cs.CallTool(callCtx, &mcp.CallToolParams{Name: "manageCloudRun", Meta: mcp.Meta{"progressToken": "slow"},
			Arguments: map[string]any{"action": "deploy", "serverName": "slow-app", "targetPath": "slow-app"}})
		done <- err
	}()
	// Cancel once the deploy is under way (it has reported progress).
	select {
	case <-progressed:
	case err := <-done:
		cancel()
		return fmt.Errorf("the deploy ended before it could be cancelled: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		return errors.New("no progress from the deploy within 30 s")
	}
	cancel()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		return errors.New("CallTool did not return within 10 s of its context being cancelled")
	}
	if !errors.Is(err, context.Canceled) {
		return fmt.Errorf("the cancelled call returned %v, want context.Canceled", err)
	}
	return nil
}

// cancelledSent says whether the client has sent notifications/cancelled for
// request id.
func cancelledSent(t *tapTransport, id any) bool {
	for _, n := range t.notificationsSent("notifications/cancelled") {
		var p struct {
			RequestID any `json:"requestId"`
		}
		if json.Unmarshal(n.Params, &p) == nil && idKey(p.RequestID) == idKey(id) {
			return true
		}
	}
	return false
}

// lateAnswer describes the server's answer to the cancelled request id, if
// any. The spec says a receiver SHOULD NOT answer a cancelled request; mcp-go
// v1.2.1 answers it anyway once the handler returns. What matters to a user
// is that the work stopped: a late answer must be the cancellation, not a
// finished deploy.
func lateAnswer(t *tapTransport, id any) (string, error) {
	r := t.responseTo(id)
	if r == nil {
		return "no late answer", nil
	}
	var res struct {
		IsError bool `json:"isError"`
		Content []struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	_ = json.Unmarshal(r.Result, &res)
	if r.Error == nil && (!res.IsError || len(res.Content) == 0 || !strings.Contains(res.Content[0].Text, "cancel")) {
		return "", fmt.Errorf("the cancelled deploy went on and answered: %s", short(string(r.Result), 400))
	}
	return "a late answer saying it was cancelled (mcp-go answers cancelled requests)", nil
}
