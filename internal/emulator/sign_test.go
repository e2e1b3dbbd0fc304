package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// The spec §2.2 test vector.
const (
	vecSecretID  = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
	vecSecretKey = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
	vecTimestamp = int64(1735689600)
	vecBody      = `{"EnvId":"env-example","PageNum":1,"PageSize":10}`
	vecPayload   = "ac05e446c7981fe2f21c852729dadacb69700256f40bb6b23255f7a4dcee417b"
	vecCanonHash = "3d052bf2c86cb2b3ba6cca0572c464063402e763b6daeddbbadacae111054555"
	vecSignature = "455bcbde6a2e41259fd03b2a811db9c0d3b374c0b19b0082537cda9e8dad74af"
)

func TestTC3SpecVector(t *testing.T) {
	payload := sha256Hex([]byte(vecBody))
	assert.Equal(t, vecPayload, payload)
	canon := canonicalRequest("POST", "/", "",
		"content-type:application/json\nhost:tcbr.tencentcloudapi.com\n", "content-type;host", payload)
	assert.Equal(t, vecCanonHash, sha256Hex([]byte(canon)))
	assert.Equal(t, vecSignature, tc3Signature(vecSecretKey, "tcbr", vecTimestamp, canon))
}

// The verifier accepts the vector's request when "now" is the vector's time
// and rejects it five minutes and one second later.
func TestVerifyAcceptsSpecVector(t *testing.T) {
	sc := DefaultScenario()
	sc.Credentials = append(sc.Credentials, Credential{SecretID: vecSecretID, SecretKey: vecSecretKey})
	e, err := New(Options{Scenario: sc})
	require.NoError(t, err)
	newReq := func() *http.Request {
		r := httptest.NewRequest(http.MethodPost, "https://tcbr.tencentcloudapi.com/", strings.NewReader(vecBody))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-TC-Action", "DescribeCloudRunServers")
		r.Header.Set("X-TC-Version", "2022-02-17")
		r.Header.Set("X-TC-Timestamp", "1735689600")
		r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+vecSecretID+"/2025-01-01/tcbr/tc3_request, "+
			"SignedHeaders=content-type;host, Signature="+vecSignature)
		return r
	}
	at := time.Unix(vecTimestamp, 0)
	v, aerr := e.verify(newReq(), []byte(vecBody), at.Add(299*time.Second))
	require.Nil(t, aerr)
	assert.Equal(t, &verified{Service: "tcbr", Action: "DescribeCloudRunServers", Version: "2022-02-17", SecretID: vecSecretID}, v)

	_, aerr = e.verify(newReq(), []byte(vecBody), at.Add(301*time.Second))
	require.NotNil(t, aerr)
	assert.Equal(t, "AuthFailure.SignatureExpire", aerr.Code)

	_, aerr = e.verify(newReq(), []byte(vecBody+" "), at)
	require.NotNil(t, aerr)
	assert.Equal(t, "AuthFailure.SignatureFailure", aerr.Code)
}

func sdkClient(base, id, key, token string) *common.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(base, "http://")
	cpf.HttpProfile.Scheme = "http"
	cpf.HttpProfile.ReqTimeout = 5
	return common.NewCommonClient(common.NewTokenCredential(id, key, token), "ap-shanghai", cpf)
}

func sdkCall(c *common.Client, service, version, action string, params map[string]any) ([]byte, error) {
	req := tchttp.NewCommonRequest(service, version, action)
	if err := req.SetActionParameters(params); err != nil {
		return nil, err
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		return nil, err
	}
	return resp.GetBody(), nil
}

func sdkCode(t *testing.T, err error) string {
	t.Helper()
	var se *tcerr.TencentCloudSDKError
	require.True(t, errors.As(err, &se), "not an SDK error: %v", err)
	return se.GetCode()
}

func TestSDKSignedRequests(t *testing.T) {
	e, base := start(t, Options{})
	c := sdkClient(base, DemoSecretID, DemoSecretKey, "")

	body, err := sdkCall(c, "tcbr", "2022-02-17", "DescribeCloudRunServers",
		map[string]any{"EnvId": demoEnv, "PageSize": 10, "PageNum": 1})
	require.NoError(t, err)
	var out struct {
		Response tcbr.DescribeCloudRunServersResponse
	}
	require.NoError(t, json.Unmarshal(body, &out))
	assert.EqualValues(t, 5, out.Response.Total)
	require.Len(t, out.Response.ServerList, 5)
	assert.Equal(t, "todo-func", out.Response.ServerList[0].ServerName)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, out.Response.RequestId)

	// tcb is routed on the credential scope over the same endpoint.
	body, err = sdkCall(c, "tcb", "2018-06-08", "DescribeEnvInfo", map[string]any{"EnvId": demoEnv})
	require.NoError(t, err)
	assert.Contains(t, string(body), `"EnvId":"demo-env-1a2b3c"`)

	// API errors surface as SDK errors with the upstream code.
	_, err = sdkCall(c, "tcbr", "2022-02-17", "DescribeCloudRunServerDetail",
		map[string]any{"EnvId": demoEnv, "ServerName": "nope-svc"})
	assert.Equal(t, "ResourceNotFound.ServerNotFound", sdkCode(t, err))

	_, err = sdkCall(sdkClient(base, DemoSecretID, "wrong-key", ""), "tcbr", "2022-02-17", "DescribeCloudRunServers",
		map[string]any{"EnvId": demoEnv})
	assert.Equal(t, "AuthFailure.SignatureFailure", sdkCode(t, err))

	// The scenario's session-token credential needs its token.
	_, err = sdkCall(sdkClient(base, "AKIDemulatorTOKEN00000000000000000", "emulator-token-secret-key-000000000",
		"emulator-session-token-0000"), "tcbr", "2022-02-17", "DescribeEnvBaseInfo", map[string]any{"EnvId": demoEnv})
	assert.NoError(t, err)
	_, err = sdkCall(sdkClient(base, "AKIDemulatorTOKEN00000000000000000", "emulator-token-secret-key-000000000",
		"stolen"), "tcbr", "2022-02-17", "DescribeEnvBaseInfo", map[string]any{"EnvId": demoEnv})
	assert.Equal(t, "AuthFailure.TokenFailure", sdkCode(t, err))

	assert.Equal(t, 1, e.RequestCount("DescribeCloudRunServers"), "the wrong-key call is not counted")
	assert.Equal(t, 1, e.RequestCount("DescribeCloudRunServerDetail"))
	reqs := e.Requests()
	require.NotEmpty(t, reqs)
	assert.JSONEq(t, `{"EnvId":"demo-env-1a2b3c","PageNum":1,"PageSize":10}`, string(reqs[0].Body))
	assert.Equal(t, "tcbr", reqs[0].Service)
	assert.Equal(t, "ap-shanghai", reqs[0].Region)
}

func TestSignatureRejections(t *testing.T) {
	_, base := start(t, Options{})
	body := []byte(`{"EnvId":"demo-env-1a2b3c"}`)
	action := "DescribeEnvBaseInfo"
	cases := []struct {
		name string
		o    signOpts
		body []byte
		code string
		msg  string
	}{
		{name: "tampered body", o: signOpts{sendBody: []byte(`{"EnvId":"fresh-env-9z8y7x"}`)},
			code: "AuthFailure.SignatureFailure", msg: msgSignatureFailure},
		{name: "wrong key", o: signOpts{secretID: DemoSecretID, secretKey: "not-the-key"},
			code: "AuthFailure.SignatureFailure", msg: msgSignatureFailure},
		{name: "unknown secret id", o: signOpts{secretID: "AKIDunknown", secretKey: "x"},
			code: "AuthFailure.SecretIdNotFound"},
		{name: "stale timestamp", o: signOpts{ts: time.Now().Add(-10 * time.Minute)},
			code: "AuthFailure.SignatureExpire", msg: msgSignatureExpire},
		{name: "future timestamp", o: signOpts{ts: time.Now().Add(6 * time.Minute)},
			code: "AuthFailure.SignatureExpire"},
		{name: "missing timestamp", o: signOpts{noTimestamp: true}, code: "MissingParameter"},
		{name: "non-numeric timestamp", o: signOpts{tsText: "yesterday"}, code: "InvalidParameter"},
		{name: "scope date is not the timestamp's", o: signOpts{auth: "TC3-HMAC-SHA256 Credential=" + DemoSecretID +
			"/2020-01-01/tcbr/tc3_request, SignedHeaders=content-type;host, Signature=" + strings.Repeat("a", 64)},
			code: "AuthFailure.SignatureFailure"},
		{name: "malformed authorization", o: signOpts{auth: "Bearer abc"}, code: "AuthFailure.InvalidAuthorization"},
		{name: "legacy algorithm", o: signOpts{auth: "HmacSHA256 Credential=x"}, code: "AuthFailure.InvalidAuthorization"},
		{name: "missing signature", o: signOpts{auth: "TC3-HMAC-SHA256 Credential=" + DemoSecretID +
			"/2026-01-01/tcbr/tc3_request, SignedHeaders=content-type;host"}, code: "AuthFailure.InvalidAuthorization"},
		{name: "wrong version", o: signOpts{version: "2020-01-01"}, code: "NoSuchVersion"},
		{name: "missing version", o: signOpts{noVersion: true}, code: "MissingParameter"},
		{name: "unknown service", o: signOpts{service: "cvm", version: "2017-03-12"}, code: "InvalidAction"},
		{name: "host not signed", o: signOpts{signedHeaders: []string{"content-type"}}, code: "AuthFailure.SignatureFailure"},
		{name: "missing action", o: signOpts{action: "-"}, code: "MissingParameter",
			msg: "The request is missing a required parameter `X-TC-Action`."},
		{name: "unknown action", o: signOpts{action: "DescribeCloudRunEnv"}, code: "InvalidAction"},
		{name: "tcbr action on tcb", o: signOpts{service: "tcb", action: "DescribeCloudRunServers"}, code: "InvalidAction"},
		{name: "known but unimplemented", o: signOpts{action: "DescribeCloudRunPodList"}, code: "UnsupportedOperation",
			msg: "the emulator does not implement DescribeCloudRunPodList yet"},
		{name: "body is an array", body: []byte(`[1]`), code: "InvalidParameter"},
		{name: "body is empty", body: []byte{}, code: "InvalidParameter"},
		{name: "body is not json", body: []byte(`EnvId=x`), code: "InvalidParameter"},
		{name: "param of the wrong type", body: []byte(`{"EnvId":42}`), code: "InvalidParameter"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			switch o.action {
			case "":
				o.action = action
			case "-":
				o.action = ""
			}
			b := body
			if tc.body != nil {
				b = tc.body
			}
			env := sendSigned(t, base, b, o)
			msg := apiErr(t, env, tc.code)
			if tc.msg != "" {
				assert.Equal(t, tc.msg, msg)
			}
		})
	}
}

func TestSignatureVariantsAccepted(t *testing.T) {
	_, base := start(t, Options{})
	body := []byte(`{"EnvId":"demo-env-1a2b3c"}`)
	cases := []struct {
		name string
		o    signOpts
	}{
		{name: "go sdk (host with port)"},
		{name: "manager-node (host without port)", o: signOpts{signedHost: "127.0.0.1"}},
		{name: "apigw host", o: signOpts{signedHost: "tcbr.tencentcloudapi.com"}},
		{name: "extra signed header and charset", o: signOpts{
			signedHeaders: []string{"content-type", "host", "x-tc-action"},
			contentType:   "application/json; charset=utf-8"}},
		{name: "unsigned payload", o: signOpts{unsigned: true}},
		{name: "endpoint with a path, uri /", o: signOpts{path: "/api/v3"}},
		{name: "endpoint with a path, uri = path", o: signOpts{path: "/api/v3", signedURI: "/api/v3"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.action = "DescribeEnvBaseInfo"
			env := sendSigned(t, base, body, o)
			out := ok[tcbr.DescribeEnvBaseInfoResponse](t, env)
			assert.True(t, out.IsExist)
		})
	}
}

func TestEnvelopeShape(t *testing.T) {
	_, base := start(t, Options{})
	req, err := http.NewRequest(http.MethodPost, base, bytes.NewReader([]byte(`{}`)))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var env map[string]map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&env))
	assert.Equal(t, map[string]any{"Code": "AuthFailure.InvalidAuthorization",
		"Message": env["Response"]["Error"].(map[string]any)["Message"]}, env["Response"]["Error"])
	assert.NotEmpty(t, env["Response"]["RequestId"])
}
