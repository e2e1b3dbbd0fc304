package emulator

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStrictRefusesWhatTheGatewayRefuses sends, over signed HTTP, requests
// the real gateway refuses: a field the model lacks (at the top and nested
// in objects and arrays) answers UnknownParameter, a value of the wrong JSON
// type InvalidParameter, each with the gateway's wording naming the field.
func TestStrictRefusesWhatTheGatewayRefuses(t *testing.T) {
	e, base := start(t, Options{})
	item := func(extra m) []m { return []m{{"Key": "MinNum", "IntValue": 1}, extra} }
	cases := []struct {
		name, action string
		service      string
		body         m
		code, msg    string
	}{
		{"unknown top-level field", "DescribeCloudRunProcessLog", "", m{"EnvId": demoEnv, "RunId": "r", "ServerName": "hello-api"},
			"UnknownParameter", "The parameter `ServerName` is not recognized."},
		{"unknown field in an array element", "SubmitServerConfigChangeDiff", "", m{"EnvId": demoEnv, "ServerName": "hello-api",
			"Items": item(m{"Key": "MaxNum", "IntValue": 4, "Unit": "pods"})},
			"UnknownParameter", "The parameter `Items.1.Unit` is not recognized."},
		{"unknown field in an object", "CreateCloudRunServer", "", m{"EnvId": demoEnv, "ServerName": "svc-x",
			"DeployInfo": m{"DeployType": "image", "ImageUrl": "ccr.ccs.tencentyun.com/a/b:1", "Tag": "v1"}},
			"UnknownParameter", "The parameter `DeployInfo.Tag` is not recognized."},
		{"a number as text", "DescribeCloudRunServers", "", m{"EnvId": demoEnv, "PageSize": "10"},
			"InvalidParameter", "The value type of parameter `PageSize` is not valid, input type should be `integer`."},
		{"a fraction for an integer", "DescribeServerManageTask", "", m{"EnvId": demoEnv, "ServerName": "hello-api", "TaskId": 1.5},
			"InvalidParameter", "The value type of parameter `TaskId` is not valid, input type should be `integer`."},
		{"a number for a string", "DescribeCloudRunServerDetail", "", m{"EnvId": demoEnv, "ServerName": 7},
			"InvalidParameter", "The value type of parameter `ServerName` is not valid, input type should be `string`."},
		{"null", "CreateCloudRunServer", "", m{"EnvId": demoEnv, "ServerName": "svc-x", "DeployInfo": m{"DeployType": "image",
			"ImageUrl": "ccr.ccs.tencentyun.com/a/b:1"}, "Items": nil},
			"InvalidParameter", "The value type of parameter `Items` is not valid, input type should be `array`."},
		{"an object for an array", "CreateCloudRunEnv", "", m{"EnvId": freshEnv, "PackageType": "Trial", "SubNetIds": m{"a": "b"}},
			"InvalidParameter", "The value type of parameter `SubNetIds` is not valid, input type should be `array`."},
		{"a wrong array element", "CreateCloudRunEnv", "", m{"EnvId": freshEnv, "PackageType": "Trial", "SubNetIds": []any{"subnet-1", 2}},
			"InvalidParameter", "The value type of parameter `SubNetIds.1` is not valid, input type should be `string`."},
		{"a boolean as text", "ReleaseGray", "", m{"EnvId": demoEnv, "ServerName": "canary-web", "GrayType": "gray",
			"TrafficType": "FLOW", "CloseGrayRelease": "true"},
			"InvalidParameter", "The value type of parameter `CloseGrayRelease` is not valid, input type should be `boolean`."},
		{"a deep nested type", "SubmitServerConfigChangeDiff", "", m{"EnvId": demoEnv, "ServerName": "hello-api",
			"Items": []m{{"Key": "PolicyDetails", "PolicyDetails": []m{{"PolicyType": "cpu", "PolicyThreshold": "60"}}}}},
			"InvalidParameter", "The value type of parameter `Items.0.PolicyDetails.0.PolicyThreshold` is not valid, input type should be `integer`."},
		{"tcb: unknown field", "DescribeCloudBaseBuildService", tcbr.ServiceTCB, m{"EnvId": demoEnv, "ServiceName": "svc", "Region": "ap-shanghai"},
			"UnknownParameter", "The parameter `Region` is not recognized."},
		{"an unimplemented action is checked first", "SearchClsLog", "", m{"EnvId": demoEnv, "Foo": 1},
			"UnknownParameter", "The parameter `Foo` is not recognized."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			service := tc.service
			if service == "" {
				service = tcbr.ServiceTCBR
			}
			before := len(e.WireViolations())
			env := apiService(t, base, service, tc.action, tc.body)
			assert.Equal(t, tc.msg, apiErr(t, env, tc.code))
			vs := e.WireViolations()
			require.Len(t, vs, before+1, "the refusal is recorded")
			v := vs[len(vs)-1]
			assert.Equal(t, WireViolation{Service: service, Action: tc.action, Direction: "request", Code: tc.code,
				Path: v.Path, Message: tc.msg}, v)
		})
	}
	// A refused write changed nothing.
	assert.False(t, ok[tcbr.DescribeEnvBaseInfoResponse](t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": freshEnv})).IsExist)
	assert.Len(t, records(t, base, "canary-web"), 2)
	_, missing := detailErr(t, base, "svc-x")
	assert.True(t, missing)
}

// detailErr reads a service's detail; missing is true when it does not exist.
func detailErr(t *testing.T, base, svc string) (envelope, bool) {
	t.Helper()
	env := api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": svc})
	return env, env.Code == "ResourceNotFound.ServerNotFound"
}

// referenceRequest is one line of testdata/reference-requests.jsonl: a
// request body the reference server (@cloudbase/cloudbase-mcp 2.34.6) sent
// to the real cloud over its whole tool surface, captured on the wire (a copy
// of shared/spec/reference-requests.jsonl).
type referenceRequest struct {
	Service string          `json:"service"`
	Action  string          `json:"action"`
	Version string          `json:"version"`
	Body    json.RawMessage `json:"body"`
}

func loadReferenceRequests(t *testing.T) []referenceRequest {
	t.Helper()
	f, err := os.Open("testdata/reference-requests.jsonl")
	require.NoError(t, err)
	defer f.Close()
	var out []referenceRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r referenceRequest
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		out = append(out, r)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestStrictAcceptsEveryReferenceRequest sends every request body the
// reference sent to the real cloud: the strict emulator must take each one
// (the real API did). Answers may still be refusals the state explains (a
// RunId of the reference's own account does not exist here), never a
// wire-table refusal.
func TestStrictAcceptsEveryReferenceRequest(t *testing.T) {
	reqs := loadReferenceRequests(t)
	require.Len(t, reqs, 40)
	e, base := start(t, Options{})
	for i, r := range reqs {
		require.Equal(t, apiVersions[r.Service], r.Version, "line %d", i+1)
		env := sendSigned(t, base, r.Body, signOpts{service: r.Service, action: r.Action})
		assert.NotEqual(t, "UnknownParameter", env.Code, "line %d %s: %s", i+1, r.Action, env.Message)
		assert.NotContains(t, env.Message, "The value type of parameter", "line %d %s", i+1, r.Action)
	}
	assert.Empty(t, e.WireViolations())
	actions := map[string]bool{}
	for _, r := range reqs {
		actions[r.Action] = true
	}
	assert.Len(t, actions, 19, "the captures cover the reference's whole surface")
}

// TestEveryServedActionIsInTheTable: each action the emulator answers
// (implemented or UnsupportedOperation) is in the field table under its
// service, so every request to it is checked.
func TestEveryServedActionIsInTheTable(t *testing.T) {
	tab := wire.Load()
	check := func(service, action string) {
		a := tab.Action(service, action)
		if assert.NotNil(t, a, "%s %s", service, action) {
			assert.Equal(t, apiVersions[service], tab.Services[service].Version)
		}
	}
	for a := range tcbrHandlers {
		check(tcbr.ServiceTCBR, a)
	}
	for _, a := range tcbrKnown {
		check(tcbr.ServiceTCBR, a)
	}
	for a := range tcbHandlers {
		check(tcbr.ServiceTCB, a)
	}
	// And the other way round: the table has nothing the emulator ignores.
	for svc, s := range tab.Services {
		for a := range s.Actions {
			_, known := lookupHandler(svc, a)
			assert.True(t, known, "%s %s is in the table but not served", svc, a)
		}
	}
}

// TestAnswersMatchTheTable calls every implemented read with valid
// parameters and checks each answer against the table, unknown fields
// refused (the emulator also checks every answer it gives, see strict.go,
// and start() fails any test on an answer that departs).
func TestAnswersMatchTheTable(t *testing.T) {
	e, base := start(t, Options{})
	tab := wire.Load()
	hello := records(t, base, "hello-api")[0]
	calls := []struct {
		service, action string
		body            m
	}{
		{tcbr.ServiceTCBR, "DescribeCloudRunServers", m{"EnvId": demoEnv}},
		{tcbr.ServiceTCBR, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": "canary-web"}},
		{tcbr.ServiceTCBR, "DescribeCloudRunDeployRecord", m{"EnvId": demoEnv, "ServerName": "orders-svc"}},
		{tcbr.ServiceTCBR, "DescribeCloudRunBuildLog", m{"EnvId": demoEnv, "ServerName": "hello-api", "BuildId": hello.BuildId}},
		{tcbr.ServiceTCBR, "DescribeCloudRunProcessLog", m{"EnvId": demoEnv, "RunId": hello.RunId}},
		{tcbr.ServiceTCBR, "DescribeServerManageTask", m{"EnvId": demoEnv, "ServerName": "canary-web", "TaskId": 0}},
		{tcbr.ServiceTCBR, "DescribeServerManageTask", m{"EnvId": demoEnv, "ServerName": "canary-web", "TaskId": 1}},
		{tcbr.ServiceTCBR, "DescribeReleaseOrder", m{"EnvId": demoEnv, "ServerName": "canary-web"}},
		{tcbr.ServiceTCBR, "DescribeReleaseOrder", m{"EnvId": demoEnv, "ServerName": "hello-api"}},
		{tcbr.ServiceTCBR, "DescribeEnvBaseInfo", m{"EnvId": demoEnv}},
		{tcbr.ServiceTCBR, "DescribeEnvBaseInfo", m{"EnvId": freshEnv}},
		{tcbr.ServiceTCBR, "DescribeCloudRunEnvs", m{}},
		{tcbr.ServiceTCBR, "DescribeVersionDetail", m{"EnvId": demoEnv, "ServerName": "hello-api", "VersionName": "hello-api-002"}},
		{tcbr.ServiceTCB, "DescribeEnvInfo", m{"EnvId": demoEnv}},
		{tcbr.ServiceTCB, "DescribeEnvs", m{"EnvTypes": []string{"baas"}}},
		{tcbr.ServiceTCB, "DescribeCloudBaseBuildService", m{"EnvId": demoEnv, "ServiceName": "hello-api"}},
		{tcbr.ServiceTCB, "DescribeCloudBaseBuildService", m{"EnvId": demoEnv, "ServiceName": "hello-api", "ServiceVersion": "hello-api-002"}},
		{tcbr.ServiceTCB, "DescribeHTTPServiceRoute", m{"EnvId": demoEnv, "Limit": 1000}},
	}
	for _, c := range calls {
		env := apiService(t, base, c.service, c.action, c.body)
		require.Empty(t, env.Code, "%s: %s", c.action, env.Message)
		assert.Nil(t, tab.CheckResponse(c.service, c.action, env.Response), "%s: %s", c.action, env.Response)
	}
	assert.Empty(t, e.WireViolations())
}

// TestAnswerOffTheTableIsAnError: an answer the real API could not give
// (a field the model lacks) never reaches the client as a success.
func TestAnswerOffTheTableIsAnError(t *testing.T) {
	e, err := New(Options{})
	require.NoError(t, err)
	_, aerr := e.checkResponse(tcbr.ServiceTCBR, "DescribeEnvBaseInfo", struct {
		IsExist   bool   `json:"IsExist"`
		PodCount  int    `json:"PodCount"`
		RequestId string `json:"RequestId"`
	}{true, 3, "r"})
	require.NotNil(t, aerr)
	assert.Equal(t, "InternalError", aerr.Code)
	assert.Contains(t, aerr.Message, "`PodCount`")
	vs := e.WireViolations()
	require.Len(t, vs, 1)
	assert.Equal(t, "response", vs[0].Direction)
	assert.True(t, slices.ContainsFunc(vs, func(v WireViolation) bool { return v.Path == "PodCount" }))
}

// TestReferenceRequestsCopyIsCurrent: testdata/reference-requests.jsonl is
// a copy of the capture in the team's shared spec; where that spec sits
// beside the checkout (../shared), the two must be the same bytes.
func TestReferenceRequestsCopyIsCurrent(t *testing.T) {
	t.Parallel()
	spec, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "spec", "reference-requests.jsonl"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("../shared/spec is not beside this checkout; the copy in testdata is used as it is")
	}
	require.NoError(t, err)
	copied, err := os.ReadFile(filepath.Join("testdata", "reference-requests.jsonl"))
	require.NoError(t, err)
	assert.Equal(t, string(spec), string(copied), "copy ../shared/spec/reference-requests.jsonl to internal/emulator/testdata/")
}
