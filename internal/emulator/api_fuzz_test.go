package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Run any of these longer with, e.g.:
//   go test -run '^$' -fuzz '^FuzzAPIRequest$' -fuzztime 60s ./internal/emulator/

// FuzzParseAuthorization: any Authorization header parses without panicking. An accepted header starts
// with the TC3 algorithm, names a non-empty SecretId and service, has a 64-digit hex signature and
// non-empty, trimmed, lower-case signed header names; rendering what was parsed in the canonical form
// parses back to the same value (whitespace after commas does not matter).
func FuzzParseAuthorization(f *testing.F) {
	f.Add("TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2025-01-01/tcbr/tc3_request, " +
		"SignedHeaders=content-type;host, Signature=455bcbde6a2e41259fd03b2a811db9c0d3b374c0b19b0082537cda9e8dad74af")
	f.Add("TC3-HMAC-SHA256 Credential=id/2026-11-23/tcb/tc3_request,SignedHeaders= Content-Type ; HOST ,Signature=" +
		strings.Repeat("AB", 32))
	f.Add("TC3-HMAC-SHA256 Credential=id/d/tcbr/tc3_request, SignedHeaders=host;;x, Signature=" + strings.Repeat("a", 64))
	f.Add("TC3-HMAC-SHA256 Credential=a=b/c=d/e/tc3_request, SignedHeaders=x=y, Signature=" + strings.Repeat("0", 64) + ", Extra=1")
	f.Add("TC3-HMAC-SHA256 Credential=/2026-01-01/tcbr/tc3_request, SignedHeaders=host, Signature=" + strings.Repeat("a", 64))
	f.Add("TC3-HMAC-SHA256 Credential=id/2026-01-01/tcbr/tc3_request, SignedHeaders=host, Signature=" + strings.Repeat("g", 64))
	f.Add("TC3-HMAC-SHA256 Credential=id/2026-01-01/tcbr/tc3_request, SignedHeaders=host")
	f.Add("HmacSHA256 Credential=x")
	f.Add("Bearer abc")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		a, ok := parseAuthorization(h)
		if !ok {
			return
		}
		require.True(t, strings.HasPrefix(h, tc3Algorithm+" "))
		require.NotEmpty(t, a.SecretID)
		require.NotEmpty(t, a.Service)
		require.NotContains(t, a.SecretID+a.Date+a.Service, "/")
		require.Len(t, a.Signature, 64)
		_, err := hex.DecodeString(a.Signature)
		require.NoError(t, err)
		require.NotEmpty(t, a.SignedHeaders)
		for _, n := range a.SignedHeaders {
			require.NotEmpty(t, n)
			require.Equal(t, strings.ToLower(strings.TrimSpace(n)), n)
			require.NotContains(t, n, ";")
		}
		for _, sep := range []string{", ", ",", " ,  "} {
			again, ok := parseAuthorization(fzRenderAuthorization(a, sep))
			require.True(t, ok, "canonical rendering of %q refused", h)
			require.Equal(t, a, again)
		}
	})
}

func fzRenderAuthorization(a authHeader, sep string) string {
	return tc3Algorithm + " Credential=" + a.SecretID + "/" + a.Date + "/" + a.Service + "/tc3_request" + sep +
		"SignedHeaders=" + strings.Join(a.SignedHeaders, ";") + sep + "Signature=" + a.Signature
}

// Signing modes of FuzzAPIRequest (mode % 3).
const (
	fzSignRaw      = iota // the Authorization and X-TC-Timestamp headers are sent as fuzzed
	fzSignRightKey        // signed now with the demo key over exactly what is sent
	fzSignWrongKey        // signed now like fzSignRightKey, but with another key
	fzSignModes
)

// FuzzAPIRequest sends an arbitrary request (method, path, the X-TC-* headers, Authorization, body) to
// the emulator's real handler, on a fresh emulator per input (signed inputs may reach write actions).
//
// Properties: no panic and always an answer. Every POST outside the admin, storage and template routes is
// answered HTTP 200, application/json, in the Tencent Cloud envelope: {"Response":{...,"RequestId":s}}
// with a non-empty RequestId, and when there is an "Error" it is {"Code":non-empty,"Message":non-empty}.
// Other methods get a JSON object (200 for GET /, else 404). A request signed with the wrong key is
// always refused and never recorded as a verified call. A request signed with the right key is never
// refused for its signature, and when its version and action are present it is recorded exactly once.
func FuzzAPIRequest(f *testing.F) {
	vecAuth := "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2025-01-01/tcbr/tc3_request, " +
		"SignedHeaders=content-type;host, Signature=455bcbde6a2e41259fd03b2a811db9c0d3b374c0b19b0082537cda9e8dad74af"
	add := func(method, path, auth, action, ts, version, ctype, sha string, body string, mode uint8) {
		f.Add(method, path, auth, action, ts, version, ctype, sha, []byte(body), mode)
	}
	add("POST", "/", vecAuth, "DescribeCloudRunServers", "1735689600", "2022-02-17", "application/json", "",
		`{"EnvId":"env-example","PageNum":1,"PageSize":10}`, fzSignRaw)
	add("POST", "/", "", "", "", "", "", "", `{}`, fzSignRaw)
	add("POST", "/", "Bearer abc", "DescribeEnvBaseInfo", "yesterday", "2022-02-17", "", "", `{"EnvId":"demo-env-1a2b3c"}`, fzSignRaw)
	add("POST", "/", "", "DescribeCloudRunServers", "", "", "application/json", "",
		`{"EnvId":"demo-env-1a2b3c","PageSize":10,"PageNum":1}`, fzSignRightKey)
	add("POST", "/", "", "DescribeCloudRunServerDetail", "", "", "application/json", "",
		`{"EnvId":"demo-env-1a2b3c","ServerName":"todo-func"}`, fzSignRightKey)
	add("POST", "/api/v3", "", "DescribeCloudRunDeployRecord", "", "", "application/json; charset=utf-8", "UNSIGNED-PAYLOAD",
		`{"EnvId":"demo-env-1a2b3c","ServerName":"todo-func"}`, fzSignRightKey)
	add("POST", "/", "", "CreateCloudRunServer", "", "", "application/json", "",
		`{"EnvId":"demo-env-1a2b3c","ServerName":"fuzz-svc","DeployInfo":{"DeployType":"image","ImageUrl":"ccr.ccs.tencentyun.com/ns/app:v1"},"ServerConfig":{"Cpu":0.5,"Mem":1,"Port":80}}`, fzSignRightKey)
	add("POST", "/", "", "UpdateCloudRunServer", "", "", "application/json", "",
		`{"EnvId":"demo-env-1a2b3c","ServerName":"todo-func","DeployInfo":{"DeployType":"package"},"Items":[{"Key":"Cpu","FloatVal":1}]}`, fzSignRightKey)
	add("POST", "/", "", "ReleaseGray", "", "", "application/json", "",
		`{"EnvId":"demo-env-1a2b3c","ServerName":"todo-func","GrayType":"gray","TrafficType":"FLOW","GrayFlowRatio":10}`, fzSignRightKey)
	add("POST", "/", "", "DeleteCloudRunServer", "", "", "application/json", "", `{"EnvId":"demo-env-1a2b3c","ServerName":"todo-func"}`, fzSignRightKey)
	add("POST", "/", "", "DescribeEnvInfo", "", "2018-06-08", "application/json", "", `{"EnvId":"demo-env-1a2b3c"}`, fzSignRightKey)
	add("POST", "/", "", "DescribeCloudBaseBuildService", "", "2018-06-08", "application/json", "",
		`{"EnvId":"demo-env-1a2b3c","ServiceName":"todo-func"}`, fzSignRightKey)
	add("POST", "/", "", "DescribeCloudRunServers", "", "", "application/json", "", `[1]`, fzSignRightKey)
	add("POST", "/", "", "DescribeCloudRunServers", "", "", "application/json", "", `{"EnvId":42}`, fzSignRightKey)
	add("POST", "/", "", "DescribeCloudRunPodList", "", "", "application/json", "", `{}`, fzSignRightKey)
	add("POST", "/", "", "", "", "", "application/json", "", `{}`, fzSignRightKey)
	add("POST", "/", "", "DescribeEnvBaseInfo", "", "2020-01-01", "application/json", "", `{"EnvId":"demo-env-1a2b3c"}`, fzSignRightKey)
	add("POST", "/", "", "DescribeEnvBaseInfo", "", "", "application/json", "", `{"EnvId":"demo-env-1a2b3c"}`, fzSignWrongKey)
	add("POST", "/", "", "DeleteCloudRunServer", "", "", "application/json", "unsigned-payload ", `{"EnvId":"demo-env-1a2b3c","ServerName":"todo-func"}`, fzSignWrongKey)
	add("GET", "/", "", "", "", "", "", "", ``, fzSignRaw)
	add("PUT", "/x", "", "", "", "", "", "", `{}`, fzSignRightKey)
	add("POST", "/__emulator/reset", "", "", "", "", "", "", ``, fzSignRaw)

	scenario := DefaultScenario() // parsed once; New clones it
	f.Fuzz(func(t *testing.T, method, path, auth, action, ts, version, ctype, sha string, body []byte, mode uint8) {
		mode %= fzSignModes
		e, err := New(Options{Seed: 1, Scenario: scenario})
		require.NoError(t, err)
		if !fzIsToken(method) {
			method = http.MethodPost
		}
		if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/__") || strings.HasPrefix(path, "/func_tpl/") ||
			strings.ContainsAny(path, "?#") || strings.ContainsFunc(path, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			path = "/" // the API endpoint; the admin, storage and template routes are not what is fuzzed here
		}
		r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:9000/", bytes.NewReader(body))
		r.Method = method
		r.URL.Path, r.URL.RawPath = path, ""
		set := func(k, v string) {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		set("Content-Type", ctype)
		set("X-TC-Action", action)
		set("X-TC-Region", "ap-shanghai")
		set("X-TC-Content-SHA256", sha)

		service := tcbr.ServiceTCBR
		if _, ok := tcbHandlers[strings.TrimSpace(action)]; ok || strings.TrimSpace(version) == tcbr.VersionTCB {
			service = tcbr.ServiceTCB
		}
		switch mode {
		case fzSignRaw:
			set("Authorization", auth)
			set("X-TC-Timestamp", ts)
			set("X-TC-Version", version)
		default:
			if version == "" {
				version = apiVersions[service]
			}
			set("X-TC-Version", version)
			key := DemoSecretKey
			if mode == fzSignWrongKey {
				key = fzWrongKey(auth)
			}
			fzSignFuzzRequest(r, body, DemoSecretID, key, service, time.Now())
		}

		rec := httptest.NewRecorder()
		e.Handler().ServeHTTP(rec, r)
		res := rec.Result()

		if method != http.MethodPost {
			require.Contains(t, []int{http.StatusOK, http.StatusNotFound}, res.StatusCode)
			var obj map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &obj), "not a JSON object: %q", rec.Body.Bytes())
			return
		}
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "application/json", res.Header.Get("Content-Type"))
		code, msg := fzCheckEnvelope(t, rec.Body.Bytes())
		recorded := e.Requests()

		switch mode {
		case fzSignWrongKey:
			require.NotEmpty(t, code, "a request signed with the wrong key was answered %s", rec.Body.Bytes())
			require.Empty(t, recorded, "a request signed with the wrong key was recorded as verified")
			require.NotEqual(t, "AuthFailure.InvalidAuthorization", code, "the header we built is well-formed")
		case fzSignRightKey:
			require.False(t, strings.HasPrefix(code, "AuthFailure"), "a correctly signed request was refused: %s %s", code, msg)
			if strings.TrimSpace(version) == apiVersions[service] && strings.TrimSpace(action) != "" {
				require.Len(t, recorded, 1, "a correctly signed request was not recorded (%s %s)", code, msg)
				require.Equal(t, strings.TrimSpace(action), recorded[0].Action)
				require.Equal(t, body, recorded[0].Body)
			}
		}
		if len(recorded) > 0 {
			require.Len(t, recorded, 1)
			require.Equal(t, body, recorded[0].Body)
		}
	})
}

// FuzzSignedBodyTamper signs one request properly with the demo key and checks that exactly that request
// is accepted, while the same signature over a different body, or a signature made with any other key, is
// refused with AuthFailure.SignatureFailure and never recorded. The body is signed in full (no
// UNSIGNED-PAYLOAD), over each host and URI form the verifier tolerates.
func FuzzSignedBodyTamper(f *testing.F) {
	f.Add([]byte(`{"EnvId":"demo-env-1a2b3c"}`), []byte(`{"EnvId":"fresh-env-9z8y7x"}`), "not-the-key", uint8(0), uint8(0))
	f.Add([]byte(`{"EnvId":"demo-env-1a2b3c","PageSize":10}`), []byte(`{"EnvId":"demo-env-1a2b3c","PageSize":10} `), DemoSecretKey+"x", uint8(1), uint8(1))
	f.Add([]byte(`{}`), []byte(``), "", uint8(2), uint8(2))
	f.Add([]byte(``), []byte(`{}`), strings.ToUpper(DemoSecretKey), uint8(3), uint8(3))
	f.Add([]byte(`{"EnvId":"demo-env-1a2b3c","ServerName":"todo-func"}`), []byte(`{"EnvId":"demo-env-1a2b3c","ServerName":"todo-fund"}`), DemoSecretKey[1:], uint8(4), uint8(4))
	f.Add([]byte("UNSIGNED-PAYLOAD"), []byte(`{}`), "k", uint8(5), uint8(5))

	e, err := New(Options{Seed: 2})
	require.NoError(f, err)
	handler := e.Handler()
	send := func(t *testing.T, r *http.Request) (string, int) {
		before := len(e.Requests())
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		require.Equal(t, http.StatusOK, rec.Code)
		code, _ := fzCheckEnvelope(t, rec.Body.Bytes())
		n := len(e.Requests()) - before
		if n > 0 {
			e.clearRequests()
		}
		return code, n
	}

	f.Fuzz(func(t *testing.T, body, tampered []byte, key string, actionSel, variant uint8) {
		read := fzReadActions[int(actionSel)%len(fzReadActions)]
		build := func(sendBody []byte, key string) *http.Request {
			target := "http://127.0.0.1:9000/"
			if variant&4 != 0 {
				target = "http://127.0.0.1:9000/api/v3"
			}
			r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(sendBody))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-TC-Action", read.action)
			r.Header.Set("X-TC-Version", apiVersions[read.service])
			r.Header.Set("X-TC-Region", "ap-shanghai")
			o := fzSignVariant{host: r.Host, uri: "/"}
			switch variant % 4 {
			case 1:
				o.host = "127.0.0.1"
			case 2:
				o.host = read.service + ".tencentcloudapi.com"
			case 3:
				o.extra = true
			}
			if variant&4 != 0 && variant&8 != 0 {
				o.uri = "/api/v3"
			}
			fzSignWith(r, body, DemoSecretID, key, read.service, time.Now(), o)
			return r
		}

		code, n := send(t, build(body, DemoSecretKey))
		require.False(t, strings.HasPrefix(code, "AuthFailure"), "the correctly signed request was refused: %s", code)
		require.Equal(t, 1, n, "the correctly signed request was not recorded")

		if !bytes.Equal(tampered, body) {
			code, n = send(t, build(tampered, DemoSecretKey))
			require.Equal(t, "AuthFailure.SignatureFailure", code, "body %q signed, %q sent", body, tampered)
			require.Zero(t, n, "a tampered request was recorded")
		}
		// HMAC pads short keys with zero bytes, so trailing NULs give the same key: not a different key.
		if strings.TrimRight(key, "\x00") != DemoSecretKey {
			code, n = send(t, build(body, key))
			require.Equal(t, "AuthFailure.SignatureFailure", code, "signed with %q", key)
			require.Zero(t, n, "a request signed with the wrong key was recorded")
		}
	})
}

// fzReadActions are actions that do not change the emulator's state.
var fzReadActions = []struct{ service, action string }{
	{tcbr.ServiceTCBR, "DescribeCloudRunServers"},
	{tcbr.ServiceTCBR, "DescribeCloudRunServerDetail"},
	{tcbr.ServiceTCBR, "DescribeEnvBaseInfo"},
	{tcbr.ServiceTCBR, "DescribeCloudRunEnvs"},
	{tcbr.ServiceTCBR, "DescribeServerManageTask"},
	{tcbr.ServiceTCB, "DescribeEnvInfo"},
}

// fzCheckEnvelope asserts the Tencent Cloud envelope shape and returns the error code and message ("" on
// success).
func fzCheckEnvelope(t *testing.T, raw []byte) (string, string) {
	t.Helper()
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &env), "not JSON: %q", raw)
	require.Len(t, env, 1, "envelope %s", raw)
	resp, ok := env["Response"]
	require.True(t, ok, "no Response in %s", raw)
	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(resp, &fields), "Response is not an object: %s", raw)
	var reqID string
	require.NoError(t, json.Unmarshal(fields["RequestId"], &reqID), "RequestId in %s", raw)
	require.NotEmpty(t, reqID, "empty RequestId in %s", raw)
	errRaw, hasErr := fields["Error"]
	if !hasErr {
		return "", ""
	}
	require.Len(t, fields, 2, "an error Response holds Error and RequestId only: %s", raw)
	var e map[string]any
	require.NoError(t, json.Unmarshal(errRaw, &e), "Error is not an object: %s", raw)
	require.Len(t, e, 2, "Error holds Code and Message: %s", raw)
	code, ok := e["Code"].(string)
	require.True(t, ok && code != "", "Error.Code in %s", raw)
	msg, ok := e["Message"].(string)
	require.True(t, ok && msg != "", "Error.Message in %s", raw)
	return code, msg
}

// fzIsToken reports whether s is a valid HTTP method token (RFC 9110), as a server would accept.
func fzIsToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// fzWrongKey derives a key from s that is not the demo key (nor the demo key with trailing NULs, which HMAC
// cannot tell apart).
func fzWrongKey(s string) string {
	if strings.TrimRight(s, "\x00") == DemoSecretKey {
		return s + "x"
	}
	return s
}

// fzSignVariant is which of the canonical forms the verifier tolerates the client used.
type fzSignVariant struct {
	host  string // the host value signed
	uri   string // the canonical URI
	extra bool   // also sign x-tc-action
}

// fzSignFuzzRequest signs r the way the Go SDK does: host as sent, URI "/", content-type and host signed.
func fzSignFuzzRequest(r *http.Request, body []byte, id, key, service string, now time.Time) {
	fzSignWith(r, body, id, key, service, now, fzSignVariant{host: r.Host, uri: "/"})
}

// fzSignWith is an independent TC3-HMAC-SHA256 signer (spec §2.2, checked against its test vector in
// TestFuzzSignerSpecVector): it sets X-TC-Timestamp and Authorization.
func fzSignWith(r *http.Request, body []byte, id, key, service string, now time.Time, o fzSignVariant) {
	ts := now.Unix()
	r.Header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	headers := []string{"content-type", "host"}
	if o.extra {
		headers = append(headers, "x-tc-action")
	}
	var ch strings.Builder
	for _, h := range headers {
		v := r.Header.Get(h)
		if h == "host" {
			v = o.host
		}
		ch.WriteString(h + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	payload := body
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("X-TC-Content-SHA256")), "UNSIGNED-PAYLOAD") {
		payload = []byte("UNSIGNED-PAYLOAD")
	}
	sig, date := fuzzTC3(key, service, ts, r.Method, o.uri, ch.String(), strings.Join(headers, ";"), payload)
	r.Header.Set("Authorization", "TC3-HMAC-SHA256 Credential="+id+"/"+date+"/"+service+"/tc3_request, SignedHeaders="+
		strings.Join(headers, ";")+", Signature="+sig)
}

func fuzzTC3(key, service string, ts int64, method, uri, canonHeaders, signedHeaders string, payload []byte) (sig, date string) {
	hexSum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	mac := func(k []byte, msg string) []byte {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	canon := strings.Join([]string{method, uri, "", canonHeaders, signedHeaders, hexSum(payload)}, "\n")
	date = time.Unix(ts, 0).UTC().Format("2006-01-02")
	toSign := strings.Join([]string{"TC3-HMAC-SHA256", strconv.FormatInt(ts, 10), date + "/" + service + "/tc3_request", hexSum([]byte(canon))}, "\n")
	k := mac([]byte("TC3"+key), date)
	k = mac(k, service)
	k = mac(k, "tc3_request")
	return hex.EncodeToString(mac(k, toSign)), date
}

// TestFuzzSignerSpecVector keeps the fuzz tests' signer honest: it must reproduce the spec §2.2 vector.
func TestFuzzSignerSpecVector(t *testing.T) {
	sig, date := fuzzTC3("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "tcbr", 1735689600, "POST", "/",
		"content-type:application/json\nhost:tcbr.tencentcloudapi.com\n", "content-type;host",
		[]byte(`{"EnvId":"env-example","PageNum":1,"PageSize":10}`))
	require.Equal(t, "455bcbde6a2e41259fd03b2a811db9c0d3b374c0b19b0082537cda9e8dad74af", sig)
	require.Equal(t, "2025-01-01", date)
	require.True(t, fzIsToken("POST"))
	require.False(t, fzIsToken("PO ST"))
	require.Equal(t, DemoSecretKey+"\x00x", fzWrongKey(DemoSecretKey+"\x00"))
}
