package emulator

import (
	"cmp"
	"encoding/json"
	"net/http"
	"time"
)

// Fault makes matching API calls misbehave. It applies after signature
// verification and before the action handler. Action "COSUpload" and
// "COSDownload" target the object storage endpoints instead (PUT
// /__cos/upload/..., GET /__cos/download/...); only faults naming them
// exactly apply there, and Code without Status answers HTTP 500 with that
// code in a COS XML error. Precedence when several fields
// are set: Delay first, then Drop, Body, Status, Code; a fault with only a
// Delay lets the call proceed normally afterwards.
type Fault struct {
	Action  string        // "" = any action
	Code    string        // upstream error code to answer (e.g. "RequestLimitExceeded"), with Message
	Message string        // "" = a generic message
	Times   int           // how many matching calls to affect; 0 = 1
	Delay   time.Duration // sleep (real time, ends early when the request's context is done)
	Drop    bool          // hijack and close the connection without answering
	Status  int           // answer this HTTP status with a JSON body without Error
	Body    string        // answer this raw body verbatim (with Status, or 200)
}

// InjectFault queues a fault; faults are matched in the order injected.
func (e *Emulator) InjectFault(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	e.faults = append(e.faults, &f)
}

// ClearFaults removes every pending fault.
func (e *Emulator) ClearFaults() {
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	e.faults = nil
}

func (e *Emulator) pendingFaults() []Fault {
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	out := make([]Fault, len(e.faults))
	for i, f := range e.faults {
		out[i] = *f
	}
	return out
}

// takeFault consumes one use of the first fault matching action; exact
// skips faults with an empty Action (they only match API calls).
func (e *Emulator) takeFault(action string, exact bool) (Fault, bool) {
	e.faultsMu.Lock()
	defer e.faultsMu.Unlock()
	for i, f := range e.faults {
		if (f.Action != "" || exact) && f.Action != action {
			continue
		}
		f.Times--
		if f.Times <= 0 {
			e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
		}
		return *f, true
	}
	return Fault{}, false
}

// playFault takes the first fault matching action and plays what every
// endpoint shares: the delay, a dropped connection, a raw body of
// contentType. answer writes the rest (a status, a code) in the endpoint's
// own format. false = no fault applies, or only a delay: handle normally.
func (e *Emulator) playFault(w http.ResponseWriter, r *http.Request, action string, exact bool, contentType string, answer func(Fault) bool) bool {
	f, ok := e.takeFault(action, exact)
	if !ok {
		return false
	}
	e.log.Debug("emulator: fault", "action", action, "code", f.Code, "status", f.Status, "drop", f.Drop, "delay", f.Delay)
	if f.Delay > 0 && !sleepCtx(r, f.Delay) {
		return true
	}
	switch {
	case f.Drop:
		dropConn(w)
		return true
	case f.Body != "":
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(cmp.Or(f.Status, http.StatusOK))
		_, _ = w.Write([]byte(f.Body))
		return true
	}
	return answer(f)
}

// message is the fault's message, or a generic one naming action.
func (f Fault) message(action string) string {
	return cmp.Or(f.Message, "Fault injected by the emulator for "+action+".")
}

// applyFault answers an API call per a matching fault; false = handle normally.
func (e *Emulator) applyFault(w http.ResponseWriter, r *http.Request, action, reqID string) bool {
	return e.playFault(w, r, action, false, "application/json", func(f Fault) bool {
		switch {
		case f.Status != 0:
			b, _ := json.Marshal(map[string]any{"Response": map[string]string{"RequestId": reqID}})
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			_, _ = w.Write(b)
		case f.Code != "":
			writeEnvelope(w, reqID, nil, newAPIError(f.Code, f.message(action)))
		default:
			return false
		}
		return true
	})
}

// sleepCtx waits d (real time); false when the request's context ended first.
func sleepCtx(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// dropConn closes the connection without answering.
func dropConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // closes the connection without a response
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
