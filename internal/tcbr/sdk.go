package tcbr

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

const (
	DefaultRegion         = "ap-shanghai"
	DefaultLanguage       = "en-US"
	DefaultTimeout        = 30 * time.Second
	DefaultReadRetries    = 3
	DefaultRetryBaseDelay = 500 * time.Millisecond
	maxRetryDelay         = 5 * time.Second
)

// Credential is a Tencent Cloud API key pair, plus the session token of
// temporary (STS) keys.
type Credential struct {
	SecretID, SecretKey, SessionToken string
}

// Present reports whether both halves of the key pair are set.
func (c Credential) Present() bool { return c.SecretID != "" && c.SecretKey != "" }

// Options configures NewSDKClient. The zero value talks to the real endpoints
// in ap-shanghai with the defaults below.
type Options struct {
	Credential Credential
	// Source, when set, replaces Credential: the keys of each call come
	// from it (a role's temporary keys refresh behind it).
	Source CredentialSource
	// Region is sent as X-TC-Region; "" means ap-shanghai.
	Region string
	// BaseURL replaces both real endpoints (tcbr. and tcb.tencentcloudapi.com)
	// with one base, e.g. "http://127.0.0.1:8080"; "" means the real ones.
	BaseURL string
	// Timeout bounds each attempt; 0 means 30 s.
	Timeout time.Duration
	// ReadRetries is how many extra attempts a read gets after a rate limit
	// or a network failure; 0 means 3, negative means none.
	ReadRetries int
	// RetryBaseDelay is the first backoff delay (doubling, jittered, capped at
	// 5 s); 0 means 500 ms.
	RetryBaseDelay time.Duration
	// Logger receives one debug line per call; nil discards.
	Logger *slog.Logger
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// Language is sent as X-TC-Language; "" means en-US.
	Language string
}

// SDKClient implements Client over the Tencent Cloud SDK's common client,
// which does the TC3 signing and the HTTP exchange. It is goroutine-safe: the
// SDK client is configured once and each call builds its own request.
type SDKClient struct {
	sdk         *common.Client
	creds       CredentialSource
	endpoint    string // for messages: "https://<service>.tencentcloudapi.com" or the BaseURL
	timeout     time.Duration
	readRetries int
	baseDelay   time.Duration
	logger      *slog.Logger
}

var _ Client = (*SDKClient)(nil)

// NewSDKClient builds a client. Missing credentials are not an error here (the
// server must still start and explain how to set them): every call then fails
// with KindNoCredential without touching the network.
func NewSDKClient(opts Options) (*SDKClient, error) {
	scheme, host, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &SDKClient{
		creds:       opts.Source,
		endpoint:    "https://<service>.tencentcloudapi.com",
		timeout:     opts.Timeout,
		readRetries: opts.ReadRetries,
		baseDelay:   opts.RetryBaseDelay,
		logger:      opts.Logger,
	}
	if host != "" {
		c.endpoint = strings.ToLower(scheme) + "://" + host
	}
	if c.creds == nil {
		c.creds = Static(opts.Credential)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.readRetries == 0:
		c.readRetries = DefaultReadRetries
	case c.readRetries < 0:
		c.readRetries = 0
	}
	if c.baseDelay <= 0 {
		c.baseDelay = DefaultRetryBaseDelay
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	region := opts.Region
	if region == "" {
		region = DefaultRegion
	}

	cpf := profile.NewClientProfile()
	cpf.HttpProfile.ReqMethod = http.MethodPost // a CommonRequest sent with GET carries no parameters
	// The per-attempt context enforces Timeout precisely; the SDK's whole-second
	// http.Client timeout is only a backstop, one second later.
	cpf.HttpProfile.ReqTimeout = int(math.Ceil(c.timeout.Seconds())) + 1
	if host != "" {
		cpf.HttpProfile.Scheme = scheme
		cpf.HttpProfile.Endpoint = host
	}
	cpf.Language = opts.Language
	if cpf.Language == "" {
		cpf.Language = DefaultLanguage
	}
	cpf.DisableRegionBreaker = true     // no silent switch to a backup endpoint
	cpf.RateLimitExceededMaxRetries = 0 // we retry reads ourselves, ctx-aware
	cpf.NetworkFailureMaxRetries = 0    // ditto; never for writes
	cpf.UnsafeRetryOnConnectionFailure = false

	// One client serves both services: with Endpoint "" the SDK derives the
	// host from the request's service; with a BaseURL both share it. It reads
	// the keys from c.creds at each signature.
	c.sdk = common.NewCommonClient(sdkCredential{c.creds}, region, cpf)
	base := opts.Transport
	if base == nil {
		base = defaultTransport()
	}
	c.sdk.WithHttpTransport(&statusRecorder{base: base})
	return c, nil
}

// parseBaseURL splits "http(s)://host[:port][/]" into the SDK's Scheme
// ("HTTP"/"HTTPS") and Endpoint ("host[:port]"). "" means the real endpoints.
func parseBaseURL(raw string) (scheme, host string, err error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "HTTPS", "", nil
	}
	bad := func(why string) error {
		return fmt.Errorf("tcbr: invalid API base URL %q: %s", raw, why)
	}
	if !strings.Contains(raw, "://") {
		return "", "", bad("missing scheme; write it as http://host:port or https://host[:port]")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", bad(err.Error())
	}
	switch u.Scheme {
	case "http":
		scheme = "HTTP"
	case "https":
		scheme = "HTTPS"
	default:
		return "", "", bad(fmt.Sprintf("unsupported scheme %q; use http or https", u.Scheme))
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return "", "", bad("missing host")
	case u.User != nil:
		return "", "", bad("user info is not allowed")
	case u.Opaque != "" || (u.Path != "" && u.Path != "/"):
		return "", "", bad("a path is not supported; give only scheme://host[:port]")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", "", bad("a query or fragment is not supported; give only scheme://host[:port]")
	}
	return scheme, u.Host, nil
}

// defaultTransport mirrors what the SDK would build (a clone of
// http.DefaultTransport, so HTTPS_PROXY/NO_PROXY apply), without sharing it.
func defaultTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t = t.Clone()
		t.IdleConnTimeout = 30 * time.Second
		return t
	}
	return http.DefaultTransport
}

// api names one action and whether it only reads (reads are retried).
type api struct {
	service, version, action string
	read                     bool
}

func tcbrRead(action string) api  { return api{ServiceTCBR, VersionTCBR, action, true} }
func tcbrWrite(action string) api { return api{ServiceTCBR, VersionTCBR, action, false} }
func tcbRead(action string) api   { return api{ServiceTCB, VersionTCB, action, true} }

// call marshals req, sends it (with retries for reads) and decodes the
// envelope's Response into a Resp. Every error is an *Error.
func call[Resp, Req any](ctx context.Context, c *SDKClient, a api, req *Req) (*Resp, error) {
	start := time.Now()
	out, requestID, attempts, err := callDecode[Resp](ctx, c, a, req)
	attrs := []slog.Attr{
		slog.String("service", a.service), slog.String("action", a.action),
		slog.Duration("duration", time.Since(start)), slog.Int("attempts", attempts),
		slog.String("requestId", requestID),
	}
	if err != nil {
		if e, ok := err.(*Error); ok {
			attrs = append(attrs, slog.String("kind", string(e.Kind)), slog.String("code", e.Code))
		}
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "tcbr call", attrs...)
	return out, err
}

func callDecode[Resp, Req any](ctx context.Context, c *SDKClient, a api, req *Req) (*Resp, string, int, error) {
	body := []byte("{}")
	if req != nil {
		b, err := json.Marshal(req)
		if err != nil {
			return nil, "", 0, &Error{Kind: KindInvalid, Action: a.action, Message: "cannot encode the request: " + err.Error(), Err: err}
		}
		body = b
	}
	raw, requestID, attempts, err := c.invoke(ctx, a, body)
	if err != nil {
		return nil, requestID, attempts, err
	}
	out := new(Resp)
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, requestID, attempts, &Error{
			Kind: KindBadResponse, Action: a.action, RequestId: requestID, Err: err,
			Message: "the response does not match the expected shape: " + err.Error(),
		}
	}
	return out, requestID, attempts, nil
}

// rawResponse is a tchttp.Response that keeps the body bytes. The SDK has
// already turned any {"Response":{"Error":…}} into an error by the time it
// decodes into it; keeping the bytes (instead of CommonResponse's
// map[string]interface{} round trip) decodes numbers and strings exactly.
type rawResponse struct {
	*tchttp.BaseResponse
	body []byte
}

func (r *rawResponse) UnmarshalJSON(b []byte) error {
	r.body = append([]byte(nil), b...)
	return nil
}

// attempt sends one signed request bounded by c.timeout and returns the
// envelope's Response object and RequestId.
func (c *SDKClient) attempt(ctx context.Context, a api, body []byte) (json.RawMessage, string, *Error) {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel() // also aborts a connection the SDK left unread on an error path
	rec := &attemptRecord{}
	actx = context.WithValue(actx, attemptKey{}, rec)

	req := tchttp.NewCommonRequest(a.service, a.version, a.action)
	if err := req.SetActionParameters(body); err != nil {
		// Unreachable with our marshalled structs; the SDK's text would echo the body.
		return nil, "", &Error{Kind: KindInvalid, Action: a.action, Message: "the SDK rejected the request parameters"}
	}
	req.SetContext(actx)
	resp := &rawResponse{BaseResponse: &tchttp.BaseResponse{}}
	if err := c.sdk.Send(req, resp); err != nil {
		return nil, "", c.classify(ctx, actx, a, rec, err)
	}
	var env struct {
		Response json.RawMessage `json:"Response"`
	}
	if err := json.Unmarshal(resp.body, &env); err != nil || len(env.Response) == 0 || string(env.Response) == "null" {
		return nil, "", &Error{
			Kind: KindBadResponse, Action: a.action, Err: err,
			Message: "the API answered without a Response object: " + c.redact(snippet(string(resp.body))),
		}
	}
	var meta struct {
		RequestId string `json:"RequestId"`
	}
	if err := json.Unmarshal(env.Response, &meta); err != nil {
		return nil, "", &Error{
			Kind: KindBadResponse, Action: a.action, Err: err,
			Message: "the Response is not an object: " + c.redact(snippet(string(env.Response))),
		}
	}
	return env.Response, meta.RequestId, nil
}

// --- Client methods: one line each; reads are Describe*/Search*.

func (c *SDKClient) DescribeCloudRunServers(ctx context.Context, req *DescribeCloudRunServersRequest) (*DescribeCloudRunServersResponse, error) {
	return call[DescribeCloudRunServersResponse](ctx, c, tcbrRead("DescribeCloudRunServers"), req)
}

func (c *SDKClient) DescribeCloudRunServerDetail(ctx context.Context, req *DescribeCloudRunServerDetailRequest) (*DescribeCloudRunServerDetailResponse, error) {
	return call[DescribeCloudRunServerDetailResponse](ctx, c, tcbrRead("DescribeCloudRunServerDetail"), req)
}

func (c *SDKClient) CreateCloudRunServer(ctx context.Context, req *CreateCloudRunServerRequest) (*CreateCloudRunServerResponse, error) {
	return call[CreateCloudRunServerResponse](ctx, c, tcbrWrite("CreateCloudRunServer"), req)
}

func (c *SDKClient) UpdateCloudRunServer(ctx context.Context, req *UpdateCloudRunServerRequest) (*UpdateCloudRunServerResponse, error) {
	return call[UpdateCloudRunServerResponse](ctx, c, tcbrWrite("UpdateCloudRunServer"), req)
}

func (c *SDKClient) DeleteCloudRunServer(ctx context.Context, req *DeleteCloudRunServerRequest) (*DeleteCloudRunServerResponse, error) {
	return call[DeleteCloudRunServerResponse](ctx, c, tcbrWrite("DeleteCloudRunServer"), req)
}

func (c *SDKClient) DescribeCloudRunDeployRecord(ctx context.Context, req *DescribeCloudRunDeployRecordRequest) (*DescribeCloudRunDeployRecordResponse, error) {
	return call[DescribeCloudRunDeployRecordResponse](ctx, c, tcbrRead("DescribeCloudRunDeployRecord"), req)
}

func (c *SDKClient) DescribeCloudRunBuildLog(ctx context.Context, req *DescribeCloudRunBuildLogRequest) (*DescribeCloudRunBuildLogResponse, error) {
	return call[DescribeCloudRunBuildLogResponse](ctx, c, tcbrRead("DescribeCloudRunBuildLog"), req)
}

func (c *SDKClient) DescribeCloudRunProcessLog(ctx context.Context, req *DescribeCloudRunProcessLogRequest) (*DescribeCloudRunProcessLogResponse, error) {
	return call[DescribeCloudRunProcessLogResponse](ctx, c, tcbrRead("DescribeCloudRunProcessLog"), req)
}

func (c *SDKClient) DescribeServerManageTask(ctx context.Context, req *DescribeServerManageTaskRequest) (*DescribeServerManageTaskResponse, error) {
	return call[DescribeServerManageTaskResponse](ctx, c, tcbrRead("DescribeServerManageTask"), req)
}

func (c *SDKClient) DescribeReleaseOrder(ctx context.Context, req *DescribeReleaseOrderRequest) (*DescribeReleaseOrderResponse, error) {
	return call[DescribeReleaseOrderResponse](ctx, c, tcbrRead("DescribeReleaseOrder"), req)
}

func (c *SDKClient) ReleaseGray(ctx context.Context, req *ReleaseGrayRequest) (*ReleaseGrayResponse, error) {
	return call[ReleaseGrayResponse](ctx, c, tcbrWrite("ReleaseGray"), req)
}

func (c *SDKClient) OperateServerManage(ctx context.Context, req *OperateServerManageRequest) (*OperateServerManageResponse, error) {
	return call[OperateServerManageResponse](ctx, c, tcbrWrite("OperateServerManage"), req)
}

func (c *SDKClient) DescribeEnvBaseInfo(ctx context.Context, req *DescribeEnvBaseInfoRequest) (*DescribeEnvBaseInfoResponse, error) {
	return call[DescribeEnvBaseInfoResponse](ctx, c, tcbrRead("DescribeEnvBaseInfo"), req)
}

func (c *SDKClient) CreateCloudRunEnv(ctx context.Context, req *CreateCloudRunEnvRequest) (*CreateCloudRunEnvResponse, error) {
	return call[CreateCloudRunEnvResponse](ctx, c, tcbrWrite("CreateCloudRunEnv"), req)
}

func (c *SDKClient) SubmitServerConfigChangeDiff(ctx context.Context, req *SubmitServerConfigChangeDiffRequest) (*SubmitServerConfigChangeDiffResponse, error) {
	return call[SubmitServerConfigChangeDiffResponse](ctx, c, tcbrWrite("SubmitServerConfigChangeDiff"), req)
}

func (c *SDKClient) DescribeCloudRunEnvs(ctx context.Context, req *DescribeCloudRunEnvsRequest) (*DescribeCloudRunEnvsResponse, error) {
	return call[DescribeCloudRunEnvsResponse](ctx, c, tcbrRead("DescribeCloudRunEnvs"), req)
}

func (c *SDKClient) DescribeCloudBaseBuildService(ctx context.Context, req *DescribeCloudBaseBuildServiceRequest) (*DescribeCloudBaseBuildServiceResponse, error) {
	return call[DescribeCloudBaseBuildServiceResponse](ctx, c, tcbRead("DescribeCloudBaseBuildService"), req)
}

func (c *SDKClient) DescribeHTTPServiceRoute(ctx context.Context, req *DescribeHTTPServiceRouteRequest) (*DescribeHTTPServiceRouteResponse, error) {
	return call[DescribeHTTPServiceRouteResponse](ctx, c, tcbRead("DescribeHTTPServiceRoute"), req)
}
