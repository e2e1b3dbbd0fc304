package tcbr

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hijackClose drops the connection without answering.
func hijackClose(t *testing.T, w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if assert.NoError(t, err) {
		_ = conn.Close()
	}
}

// blockUntilGone holds the request until the client goes away.
func blockUntilGone(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func limitThenOK(failures int) func(w http.ResponseWriter, r *http.Request, n int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		if n <= failures {
			errEnvelope(w, 200, "RequestLimitExceeded", "too many requests", "req-limit")
			return
		}
		okEnvelope(w, `{"TaskId":7,"ServerList":[],"Total":0}`)
	}
}

func createReq() *CreateCloudRunServerRequest {
	return &CreateCloudRunServerRequest{EnvId: "e", ServerName: "svc"}
}

func TestSDKClient_RateLimitRetries(t *testing.T) {
	t.Run("read retried until success", func(t *testing.T) {
		f := newFakeAPI(t, limitThenOK(2))
		c := newTestClient(t, f.srv.URL)
		out, err := c.DescribeCloudRunServers(context.Background(), listReq())
		require.NoError(t, err)
		assert.Equal(t, "req-ok", out.RequestId)
		assert.Equal(t, 3, f.count())
	})
	t.Run("write never retried", func(t *testing.T) {
		f := newFakeAPI(t, limitThenOK(2))
		c := newTestClient(t, f.srv.URL)
		_, err := c.CreateCloudRunServer(context.Background(), createReq())
		e := requireTCBRError(t, err)
		assert.Equal(t, KindRateLimited, e.Kind)
		assert.Equal(t, "RequestLimitExceeded", e.Code)
		assert.Equal(t, "req-limit", e.RequestId)
		assert.Equal(t, 1, f.count())
	})
	t.Run("read budget spent", func(t *testing.T) {
		f := newFakeAPI(t, limitThenOK(100))
		c := newTestClient(t, f.srv.URL, func(o *Options) { o.ReadRetries = 2 })
		_, err := c.DescribeCloudRunServers(context.Background(), listReq())
		e := requireTCBRError(t, err)
		assert.Equal(t, KindRateLimited, e.Kind)
		assert.Equal(t, 3, f.count())
	})
	t.Run("default budget is 3 retries", func(t *testing.T) {
		f := newFakeAPI(t, limitThenOK(100))
		c := newTestClient(t, f.srv.URL)
		_, err := c.DescribeCloudRunServers(context.Background(), listReq())
		require.Error(t, err)
		assert.Equal(t, 4, f.count())
	})
	t.Run("negative disables retries", func(t *testing.T) {
		f := newFakeAPI(t, limitThenOK(100))
		c := newTestClient(t, f.srv.URL, func(o *Options) { o.ReadRetries = -1 })
		_, err := c.DescribeCloudRunServers(context.Background(), listReq())
		require.Error(t, err)
		assert.Equal(t, 1, f.count())
	})
}

func TestSDKClient_ConnectionDropped(t *testing.T) {
	dropFirst := func(t *testing.T) func(w http.ResponseWriter, r *http.Request, n int) {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				hijackClose(t, w)
				return
			}
			okEnvelope(w, `{"ServerList":[],"Total":0,"TaskId":1}`)
		}
	}
	t.Run("read retried", func(t *testing.T) {
		f := newFakeAPI(t, dropFirst(t))
		c := newTestClient(t, f.srv.URL)
		_, err := c.DescribeCloudRunServers(context.Background(), listReq())
		require.NoError(t, err)
		assert.Equal(t, 2, f.count())
	})
	t.Run("write not retried", func(t *testing.T) {
		f := newFakeAPI(t, dropFirst(t))
		c := newTestClient(t, f.srv.URL)
		_, err := c.CreateCloudRunServer(context.Background(), createReq())
		e := requireTCBRError(t, err)
		assert.Equal(t, KindNetwork, e.Kind)
		assert.Contains(t, e.Message, "cannot reach "+f.srv.URL)
		assert.Equal(t, 1, f.count())
	})
	t.Run("body cut short is a network failure", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				conn, buf, err := w.(http.Hijacker).Hijack()
				require.NoError(t, err)
				_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"Response\":")
				_ = buf.Flush()
				_ = conn.Close()
				return
			}
			okEnvelope(w, `{"TaskId":1}`)
		})
		c := newTestClient(t, f.srv.URL)
		_, err := c.CreateCloudRunServer(context.Background(), createReq())
		e := requireTCBRError(t, err)
		assert.Equal(t, KindNetwork, e.Kind, e.Error())
		_, err = c.DescribeCloudRunServers(context.Background(), listReq())
		require.NoError(t, err)
	})
}

func TestSDKClient_ConnectionRefused(t *testing.T) {
	f := newFakeAPI(t, nil)
	url := f.srv.URL
	f.srv.Close()
	var tries atomic.Int32
	c := newTestClient(t, url, func(o *Options) {
		o.ReadRetries = 2
		o.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
			tries.Add(1)
			return http.DefaultTransport.RoundTrip(r)
		})
	})
	_, err := c.DescribeCloudRunServers(context.Background(), listReq())
	e := requireTCBRError(t, err)
	assert.Equal(t, KindNetwork, e.Kind)
	assert.Contains(t, e.Message, "cannot reach "+url)
	assert.Equal(t, int32(3), tries.Load())
	assert.False(t, errors.Is(err, context.Canceled))
}

func TestSDKClient_Timeout(t *testing.T) {
	t.Run("no headers in time", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { blockUntilGone(r) })
		c := newTestClient(t, f.srv.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond })
		start := time.Now()
		_, err := c.DescribeCloudRunServers(context.Background(), listReq())
		e := requireTCBRError(t, err)
		assert.Equal(t, KindTimeout, e.Kind)
		assert.Contains(t, e.Message, "within 100ms")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Less(t, time.Since(start), 3*time.Second)
		assert.Equal(t, 1, f.count(), "per-attempt timeouts are not retried")
	})
	t.Run("body stalls", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "200")
			_, _ = io.WriteString(w, `{"Response":`)
			w.(http.Flusher).Flush()
			blockUntilGone(r)
		})
		c := newTestClient(t, f.srv.URL, func(o *Options) { o.Timeout = 100 * time.Millisecond })
		_, err := c.DescribeCloudRunServers(context.Background(), listReq())
		e := requireTCBRError(t, err)
		assert.Equal(t, KindTimeout, e.Kind, e.Error())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1, f.count())
	})
	t.Run("caller deadline", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { blockUntilGone(r) })
		c := newTestClient(t, f.srv.URL)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := c.DescribeCloudRunServers(ctx, listReq())
		e := requireTCBRError(t, err)
		assert.Equal(t, KindTimeout, e.Kind)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, 1, f.count())
	})
}

func TestSDKClient_CallerCancel(t *testing.T) {
	t.Run("while waiting for the server", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { blockUntilGone(r) })
		c := newTestClient(t, f.srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.DescribeCloudRunServers(ctx, listReq())
		assert.Less(t, time.Since(start), 2*time.Second)
		e := requireTCBRError(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, KindNetwork, e.Kind)
		assert.Equal(t, 1, f.count())
	})
	t.Run("while backing off", func(t *testing.T) {
		f := newFakeAPI(t, limitThenOK(100))
		c := newTestClient(t, f.srv.URL, func(o *Options) { o.RetryBaseDelay = 4 * time.Second })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := c.DescribeCloudRunServers(ctx, listReq())
		assert.Less(t, time.Since(start), time.Second)
		e := requireTCBRError(t, err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, "RequestLimitExceeded", e.Code, "the last upstream answer is kept")
		assert.Equal(t, "req-limit", e.RequestId)
		assert.Equal(t, 1, f.count())
	})
	t.Run("already cancelled", func(t *testing.T) {
		f := newFakeAPI(t, nil)
		c := newTestClient(t, f.srv.URL)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.DescribeCloudRunServers(ctx, listReq())
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 0, f.count())
	})
}

// TestSDKClient_SecretsNeverInErrors: even a server that echoes the key and
// token back cannot get them into an error's text (nor any wrapped cause).
func TestSDKClient_SecretsNeverInErrors(t *testing.T) {
	echo := "key=" + testSecretKey + " token=" + testToken
	handlers := map[string]func(w http.ResponseWriter, r *http.Request, n int){
		"error envelope": func(w http.ResponseWriter, r *http.Request, n int) {
			errEnvelope(w, 200, "AuthFailure.SignatureFailure", echo, "req-x")
		},
		"not json": func(w http.ResponseWriter, r *http.Request, n int) { _, _ = io.WriteString(w, echo) },
		"502 page": func(w http.ResponseWriter, r *http.Request, n int) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, echo)
		},
		"502 json": func(w http.ResponseWriter, r *http.Request, n int) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, `{"msg":"`+echo+`"}`)
		},
		"no Response": func(w http.ResponseWriter, r *http.Request, n int) { _, _ = io.WriteString(w, `{"x":"`+echo+`"}`) },
		"dropped":     func(w http.ResponseWriter, r *http.Request, n int) { hijackClose(t, w) },
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t, h)
			c := newTestClient(t, f.srv.URL, func(o *Options) {
				o.Credential.SessionToken = testToken
				o.ReadRetries = -1
			})
			_, err := c.DescribeCloudRunServers(context.Background(), listReq())
			require.Error(t, err)
			for e := err; e != nil; e = errors.Unwrap(e) {
				assert.NotContains(t, e.Error(), testSecretKey)
				assert.NotContains(t, e.Error(), testToken)
			}
		})
	}
	assert.True(t, strings.Contains(echo, testSecretKey), "the echo does carry the secret")
}

func TestBackoff(t *testing.T) {
	base := 100 * time.Millisecond
	for n, upper := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 20: maxRetryDelay} {
		for range 50 {
			d := backoff(base, n)
			assert.GreaterOrEqual(t, d, upper/2)
			assert.LessOrEqual(t, d, upper)
		}
	}
}
