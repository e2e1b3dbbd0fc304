package tcbr

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr/wire"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSecretID  = "AKIDtestSecretID0001"
	testSecretKey = "topSecretKey-do-not-leak-0001"
	testToken     = "sessionToken-do-not-leak-0001"
)

// hit is one request the fake API received.
type hit struct {
	header http.Header
	host   string
	method string
	path   string
	body   string
}

// fakeAPI is a loopback server standing in for tcbr/tcb. handle gets the
// 1-based hit number; nil answers an empty success envelope.
type fakeAPI struct {
	srv    *httptest.Server
	n      atomic.Int32
	mu     sync.Mutex
	hits   []hit
	handle func(w http.ResponseWriter, r *http.Request, n int)
}

func newFakeAPI(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{handle: handle}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n := int(f.n.Add(1))
		f.mu.Lock()
		f.hits = append(f.hits, hit{header: r.Header.Clone(), host: r.Host, method: r.Method, path: r.URL.Path, body: string(b)})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		if f.handle == nil {
			okEnvelope(w, `{}`)
			return
		}
		f.handle(w, r, n)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) count() int { return int(f.n.Load()) }

func (f *fakeAPI) hit(i int) hit {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[i]
}

// okEnvelope answers {"Response": <fields> + RequestId}.
func okEnvelope(w http.ResponseWriter, fields string) {
	w.Header().Set("Content-Type", "application/json")
	inner := strings.TrimSuffix(strings.TrimSpace(fields), "}")
	if strings.TrimSpace(inner) != "{" {
		inner += ","
	}
	_, _ = fmt.Fprintf(w, `{"Response":%s"RequestId":"req-ok"}}`, inner)
}

func errEnvelope(w http.ResponseWriter, status int, code, message, requestID string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"Response":{"Error":{"Code":%q,"Message":%q},"RequestId":%q}}`, code, message, requestID)
}

func newTestClient(t *testing.T, baseURL string, mods ...func(*Options)) *SDKClient {
	t.Helper()
	o := Options{
		Credential:     Credential{SecretID: testSecretID, SecretKey: testSecretKey},
		BaseURL:        baseURL,
		Timeout:        5 * time.Second,
		RetryBaseDelay: time.Millisecond,
	}
	for _, m := range mods {
		m(&o)
	}
	c, err := NewSDKClient(o)
	require.NoError(t, err)
	return c
}

func listReq() *DescribeCloudRunServersRequest {
	return &DescribeCloudRunServersRequest{EnvId: "e", PageNum: 1, PageSize: 10}
}

func requireTCBRError(t *testing.T, err error) *Error {
	t.Helper()
	require.Error(t, err)
	var e *Error
	require.ErrorAs(t, err, &e)
	return e
}

// verifyTC3 recomputes the TC3-HMAC-SHA256 Authorization (tcbr-api.md §2.2)
// from what the server received.
func verifyTC3(t *testing.T, h hit, service, secretID, secretKey string) {
	t.Helper()
	sum := func(s string) string { x := sha256.Sum256([]byte(s)); return hex.EncodeToString(x[:]) }
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	ts := h.header.Get("X-TC-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	require.NoError(t, err)
	date := time.Unix(sec, 0).UTC().Format("2006-01-02")
	canonical := "POST\n/\n\ncontent-type:" + h.header.Get("Content-Type") + "\nhost:" + h.host + "\n\ncontent-type;host\n" + sum(h.body)
	scope := date + "/" + service + "/tc3_request"
	sts := "TC3-HMAC-SHA256\n" + ts + "\n" + scope + "\n" + sum(canonical)
	k := mac(mac(mac([]byte("TC3"+secretKey), date), service), "tc3_request")
	want := fmt.Sprintf("TC3-HMAC-SHA256 Credential=%s/%s, SignedHeaders=content-type;host, Signature=%s",
		secretID, scope, hex.EncodeToString(mac(k, sts)))
	assert.Equal(t, want, h.header.Get("Authorization"))
}

func TestSDKClient_RequestShape(t *testing.T) {
	f := newFakeAPI(t, nil)
	c := newTestClient(t, f.srv.URL)

	_, err := c.DescribeCloudRunServers(context.Background(), listReq())
	require.NoError(t, err)
	require.Equal(t, 1, f.count())
	h := f.hit(0)
	assert.Equal(t, http.MethodPost, h.method)
	assert.Equal(t, "/", h.path)
	assert.Equal(t, strings.TrimPrefix(f.srv.URL, "http://"), h.host)
	assert.Equal(t, "application/json", h.header.Get("Content-Type"))
	assert.Equal(t, "DescribeCloudRunServers", h.header.Get("X-TC-Action"))
	assert.Equal(t, "2022-02-17", h.header.Get("X-TC-Version"))
	assert.Equal(t, "ap-shanghai", h.header.Get("X-TC-Region"))
	assert.Equal(t, "en-US", h.header.Get("X-TC-Language"))
	assert.Empty(t, h.header.Values("X-TC-Token"))
	date := time.Now().UTC().Format("2006-01-02")
	assert.True(t, strings.HasPrefix(h.header.Get("Authorization"),
		"TC3-HMAC-SHA256 Credential="+testSecretID+"/"+date+"/tcbr/tc3_request"), h.header.Get("Authorization"))
	assert.Equal(t, `{"EnvId":"e","PageNum":1,"PageSize":10}`, h.body)
	verifyTC3(t, h, "tcbr", testSecretID, testSecretKey)
}

func TestSDKClient_TokenRegionLanguageTransport(t *testing.T) {
	f := newFakeAPI(t, nil)
	var viaTransport atomic.Int32
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		viaTransport.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
	c := newTestClient(t, f.srv.URL, func(o *Options) {
		o.Credential.SessionToken = testToken
		o.Region = "ap-guangzhou"
		o.Language = "zh-CN"
		o.Transport = rt
	})
	_, err := c.DescribeEnvBaseInfo(context.Background(), &DescribeEnvBaseInfoRequest{EnvId: "e"})
	require.NoError(t, err)
	h := f.hit(0)
	assert.Equal(t, testToken, h.header.Get("X-TC-Token"))
	assert.Equal(t, "ap-guangzhou", h.header.Get("X-TC-Region"))
	assert.Equal(t, "zh-CN", h.header.Get("X-TC-Language"))
	assert.Equal(t, int32(1), viaTransport.Load())
	verifyTC3(t, h, "tcbr", testSecretID, testSecretKey)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestSDKClient_TCBRoutedToTCBService(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		okEnvelope(w, `{"UploadUrl":"https://cos.example/u","UploadHeaders":[{"Key":"Content-Type","Value":"application/zip"}],"PackageName":"p","PackageVersion":"v1"}`)
	})
	c := newTestClient(t, f.srv.URL)
	out, err := c.DescribeCloudBaseBuildService(context.Background(), &DescribeCloudBaseBuildServiceRequest{EnvId: "e", ServiceName: "svc"})
	require.NoError(t, err)
	assert.Equal(t, "https://cos.example/u", out.UploadUrl)
	assert.Equal(t, "v1", out.PackageVersion)
	require.Len(t, out.UploadHeaders, 1)
	h := f.hit(0)
	assert.Equal(t, "DescribeCloudBaseBuildService", h.header.Get("X-TC-Action"))
	assert.Equal(t, "2018-06-08", h.header.Get("X-TC-Version"))
	assert.Contains(t, h.header.Get("Authorization"), "/tcb/tc3_request,")
	assert.Equal(t, `{"EnvId":"e","ServiceName":"svc"}`, h.body)
	verifyTC3(t, h, "tcb", testSecretID, testSecretKey)
}

func TestSDKClient_DecodesSuccess(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch r.Header.Get("X-TC-Action") {
		case "DescribeCloudRunServerDetail":
			okEnvelope(w, `{"BaseInfo":null,"ServerConfig":null,"OnlineVersionInfos":[{"VersionName":"svc-001","FlowRatio":"100"}]}`)
		case "DescribeCloudRunDeployRecord":
			okEnvelope(w, `{"DeployRecords":[{"VersionName":"svc-002","BuildId":2608443413,"FlowRatio":30}]}`)
		case "DescribeCloudRunBuildLog":
			okEnvelope(w, `{"Log":null}`)
		default:
			okEnvelope(w, `{"ServerList":null,"Total":0}`)
		}
	})
	c := newTestClient(t, f.srv.URL)
	ctx := context.Background()

	detail, err := c.DescribeCloudRunServerDetail(ctx, &DescribeCloudRunServerDetailRequest{EnvId: "e", ServerName: "svc"})
	require.NoError(t, err)
	assert.Nil(t, detail.BaseInfo)
	assert.Nil(t, detail.ServerConfig)
	require.Len(t, detail.OnlineVersionInfos, 1)
	assert.Equal(t, NumString("100"), detail.OnlineVersionInfos[0].FlowRatio)
	assert.Equal(t, int64(100), detail.OnlineVersionInfos[0].FlowRatio.Int())
	assert.Equal(t, "req-ok", detail.RequestId)

	records, err := c.DescribeCloudRunDeployRecord(ctx, &DescribeCloudRunDeployRecordRequest{EnvId: "e", ServerName: "svc"})
	require.NoError(t, err)
	require.Len(t, records.DeployRecords, 1)
	assert.Equal(t, int64(2608443413), records.DeployRecords[0].BuildId)
	assert.Equal(t, FlexInt(30), records.DeployRecords[0].FlowRatio)

	// Large integers survive the SDK's map round trip of the request body.
	_, err = c.DescribeCloudRunBuildLog(ctx, &DescribeCloudRunBuildLogRequest{EnvId: "e", ServerName: "svc", ServerVersion: "svc-002", BuildId: 2608443413})
	require.NoError(t, err)
	assert.Equal(t, `{"BuildId":2608443413,"EnvId":"e","Offset":0,"ServerName":"svc","ServerVersion":"svc-002"}`, f.hit(2).body)

	list, err := c.DescribeCloudRunServers(ctx, listReq())
	require.NoError(t, err)
	assert.Empty(t, list.ServerList)
	assert.Equal(t, "req-ok", list.RequestId)
}

func TestSDKClient_NilRequestSendsEmptyObject(t *testing.T) {
	f := newFakeAPI(t, nil)
	c := newTestClient(t, f.srv.URL)
	_, err := c.DescribeCloudRunEnvs(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, `{}`, f.hit(0).body)
}

func TestSDKClient_ErrorEnvelope(t *testing.T) {
	tests := []struct {
		code, message string
		status        int
		want          Kind
	}{
		{"ResourceNotFound.ServerNotFound", "service not found", 200, KindNotFound},
		{"InvalidParameter", "service data illegal", 200, KindNotFound},
		{"AuthFailure.SignatureFailure", "The provided credentials could not be validated.", 200, KindAuth},
		{"ResourceInUse", "已有部署发布任务运行中", 200, KindConflict},
		{"InvalidParameterValue", "bad", 200, KindInvalid},
		{"ResourceUnavailable.ResourceFrozen", "frozen", 200, KindUnavailable},
		{"InternalError", "boom", 500, KindInternal}, // an envelope wins over the status
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				errEnvelope(w, tt.status, tt.code, tt.message, "8d28b0d2-8215-4f80-a6d2-3e1a372ac748")
			})
			c := newTestClient(t, f.srv.URL)
			_, err := c.DescribeCloudRunServerDetail(context.Background(), &DescribeCloudRunServerDetailRequest{EnvId: "e", ServerName: "svc"})
			e := requireTCBRError(t, err)
			assert.Equal(t, tt.want, e.Kind)
			assert.Equal(t, "DescribeCloudRunServerDetail", e.Action)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, tt.message, e.Message)
			assert.Equal(t, "8d28b0d2-8215-4f80-a6d2-3e1a372ac748", e.RequestId)
			assert.Contains(t, e.Error(), "(RequestId 8d28b0d2-8215-4f80-a6d2-3e1a372ac748)")
			assert.Equal(t, 1, f.count(), "server errors are not retried")
		})
	}
}

func TestSDKClient_BadResponses(t *testing.T) {
	tests := []struct {
		name     string
		handle   func(w http.ResponseWriter)
		want     Kind
		contains string
	}{
		{"not json", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "<html>hello</html>") }, KindBadResponse, "not a JSON envelope"},
		{"empty object", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{}`) }, KindBadResponse, "without a Response"},
		{"null response", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"Response":null}`) }, KindBadResponse, "without a Response"},
		{"response not object", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"Response":[1]}`) }, KindBadResponse, "not a JSON envelope: {\"Response\":[1]}"},
		{"wrong field type", func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"Response":{"ServerList":"x","RequestId":"req-shape"}}`)
		}, KindBadResponse, "expected shape"},
		{"502 html", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html><body>502 Bad Gateway</body></html>")
		}, KindUnavailable, "HTTP 502"},
		{"502 json", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"message":"upstream down"}`)
		}, KindUnavailable, "HTTP 502"},
		{"503 empty", func(w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }, KindUnavailable, "HTTP 503"},
		{"404 html", func(w http.ResponseWriter) { http.NotFound(w, nil) }, KindBadResponse, "HTTP 404"},
		{"429", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) }, KindRateLimited, "429"},
		{"unsupported encoding", func(w http.ResponseWriter) {
			w.Header().Set("Content-Encoding", "br")
			_, _ = io.WriteString(w, "xx")
		}, KindBadResponse, "Content-Encoding"},
		{"deprecated envelope", func(w http.ResponseWriter) {
			_, _ = io.WriteString(w, `{"code":4100,"message":"auth failed","codeDesc":"AuthFailure"}`)
		}, KindAuth, "auth failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { tt.handle(w) })
			c := newTestClient(t, f.srv.URL, func(o *Options) { o.ReadRetries = -1 })
			_, err := c.DescribeCloudRunServers(context.Background(), listReq())
			e := requireTCBRError(t, err)
			assert.Equal(t, tt.want, e.Kind, e.Error())
			assert.Contains(t, e.Error(), tt.contains)
			assert.Equal(t, 1, f.count())
		})
	}
}

func TestSDKClient_BadShapeKeepsRequestID(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		_, _ = io.WriteString(w, `{"Response":{"Total":"many","RequestId":"req-shape"}}`)
	})
	c := newTestClient(t, f.srv.URL)
	_, err := c.DescribeCloudRunServers(context.Background(), listReq())
	e := requireTCBRError(t, err)
	assert.Equal(t, KindBadResponse, e.Kind)
	assert.Equal(t, "req-shape", e.RequestId)
	assert.Equal(t, 1, f.count(), "a bad shape is not retried")
}

func TestSDKClient_NoCredentials(t *testing.T) {
	for name, cred := range map[string]Credential{
		"none":     {},
		"key only": {SecretKey: testSecretKey},
		"id only":  {SecretID: testSecretID},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t, nil)
			c := newTestClient(t, f.srv.URL, func(o *Options) { o.Credential = cred })
			_, err := c.DescribeCloudRunServers(context.Background(), listReq())
			e := requireTCBRError(t, err)
			assert.Equal(t, KindNoCredential, e.Kind)
			assert.Contains(t, e.Message, "TENCENTCLOUD_SECRETID")
			assert.Contains(t, e.Message, "TENCENTCLOUD_SECRETKEY")
			assert.Contains(t, e.Message, "CLOUDBASE_MCP_SANDBOX=true")
			assert.NotContains(t, e.Error(), testSecretKey)
			assert.Equal(t, 0, f.count())
		})
	}
}

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		in, scheme, host, errPart string
	}{
		{"", "HTTPS", "", ""},
		{"http://127.0.0.1:8080", "HTTP", "127.0.0.1:8080", ""},
		{"http://127.0.0.1:8080/", "HTTP", "127.0.0.1:8080", ""},
		{"HTTP://localhost:9000", "HTTP", "localhost:9000", ""},
		{"https://proxy.example:8443", "HTTPS", "proxy.example:8443", ""},
		{"https://proxy.example", "HTTPS", "proxy.example", ""},
		{"http://[::1]:8080", "HTTP", "[::1]:8080", ""},
		{"  http://127.0.0.1:8080  ", "HTTP", "127.0.0.1:8080", ""},
		{"127.0.0.1:8080", "", "", "missing scheme"},
		{"localhost:8080", "", "", "missing scheme"},
		{"ftp://host:21", "", "", "unsupported scheme"},
		{"http://host:8080/api", "", "", "a path is not supported"},
		{"http://host:8080/?x=1", "", "", "query"},
		{"http://host:8080#frag", "", "", "query or fragment"},
		{"http://user:pw@host:8080", "", "", "user info"},
		{"http://", "", "", "missing host"},
		{"http://:8080", "", "", "missing host"},
		{"http://host:port", "", "", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			scheme, host, err := parseBaseURL(tt.in)
			_, cerr := NewSDKClient(Options{BaseURL: tt.in})
			if tt.errPart != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.errPart)
				assert.Error(t, cerr)
				return
			}
			require.NoError(t, err)
			require.NoError(t, cerr)
			assert.Equal(t, tt.scheme, scheme)
			assert.Equal(t, tt.host, host)
		})
	}
}

func TestSDKClient_Concurrent(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		b, _ := io.ReadAll(r.Body)
		okEnvelope(w, `{"ServerList":[{"ServerName":`+strconv.Quote(string(b))+`}],"Total":1}`)
	})
	c := newTestClient(t, f.srv.URL)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := fmt.Sprintf("env-%d", i)
			out, err := c.DescribeCloudRunServers(context.Background(), &DescribeCloudRunServersRequest{EnvId: env})
			if assert.NoError(t, err) && assert.Len(t, out.ServerList, 1) {
				assert.Equal(t, `{"EnvId":"`+env+`"}`, out.ServerList[0].ServerName)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 32, f.count())
}

// TestSDKClient_EveryMethod calls each Client method through reflection: the
// action header is the method name, the service and version are the wire
// table's for the action, and only reads are retried.
func TestSDKClient_EveryMethod(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		errEnvelope(w, 200, "RequestLimitExceeded", "slow down", "req-limit")
	})
	c := newTestClient(t, f.srv.URL, func(o *Options) { o.ReadRetries = 2 })
	ct := reflect.TypeFor[Client]()
	cv := reflect.ValueOf(c)
	require.Equal(t, 18, ct.NumMethod())
	tab := wire.Load()
	for i := range ct.NumMethod() {
		m := ct.Method(i)
		t.Run(m.Name, func(t *testing.T) {
			before := f.count()
			reqType := m.Type.In(1).Elem()
			out := cv.MethodByName(m.Name).Call([]reflect.Value{reflect.ValueOf(context.Background()), reflect.New(reqType)})
			require.True(t, out[0].IsNil())
			err, _ := out[1].Interface().(error)
			e := requireTCBRError(t, err)
			assert.Equal(t, KindRateLimited, e.Kind)
			assert.Equal(t, m.Name, e.Action)
			assert.Equal(t, "req-limit", e.RequestId)

			read := strings.HasPrefix(m.Name, "Describe") || strings.HasPrefix(m.Name, "Search")
			wantHits := 1
			if read {
				wantHits = 3
			}
			assert.Equal(t, wantHits, f.count()-before, "read=%v", read)
			h := f.hit(before)
			assert.Equal(t, m.Name, h.header.Get("X-TC-Action"))
			service := serviceOf(t, tab, m.Name)
			version := tab.Services[service].Version
			assert.Equal(t, version, h.header.Get("X-TC-Version"))
			assert.Contains(t, h.header.Get("Authorization"), "/"+service+"/tc3_request,")
			assert.True(t, bytes.HasPrefix([]byte(h.body), []byte("{")), h.body)
		})
	}
}

func TestSDKClient_LogsWithoutSecrets(t *testing.T) {
	var buf testutil.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			errEnvelope(w, 200, "RequestLimitExceeded", "slow down", "req-1")
			return
		}
		okEnvelope(w, `{"ServerList":[],"Total":0}`)
	})
	c := newTestClient(t, f.srv.URL, func(o *Options) {
		o.Logger = logger
		o.Credential.SessionToken = testToken
	})
	_, err := c.DescribeCloudRunServers(context.Background(), &DescribeCloudRunServersRequest{EnvId: "env-body-marker"})
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, "action=DescribeCloudRunServers")
	assert.Contains(t, out, "service=tcbr")
	assert.Contains(t, out, "requestId=req-ok")
	assert.Contains(t, out, "attempts=2")
	assert.Contains(t, out, "code=RequestLimitExceeded")
	assert.NotContains(t, out, testSecretKey)
	assert.NotContains(t, out, testToken)
	assert.NotContains(t, out, "env-body-marker")
}
