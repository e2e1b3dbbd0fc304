package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// TC3-HMAC-SHA256 (spec §2.2) and the tolerant verification procedure of
// §2.3, written by hand on the standard library.

const (
	tc3Algorithm    = "TC3-HMAC-SHA256"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	maxClockSkew    = 300 * time.Second
)

// Gateway messages (spec §3).
const (
	msgSignatureFailure = "The provided credentials could not be validated. Please check your signature is correct."
	msgSignatureExpire  = "Signature expired. Timestamp and server time cannot differ by more than five minutes."
	msgSecretIDNotFound = "The SecretId is not found, please ensure that your SecretId is correct."
	msgTokenFailure     = "The provided token is invalid or does not belong to this SecretId."
)

// apiVersions maps each served service to its API version.
var apiVersions = map[string]string{tcbr.ServiceTCBR: tcbr.VersionTCBR, tcbr.ServiceTCB: tcbr.VersionTCB}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// canonicalRequest joins the §2.2 parts; canonicalHeaders ends with "\n".
func canonicalRequest(method, uri, query, canonicalHeaders, signedHeaders, hashedPayload string) string {
	return method + "\n" + uri + "\n" + query + "\n" + canonicalHeaders + "\n" + signedHeaders + "\n" + hashedPayload
}

// tc3Signature signs a canonical request for the date of timestamp.
func tc3Signature(secretKey, service string, timestamp int64, canonical string) string {
	date := time.Unix(timestamp, 0).UTC().Format("2006-01-02")
	scope := date + "/" + service + "/tc3_request"
	toSign := tc3Algorithm + "\n" + strconv.FormatInt(timestamp, 10) + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	k := hmacSHA256([]byte("TC3"+secretKey), date)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "tc3_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

// authHeader is a parsed Authorization header.
type authHeader struct {
	SecretID, Date, Service string
	SignedHeaders           []string
	Signature               string
}

// parseAuthorization reads "TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
// SignedHeaders=<a;b>, Signature=<64 hex>". Unknown fields are ignored.
func parseAuthorization(h string) (authHeader, bool) {
	var a authHeader
	rest, ok := strings.CutPrefix(h, tc3Algorithm+" ")
	if !ok {
		return a, false
	}
	cred, signed, ok := authFields(rest, &a)
	if !ok {
		return a, false
	}
	parts := strings.Split(cred, "/")
	if len(parts) != 4 || parts[3] != "tc3_request" || parts[0] == "" || parts[2] == "" || signed == "" {
		return a, false
	}
	if _, err := hex.DecodeString(a.Signature); err != nil || len(a.Signature) != 64 {
		return a, false
	}
	a.SecretID, a.Date, a.Service = parts[0], parts[1], parts[2]
	a.SignedHeaders, ok = signedHeaderNames(signed)
	return a, ok
}

// authFields splits the comma-separated key=value fields after the
// algorithm, setting a.Signature; false when a field has no "=".
func authFields(rest string, a *authHeader) (cred, signed string, ok bool) {
	for part := range strings.SplitSeq(rest, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return cred, signed, false
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			a.Signature = v
		}
	}
	return cred, signed, true
}

// signedHeaderNames lower-cases the ";"-separated SignedHeaders; false when
// one is empty.
func signedHeaderNames(signed string) ([]string, bool) {
	var names []string
	for name := range strings.SplitSeq(signed, ";") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			return names, false
		}
		names = append(names, name)
	}
	return names, true
}

// verified is a request that passed §2.3 steps 1–6.
type verified struct {
	Service, Action, Version, Region, SecretID string
}

// verify runs spec §2.3 steps 1–7 (action presence). realNow is wall-clock
// time: clients sign with their own time.Now().
func (e *Emulator) verify(r *http.Request, body []byte, realNow time.Time) (*verified, *apiError) {
	a, ok := parseAuthorization(r.Header.Get("Authorization"))
	if !ok {
		return nil, newAPIError("AuthFailure.InvalidAuthorization",
			"The Authorization header is missing or malformed; expected `TC3-HMAC-SHA256 Credential=<SecretId>/<Date>/<Service>/tc3_request, SignedHeaders=<headers>, Signature=<hex>`.")
	}
	cred, ok := e.creds[a.SecretID]
	if !ok {
		return nil, newAPIError("AuthFailure.SecretIdNotFound", msgSecretIDNotFound)
	}
	tsText := strings.TrimSpace(r.Header.Get("X-TC-Timestamp"))
	if tsText == "" {
		return nil, missingParam("X-TC-Timestamp")
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return nil, newAPIError("InvalidParameter", "The value of the header `X-TC-Timestamp` is not a unix timestamp in seconds.")
	}
	if d := realNow.Sub(time.Unix(ts, 0)); d > maxClockSkew || d < -maxClockSkew {
		return nil, newAPIError("AuthFailure.SignatureExpire", msgSignatureExpire)
	}
	if a.Date != time.Unix(ts, 0).UTC().Format("2006-01-02") {
		return nil, newAPIError("AuthFailure.SignatureFailure", msgSignatureFailure)
	}
	want, served := apiVersions[a.Service]
	if !served {
		return nil, newAPIError("InvalidAction",
			"The service `"+a.Service+"` in the credential scope is not served here (tcbr, tcb).")
	}
	ver := strings.TrimSpace(r.Header.Get("X-TC-Version"))
	if ver == "" {
		return nil, missingParam("X-TC-Version")
	}
	if ver != want {
		return nil, newAPIError("NoSuchVersion",
			"The requested version `"+ver+"` of service `"+a.Service+"` does not exist; use `"+want+"`.")
	}
	if !signatureMatches(r, body, a, cred.SecretKey, ts) {
		return nil, newAPIError("AuthFailure.SignatureFailure", msgSignatureFailure)
	}
	if cred.Token != "" && r.Header.Get("X-TC-Token") != cred.Token {
		return nil, newAPIError("AuthFailure.TokenFailure", msgTokenFailure)
	}
	action := strings.TrimSpace(r.Header.Get("X-TC-Action"))
	if action == "" {
		return nil, missingParam("X-TC-Action")
	}
	return &verified{Service: a.Service, Action: action, Version: ver,
		Region: r.Header.Get("X-TC-Region"), SecretID: a.SecretID}, nil
}

// signatureMatches tries every canonical form a known client may have
// signed: host as received, without port, or the public host; URI "/" or the
// actual path; header values lower-cased (the official rule) or as sent.
func signatureMatches(r *http.Request, body []byte, a authHeader, secretKey string, ts int64) bool {
	if !slices.Contains(a.SignedHeaders, "host") {
		return false
	}
	payload := sha256Hex(body)
	if strings.EqualFold(strings.TrimSpace(r.Header.Get("X-TC-Content-SHA256")), unsignedPayload) {
		payload = sha256Hex([]byte(unsignedPayload))
	}
	hosts := []string{r.Host}
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		hosts = append(hosts, h)
	}
	hosts = append(hosts, a.Service+".tencentcloudapi.com")
	uris := []string{"/"}
	if p := r.URL.EscapedPath(); p != "" && p != "/" {
		uris = append(uris, p)
	}
	signedHeaders := strings.Join(a.SignedHeaders, ";")
	tried := map[string]bool{}
	for _, lower := range []bool{true, false} {
		for _, host := range hosts {
			var ch strings.Builder
			for _, name := range a.SignedHeaders {
				v := strings.TrimSpace(r.Header.Get(name))
				if name == "host" {
					v = host
				}
				if lower {
					v = strings.ToLower(v)
				}
				ch.WriteString(name + ":" + v + "\n")
			}
			for _, uri := range uris {
				canon := canonicalRequest(r.Method, uri, "", ch.String(), signedHeaders, payload)
				if tried[canon] {
					continue
				}
				tried[canon] = true
				sig := tc3Signature(secretKey, a.Service, ts, canon)
				if hmac.Equal([]byte(sig), []byte(strings.ToLower(a.Signature))) {
					return true
				}
			}
		}
	}
	return false
}
