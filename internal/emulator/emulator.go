package emulator

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// The demo credential pair every emulator accepts.
const (
	DemoSecretID  = "AKIDemulatorDEMO0000000000000000000"
	DemoSecretKey = "emulator-demo-secret-key-0000000000"
)

// Options configure New.
type Options struct {
	// Scenario seeds the state; nil = the embedded default "demo" scenario.
	Scenario *Scenario
	// Start is the virtual clock origin; zero = 2026-11-23T02:00:00Z.
	Start time.Time
	// Speed is virtual seconds per real second; 0 = 1.
	Speed float64
	// Logger receives debug lines per call; nil = discard.
	Logger *slog.Logger
	// PublicBaseURL is put into template and package URLs; "" = derived from
	// the request Host.
	PublicBaseURL string
	// Seed makes generated ids (BuildId, RunId, TaskId, RequestId...) deterministic.
	Seed int64
}

// Emulator is a local tcbr/tcb control plane. It is safe for concurrent use.
type Emulator struct {
	opts     Options
	scenario *Scenario
	log      *slog.Logger
	clock    *clock
	reqIDs   *requestIDs
	cosIDs   *requestIDs // x-cos-request-id of storage answers
	creds    map[string]Credential
	handler  http.Handler
	urlKey   []byte // signs package upload and download URLs
	// maxPackage bounds an uploaded package (defaultMaxPackageBytes).
	maxPackage int64
	faultsMu   sync.Mutex
	faults     []*Fault

	mu sync.Mutex // guards st
	st *state

	reqMu      sync.Mutex
	counts     map[string]int
	requests   []RecordedRequest
	violations []WireViolation // kept across Reset

	srvMu   sync.Mutex
	servers []*http.Server
	closed  bool
}

// RecordedRequest is one verified API call as received, or one object
// storage request (Service "cos", Action "COSUpload" / "COSDownload", no Body).
type RecordedRequest struct {
	Service  string    `json:"service"`
	Action   string    `json:"action"`
	Version  string    `json:"version"`
	Region   string    `json:"region"`
	SecretID string    `json:"secretId"`
	Path     string    `json:"path,omitempty"` // object storage requests (Service "cos") only
	Body     []byte    `json:"-"`
	Time     time.Time `json:"time"` // virtual clock
}

// New builds an emulator seeded from opts.Scenario.
func New(opts Options) (*Emulator, error) {
	sc := opts.Scenario
	if sc == nil {
		sc = DefaultScenario()
	} else {
		sc = sc.clone()
	}
	if opts.Start.IsZero() {
		opts.Start = defaultStart
	}
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	if opts.Speed < 0 {
		return nil, errors.New("emulator: Speed must not be negative")
	}
	opts.PublicBaseURL = strings.TrimRight(opts.PublicBaseURL, "/")
	e := &Emulator{
		opts: opts, scenario: sc, log: opts.Logger,
		reqIDs:     newRequestIDs(opts.Seed),
		cosIDs:     newRequestIDs(opts.Seed ^ 0x636f73),
		maxPackage: defaultMaxPackageBytes,
		creds:      map[string]Credential{DemoSecretID: {SecretID: DemoSecretID, SecretKey: DemoSecretKey}},
		counts:     map[string]int{},
		urlKey:     make([]byte, 32),
	}
	if e.log == nil {
		e.log = discardLogger()
	}
	_, _ = rand.Read(e.urlKey)
	for _, c := range sc.Credentials {
		if c.SecretID == "" || c.SecretKey == "" {
			return nil, errors.New("emulator: a scenario credential needs secretId and secretKey")
		}
		e.creds[c.SecretID] = c
	}
	st, err := newState(sc, opts.Start, opts.Seed)
	if err != nil {
		return nil, err
	}
	e.st = st
	e.clock = newClock(opts.Start, opts.Speed)
	e.handler = e.routes()
	return e, nil
}

func (e *Emulator) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case strings.HasPrefix(p, "/__emulator/"):
			e.serveAdmin(w, r)
		case p == "/func_tpl/v1.0/function_list/find":
			e.serveTemplateList(w, r)
		case strings.HasPrefix(p, "/__templates/") && r.Method == http.MethodGet:
			e.serveTemplateZip(w, r)
		case strings.HasPrefix(p, cosDownloadPrefix) && r.Method == http.MethodGet:
			e.serveDownload(w, r)
		case strings.HasPrefix(p, cosUploadPrefix):
			e.serveUpload(w, r)
		case r.Method == http.MethodPost:
			e.serveAPI(w, r)
		case p == "/" && r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]any{
				"emulator": "tcbr/tcb control plane", "api": "POST / signed with TC3-HMAC-SHA256",
				"admin": "/__emulator/state",
			})
		default:
			writeJSON(w, http.StatusNotFound, map[string]string{"error": r.Method + " " + p + " is not served by the emulator"})
		}
	})
}

// Handler serves everything: the signed API on POST /, admin under
// /__emulator/, templates and package downloads.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Listen serves on addr (e.g. "127.0.0.1:0") in a goroutine and returns the
// base URL, e.g. "http://127.0.0.1:PORT".
func (e *Emulator) Listen(addr string) (string, error) {
	e.srvMu.Lock()
	defer e.srvMu.Unlock()
	if e.closed {
		return "", errors.New("emulator: closed")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: e.handler, ReadHeaderTimeout: 10 * time.Second}
	e.servers = append(e.servers, srv)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("emulator: serve", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

// Close stops every listener started by Listen. In-flight requests get a
// second to finish.
func (e *Emulator) Close() error {
	e.srvMu.Lock()
	servers := e.servers
	e.servers, e.closed = nil, true
	e.srvMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var errs []error
	for _, s := range servers {
		if err := s.Shutdown(ctx); err != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// Now is the virtual clock.
func (e *Emulator) Now() time.Time { return e.clock.now() }

// Advance moves the virtual clock forward (negative durations are ignored).
func (e *Emulator) Advance(d time.Duration) { e.clock.advance(d) }

// SetSpeed sets virtual seconds per real second; 0 freezes the clock.
func (e *Emulator) SetSpeed(x float64) { e.clock.setSpeed(x) }

// Reset restores the scenario state, the clock origin and speed, and clears
// faults and the request log.
func (e *Emulator) Reset() {
	st, err := newState(e.scenario, e.opts.Start, e.opts.Seed)
	if err != nil { // validated by New; cannot happen
		panic("emulator: reset: " + err.Error())
	}
	e.mu.Lock()
	e.st = st
	e.clock.reset(e.opts.Start, e.opts.Speed)
	e.mu.Unlock()
	e.ClearFaults()
	e.reqMu.Lock()
	e.counts, e.requests = map[string]int{}, nil
	e.reqMu.Unlock()
}

func (e *Emulator) record(v *verified, body []byte) {
	rec := RecordedRequest{Service: v.Service, Action: v.Action, Version: v.Version, Region: v.Region,
		SecretID: v.SecretID, Body: slices.Clone(body), Time: e.clock.now()}
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	e.counts[v.Action]++
	e.requests = append(e.requests, rec)
}

// RequestCount is how many verified API calls of action were received
// (including ones answered by a fault).
func (e *Emulator) RequestCount(action string) int {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	return e.counts[action]
}

// Requests returns the verified API calls received, oldest first.
func (e *Emulator) Requests() []RecordedRequest {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	out := make([]RecordedRequest, len(e.requests))
	for i, r := range e.requests {
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

func (e *Emulator) clearRequests() {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	e.counts, e.requests = map[string]int{}, nil
}

// baseURL is where this emulator is reachable for URLs it hands out.
func (e *Emulator) baseURL(r *http.Request) string {
	if e.opts.PublicBaseURL != "" {
		return e.opts.PublicBaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
