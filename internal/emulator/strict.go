package emulator

import (
	"encoding/json"
	"slices"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr/wire"
)

// The emulator is as strict as the cloud: every request is checked against
// the field table of the public SDK models (internal/tcbr/wire) before its
// action runs, and every answer it gives is checked against the same table
// before it leaves. A request field the table lacks answers UnknownParameter,
// a wrong JSON type InvalidParameter, worded like the gateway.

// WireViolation is a request the table refused, or an answer of the
// emulator's own that departs from it (an emulator bug).
type WireViolation struct {
	Service   string `json:"service"`
	Action    string `json:"action"`
	Direction string `json:"direction"` // "request" or "response"
	Code      string `json:"code"`
	Path      string `json:"path"`
	Message   string `json:"message"`
}

// checkRequest checks a request body against the table; a violation is
// recorded and answered as the gateway would.
func (e *Emulator) checkRequest(service, action string, body []byte) *apiError {
	v := wire.Load().CheckRequest(service, action, body)
	if v == nil {
		return nil
	}
	e.addViolation(WireViolation{Service: service, Action: action, Direction: "request",
		Code: v.Code, Path: v.Path, Message: v.Message()})
	return newAPIError(v.Code, v.Message())
}

// checkResponse marshals a successful answer and checks it against the
// table; an answer the real API could not give becomes an InternalError, so
// no test can pass on a shape the models do not have.
func (e *Emulator) checkResponse(service, action string, resp any) (json.RawMessage, *apiError) {
	b, err := marshalNoEscape(resp, "")
	if err != nil {
		return nil, newAPIError("InternalError", "emulator: "+err.Error())
	}
	if v := wire.Load().CheckResponse(service, action, b); v != nil {
		msg := "the emulator's answer departs from the wire table at `" + v.Path + "` (" + v.Code + ")"
		e.addViolation(WireViolation{Service: service, Action: action, Direction: "response",
			Code: v.Code, Path: v.Path, Message: msg})
		return nil, newAPIError("InternalError", "emulator: "+msg)
	}
	return b, nil
}

// WireViolationLog is the message of the error line logged for each
// violation: a process that runs the emulator in the sandbox can be checked
// through its log.
const WireViolationLog = "emulator: wire table violation"

func (e *Emulator) addViolation(v WireViolation) {
	e.log.Error(WireViolationLog, "service", v.Service, "action", v.Action,
		"direction", v.Direction, "code", v.Code, "path", v.Path)
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	e.violations = append(e.violations, v)
}

// WireViolations are the requests the field table refused and the answers
// of the emulator that departed from it, oldest first. Reset keeps them: each
// one is a bug (in the caller or the emulator) a test should fail on.
func (e *Emulator) WireViolations() []WireViolation {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	return slices.Clone(e.violations)
}
