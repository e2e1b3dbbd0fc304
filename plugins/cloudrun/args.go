package cloudrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/go-playground/validator/v10"
	"github.com/mark3labs/mcp-go/mcp"
)

// Arguments are bound here, in one place, into typed structs. The server's
// schema validation has already refused unknown keys, wrong types, enums and
// ranges (and coerced "42" to 42); the validator tags repeat those rules so
// the handlers are safe when called directly (TestArgsAgreeWithSchema proves
// the two agree), and per-action rules follow in the handlers.

// serverNamePattern is the service-name rule: the schema's pattern, the
// validator tag and checkServerName all use it.
const serverNameExpr = `^[a-zA-Z][a-zA-Z0-9_-]{2,44}$`

// Compiled on first use, like every matcher here: bounded repeats are costly to
// compile and start-up need not pay for them.
var serverNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(serverNameExpr) })

// validate is built on first use: validator.New is not free, and startup does not need it.
var validate = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
	_ = v.RegisterValidation("servername", func(fl validator.FieldLevel) bool {
		return serverNamePattern().MatchString(fl.Field().String())
	})
	_ = v.RegisterValidation("queryaction", func(fl validator.FieldLevel) bool {
		_, ok := queryActionNamed(fl.Field().String())
		return ok
	})
	_ = v.RegisterValidation("manageaction", func(fl validator.FieldLevel) bool {
		_, ok := manageActionNamed(fl.Field().String())
		return ok
	})
	return v
})

// QueryArgs are queryCloudRun's arguments.
type QueryArgs struct {
	Action           string `json:"action" validate:"required,queryaction"`
	PageSize         *int   `json:"pageSize" validate:"omitempty,min=1,max=100"`
	PageNum          *int   `json:"pageNum" validate:"omitempty,min=1"`
	ServerName       string `json:"serverName"`
	ServerType       string `json:"serverType" validate:"omitempty,oneof=function container"`
	EnvID            string `json:"envId"`
	DetailServerName string `json:"detailServerName"`
	BuildID          *int64 `json:"buildId" validate:"omitempty,min=0"`
	RunID            string `json:"runId"`
	FromLine         *int   `json:"fromLine" validate:"omitempty,min=1"`
	RevealEnvParams  bool   `json:"revealEnvParams"`
	Refresh          bool   `json:"refresh"`
}

// service returns the service a non-list action is about.
func (a *QueryArgs) service() string {
	if a.DetailServerName != "" {
		return a.DetailServerName
	}
	return a.ServerName
}

// RunOptions are run's options.
type RunOptions struct {
	Port      *int              `json:"port,omitempty" validate:"omitempty,min=1,max=65535"`
	EnvParams map[string]string `json:"envParams,omitempty"`
	RunMode   string            `json:"runMode,omitempty" validate:"omitempty,oneof=normal agent"`
	AgentID   string            `json:"agentId,omitempty"`
}

// AgentConfig is createAgent's agent.
type AgentConfig struct {
	AgentName   string `json:"agentName" validate:"required"`
	BotTag      string `json:"botTag,omitempty"`
	Description string `json:"description,omitempty"`
	Template    string `json:"template,omitempty"`
}

// ManageArgs are manageCloudRun's arguments.
type ManageArgs struct {
	Action              string         `json:"action" validate:"required,manageaction"`
	ServerName          string         `json:"serverName" validate:"omitempty,servername"`
	TargetPath          string         `json:"targetPath"`
	ImageURL            string         `json:"imageUrl"`
	ServerConfig        map[string]any `json:"serverConfig"`
	EnvParamsReplaceAll bool           `json:"envParamsReplaceAll"`
	ServerType          string         `json:"serverType" validate:"omitempty,oneof=function container"`
	WaitRegistration    *bool          `json:"waitRegistration"`
	ReleaseType         string         `json:"releaseType" validate:"omitempty,oneof=FULL GRAY"`
	DryRun              bool           `json:"dryRun"`
	Template            string         `json:"template"`
	RunOptions          *RunOptions    `json:"runOptions"`
	AgentConfig         *AgentConfig   `json:"agentConfig"`
	TrafficOp           string         `json:"trafficOp" validate:"omitempty,oneof=set promote rollback"`
	StablePercent       *int           `json:"stablePercent" validate:"omitempty,min=0,max=100"`
	CanaryPercent       *int           `json:"canaryPercent" validate:"omitempty,min=0,max=100"`
	EnvID               string         `json:"envId"`
	PackageType         string         `json:"packageType" validate:"omitempty,oneof=Trial Standard Professional Enterprise"`
	VpcID               string         `json:"vpcId"`
	SubnetIDs           []string       `json:"subnetIds"`
	Force               bool           `json:"force"`
}

// bind decodes the call's arguments into T, refusing unknown keys, and runs
// the validator tags.
func bind[T any](req mcp.CallToolRequest) (*T, error) {
	raw, err := json.Marshal(req.GetArguments())
	if err != nil {
		return nil, invalid("arguments are not a JSON object", "Send an object of parameters.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	out := new(T)
	if err := dec.Decode(out); err != nil {
		return nil, invalid(mcpx.DecodeMessage(err), "Fix the named parameter and call again.")
	}
	if err := validate().Struct(out); err != nil {
		return nil, invalid(validationMessage(err), "Fix the named parameter and call again.")
	}
	return out, nil
}

func validationMessage(err error) string {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err.Error()
	}
	var parts []string
	for _, fe := range verrs {
		parts = append(parts, fieldMessage(fe))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}

func fieldMessage(fe validator.FieldError) string {
	name := fe.Namespace()
	if i := strings.IndexByte(name, '.'); i >= 0 {
		name = name[i+1:] // drop the struct name
	}
	switch fe.Tag() {
	case "required":
		return name + " is required"
	case "oneof":
		return fmt.Sprintf("%s must be one of: %s (got %v)", name, strings.ReplaceAll(fe.Param(), " ", ", "), fe.Value())
	case "queryaction":
		return fmt.Sprintf("%s must be one of: %s (got %v)", name, strings.Join(QueryActions(), ", "), fe.Value())
	case "manageaction":
		return fmt.Sprintf("%s must be one of: %s (got %v)", name, strings.Join(ManageActions(), ", "), fe.Value())
	case "min":
		return fmt.Sprintf("%s must be at least %s", name, fe.Param())
	case "max":
		return fmt.Sprintf("%s must be at most %s", name, fe.Param())
	case "servername":
		return fmt.Sprintf("%s %q is not a valid service name: start with a letter, then 2-44 letters, digits, _ or -", name, fe.Value())
	}
	return fmt.Sprintf("%s fails %s", name, fe.Tag())
}

// checkServerName validates a service name the way every action needs it.
func checkServerName(param, name string) error {
	if name == "" {
		return invalid(param+" is required for this action", fmt.Sprintf("Pass %s (list the services to find it).", param))
	}
	if !serverNamePattern().MatchString(name) {
		return invalid(fmt.Sprintf("%s %q is not a valid service name", param, name),
			"A service name starts with a letter, then 2-44 letters, digits, _ or -.")
	}
	return nil
}
