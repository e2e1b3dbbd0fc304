package emulator

import (
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// faultJSON is the admin wire form of a Fault.
type faultJSON struct {
	Action  string `json:"action,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Times   int    `json:"times,omitempty"`
	DelayMs int64  `json:"delayMs,omitempty"`
	Drop    bool   `json:"drop,omitempty"`
	Status  int    `json:"status,omitempty"`
	Body    string `json:"body,omitempty"`
}

func (f faultJSON) fault() Fault {
	return Fault{Action: f.Action, Code: f.Code, Message: f.Message, Times: f.Times,
		Delay: time.Duration(f.DelayMs) * time.Millisecond, Drop: f.Drop, Status: f.Status, Body: f.Body}
}

func toFaultJSON(f Fault) faultJSON {
	return faultJSON{Action: f.Action, Code: f.Code, Message: f.Message, Times: f.Times,
		DelayMs: f.Delay.Milliseconds(), Drop: f.Drop, Status: f.Status, Body: f.Body}
}

// serveAdmin is the unsigned test-control API under /__emulator/.
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if status, msg := adminRefusal(r); status != 0 {
		e.log.Warn("emulator: admin request refused", "method", r.Method, "path", r.URL.Path, "status", status)
		adminError(w, status, msg)
		return
	}
	e.adminRoute(w, r)
}

// adminRoutes are the admin endpoints by "METHOD path" (path without the
// /__emulator/ prefix and slashes around it).
var adminRoutes = map[string]func(*Emulator, http.ResponseWriter, *http.Request){
	"POST reset":         (*Emulator).adminReset,
	"GET state":          (*Emulator).adminState,
	"GET clock":          (*Emulator).adminClock,
	"POST clock/advance": (*Emulator).adminAdvance,
	"POST clock/speed":   (*Emulator).adminSpeed,
	"POST faults":        (*Emulator).adminAddFault,
	"GET faults":         (*Emulator).adminFaults,
	"DELETE faults":      (*Emulator).adminClearFaults,
	"GET requests":       (*Emulator).adminRequests,
	"GET violations":     (*Emulator).adminViolations,
	"GET packages":       (*Emulator).adminPackages,
	"DELETE requests":    (*Emulator).adminClearRequests,
}

// adminRoute answers an admin request that passed adminRefusal.
func (e *Emulator) adminRoute(w http.ResponseWriter, r *http.Request) {
	path := strings.Trim(strings.TrimPrefix(r.URL.Path, "/__emulator/"), "/")
	route := r.Method + " " + path
	if h, ok := adminRoutes[route]; ok {
		h(e, w, r)
		return
	}
	adminError(w, http.StatusNotFound, "unknown admin endpoint "+route+"; have: POST reset, GET state, GET clock, "+
		"POST clock/advance?s=N, POST clock/speed?x=N, POST|GET|DELETE faults, GET|DELETE requests, GET packages, GET violations")
}

func (e *Emulator) adminReset(w http.ResponseWriter, _ *http.Request) {
	e.Reset()
	e.writeClock(w)
}

func (e *Emulator) adminState(w http.ResponseWriter, _ *http.Request) {
	b, err := e.StateJSON()
	if err != nil {
		adminError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (e *Emulator) adminClock(w http.ResponseWriter, _ *http.Request) { e.writeClock(w) }

func (e *Emulator) adminAdvance(w http.ResponseWriter, r *http.Request) {
	s, err := strconv.ParseFloat(r.URL.Query().Get("s"), 64)
	if err != nil || s < 0 {
		adminError(w, http.StatusBadRequest, "clock/advance needs ?s=<non-negative seconds>")
		return
	}
	e.Advance(time.Duration(s * float64(time.Second)))
	e.writeClock(w)
}

func (e *Emulator) adminSpeed(w http.ResponseWriter, r *http.Request) {
	x, err := strconv.ParseFloat(r.URL.Query().Get("x"), 64)
	if err != nil || x < 0 {
		adminError(w, http.StatusBadRequest, "clock/speed needs ?x=<non-negative virtual seconds per second>")
		return
	}
	e.SetSpeed(x)
	e.writeClock(w)
}

func (e *Emulator) adminAddFault(w http.ResponseWriter, r *http.Request) {
	var f faultJSON
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		adminError(w, http.StatusBadRequest, "fault: "+err.Error()+
			" (fields: action, code, message, times, delayMs, drop, status, body)")
		return
	}
	if f.Code == "" && f.Status == 0 && f.Body == "" && !f.Drop && f.DelayMs <= 0 {
		adminError(w, http.StatusBadRequest, "fault: set at least one of code, status, body, drop, delayMs")
		return
	}
	e.InjectFault(f.fault())
	e.writeFaults(w)
}

func (e *Emulator) adminFaults(w http.ResponseWriter, _ *http.Request) { e.writeFaults(w) }

func (e *Emulator) adminClearFaults(w http.ResponseWriter, _ *http.Request) {
	e.ClearFaults()
	e.writeFaults(w)
}

// adminRequests counts the recorded API requests by action; ?full=1 adds
// the requests themselves, bodies as text.
func (e *Emulator) adminRequests(w http.ResponseWriter, r *http.Request) {
	e.reqMu.Lock()
	counts := maps.Clone(e.counts)
	total := len(e.requests)
	e.reqMu.Unlock()
	out := map[string]any{"counts": counts, "total": total}
	if r.URL.Query().Get("full") != "" {
		type rec struct {
			RecordedRequest
			Body string `json:"body"`
		}
		list := []rec{}
		for _, q := range e.Requests() {
			list = append(list, rec{q, string(q.Body)})
		}
		out["requests"] = list
	}
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) adminClearRequests(w http.ResponseWriter, _ *http.Request) {
	e.clearRequests()
	writeJSON(w, http.StatusOK, map[string]any{"counts": map[string]int{}, "total": 0})
}

func (e *Emulator) adminViolations(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"violations": append([]WireViolation{}, e.WireViolations()...)})
}

func (e *Emulator) adminPackages(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"packages": e.Packages()})
}

// adminRefusal keeps web pages away from the admin endpoints, which are
// unsigned: a request must name a loopback host (a page that rebinds its own
// DNS name to 127.0.0.1 still sends that name as Host), carry a body only as
// JSON (a page can send text/plain or form bodies cross-site without asking,
// never application/json) and, when a browser says where it comes from
// (Origin, Sec-Fetch-Site), come from a loopback page. 0 means allowed.
func adminRefusal(r *http.Request) (int, string) {
	if !loopbackHost(r.Host) {
		return http.StatusForbidden, "the admin endpoints answer only requests to a loopback host (localhost, 127.0.0.1, [::1]); got Host " +
			strconv.Quote(r.Host)
	}
	if o := r.Header.Get("Origin"); o != "" && !loopbackOrigin(o) {
		return http.StatusForbidden, "the admin endpoints do not answer web pages of other origins; got Origin " + strconv.Quote(o)
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return http.StatusForbidden, "the admin endpoints do not answer cross-site requests"
	}
	if r.ContentLength != 0 { // -1: a body of unknown length
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, "an admin request body must be JSON (Content-Type: application/json)"
		}
	}
	return 0, ""
}

// loopbackHost reports whether a Host header (with or without a port) names
// localhost, 127.0.0.1 or [::1].
func loopbackHost(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		h = host[1 : len(host)-1]
	}
	switch strings.ToLower(h) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && loopbackHost(u.Host)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func (e *Emulator) writeClock(w http.ResponseWriter) {
	now := e.Now()
	writeJSON(w, http.StatusOK, map[string]any{
		"now": now.UTC().Format(time.RFC3339Nano), "nowLocal": fmtTime(now), "speed": e.clock.getSpeed(),
	})
}

func (e *Emulator) faultList() []faultJSON {
	list := []faultJSON{}
	for _, f := range e.pendingFaults() {
		list = append(list, toFaultJSON(f))
	}
	return list
}

func (e *Emulator) writeFaults(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{"faults": e.faultList()})
}

// StateJSON dumps the state as seen at the current virtual time, using the
// same read models the API answers with.
func (e *Emulator) StateJSON() ([]byte, error) {
	e.mu.Lock()
	now := e.clock.now()
	e.st.settle(now)
	st := e.st
	type svcDump struct {
		Name          string `json:"name"`
		Type          string `json:"type"`
		BaseInfo      any    `json:"baseInfo"`
		Config        any    `json:"config"`
		OnlineVersion any    `json:"onlineVersions"`
		DeployRecords any    `json:"deployRecords"`
		Tasks         []any  `json:"tasks"`
		ReleaseOrders []any  `json:"releaseOrders"`
	}
	type envDump struct {
		EnvID       string           `json:"envId"`
		Alias       string           `json:"alias"`
		Region      string           `json:"region"`
		CloudRun    any              `json:"cloudRun"`
		CloudRunOn  bool             `json:"cloudRunOpened"`
		Services    []svcDump        `json:"services"`
		ServiceList []string         `json:"serviceNames"`
		Gateway     []map[string]any `json:"gateway"`
	}
	envs := []envDump{}
	for _, en := range st.envs {
		info, opened := st.envBaseInfo(en, now)
		d := envDump{EnvID: en.ID, Alias: en.Alias, Region: en.Region, CloudRun: info, CloudRunOn: opened,
			Services: []svcDump{}, ServiceList: []string{}, Gateway: en.gatewayDump()}
		for _, s := range en.services {
			sd := svcDump{Name: s.Name, Type: s.Type, BaseInfo: st.serverBaseInfo(s, now), Config: st.serverConfig(s),
				OnlineVersion: onlineVersions(s), DeployRecords: st.deployRecords(s, now), Tasks: []any{}, ReleaseOrders: []any{}}
			for _, t := range s.tasks {
				sd.Tasks = append(sd.Tasks, st.taskInfo(s, t, now))
			}
			for _, o := range s.orders {
				sd.ReleaseOrders = append(sd.ReleaseOrders, st.orderInfo(s, o, now))
			}
			d.Services = append(d.Services, sd)
			d.ServiceList = append(d.ServiceList, s.Name)
		}
		envs = append(envs, d)
	}
	flags := st.flags
	e.mu.Unlock()
	return json.MarshalIndent(map[string]any{
		"scenario": e.scenario.Name,
		"now":      now.UTC().Format(time.RFC3339Nano),
		"nowLocal": fmtTime(now),
		"speed":    e.clock.getSpeed(),
		"flags":    flags,
		"envs":     envs,
		"faults":   e.faultList(),
	}, "", "  ")
}
