package emulator

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

const testdataDir = "../../testdata/emulator"

func TestTestdataDemoIsTheEmbeddedDefault(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testdataDir, "demo.json"))
	require.NoError(t, err)
	assert.Equal(t, string(demoScenarioJSON), string(b), "testdata/emulator/demo.json must be a copy of scenarios/demo.json")
	sc, err := LoadScenario(filepath.Join(testdataDir, "demo.json"))
	require.NoError(t, err)
	assert.Equal(t, DefaultScenario(), sc)
}

func TestEmptyScenario(t *testing.T) {
	sc, err := LoadScenario(filepath.Join(testdataDir, "empty.json"))
	require.NoError(t, err)
	_, base := start(t, Options{Scenario: sc})
	out := ok[tcbr.DescribeCloudRunServersResponse](t, api(t, base, "DescribeCloudRunServers", m{"EnvId": "empty-env-0a0b0c"}))
	assert.EqualValues(t, 0, out.Total)
	assert.Equal(t, []tcbr.ServerBaseInfo{}, out.ServerList)
	info := ok[tcbr.DescribeEnvBaseInfoResponse](t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": "empty-env-0a0b0c"}))
	assert.True(t, info.IsExist)
	assert.Equal(t, "normal", info.EnvBaseInfo.Status)
	apiErr(t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": demoEnv}), "ResourceNotFound")
}

func TestScenarioValidation(t *testing.T) {
	svc := func(versions string) string {
		return `{"envs":[{"envId":"a","cloudRun":{},"services":[{"name":"svc-a","type":"container","versions":` + versions + `}]}]}`
	}
	cases := []struct{ name, body, want string }{
		{"unknown field", `{"name":"x","envs":[],"colour":"red"}`, `unknown field "colour"`},
		{"duplicate env", `{"envs":[{"envId":"a"},{"envId":"a"}]}`, "listed twice"},
		{"services, no cloudrun", `{"envs":[{"envId":"a","services":[{"name":"svc-a","type":"container","versions":[{"at":"-1h"}]}]}]}`,
			"CloudRun is not opened"},
		{"bad type", `{"envs":[{"envId":"a","cloudRun":{},"services":[{"name":"svc-a","type":"vm","versions":[{"at":"-1h"}]}]}]}`,
			`type "vm"`},
		{"bad name", `{"envs":[{"envId":"a","cloudRun":{},"services":[{"name":"1x","type":"container","versions":[{"at":"-1h"}]}]}]}`,
			`service name "1x" is invalid`},
		{"no versions", svc(`[]`), "has no versions"},
		{"future deploy", svc(`[{"at":"1h"}]`), "after the clock origin"},
		{"overlapping deploys", svc(`[{"at":"-1h"},{"at":"-59m"}]`), "is still running"},
		{"deploy while gray open", svc(`[{"at":"-5h"},{"at":"-4h","releaseType":"GRAY"},{"at":"-1h"}]`), "svc-a-002) is still running"},
		{"gray first", svc(`[{"at":"-1h","releaseType":"GRAY"}]`), "needs a version already holding traffic"},
		{"image without url", svc(`[{"at":"-1h","deployType":"image"}]`), "needs an imageUrl"},
		{"image build failure", svc(`[{"at":"-1h","deployType":"image","imageUrl":"x/y:1","outcome":"build_failed"}]`), "cannot fail its build"},
		{"bad outcome", svc(`[{"at":"-1h","outcome":"meh"}]`), `outcome "meh"`},
		{"bad duration", svc(`[{"at":"yesterday"}]`), `invalid duration "yesterday"`},
		{"out of order", svc(`[{"at":"-1h"},{"at":"-2h"}]`), "starts before the previous one"},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "s.json")
			require.NoError(t, os.WriteFile(p, []byte(tc.body), 0o600))
			_, err := LoadScenario(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := LoadScenario(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestScenarioIsCopiedAndCredentialsChecked(t *testing.T) {
	sc := DefaultScenario()
	e, err := New(Options{Scenario: sc})
	require.NoError(t, err)
	sc.Envs = nil // later edits by the caller do not leak into Reset
	e.Reset()
	b, err := e.StateJSON()
	require.NoError(t, err)
	assert.Contains(t, string(b), demoEnv)

	bad := DefaultScenario()
	bad.Credentials = []Credential{{SecretID: "AKIDx"}}
	_, err = New(Options{Scenario: bad})
	assert.Error(t, err)
	_, err = New(Options{Speed: -1})
	assert.Error(t, err)
}

func TestDurationJSON(t *testing.T) {
	var v struct{ A, B, C, D Duration }
	require.NoError(t, json.Unmarshal([]byte(`{"A":"-72h","B":40,"C":"","D":1.5}`), &v))
	assert.Equal(t, -72*time.Hour, v.A.D())
	assert.Equal(t, 40*time.Second, v.B.D())
	assert.Equal(t, time.Duration(0), v.C.D())
	assert.Equal(t, 1500*time.Millisecond, v.D.D())
	b, err := json.Marshal(v.A)
	require.NoError(t, err)
	assert.Equal(t, `"-72h0m0s"`, string(b))
}

func TestDeterministicIDs(t *testing.T) {
	dump := func(seed int64) string {
		e, err := New(Options{Seed: seed})
		require.NoError(t, err)
		e.clock.reset(defaultStart, 0)
		b, err := e.StateJSON()
		require.NoError(t, err)
		return string(b)
	}
	assert.Equal(t, dump(7), dump(7))
	assert.NotEqual(t, dump(7), dump(8))
}
