package cloudrun

import (
	"strings"
	"unicode"
)

// The platform answers some errors in Chinese. Failures speak English: the
// known messages and codes have an English meaning here, and the platform's
// own text is kept beside it (failure.PlatformMessage), never mixed into an
// English sentence.

// knownMessages are platform messages seen in the wild, by a fragment.
var knownMessages = []struct{ fragment, english string }{
	{"已有部署发布任务运行中", "a deploy or release task is already running on this service"},
	{"服务删除中", "the service is being deleted"},
	{"云托管资源未开通", "CloudRun is not opened on this env"},
	{"云托管已开通", "CloudRun is already opened on this env"},
	{"无法使用系统创建网络", "this env cannot use a network the system creates; give an explicit VPC (serverConfig.VpcConf, or initEnv vpcId and subnetIds)"},
	{"不存在灰度中的版本", "no gray release is open, or its new version has not finished deploying"},
}

// codeMeanings say what a code means when its message is not English.
var codeMeanings = map[string]string{
	"ResourceInUse":                        "the resource is in use: a task is running on it, or it is being changed",
	"ResourceNotFound":                     "the resource does not exist",
	"ResourceNotFound.ServerNotFound":      "the service does not exist",
	"ResourceNotFound.VersionNotFound":     "the version does not exist",
	"ResourceNotFound.CloudRunEnv":         "CloudRun is not opened on this env",
	"ResourceUnavailable":                  "the resource is unavailable",
	"ResourceUnavailable.ResourceBanned":   "the resource is banned",
	"ResourceUnavailable.ResourceFrozen":   "the resource is frozen (often an overdue bill)",
	"ResourceUnavailable.ResourceIsolated": "the resource is isolated (often an overdue bill)",
	"ResourceInsufficient":                 "the platform has not enough resources for this",
	"LimitExceeded":                        "a quota or limit was reached",
	"FailedOperation":                      "the operation failed on the platform",
	"InvalidParameter":                     "a request parameter is invalid",
	"InvalidParameterValue":                "a request parameter has an invalid value",
	"MissingParameter":                     "a required request parameter is missing",
	"UnsupportedOperation":                 "the platform does not support this operation here",
	"UnauthorizedOperation":                "the credentials may not do this",
	"AuthFailure":                          "the credentials were rejected",
	"InternalError":                        "the platform had an internal error",
	"RequestLimitExceeded":                 "too many requests",
}

// english is the English reason for a platform message, and the original
// when it is not English ("" otherwise).
func english(code, message string) (why, original string) {
	if !hasHan(message) {
		return message, ""
	}
	for _, m := range knownMessages {
		if strings.Contains(message, m.fragment) {
			return m.english, message
		}
	}
	for c := code; c != ""; {
		if meaning, ok := codeMeanings[c]; ok {
			return meaning, message
		}
		i := strings.LastIndexByte(c, '.')
		if i < 0 {
			break
		}
		c = c[:i]
	}
	return "the platform refused the request (its message is in platformMessage)", message
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
