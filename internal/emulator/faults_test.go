package emulator

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultCodeTimesThenSuccess(t *testing.T) {
	e, base := start(t, Options{})
	e.InjectFault(Fault{Action: "DescribeCloudRunServers", Code: "RequestLimitExceeded", Message: "slow down", Times: 2})
	params := m{"EnvId": demoEnv}
	for range 2 {
		assert.Equal(t, "slow down", apiErr(t, api(t, base, "DescribeCloudRunServers", params), "RequestLimitExceeded"))
		// Other actions are not affected.
		ok[struct{ IsExist bool }](t, api(t, base, "DescribeEnvBaseInfo", params))
	}
	ok[struct{ Total int }](t, api(t, base, "DescribeCloudRunServers", params))
	assert.Equal(t, 3, e.RequestCount("DescribeCloudRunServers"), "faulted calls are counted")
	assert.Equal(t, 2, e.RequestCount("DescribeEnvBaseInfo"))

	// Through the SDK the fault is an SDK error with the code.
	e.InjectFault(Fault{Code: "InternalError"}) // any action, once
	c := sdkClient(base, DemoSecretID, DemoSecretKey, "")
	_, err := sdkCall(c, "tcbr", "2022-02-17", "DescribeEnvBaseInfo", params)
	assert.Equal(t, "InternalError", sdkCode(t, err))
	_, err = sdkCall(c, "tcbr", "2022-02-17", "DescribeEnvBaseInfo", params)
	assert.NoError(t, err)
}

func TestFaultNeedsAVerifiedCall(t *testing.T) {
	e, base := start(t, Options{})
	e.InjectFault(Fault{Code: "InternalError"})
	env := sendSigned(t, base, []byte(`{}`), signOpts{action: "DescribeCloudRunEnvs", secretKey: "bad", secretID: DemoSecretID})
	apiErr(t, env, "AuthFailure.SignatureFailure")
	assert.Len(t, e.pendingFaults(), 1, "an unverified call does not consume the fault")
	e.ClearFaults()
	assert.Empty(t, e.pendingFaults())
	ok[struct{ EnvList []any }](t, api(t, base, "DescribeCloudRunEnvs", m{}))
}

func TestFaultDelay(t *testing.T) {
	e, base := start(t, Options{})
	e.InjectFault(Fault{Action: "DescribeEnvBaseInfo", Delay: 150 * time.Millisecond})
	began := time.Now()
	out := ok[struct{ IsExist bool }](t, api(t, base, "DescribeEnvBaseInfo", m{"EnvId": demoEnv}))
	assert.GreaterOrEqual(t, time.Since(began), 150*time.Millisecond)
	assert.True(t, out.IsExist, "a delay-only fault answers normally afterwards")

	// The delay ends when the request's context does.
	e.InjectFault(Fault{Delay: 10 * time.Second, Code: "InternalError"})
	body := []byte(`{"EnvId":"demo-env-1a2b3c"}`)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	signInto(t, req, body, "DescribeEnvBaseInfo")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	began = time.Now()
	go func() {
		e.Handler().ServeHTTP(httptest.NewRecorder(), req.WithContext(ctx))
		close(done)
	}()
	select {
	case <-done:
		assert.Less(t, time.Since(began), 5*time.Second)
	case <-time.After(5 * time.Second):
		t.Fatal("the handler ignored the request context")
	}
}

// signInto signs a request built with httptest (host example.com).
func signInto(t *testing.T, req *http.Request, body []byte, action string) {
	t.Helper()
	ts := time.Now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	req.Header.Set("X-TC-Version", "2022-02-17")
	req.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	canon := canonicalRequest("POST", "/", "", "content-type:application/json\nhost:"+req.Host+"\n", "content-type;host", sha256Hex(body))
	sig := tc3Signature(DemoSecretKey, "tcbr", ts, canon)
	req.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+DemoSecretID+"/"+time.Unix(ts, 0).UTC().Format("2006-01-02")+
		"/tcbr/tc3_request, SignedHeaders=content-type;host, Signature="+sig)
}

func TestFaultDrop(t *testing.T) {
	e, base := start(t, Options{})
	e.InjectFault(Fault{Action: "DescribeCloudRunServers", Drop: true})
	c := sdkClient(base, DemoSecretID, DemoSecretKey, "")
	_, err := sdkCall(c, "tcbr", "2022-02-17", "DescribeCloudRunServers", map[string]any{"EnvId": demoEnv})
	assert.Equal(t, "ClientError.NetworkError", sdkCode(t, err))
	_, err = sdkCall(c, "tcbr", "2022-02-17", "DescribeCloudRunServers", map[string]any{"EnvId": demoEnv})
	assert.NoError(t, err, "Times defaults to 1")
}

func TestFaultStatusAndBody(t *testing.T) {
	e, base := start(t, Options{})
	c := sdkClient(base, DemoSecretID, DemoSecretKey, "")
	call := func() error {
		_, err := sdkCall(c, "tcbr", "2022-02-17", "DescribeEnvBaseInfo", map[string]any{"EnvId": demoEnv})
		return err
	}

	e.InjectFault(Fault{Status: http.StatusBadGateway})
	assert.Equal(t, "ClientError.HttpStatusCodeError", sdkCode(t, call()))

	e.InjectFault(Fault{Body: "{not json"})
	assert.Equal(t, "ClientError.ParseJsonError", sdkCode(t, call()))
	assert.NoError(t, call())

	// Raw view of the two answers.
	e.InjectFault(Fault{Status: http.StatusBadGateway, Times: 1})
	e.InjectFault(Fault{Body: "{not json", Status: http.StatusServiceUnavailable})
	body := []byte(`{"EnvId":"demo-env-1a2b3c"}`)
	for _, want := range []struct {
		status int
		body   string
	}{{http.StatusBadGateway, `"RequestId"`}, {http.StatusServiceUnavailable, "{not json"}} {
		req, err := http.NewRequest(http.MethodPost, base, bytes.NewReader(body))
		require.NoError(t, err)
		signInto(t, req, body, "DescribeEnvBaseInfo")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, want.status, resp.StatusCode)
		assert.Contains(t, string(raw), want.body)
		assert.NotContains(t, string(raw), "Error")
	}
}
