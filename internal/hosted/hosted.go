// Package hosted serves the MCP server over Streamable HTTP (mcp-go's
// transport, both protocol eras) for many callers: a team or a CI fleet
// behind one endpoint, as many instances as needed behind any load balancer.
//
// Nothing a follow-up request needs is kept here: the 2026-07-28 era has no
// session, confirmations travel in an HMAC-signed requestState (the key is
// shared by every instance), and caches are only an optimisation. Older
// clients keep a session (Mcp-Session-Id) whose server-to-client requests
// (elicitation) and declared capabilities live on the instance that
// answered initialize: a load balancer must keep them there (affinity on
// the Mcp-Session-Id header).
//
// Every request to the MCP endpoint passes, in order: the access log, the
// Origin check (DNS rebinding), the body size limit, authentication (the
// caller's own keys in headers, or a bearer token for the server's), and the
// per-caller rate limit. /healthz and /metrics sit beside it.
package hosted

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/ratelimit"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/server"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// MaxBody bounds one request body, as server.MaxMessage bounds one stdio
// message.
const MaxBody = server.MaxMessage

// sessionIdleTTL forgets the sessions of older clients that never say
// goodbye (DELETE).
const sessionIdleTTL = 30 * time.Minute

// Options configure New.
type Options struct {
	Config config.HTTP
	// MCP is the server to serve.
	MCP *mcpserver.MCPServer
	// Tokens are the bearer tokens (tokens auth).
	Tokens []TokenEntry
	// Metrics, when set, are served at /metrics and fed by the endpoint.
	Metrics *Metrics
	Logger  *slog.Logger
	Version string
}

// Server is the hosted endpoint.
type Server struct {
	opts    Options
	log     *slog.Logger
	auth    *authenticator
	limits  *ratelimit.Limiter
	origins []string
	mcp     *mcpserver.StreamableHTTPServer
	handler http.Handler

	mu       sync.Mutex
	srv      *http.Server
	fresh    map[net.Conn]bool // accepted, no request read yet
	draining atomic.Bool
	inFlight sync.WaitGroup
}

// New builds the endpoint; Serve starts it.
func New(opts Options) (*Server, error) {
	if opts.MCP == nil {
		return nil, errors.New("hosted: no MCP server")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Config.Path == "" {
		opts.Config.Path = config.DefaultHTTPPath
	}
	auth, err := newAuthenticator(opts.Config, opts.Tokens)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts: opts, log: opts.Logger, auth: auth, origins: opts.Config.AllowedOrigins,
		limits: ratelimit.New(opts.Config.RateLimit, int(2*opts.Config.RateLimit), 0, nil),
	}
	mcpOpts := []mcpserver.StreamableHTTPOption{
		mcpserver.WithStreamableHTTPLogger(opts.Logger.With("component", "http")),
		mcpserver.WithSessionIdleTTL(sessionIdleTTL),
		// Keeps a load balancer from cutting an idle listening stream.
		mcpserver.WithHeartbeatInterval(30 * time.Second),
	}
	if len(s.origins) > 0 {
		mcpOpts = append(mcpOpts, mcpserver.WithStreamableHTTPCORS(
			mcpserver.WithCORSAllowedOrigins(s.origins...),
			mcpserver.WithCORSAllowedHeaders("Content-Type", "Accept", "Authorization", "Last-Event-ID",
				"Mcp-Session-Id", "Mcp-Protocol-Version", "Mcp-Method", "Mcp-Name",
				HeaderSecretID, HeaderSecretKey, HeaderSessionToken),
			mcpserver.WithCORSExposedHeaders("Mcp-Session-Id"),
		))
	}
	s.mcp = mcpserver.NewStreamableHTTPServer(opts.MCP, mcpOpts...)

	mux := http.NewServeMux()
	mux.Handle(opts.Config.Path, s.endpoint(s.mcp))
	mux.HandleFunc("GET /healthz", s.healthz)
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	s.handler = mux
	return s, nil
}

// Handler is every route of the server (tests mount it on httptest).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers on ln until Shutdown; it returns nil after a shutdown.
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnState:         s.trackConn,
	}
	s.mu.Lock()
	s.srv = srv
	s.fresh = map[net.Conn]bool{}
	s.mu.Unlock()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown drains: no new connection is accepted, /healthz answers 503 to
// probes on open connections, listening streams of older clients end, and
// calls in flight get until ctx ends to finish; what still runs then is
// cancelled, and Shutdown waits (at most 2 s more) for it to return. It
// reports whether everything finished in time.
func (s *Server) Shutdown(ctx context.Context) error {
	s.draining.Store(true)
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	// Listening streams of older clients never end by themselves: end them,
	// again and again, as one may open just as the drain starts.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var err error
	for waiting := true; waiting; {
		s.mcp.CloseSessions(ctx)
		s.closeFresh()
		select {
		case err = <-done:
			waiting = false
		case <-tick.C:
		}
	}
	if err == nil {
		return nil
	}
	// Out of time: close every connection, which cancels the calls still
	// running, and give them a moment to return.
	_ = srv.Close()
	returned := make(chan struct{})
	go func() { s.inFlight.Wait(); close(returned) }()
	select {
	case <-returned:
	case <-time.After(2 * time.Second):
	}
	return fmt.Errorf("drain timed out; calls still running were cancelled: %w", err)
}

// trackConn notes the connections that have sent no request yet:
// http.Server.Shutdown waits up to 5 s for those (a client may have opened
// one ahead of need), and a draining server closes them instead.
func (s *Server) trackConn(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state == http.StateNew {
		s.fresh[c] = true
	} else {
		delete(s.fresh, c)
	}
}

func (s *Server) closeFresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.fresh {
		_ = c.Close()
		delete(s.fresh, c)
	}
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `{"status":"draining"}`+"\n")
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": s.opts.Version})
}

// endpoint wraps the MCP handler with the checks every request passes.
func (s *Server) endpoint(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Done()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		if m := s.opts.Metrics; m != nil {
			m.httpInFlight.add(1)
			defer m.httpInFlight.add(-1)
		}
		entry := &accessEntry{}
		defer func() { s.logAccess(r, rec, entry, time.Since(start)) }()
		s.serveEndpoint(rec, r, entry, next)
	})
}

func (s *Server) serveEndpoint(w *recorder, r *http.Request, entry *accessEntry, next http.Handler) {
	if !s.originAllowed(r.Header.Get("Origin")) {
		s.refuse(w, http.StatusForbidden, "Origin "+r.Header.Get("Origin")+" is not allowed (CLOUDBASE_MCP_HTTP_ALLOWED_ORIGINS)")
		return
	}
	if r.Method == http.MethodOptions { // CORS preflight: no credentials come with it
		next.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodGet && s.draining.Load() {
		// No new listening stream on an instance that is going away.
		w.Header().Set("Connection", "close")
		s.refuse(w, http.StatusServiceUnavailable, "this instance is shutting down; reconnect")
		return
	}
	if r.Method == http.MethodPost {
		body, err := readBody(r)
		if err != nil {
			s.refuse(w, http.StatusRequestEntityTooLarge, err.Error())
			return
		}
		entry.readRPC(r.Header, body)
	}
	t, aerr := s.auth.authenticate(r)
	if aerr != nil {
		if aerr.status == http.StatusUnauthorized && s.auth.tokens != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cloudbase-mcp"`)
		}
		s.refuse(w, aerr.status, aerr.msg)
		return
	}
	caller := "anonymous"
	if t != nil {
		caller = t.ID
		entry.caller = t.Label
		r = r.WithContext(tenant.With(r.Context(), t))
	}
	if ok, wait := s.limits.Allow(caller); !ok {
		if s.opts.Metrics != nil {
			s.opts.Metrics.rateLimited.add(1)
		}
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())+1))
		s.refuse(w, http.StatusTooManyRequests, "rate limit: too many requests from this caller; retry after the Retry-After seconds")
		return
	}
	next.ServeHTTP(w, r)
}

// readBody reads a POST body whole, up to MaxBody, and puts it back for the
// transport.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBody {
		return nil, fmt.Errorf("request body of %d bytes; the limit is %d", r.ContentLength, MaxBody)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %v", err)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("request body over the limit of %d bytes", MaxBody)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// originAllowed: requests without Origin are not from browsers; browser
// requests must come from a loopback page or an allowed origin.
func (s *Server) originAllowed(origin string) bool {
	if origin == "" {
		return true
	}
	o := strings.ToLower(strings.TrimRight(origin, "/"))
	for _, a := range s.origins {
		if a == "*" || a == o {
			return true
		}
	}
	i := strings.Index(o, "://")
	if i < 0 {
		return false
	}
	host := o[i+3:]
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// refuse answers with a JSON error the caller can read; never a secret.
func (s *Server) refuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": msg})
}

// recorder notes the status and size of the answer; it passes Flush on,
// which the transport needs for SSE.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
