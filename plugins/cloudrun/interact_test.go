package cloudrun

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Both eras of the protocol: server-initiated requests before 2026-07-28,
// multi round-trip (input_required, then a retry) from it on.
var protocols = []string{mcp.ProtocolVersion20250618, mcp.ProtocolVersion20251125, mcp.LATEST_PROTOCOL_VERSION}

// user answers elicitations as told and records what it was asked.
type user struct {
	mu     sync.Mutex
	answer mcp.ElicitationResult
	asked  []mcp.ElicitationParams
}

func (u *user) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.asked = append(u.asked, req.Params)
	r := u.answer
	return &r, nil
}

func (u *user) questions() []mcp.ElicitationParams {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]mcp.ElicitationParams(nil), u.asked...)
}

func elicitingClient(protocol string, u *user) harnessOpt {
	return withMCPClient(protocol, mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}}, client.WithElicitationHandler(u))
}

func answer(action mcp.ElicitationResponseAction, content any) mcp.ElicitationResult {
	return mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: action, Content: content}}
}

func (h *harness) serviceExists(t *testing.T, svc string) bool {
	t.Helper()
	res, _ := h.query(t, map[string]any{"action": "detail", "detailServerName": svc, "refresh": true})
	return !res.IsError
}

func TestDeleteAsksTheUser(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		answer  mcp.ElicitationResult
		deleted bool
	}{
		{"accept", answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": true}), true},
		// Only an explicit confirm: true is a yes.
		{"accept without content", answer(mcp.ElicitationResponseActionAccept, nil), false},
		{"accept with a string", answer(mcp.ElicitationResponseActionAccept, "yes"), false},
		{"accept with confirm as text", answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": "true"}), false},
		{"accept but unticked", answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": false}), false},
		{"decline", answer(mcp.ElicitationResponseActionDecline, nil), false},
		{"cancel", answer(mcp.ElicitationResponseActionCancel, nil), false},
	}
	for _, protocol := range protocols {
		for _, tc := range cases {
			t.Run(protocol+"/"+tc.name, func(t *testing.T) {
				u := &user{answer: tc.answer}
				h := newHarness(t, elicitingClient(protocol, u))
				res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api"})
				asked := u.questions()
				require.Len(t, asked, 1, "the user is asked once")
				assert.Contains(t, asked[0].Message, "hello-api")
				assert.Contains(t, asked[0].Message, demoEnv)
				schema := asked[0].RequestedSchema.(map[string]any)
				assert.Equal(t, "boolean", path(schema, "properties", "confirm", "type"))
				if tc.deleted {
					require.False(t, res.IsError, resultText(res))
					assert.Equal(t, true, out["deleted"])
					assert.NotEmpty(t, h.lastRequest(t, "DeleteCloudRunServer"))
				} else {
					require.True(t, res.IsError)
					assert.Contains(t, resultText(res), "declined")
					assert.Contains(t, resultText(res), "nothing was changed")
					assert.Empty(t, h.requestsOf(t, "DeleteCloudRunServer"), "a declined confirmation sends no delete")
					assert.True(t, h.serviceExists(t, "hello-api"))
				}
			})
		}
	}
}

func TestDeleteWithoutElicitationNeedsForce(t *testing.T) {
	t.Parallel()
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			h := newHarness(t, withMCPClient(protocol, mcp.ClientCapabilities{}))
			res, _ := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api"})
			require.True(t, res.IsError)
			assert.Contains(t, resultText(res), "force: true")
			assert.Contains(t, resultText(res), `"force":true`, "the next step carries the argument to add")
			assert.Empty(t, h.requestsOf(t, "DeleteCloudRunServer"))

			res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api", "force": true})
			require.False(t, res.IsError, resultText(res))
			assert.Equal(t, true, out["deleted"])
		})
	}
}

// TestForceDoesNotSkipTheQuestion: when the client can ask the user, the
// user is asked, whatever force says; force is the consent of clients that
// cannot ask.
func TestForceDoesNotSkipTheQuestion(t *testing.T) {
	t.Parallel()
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			u := &user{answer: answer(mcp.ElicitationResponseActionDecline, nil)}
			h := newHarness(t, elicitingClient(protocol, u))
			res, _ := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api", "force": true})
			require.True(t, res.IsError)
			assert.Contains(t, resultText(res), "declined")
			assert.Len(t, u.questions(), 1, "the user was asked although force is true")
			assert.Empty(t, h.requestsOf(t, "DeleteCloudRunServer"))

			dir := filepath.Join(h.cfg.Workspace, "taken")
			writeFile(t, filepath.Join(dir, "keep.txt"), "mine")
			res, _ = h.manage(t, map[string]any{"action": "init", "serverName": "taken", "force": true})
			require.True(t, res.IsError)
			assert.Len(t, u.questions(), 2, "replacing files asks too")
			b, err := os.ReadFile(filepath.Join(dir, "keep.txt"))
			require.NoError(t, err)
			assert.Equal(t, "mine", string(b))

			// The dry run does not tell the model to use force.
			res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "hello-api", "dryRun": true})
			require.False(t, res.IsError, resultText(res))
			assert.NotContains(t, out["message"], "force")
		})
	}
}

// TestDeleteWhileATaskRunsIsRefusedBeforeAsking: the user is never asked to
// confirm what the platform would refuse.
func TestDeleteWhileATaskRunsIsRefusedBeforeAsking(t *testing.T) {
	t.Parallel()
	u := &user{answer: answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": true})}
	h := newHarness(t, elicitingClient(mcp.ProtocolVersion20251125, u))
	// canary-web has an open gray release: its task is running.
	res, out := h.manage(t, map[string]any{"action": "delete", "serverName": "canary-web"})
	require.True(t, res.IsError, resultText(res))
	assert.Contains(t, resultText(res), "while a task runs")
	assert.Equal(t, "getManageTask", path(out, "error", "nextStep", "action"))
	assert.Empty(t, u.questions(), "the user was not asked")
	assert.Empty(t, h.requestsOf(t, "DeleteCloudRunServer"))
}

func TestDeleteOfAMissingServiceDoesNotAsk(t *testing.T) {
	t.Parallel()
	u := &user{answer: answer(mcp.ElicitationResponseActionAccept, nil)}
	h := newHarness(t, elicitingClient(mcp.ProtocolVersion20251125, u))
	res, _ := h.manage(t, map[string]any{"action": "delete", "serverName": "no-such-svc"})
	require.True(t, res.IsError)
	assert.Empty(t, u.questions(), "nobody is asked to delete what does not exist")
	assert.Contains(t, resultText(res), "does not exist")
}

func TestInitOverFilesAsksTheUser(t *testing.T) {
	t.Parallel()
	for _, protocol := range protocols {
		for _, accept := range []bool{true, false} {
			name := protocol + "/decline"
			if accept {
				name = protocol + "/accept"
			}
			t.Run(name, func(t *testing.T) {
				u := &user{answer: answer(mcp.ElicitationResponseActionDecline, nil)}
				if accept {
					u.answer = answer(mcp.ElicitationResponseActionAccept, map[string]any{"confirm": true})
				}
				h := newHarness(t, elicitingClient(protocol, u))
				dir := filepath.Join(h.cfg.Workspace, "app")
				writeFile(t, filepath.Join(dir, "mine.txt"), "keep me")

				res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "app", "template": "helloworld"})
				require.Len(t, u.questions(), 1)
				assert.Contains(t, u.questions()[0].Message, dir)
				if accept {
					require.False(t, res.IsError, resultText(res))
					assert.FileExists(t, filepath.Join(dir, "index.js"))
					assert.NoFileExists(t, filepath.Join(dir, "mine.txt"), "accepted: replaced")
				} else {
					require.True(t, res.IsError)
					assert.Contains(t, resultText(res), "declined")
					b, err := os.ReadFile(filepath.Join(dir, "mine.txt"))
					require.NoError(t, err)
					assert.Equal(t, "keep me", string(b), "declined: untouched")
					assert.NoFileExists(t, filepath.Join(dir, "index.js"))
				}
			})
		}
	}
}

// rootsClient answers roots/list with whatever dirs holds now.
type rootsClient struct {
	mu    sync.Mutex
	dirs  []string
	asked int
}

func (r *rootsClient) ListRoots(context.Context, mcp.ListRootsRequest) (*mcp.ListRootsResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked++
	out := &mcp.ListRootsResult{Roots: []mcp.Root{}}
	for _, d := range r.dirs {
		out.Roots = append(out.Roots, mcp.Root{URI: (&url.URL{Scheme: "file", Path: filepath.ToSlash(d)}).String(), Name: filepath.Base(d)})
	}
	return out, nil
}

func (r *rootsClient) set(dirs ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirs = dirs
}

func (r *rootsClient) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked
}

func TestRootsAreTheWorkspace(t *testing.T) {
	t.Parallel()
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			rootA, rootB := realDir(t), realDir(t)
			rc := &rootsClient{}
			rc.set(rootA)
			caps := mcp.ClientCapabilities{}
			caps.Roots = &struct {
				ListChanged bool `json:"listChanged,omitempty"`
			}{ListChanged: true}
			h := newHarness(t, withMCPClient(protocol, caps, client.WithRootsHandler(rc)))

			res, out := h.manage(t, map[string]any{"action": "init", "serverName": "rooted", "template": "helloworld"})
			require.False(t, res.IsError, resultText(res))
			assert.Equal(t, filepath.Join(rootA, "rooted"), out["projectDir"], "relative paths resolve against the first root")

			res, _ = h.manage(t, map[string]any{"action": "init", "serverName": "outside", "targetPath": h.cfg.Workspace})
			require.True(t, res.IsError, "the configured workspace is not a root when the client offers roots")
			assert.Contains(t, resultText(res), "outside the workspace")
			assert.NoDirExists(t, filepath.Join(h.cfg.Workspace, "outside"))
			assert.Equal(t, 1, rc.count(), "roots are asked once and cached")

			rc.set(rootB)
			require.NoError(t, h.mcp.RootListChanges(context.Background()))
			require.Eventually(t, func() bool {
				res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "moved", "targetPath": rootB})
				return !res.IsError
			}, 5e9, 5e7, "after roots/list_changed the new roots apply")
			assert.DirExists(t, filepath.Join(rootB, "moved"))
			res, _ = h.manage(t, map[string]any{"action": "init", "serverName": "old", "targetPath": rootA})
			assert.True(t, res.IsError, "the old root no longer applies")
		})
	}
}

// rawRootsClient answers roots/list with the URIs exactly as given.
type rawRootsClient struct{ uris []string }

func (r rawRootsClient) ListRoots(context.Context, mcp.ListRootsRequest) (*mcp.ListRootsResult, error) {
	out := &mcp.ListRootsResult{Roots: []mcp.Root{}}
	for _, u := range r.uris {
		out.Roots = append(out.Roots, mcp.Root{URI: u, Name: "r"})
	}
	return out, nil
}

// TestHostileRootURIsAreIgnored: roots a client offers in forms a real
// client does not send (a host, encoded separators or NUL, dot segments, a
// query, another scheme) are not taken as the workspace, in either era;
// the plain root beside them is.
func TestHostileRootURIsAreIgnored(t *testing.T) {
	t.Parallel()
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			outside, rootA := realDir(t), realDir(t)
			o := filepath.ToSlash(outside)
			hostile := []string{
				"file://evil.example" + o,
				"file://" + o + "%2F..",
				"file://" + strings.ReplaceAll(o, "/", "%2F"),
				"file://" + o + "%00",
				"file://" + o + "/../" + filepath.Base(outside),
				"file://" + o + "?x=1",
				"http://" + o,
				"file:" + o + "%5C..",
			}
			rc := rawRootsClient{uris: append(hostile, (&url.URL{Scheme: "file", Path: filepath.ToSlash(rootA)}).String())}
			caps := mcp.ClientCapabilities{}
			caps.Roots = &struct {
				ListChanged bool `json:"listChanged,omitempty"`
			}{}
			h := newHarness(t, withMCPClient(protocol, caps, client.WithRootsHandler(rc)))

			res, _ := h.manage(t, map[string]any{"action": "init", "serverName": "evil", "template": "helloworld", "targetPath": outside})
			require.True(t, res.IsError, "a hostile root made %s a workspace", outside)
			assert.Contains(t, resultText(res), "outside the workspace")
			entries, err := os.ReadDir(outside)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written outside")

			res, out := h.manage(t, map[string]any{"action": "init", "serverName": "fine", "template": "helloworld"})
			require.False(t, res.IsError, resultText(res))
			assert.Equal(t, filepath.Join(rootA, "fine"), out["projectDir"], "the plain root is the workspace")
		})
	}
}

func TestNoRootsMeansTheConfiguredWorkspace(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withMCPClient(mcp.ProtocolVersion20250618, mcp.ClientCapabilities{}))
	res, out := h.manage(t, map[string]any{"action": "init", "serverName": "plain"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, filepath.Join(h.cfg.Workspace, "plain"), out["projectDir"])
}

func realDir(t *testing.T) string {
	d, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	return d
}

// notes collects the notifications the client receives.
type notes struct {
	mu  sync.Mutex
	all []mcp.JSONRPCNotification
}

func (n *notes) add(x mcp.JSONRPCNotification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.all = append(n.all, x)
}

func (n *notes) of(method string) []mcp.JSONRPCNotification {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []mcp.JSONRPCNotification
	for _, x := range n.all {
		if x.Method == method {
			out = append(out, x)
		}
	}
	return out
}

func TestDeploySendsProgressAndLogNotifications(t *testing.T) {
	t.Parallel()
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) {
			h := newHarness(t, withMCPClient(protocol, mcp.ClientCapabilities{}))
			h.emu.SetSpeed(100)
			var got notes
			h.mcp.OnNotification(got.add)
			//lint:ignore SA1019 log notifications are checked in every era, the newest included (deprecated there, still sent)
			require.NoError(t, h.mcp.SetLevel(context.Background(), mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}))
			h.project(t, "container-node")

			req := mcp.CallToolRequest{}
			req.Params.Name = ManageToolName
			req.Params.Arguments = map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node"}
			req.Params.Meta = &mcp.Meta{ProgressToken: "deploy-1"}
			res, err := h.mcp.CallTool(context.Background(), req)
			require.NoError(t, err)
			require.False(t, res.IsError, resultText(res))

			require.Eventually(t, func() bool { return len(got.of("notifications/message")) > 0 }, 2e9, 2e7)
			prog := got.of("notifications/progress")
			require.GreaterOrEqual(t, len(prog), 3, "packaging, upload and registration each report")
			last := 0.0
			for _, n := range prog {
				f := n.Params.AdditionalFields
				assert.Equal(t, "deploy-1", f["progressToken"])
				v := toFloat(f["progress"])
				assert.Greater(t, v, last, "progress only increases")
				last = v
				assert.NotEmpty(t, f["message"])
			}
			logs := got.of("notifications/message")
			assert.EqualValues(t, "info", logs[0].Params.AdditionalFields["level"])
			assert.Contains(t, logs[0].Params.AdditionalFields["data"], "shop-api")
		})
	}
}

func TestNoLogNotificationsBelowTheClientsLevel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withMCPClient(mcp.ProtocolVersion20250618, mcp.ClientCapabilities{}))
	h.emu.SetSpeed(100)
	var got notes
	h.mcp.OnNotification(got.add)
	h.project(t, "container-node")
	res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "shop-api", "targetPath": "container-node"})
	require.False(t, res.IsError, resultText(res))
	assert.Empty(t, got.of("notifications/message"), "the default level is error; deploy events are info")
	assert.Empty(t, got.of("notifications/progress"), "no progress token, no progress")
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	return -1
}
