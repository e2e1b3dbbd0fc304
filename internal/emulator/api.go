package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

const maxBodyBytes = 8 << 20

// apiError is an upstream error answered in the envelope (HTTP 200).
type apiError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func newAPIError(code, msg string) *apiError { return &apiError{Code: code, Message: msg} }

func missingParam(name string) *apiError {
	return newAPIError("MissingParameter", "The request is missing a required parameter `"+name+"`.")
}

// call is one verified API request being handled under the state lock.
type call struct {
	e     *Emulator
	r     *http.Request
	v     *verified
	body  []byte
	raw   map[string]json.RawMessage
	reqID string
	now   time.Time
	st    *state
}

func (c *call) meta() tcbr.Meta { return tcbr.Meta{RequestId: c.reqID} }

// require answers MissingParameter for the first absent, null or empty field.
func (c *call) require(names ...string) *apiError {
	for _, n := range names {
		v, ok := c.raw[n]
		if !ok || string(v) == "null" || string(v) == `""` {
			return missingParam(n)
		}
	}
	return nil
}

// decode unmarshals the body into a typed request. The body has passed the
// wire table (unknown fields and wrong JSON types are refused before the
// handler runs); what is left is a value our typed request cannot hold.
func (c *call) decode(dst any) *apiError {
	if err := json.Unmarshal(c.body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return newAPIError("InvalidParameter", "The parameter `"+te.Field+"` must be of type "+te.Type.String()+", got a JSON "+te.Value+".")
		}
		return newAPIError("InvalidParameter", "The request body is invalid: "+err.Error())
	}
	return nil
}

type handlerFunc func(c *call) (any, *apiError)

// tcbrHandlers are the implemented tcbr actions.
var tcbrHandlers = map[string]handlerFunc{
	"DescribeCloudRunServers":      describeCloudRunServers,
	"DescribeCloudRunServerDetail": describeCloudRunServerDetail,
	"DescribeCloudRunDeployRecord": describeCloudRunDeployRecord,
	"DescribeCloudRunBuildLog":     describeCloudRunBuildLog,
	"DescribeCloudRunProcessLog":   describeCloudRunProcessLog,
	"DescribeServerManageTask":     describeServerManageTask,
	"DescribeReleaseOrder":         describeReleaseOrder,
	"DescribeEnvBaseInfo":          describeEnvBaseInfo,
	"DescribeCloudRunEnvs":         describeCloudRunEnvs,
	"DescribeVersionDetail":        describeVersionDetail,
	"DeleteCloudRunServer":         deleteCloudRunServer,
	"CreateCloudRunServer":         createCloudRunServer,
	"UpdateCloudRunServer":         updateCloudRunServer,
	"SubmitServerConfigChangeDiff": submitServerConfigChangeDiff,
	"ReleaseGray":                  releaseGray,
	"OperateServerManage":          operateServerManage,
	"SubmitServerRollback":         submitServerRollback,
	"CreateCloudRunEnv":            createCloudRunEnv,
}

// tcbrKnown are the tcbr actions of spec §5 the emulator does not implement
// yet: they answer UnsupportedOperation rather than InvalidAction.
var tcbrKnown = []string{
	"DeleteCloudRunVersions", "DescribeCloudRunPodList", "StartVersionInstance",
	"StopVersionInstance", "SearchClsLog",
}

var tcbHandlers = map[string]handlerFunc{
	"DescribeEnvInfo":               describeEnvInfo,
	"DescribeEnvs":                  describeEnvs,
	"DescribeCloudBaseBuildService": describeCloudBaseBuildService,
	"DescribeHTTPServiceRoute":      describeHTTPServiceRoute,
}

func lookupHandler(service, action string) (h handlerFunc, known bool) {
	switch service {
	case tcbr.ServiceTCBR:
		if h, ok := tcbrHandlers[action]; ok {
			return h, true
		}
		for _, a := range tcbrKnown {
			if a == action {
				return nil, true
			}
		}
	case tcbr.ServiceTCB:
		if h, ok := tcbHandlers[action]; ok {
			return h, true
		}
	}
	return nil, false
}

// serveAPI is POST / : verify, record, faults, route, answer.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	reqID := e.reqIDs.next()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeEnvelope(w, reqID, nil, newAPIError("InvalidParameter", "The request body could not be read: "+err.Error()))
		return
	}
	v, aerr := e.verify(r, body, time.Now())
	if aerr != nil {
		e.log.Debug("emulator: rejected request", "code", aerr.Code, "action", r.Header.Get("X-TC-Action"))
		writeEnvelope(w, reqID, nil, aerr)
		return
	}
	e.record(v, body)
	if e.applyFault(w, r, v.Action, reqID) {
		return
	}
	resp, aerr := e.dispatch(r, v, body, reqID)
	if aerr != nil {
		e.log.Debug("emulator: api error", "service", v.Service, "action", v.Action, "code", aerr.Code, "message", aerr.Message)
	} else {
		e.log.Debug("emulator: api call", "service", v.Service, "action", v.Action)
	}
	writeEnvelope(w, reqID, resp, aerr)
}

func (e *Emulator) dispatch(r *http.Request, v *verified, body []byte, reqID string) (any, *apiError) {
	h, known := lookupHandler(v.Service, v.Action)
	if !known {
		return nil, newAPIError("InvalidAction",
			"The action `"+v.Action+"` is not valid for service `"+v.Service+"` version `"+v.Version+"`.")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return nil, newAPIError("InvalidParameter", "The request body must be a JSON object (`{}` when there are no parameters).")
	}
	// The gateway checks the parameters before the action runs.
	if aerr := e.checkRequest(v.Service, v.Action, body); aerr != nil {
		return nil, aerr
	}
	if h == nil {
		return nil, newAPIError("UnsupportedOperation", "the emulator does not implement "+v.Action+" yet")
	}
	resp, aerr := e.run(h, &call{e: e, r: r, v: v, body: body, raw: raw, reqID: reqID})
	if aerr != nil {
		return nil, aerr
	}
	return e.checkResponse(v.Service, v.Action, resp)
}

// run calls a handler under the state lock, with the state settled.
func (e *Emulator) run(h handlerFunc, c *call) (any, *apiError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c.now = e.clock.now()
	e.st.settle(c.now)
	c.st = e.st
	return h(c)
}

// writeEnvelope answers HTTP 200 with {"Response":{...}} (spec §3).
func writeEnvelope(w http.ResponseWriter, reqID string, resp any, aerr *apiError) {
	var payload any
	if aerr != nil {
		payload = map[string]any{"Response": map[string]any{"Error": aerr, "RequestId": reqID}}
	} else {
		payload = map[string]any{"Response": resp}
	}
	b, err := marshalNoEscape(payload, "")
	if err != nil {
		b, _ = json.Marshal(map[string]any{"Response": map[string]any{
			"Error": newAPIError("InternalError", "emulator: "+err.Error()), "RequestId": reqID}})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeJSON answers a non-API endpoint (admin, templates).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalNoEscape(v, "  ")
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// marshalNoEscape is json.Marshal without HTML escaping ("<", ">", "&" stay
// as they are, like the real API); the result ends with a newline.
func marshalNoEscape(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
