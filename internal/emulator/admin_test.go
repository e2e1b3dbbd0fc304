package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func admin(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	return resp.StatusCode, out
}

func TestAdminClock(t *testing.T) {
	e, base := start(t, Options{})
	status, out := admin(t, http.MethodGet, base+"/__emulator/clock", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "2026-11-23T02:00:00Z", out["now"])
	assert.Equal(t, "2026-11-23 10:00:00", out["nowLocal"])

	status, out = admin(t, http.MethodPost, base+"/__emulator/clock/advance?s=41", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "2026-11-23T02:00:41Z", out["now"])
	assert.Equal(t, defaultStart.Add(41*time.Second), e.Now())
	assert.Equal(t, "creating", records(t, base, "orders-svc")[0].Status)

	status, out = admin(t, http.MethodPost, base+"/__emulator/clock/speed?x=20", "")
	require.Equal(t, http.StatusOK, status)
	assert.EqualValues(t, 20, out["speed"])
	status, _ = admin(t, http.MethodPost, base+"/__emulator/clock/speed?x=0", "")
	require.Equal(t, http.StatusOK, status)

	status, out = admin(t, http.MethodPost, base+"/__emulator/clock/advance?s=-5", "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, out["error"], "clock/advance")
	status, _ = admin(t, http.MethodPost, base+"/__emulator/clock/speed?x=fast", "")
	assert.Equal(t, http.StatusBadRequest, status)

	status, _ = admin(t, http.MethodPost, base+"/__emulator/reset", "")
	require.Equal(t, http.StatusOK, status)
	assert.WithinDuration(t, defaultStart, e.Now(), time.Second)
	assert.Equal(t, "building", records(t, base, "orders-svc")[0].Status)
}

func TestAdminFaultsAndRequests(t *testing.T) {
	e, base := start(t, Options{})
	status, out := admin(t, http.MethodPost, base+"/__emulator/faults",
		`{"action":"DescribeEnvBaseInfo","code":"ResourceUnavailable","message":"down for maintenance","times":2}`)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, out["faults"], 1)
	status, _ = admin(t, http.MethodPost, base+"/__emulator/faults", `{"delayMs":20,"times":1}`)
	require.Equal(t, http.StatusOK, status)
	status, out = admin(t, http.MethodGet, base+"/__emulator/faults", "")
	require.Equal(t, http.StatusOK, status)
	faults := out["faults"].([]any)
	require.Len(t, faults, 2)
	assert.Equal(t, map[string]any{"action": "DescribeEnvBaseInfo", "code": "ResourceUnavailable",
		"message": "down for maintenance", "times": float64(2)}, faults[0])
	assert.Equal(t, map[string]any{"delayMs": float64(20), "times": float64(1)}, faults[1])

	assert.Equal(t, "down for maintenance",
		apiErr(t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": demoEnv}), "ResourceUnavailable"))
	status, out = admin(t, http.MethodDelete, base+"/__emulator/faults", "")
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, out["faults"])
	ok[struct{ IsExist bool }](t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": demoEnv}))

	status, out = admin(t, http.MethodPost, base+"/__emulator/faults", `{"actoin":"x","code":"y"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, out["error"], "actoin")
	status, _ = admin(t, http.MethodPost, base+"/__emulator/faults", `{"action":"x"}`)
	assert.Equal(t, http.StatusBadRequest, status, "a fault that does nothing is refused")

	status, out = admin(t, http.MethodGet, base+"/__emulator/requests", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, map[string]any{"DescribeEnvBaseInfo": float64(2)}, out["counts"])
	assert.EqualValues(t, 2, out["total"])
	status, out = admin(t, http.MethodGet, base+"/__emulator/requests?full=1", "")
	require.Equal(t, http.StatusOK, status)
	reqs := out["requests"].([]any)
	require.Len(t, reqs, 2)
	first := reqs[0].(map[string]any)
	assert.Equal(t, `{"EnvId":"demo-env-1a2b3c"}`, first["body"])
	assert.Equal(t, "DescribeEnvBaseInfo", first["action"])
	assert.Equal(t, "tcbr", first["service"])
	assert.Equal(t, DemoSecretID, first["secretId"])

	status, _ = admin(t, http.MethodDelete, base+"/__emulator/requests", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 0, e.RequestCount("DescribeEnvBaseInfo"))

	status, out = admin(t, http.MethodGet, base+"/__emulator/nope", "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, out["error"], "clock/advance")
}

// TestAdminUnknownListsRoutes: the 404 message, written by hand, names
// every route of adminRoutes (methods may be grouped as "POST|GET faults").
func TestAdminUnknownListsRoutes(t *testing.T) {
	_, base := start(t, Options{})
	status, out := admin(t, http.MethodGet, base+"/__emulator/nope", "")
	require.Equal(t, http.StatusNotFound, status)
	msg, _ := out["error"].(string)
	require.NotEmpty(t, msg)
	for route := range adminRoutes {
		method, path, _ := strings.Cut(route, " ")
		assert.Regexp(t, `[ |]`+method+`(\|[A-Z]+)* `+regexp.QuoteMeta(path)+`(\?|,|$)`, msg, "route %s", route)
	}
}

func TestAdminState(t *testing.T) {
	e, base := start(t, Options{})
	status, out := admin(t, http.MethodGet, base+"/__emulator/state", "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "demo", out["scenario"])
	envs := out["envs"].([]any)
	require.Len(t, envs, 2)
	demo := envs[0].(map[string]any)
	assert.Equal(t, demoEnv, demo["envId"])
	assert.Equal(t, true, demo["cloudRunOpened"])
	assert.Equal(t, []any{"hello-api", "canary-web", "orders-svc", "broken-build", "todo-func"}, demo["serviceNames"])
	assert.Equal(t, false, envs[1].(map[string]any)["cloudRunOpened"])

	b, err := e.StateJSON()
	require.NoError(t, err)
	var st struct {
		Envs []struct {
			Services []struct {
				Name          string
				DeployRecords []struct{ Status string }
				ReleaseOrders []struct{ ReleaseStatus string }
			}
		}
	}
	require.NoError(t, json.Unmarshal(b, &st))
	orders := st.Envs[0].Services[2]
	assert.Equal(t, "orders-svc", orders.Name)
	assert.Equal(t, "building", orders.DeployRecords[0].Status)
	canary := st.Envs[0].Services[1]
	require.Len(t, canary.ReleaseOrders, 1)
	assert.Equal(t, "open", canary.ReleaseOrders[0].ReleaseStatus)
}

func TestRootAndUnknownPaths(t *testing.T) {
	_, base := start(t, Options{})
	status, out := admin(t, http.MethodGet, base+"/", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, out["api"], "TC3-HMAC-SHA256")
	status, _ = admin(t, http.MethodGet, base+"/nothing/here", "")
	assert.Equal(t, http.StatusNotFound, status)
}
