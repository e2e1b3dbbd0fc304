package emulator

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Scenario seeds the emulator's state. See the package documentation for the
// file format.
type Scenario struct {
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Account     Account      `json:"account"`
	Credentials []Credential `json:"credentials,omitempty"`
	Flags       Flags        `json:"flags"`
	Envs        []EnvSpec    `json:"envs"`
}

// Account is the Tencent Cloud account owning every env.
type Account struct {
	Uin   string `json:"uin"`
	AppID string `json:"appId"`
}

// Credential is a key pair the emulator accepts. A non-empty Token must be
// sent as X-TC-Token.
type Credential struct {
	SecretID  string `json:"secretId"`
	SecretKey string `json:"secretKey"`
	Token     string `json:"token,omitempty"`
}

// Flags switch platform quirks on.
type Flags struct {
	// CodingBuildLog makes DescribeCloudRunBuildLog answer FailedOperation
	// with the message accounts without a CODING user get.
	CodingBuildLog bool `json:"codingBuildLog,omitempty"`
	// LegacyStatusVocabulary reports deploying/running instead of
	// creating/normal (records, versions and services).
	LegacyStatusVocabulary bool `json:"legacyStatusVocabulary,omitempty"`
	// ServiceDataIllegal answers an unknown service with InvalidParameter
	// "service data illegal" instead of ResourceNotFound.ServerNotFound.
	ServiceDataIllegal bool `json:"serviceDataIllegal,omitempty"`
}

// EnvSpec is one CloudBase environment.
type EnvSpec struct {
	EnvID       string        `json:"envId"`
	Alias       string        `json:"alias,omitempty"`
	Region      string        `json:"region,omitempty"`
	CreatedAt   Duration      `json:"createdAt,omitempty"`
	PackageID   string        `json:"packageId,omitempty"`
	PackageName string        `json:"packageName,omitempty"`
	CloudRun    *CloudRunSpec `json:"cloudRun,omitempty"`
	Services    []ServiceSpec `json:"services,omitempty"`
	// Gateway adds routes (and custom domains) to the env's HTTP access
	// gateway; every env has its default domain.
	Gateway []GatewayDomainSpec `json:"gateway,omitempty"`
}

// CloudRunSpec says CloudRun is opened on the env.
type CloudRunSpec struct {
	PackageType  string   `json:"packageType,omitempty"`
	EnvType      string   `json:"envType,omitempty"`
	VpcID        string   `json:"vpcId,omitempty"`
	SubnetIDs    []string `json:"subnetIds,omitempty"`
	OpenedAt     Duration `json:"openedAt,omitempty"`
	OpenDuration Duration `json:"openDuration,omitempty"`
}

// ServiceSpec is one CloudRun service with its deploy history.
type ServiceSpec struct {
	Name      string            `json:"name"`
	Type      string            `json:"type"`
	CreatedAt *Duration         `json:"createdAt,omitempty"`
	Config    json.RawMessage   `json:"config,omitempty"`
	EnvParams map[string]string `json:"envParams,omitempty"`
	Versions  []VersionSpec     `json:"versions"`
}

// VersionSpec is one deploy of a service.
type VersionSpec struct {
	Name            string            `json:"name,omitempty"`
	At              Duration          `json:"at"`
	DeployType      string            `json:"deployType,omitempty"`
	ImageURL        string            `json:"imageUrl,omitempty"`
	ReleaseType     string            `json:"releaseType,omitempty"`
	GrayFlowRatio   int               `json:"grayFlowRatio,omitempty"`
	BuildIDDelay    *Duration         `json:"buildIdDelay,omitempty"`
	BuildDuration   *Duration         `json:"buildDuration,omitempty"`
	CreateDuration  *Duration         `json:"createDuration,omitempty"`
	ReleaseDuration *Duration         `json:"releaseDuration,omitempty"`
	Outcome         string            `json:"outcome,omitempty"`
	FailReason      string            `json:"failReason,omitempty"`
	Remark          string            `json:"remark,omitempty"`
	Config          json.RawMessage   `json:"config,omitempty"`
	EnvParams       map[string]string `json:"envParams,omitempty"`
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("-72h", "40s") or as a number of seconds.
type Duration time.Duration

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts "40s", "-72h", "" and numbers of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*d = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*d = 0
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: %w", s, err)
		}
		*d = Duration(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration %s: want a duration string or seconds", b)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

//go:embed scenarios/demo.json
var demoScenarioJSON []byte

// DefaultScenario returns a fresh copy of the embedded "demo" scenario.
func DefaultScenario() *Scenario {
	s, err := parseScenario(demoScenarioJSON)
	if err != nil {
		panic("emulator: embedded demo scenario: " + err.Error())
	}
	return s
}

// LoadScenario reads and validates a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := parseScenario(b)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	// Seeding is the validation: it walks every timeline.
	if _, err := newState(s, defaultStart, 0); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return s, nil
}

func parseScenario(b []byte) (*Scenario, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Scenario
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	return &s, nil
}

// clone deep-copies a scenario so later edits by the caller do not leak into
// Reset.
func (s *Scenario) clone() *Scenario {
	b, err := json.Marshal(s)
	if err != nil {
		panic("emulator: scenario does not marshal: " + err.Error())
	}
	out, err := parseScenario(b)
	if err != nil {
		panic("emulator: scenario does not round-trip: " + err.Error())
	}
	return out
}
