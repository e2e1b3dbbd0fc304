package tcbr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies an upstream failure so the tool layer can react without
// knowing Tencent Cloud's error codes.
type Kind string

const (
	KindNotFound     Kind = "not_found"
	KindAuth         Kind = "auth"
	KindRateLimited  Kind = "rate_limited"
	KindInvalid      Kind = "invalid_parameter"
	KindConflict     Kind = "conflict"
	KindTimeout      Kind = "timeout"
	KindNetwork      Kind = "network"
	KindUnavailable  Kind = "unavailable"
	KindInternal     Kind = "internal"
	KindBadResponse  Kind = "bad_response"
	KindNoCredential Kind = "no_credentials"
)

// Error is every failure the client returns: the upstream Code, Message and
// RequestId are kept verbatim; Kind says what the caller can do about it.
type Error struct {
	Kind      Kind
	Action    string // e.g. "DescribeCloudRunServerDetail"
	Code      string // upstream code, e.g. "ResourceNotFound.ServerNotFound"; "" for local faults
	Message   string
	RequestId string
	Err       error // cause, for local faults (network, context)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ", e.Action)
	if e.Code != "" {
		fmt.Fprintf(&b, "%s: ", e.Code)
	}
	b.WriteString(e.Message)
	if e.RequestId != "" {
		fmt.Fprintf(&b, " (RequestId %s)", e.RequestId)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or "" when err is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// IsNotFound reports whether err means the env, service or version is absent.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

// ClassifyCode maps an upstream error code (and, for one quirk, its message)
// to a Kind. Exported so the emulator tests and the tool layer agree.
func ClassifyCode(code, message string) Kind {
	switch {
	case code == "":
		return KindInternal
	case strings.HasPrefix(code, "ResourceNotFound"),
		code == "InvalidParameter.ServiceNotExist",
		code == "InvalidParameter.EnvironmentIdNotFound",
		code == "InvalidParameter" && message == "service data illegal":
		return KindNotFound
	case strings.HasPrefix(code, "AuthFailure"), strings.HasPrefix(code, "UnauthorizedOperation"):
		return KindAuth
	case code == "RequestLimitExceeded", strings.HasPrefix(code, "RequestLimitExceeded."):
		return KindRateLimited
	case strings.HasPrefix(code, "InvalidParameter"), strings.HasPrefix(code, "MissingParameter"),
		strings.HasPrefix(code, "UnknownParameter"), code == "InvalidAction", code == "NoSuchVersion",
		strings.HasPrefix(code, "UnsupportedOperation"), code == "UnsupportedRegion":
		return KindInvalid
	case strings.HasPrefix(code, "ResourceInUse"), strings.HasPrefix(code, "LimitExceeded"):
		return KindConflict
	case strings.HasPrefix(code, "ResourceUnavailable"), strings.HasPrefix(code, "ResourceInsufficient"):
		return KindUnavailable
	default:
		return KindInternal
	}
}
