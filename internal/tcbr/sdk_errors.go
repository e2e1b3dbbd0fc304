package tcbr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
)

// invoke runs attempts until one succeeds, the error is not retryable, the
// action is a write, the retry budget is spent, or ctx is done.
func (c *SDKClient) invoke(ctx context.Context, a api, body []byte) (json.RawMessage, string, int, error) {
	if _, err := c.creds.Credential(); err != nil {
		return nil, "", 0, &Error{Kind: KindNoCredential, Action: a.action, Message: err.Error()}
	}
	maxAttempts := 1
	if a.read {
		maxAttempts += c.readRetries
	}
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, "", n - 1, ctxError(a, ctx, "the call was not sent", nil)
		}
		raw, requestID, e := c.attempt(ctx, a, body)
		if e == nil {
			return raw, requestID, n, nil
		}
		if n >= maxAttempts || !retryable(e) || ctx.Err() != nil {
			return nil, e.RequestId, n, e
		}
		delay := backoff(c.baseDelay, n)
		c.logger.LogAttrs(ctx, slog.LevelDebug, "tcbr retry",
			slog.String("action", a.action), slog.Int("attempt", n), slog.Duration("delay", delay),
			slog.String("kind", string(e.Kind)), slog.String("code", e.Code), slog.String("requestId", e.RequestId))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, e.RequestId, n, ctxError(a, ctx, "stopped while waiting to retry after: "+e.Message, e)
		case <-t.C:
		}
	}
}

// retryable: rate limits and transport failures of reads. Timeouts are not
// retried (the budget is the caller's), nor anything the server judged.
func retryable(e *Error) bool {
	return e.Kind == KindRateLimited || e.Kind == KindNetwork
}

// backoff is base·2^(n-1), capped, with "equal jitter" (half fixed, half random).
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < maxRetryDelay; i++ {
		d *= 2
	}
	d = min(d, maxRetryDelay)
	half := d / 2
	return half + rand.N(half+1)
}

// ctxError reports that the caller's ctx ended the call. errors.Is(err,
// context.Canceled / DeadlineExceeded) holds; the last upstream Code and
// RequestId (if any) are kept.
func ctxError(a api, ctx context.Context, what string, last *Error) *Error {
	e := &Error{Kind: KindNetwork, Action: a.action, Err: ctx.Err()}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		e.Kind = KindTimeout
		e.Message = "the caller's deadline passed: " + what
	} else {
		e.Message = "the call was cancelled: " + what
	}
	if last != nil {
		e.Code, e.RequestId = last.Code, last.RequestId
	}
	return e
}

// classify turns whatever Send returned into one *Error. ctx is the caller's,
// actx the attempt's (ctx plus the per-attempt timeout).
//
// What the SDK (common v1.3.210) returns, observed in sdk_test.go:
//   - {"Response":{"Error":{Code,Message},"RequestId"}} at any HTTP status:
//     *TencentCloudSDKError with the upstream Code, Message, RequestId.
//   - transport failure (refused, reset, EOF before headers, ctx done before
//     headers): Code "ClientError.NetworkError", cause = *url.Error.
//   - body that is not JSON, at any status (an HTML 502 page too), or a body
//     read cut short (then the message starts "Fail to read http body" and
//     the cause is dropped): Code "ClientError.ParseJsonError".
//   - JSON without Error at a non-200 status: "ClientError.HttpStatusCodeError".
//   - an unsupported or corrupt Content-Encoding: a plain error.
func (c *SDKClient) classify(ctx, actx context.Context, a api, rec *attemptRecord, err error) *Error {
	var sdkErr *tcerr.TencentCloudSDKError
	isSDK := errors.As(err, &sdkErr)
	if isSDK && !strings.HasPrefix(sdkErr.Code, "ClientError") {
		// The server judged the request: keep its words.
		return &Error{
			Kind: ClassifyCode(sdkErr.Code, sdkErr.Message), Action: a.action,
			Code: sdkErr.Code, Message: c.redact(sdkErr.Message), RequestId: sdkErr.RequestId,
		}
	}
	if ctx.Err() != nil {
		return ctxError(a, ctx, "no answer yet", nil)
	}
	if errors.Is(actx.Err(), context.DeadlineExceeded) || isTimeout(err) {
		return c.timeoutError(a, err)
	}
	f := unjudged{err: err, status: int(rec.status.Load())}
	if isSDK {
		f.sdkErr, f.code = sdkErr, sdkErr.Code
	}
	return c.unjudgedError(a, f)
}

// timeoutError: the attempt's own timeout passed before an answer came.
func (c *SDKClient) timeoutError(a api, err error) *Error {
	cause := err // a *url.Error when the SDK kept it
	if !errors.Is(cause, context.DeadlineExceeded) {
		cause = context.DeadlineExceeded
	}
	return &Error{
		Kind: KindTimeout, Action: a.action, Err: cause,
		Message: fmt.Sprintf("no answer from %s within %s", c.endpointFor(a), c.timeout),
	}
}

// unjudged is an attempt that failed, within its deadline, without a verdict
// from the server.
type unjudged struct {
	err    error
	sdkErr *tcerr.TencentCloudSDKError // nil when the SDK did not wrap err
	code   string                      // sdkErr's ClientError.* code, or ""
	status int                         // HTTP status, 0 when no response arrived
}

// lostConnection: the request or its answer was cut off in transit.
func (f unjudged) lostConnection() bool {
	return f.code == "ClientError.NetworkError" || f.code == "ClientError.IOError" ||
		(f.code == "ClientError.ParseJsonError" && strings.HasPrefix(f.sdkErr.Message, "Fail to read http body")) ||
		(f.sdkErr == nil && isNetwork(f.err))
}

// unjudgedError sorts an unjudged failure; the cases are tried in order.
func (c *SDKClient) unjudgedError(a api, f unjudged) *Error {
	e := &Error{Kind: KindBadResponse, Action: a.action}
	status := f.status
	switch {
	case f.lostConnection():
		// The cause is a *url.Error (URL plus net error): keep it for errors.Is.
		// Other SDK errors only carry response bodies, already in Message.
		e.Kind, e.Err = KindNetwork, f.err
		e.Message = fmt.Sprintf("cannot reach %s: %s", c.endpointFor(a), c.redact(causeText(f.err)))
		if f.code == "ClientError.ParseJsonError" {
			e.Message = fmt.Sprintf("the connection to %s broke while reading the answer: %s", c.endpointFor(a), c.redact(causeText(f.err)))
		}
	case status == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.Message = "HTTP 429 Too Many Requests"
	case status >= 500:
		e.Kind = KindUnavailable
		e.Message = fmt.Sprintf("HTTP %d %s from %s", status, http.StatusText(status), c.endpointFor(a))
	case status != 0 && status != http.StatusOK:
		e.Message = fmt.Sprintf("unexpected HTTP %d %s from %s", status, http.StatusText(status), c.endpointFor(a))
	case f.code == "ClientError.ParseJsonError" || f.code == "ClientError.HttpStatusCodeError" || f.sdkErr == nil:
		e.Message = "the API answered with something that is not a JSON envelope: " + c.redact(snippet(parseErrorBody(causeText(f.err))))
	default: // other ClientError.* (bad parameters, circuit breaker): a local fault
		e.Kind = KindInternal
		e.Message = c.redact(f.sdkErr.Code + ": " + f.sdkErr.Message)
	}
	return e
}

func (c *SDKClient) endpointFor(a api) string {
	return strings.Replace(c.endpoint, "<service>", a.service, 1)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// causeText is the innermost useful text: the SDK's Message, or its cause's.
func causeText(err error) string {
	var sdkErr *tcerr.TencentCloudSDKError
	if errors.As(err, &sdkErr) {
		if cause := errors.Unwrap(sdkErr); cause != nil {
			return cause.Error()
		}
		return sdkErr.Message
	}
	return err.Error()
}

// parseErrorBody extracts the body from the SDK's "Fail to parse json content:
// <body>, because: <err>" so messages show what came back, not Go types.
func parseErrorBody(msg string) string {
	const prefix = "Fail to parse json content: "
	if !strings.HasPrefix(msg, prefix) {
		return msg
	}
	msg = strings.TrimPrefix(msg, prefix)
	if i := strings.LastIndex(msg, ", because: "); i >= 0 {
		msg = msg[:i]
	}
	if strings.TrimSpace(msg) == "" {
		return "(empty body)"
	}
	return msg
}

// redact removes the secret key and session token from text that may echo
// server output. Too-short values are skipped (they would mangle the text and
// are not real keys).
func (c *SDKClient) redact(s string) string {
	cred, _ := c.creds.Credential()
	for _, secret := range []string{cred.SecretKey, cred.SessionToken} {
		if len(secret) >= 6 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}

// snippet keeps error text readable when a proxy answers with a whole page.
func snippet(s string) string {
	const limit = 300
	s = strings.TrimSpace(s)
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// attemptRecord carries what the SDK's errors drop (the HTTP status) from the
// transport back to classify. One per attempt, found via the request context.
type attemptRecord struct {
	status atomic.Int32
}

type attemptKey struct{}

// statusRecorder wraps the transport to note each response's status code.
type statusRecorder struct {
	base http.RoundTripper
}

func (t *statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if resp != nil {
		if rec, ok := req.Context().Value(attemptKey{}).(*attemptRecord); ok {
			rec.status.Store(int32(resp.StatusCode))
		}
	}
	return resp, err
}
