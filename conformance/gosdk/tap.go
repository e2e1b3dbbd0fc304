package main

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// tapTransport wraps the SDK's CommandTransport and records every JSON-RPC
// message in both directions, so checks can look at what went over the wire
// (input_required results, notifications/cancelled) beside what the SDK's
// API shows. Read errors are recorded too: a line on the server's stdout that
// is not JSON-RPC makes the SDK's reader fail.
type tapTransport struct {
	inner mcp.Transport

	mu       sync.Mutex
	sent     []*wireMsg
	received []*wireMsg
	readErrs []error
	closing  bool
}

// wireMsg is one recorded message: a request or notification (Method set) or
// a response (Result or Error set).
type wireMsg struct {
	ID     any             `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

func (t *tapTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	c, err := t.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &tapConn{Connection: c, tap: t}, nil
}

type tapConn struct {
	mcp.Connection
	tap *tapTransport
}

func (c *tapConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	m, err := c.Connection.Read(ctx)
	c.tap.record(&c.tap.received, m, err)
	return m, err
}

func (c *tapConn) Write(ctx context.Context, m jsonrpc.Message) error {
	c.tap.record(&c.tap.sent, m, nil)
	return c.Connection.Write(ctx, m)
}

func (c *tapConn) Close() error {
	c.tap.mu.Lock()
	c.tap.closing = true
	c.tap.mu.Unlock()
	return c.Connection.Close()
}

func (t *tapTransport) record(into *[]*wireMsg, m jsonrpc.Message, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		if !t.closing && ctxErr(err) == nil {
			t.readErrs = append(t.readErrs, err)
		}
		return
	}
	if m == nil {
		return
	}
	raw, encErr := jsonrpc.EncodeMessage(m)
	if encErr != nil {
		return
	}
	var w wireMsg
	if json.Unmarshal(raw, &w) == nil {
		*into = append(*into, &w)
	}
}

// ctxErr is err when it only says the connection ended, else nil.
func ctxErr(err error) error {
	if err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	return nil
}

func (t *tapTransport) snapshot() (sent, received []*wireMsg) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*wireMsg(nil), t.sent...), append([]*wireMsg(nil), t.received...)
}

// idKey makes JSON-RPC ids comparable (numbers decode as float64).
func idKey(id any) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// requestsSent returns the requests (with an id) the client sent with method.
func (t *tapTransport) requestsSent(method string) []*wireMsg {
	sent, _ := t.snapshot()
	return withMethod(sent, method, true)
}

// notificationsSent returns the notifications the client sent with method.
func (t *tapTransport) notificationsSent(method string) []*wireMsg {
	sent, _ := t.snapshot()
	return withMethod(sent, method, false)
}

// requestsReceived returns the requests the server sent with method.
func (t *tapTransport) requestsReceived(method string) []*wireMsg {
	_, received := t.snapshot()
	return withMethod(received, method, true)
}

// withMethod keeps the requests (withID) or notifications with method.
func withMethod(msgs []*wireMsg, method string, withID bool) []*wireMsg {
	var out []*wireMsg
	for _, m := range msgs {
		if m.Method == method && (m.ID != nil) == withID {
			out = append(out, m)
		}
	}
	return out
}

// responseTo returns the server's response to the client's request id.
func (t *tapTransport) responseTo(id any) *wireMsg {
	_, received := t.snapshot()
	key := idKey(id)
	for _, m := range received {
		if m.Method == "" && idKey(m.ID) == key {
			return m
		}
	}
	return nil
}
