package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

const (
	demoEnv  = "demo-env-1a2b3c"
	freshEnv = "fresh-env-9z8y7x"
)

// start runs an emulator on loopback with a frozen clock (tests move it).
func start(t *testing.T, opts Options) (*Emulator, string) {
	t.Helper()
	e, err := New(opts)
	require.NoError(t, err)
	e.clock.reset(e.opts.Start, 0) // frozen exactly at the origin
	base, err := e.Listen("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.Close() })
	t.Cleanup(func() { requireAnswersOnTable(t, e) })
	return e, base
}

// requireAnswersOnTable fails a test in which the emulator gave an answer
// that departs from the wire table (requests refused by it are the tests'
// own business).
func requireAnswersOnTable(t *testing.T, e *Emulator) {
	t.Helper()
	for _, v := range e.WireViolations() {
		if v.Direction == "response" {
			t.Errorf("emulator answer off the wire table: %+v", v)
		}
	}
}

// signOpts describe a hand-signed request; zero values mean "like the Go SDK".
type signOpts struct {
	secretID, secretKey, token string
	service, version, action   string
	ts                         time.Time
	signedHost                 string   // host value signed; "" = the URL host with port
	signedHeaders              []string // default content-type, host
	contentType                string
	path                       string // request path; "" = "/"
	signedURI                  string // "" = "/"
	unsigned                   bool
	sendBody                   []byte // sent instead of the signed body when non-nil
	auth                       string // raw Authorization header, overrides signing
	noTimestamp                bool
	tsText                     string // raw X-TC-Timestamp
	noVersion                  bool
}

// envelope is a decoded API answer.
type envelope struct {
	Status    int
	Raw       []byte
	Response  json.RawMessage
	Code      string
	Message   string
	RequestID string
}

func sendSigned(t *testing.T, base string, body []byte, o signOpts) envelope {
	t.Helper()
	if o.secretID == "" {
		o.secretID, o.secretKey = DemoSecretID, DemoSecretKey
	}
	if o.service == "" {
		o.service = tcbr.ServiceTCBR
	}
	if o.version == "" {
		o.version = apiVersions[o.service]
	}
	if o.ts.IsZero() {
		o.ts = time.Now()
	}
	if o.contentType == "" {
		o.contentType = "application/json"
	}
	if o.signedHeaders == nil {
		o.signedHeaders = []string{"content-type", "host"}
	}
	u, err := url.Parse(base)
	require.NoError(t, err)
	if o.signedHost == "" {
		o.signedHost = u.Host
	}
	if o.signedURI == "" {
		o.signedURI = "/"
	}
	sendBody := body
	if o.sendBody != nil {
		sendBody = o.sendBody
	}
	req, err := http.NewRequest(http.MethodPost, base+o.path, bytes.NewReader(sendBody))
	require.NoError(t, err)
	req.Header.Set("Content-Type", o.contentType)
	if o.action != "" {
		req.Header.Set("X-TC-Action", o.action)
	}
	if !o.noVersion {
		req.Header.Set("X-TC-Version", o.version)
	}
	req.Header.Set("X-TC-Region", "ap-shanghai")
	ts := strconv.FormatInt(o.ts.Unix(), 10)
	switch {
	case o.tsText != "":
		req.Header.Set("X-TC-Timestamp", o.tsText)
	case !o.noTimestamp:
		req.Header.Set("X-TC-Timestamp", ts)
	}
	if o.token != "" {
		req.Header.Set("X-TC-Token", o.token)
	}
	payload := sha256Hex(body)
	if o.unsigned {
		req.Header.Set("X-TC-Content-SHA256", unsignedPayload)
		payload = sha256Hex([]byte(unsignedPayload))
	}
	auth := o.auth
	if auth == "" {
		var ch strings.Builder
		for _, h := range o.signedHeaders {
			v := req.Header.Get(h)
			if h == "host" {
				v = o.signedHost
			}
			ch.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
		}
		signed := strings.Join(o.signedHeaders, ";")
		canon := canonicalRequest("POST", o.signedURI, "", ch.String(), signed, payload)
		sig := tc3Signature(o.secretKey, o.service, o.ts.Unix(), canon)
		date := o.ts.UTC().Format("2006-01-02")
		auth = "TC3-HMAC-SHA256 Credential=" + o.secretID + "/" + date + "/" + o.service + "/tc3_request, SignedHeaders=" +
			signed + ", Signature=" + sig
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return decodeEnvelope(t, resp.StatusCode, raw)
}

func decodeEnvelope(t *testing.T, status int, raw []byte) envelope {
	t.Helper()
	var env struct {
		Response json.RawMessage
	}
	require.NoError(t, json.Unmarshal(raw, &env), "body: %s", raw)
	var meta struct {
		Error     *apiError
		RequestId string
	}
	require.NoError(t, json.Unmarshal(env.Response, &meta), "body: %s", raw)
	out := envelope{Status: status, Raw: raw, Response: env.Response, RequestID: meta.RequestId}
	if meta.Error != nil {
		out.Code, out.Message = meta.Error.Code, meta.Error.Message
	}
	return out
}

// api signs and sends one tcbr call with the demo credentials.
func api(t *testing.T, base, action string, params any) envelope {
	t.Helper()
	return apiService(t, base, tcbr.ServiceTCBR, action, params)
}

func apiService(t *testing.T, base, service, action string, params any) envelope {
	t.Helper()
	body, err := json.Marshal(params)
	require.NoError(t, err)
	return sendSigned(t, base, body, signOpts{service: service, action: action})
}

// ok decodes a successful answer into T; it fails the test on an API error.
func ok[T any](t *testing.T, env envelope) T {
	t.Helper()
	require.Empty(t, env.Code, "unexpected error %s: %s", env.Code, env.Message)
	var out T
	require.NoError(t, json.Unmarshal(env.Response, &out))
	return out
}

// apiErr asserts an error code and returns the message.
func apiErr(t *testing.T, env envelope, code string) string {
	t.Helper()
	require.Equal(t, code, env.Code, "message: %s; body: %s", env.Message, env.Raw)
	require.Equal(t, http.StatusOK, env.Status)
	require.NotEmpty(t, env.RequestID)
	return env.Message
}

type m = map[string]any

func records(t *testing.T, base, svc string) []tcbr.DeployRecord {
	t.Helper()
	return ok[tcbr.DescribeCloudRunDeployRecordResponse](t,
		api(t, base, "DescribeCloudRunDeployRecord", m{"EnvId": demoEnv, "ServerName": svc})).DeployRecords
}

func detail(t *testing.T, base, svc string) tcbr.DescribeCloudRunServerDetailResponse {
	t.Helper()
	return ok[tcbr.DescribeCloudRunServerDetailResponse](t,
		api(t, base, "DescribeCloudRunServerDetail", m{"EnvId": demoEnv, "ServerName": svc}))
}

func latestTask(t *testing.T, base, svc string) tcbr.DescribeServerManageTaskResponse {
	t.Helper()
	return ok[tcbr.DescribeServerManageTaskResponse](t,
		api(t, base, "DescribeServerManageTask", m{"EnvId": demoEnv, "ServerName": svc, "TaskId": 0}))
}
