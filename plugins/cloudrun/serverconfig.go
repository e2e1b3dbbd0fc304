package cloudrun

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// serverConfig is the serverConfig argument with "given or not" kept for
// every key: a read-merge-write must only change what the caller named.
type serverConfig struct {
	OpenAccessTypes     []string            `json:"OpenAccessTypes"`
	Cpu                 *float64            `json:"Cpu"`
	Mem                 *float64            `json:"Mem"`
	MinNum              *int64              `json:"MinNum"`
	MaxNum              *int64              `json:"MaxNum"`
	PolicyDetails       []tcbr.HpaPolicy    `json:"PolicyDetails"`
	CustomLogs          *string             `json:"CustomLogs"`
	Port                *int64              `json:"Port"`
	EnvParamsRaw        json.RawMessage     `json:"EnvParams"`
	Dockerfile          *string             `json:"Dockerfile"`
	BuildDir            *string             `json:"BuildDir"`
	InternalAccess      *string             `json:"InternalAccess"`
	InternalDomain      *string             `json:"InternalDomain"`
	EntryPoint          []string            `json:"EntryPoint"`
	Cmd                 []string            `json:"Cmd"`
	InitialDelaySeconds *int64              `json:"InitialDelaySeconds"`
	LogType             *string             `json:"LogType"`
	LogSetId            *string             `json:"LogSetId"`
	LogTopicId          *string             `json:"LogTopicId"`
	LogParseType        *string             `json:"LogParseType"`
	Tag                 *string             `json:"Tag"`
	OperationMode       *string             `json:"OperationMode"`
	SessionAffinity     *string             `json:"SessionAffinity"`
	TimerScale          []tcbr.TimerScale   `json:"TimerScale"`
	VpcConf             *vpcConfInput       `json:"VpcConf"`
	VolumesConf         []tcbr.VolumeConf   `json:"VolumesConf"`
	PublicNetConf       *tcbr.PublicNetConf `json:"PublicNetConf"`
	EnvParams           map[string]string   `json:"-"` // parsed EnvParamsRaw; nil when not given
}

type vpcConfInput struct {
	VpcId      string `json:"VpcId"`
	SubnetId   string `json:"SubnetId"`
	VpcCIDR    string `json:"VpcCIDR"`
	SubnetCIDR string `json:"SubnetCIDR"`
	CreateType int64  `json:"CreateType"`
}

// validCPUMem are the Cpu/Mem pairs the platform accepts.
var validCPUMem = map[float64]float64{0.25: 0.5, 0.5: 1, 1: 2, 2: 4, 4: 8, 8: 16, 16: 32}

// parseServerConfig binds and checks serverConfig before any network call.
func parseServerConfig(raw map[string]any) (*serverConfig, error) {
	if raw == nil {
		return nil, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c serverConfig
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("serverConfig: %s", decodeMessage(err))
	}
	if len(c.EnvParamsRaw) > 0 && string(c.EnvParamsRaw) != "null" {
		env, err := parseEnvParams(c.EnvParamsRaw)
		if err != nil {
			return nil, err
		}
		c.EnvParams = env
	}
	switch {
	case c.Cpu != nil && c.Mem != nil:
		want, ok := validCPUMem[*c.Cpu]
		if !ok || *c.Mem != want {
			return nil, fmt.Errorf("serverConfig: Cpu %g / Mem %g is not a valid pair; Mem must be 2 x Cpu, one of 0.25/0.5, 0.5/1, 1/2, 2/4, 4/8, 8/16, 16/32", *c.Cpu, *c.Mem)
		}
	case c.Cpu != nil || c.Mem != nil:
		return nil, fmt.Errorf("serverConfig: Cpu and Mem go together (Mem = 2 x Cpu, e.g. Cpu 0.5 with Mem 1)")
	}
	if c.MinNum != nil && c.MaxNum != nil && *c.MinNum > *c.MaxNum {
		return nil, fmt.Errorf("serverConfig: MinNum %d is larger than MaxNum %d", *c.MinNum, *c.MaxNum)
	}
	if c.VpcConf != nil && c.VpcConf.VpcId == "" {
		return nil, fmt.Errorf("serverConfig: VpcConf needs VpcId (and SubnetId)")
	}
	return &c, nil
}

// parseEnvParams accepts a JSON object, or JSON object text; values must be
// strings (numbers and booleans are turned into their text).
func parseEnvParams(raw json.RawMessage) (map[string]string, error) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if strings.TrimSpace(text) == "" {
			return map[string]string{}, nil
		}
		raw = json.RawMessage(text)
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf(`serverConfig: EnvParams must be a JSON object of strings, e.g. {"NODE_ENV":"production"}`)
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("serverConfig: EnvParams value of %s must be a string", k)
		}
	}
	return out, nil
}

// remoteEnvParams parses the service's current EnvParams text.
func remoteEnvParams(text string) map[string]string {
	out := map[string]string{}
	if strings.TrimSpace(text) == "" {
		return out
	}
	var obj map[string]any
	if json.Unmarshal([]byte(text), &obj) != nil {
		return out
	}
	for k, v := range obj {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// envParamsJSON is the wire form: a JSON object text with sorted keys.
func envParamsJSON(m map[string]string) string {
	b, _ := json.Marshal(m) // map keys are sorted by encoding/json
	return string(b)
}

// --- items (tcbr-api.md §7.5)

func strItem(key, v string) tcbr.DiffConfigItem {
	return tcbr.DiffConfigItem{Key: key, Value: tcbr.Ptr(v)}
}
func intItem(key string, v int64) tcbr.DiffConfigItem {
	return tcbr.DiffConfigItem{Key: key, IntValue: tcbr.Ptr(v)}
}

// itemBuilder collects items in order, one per key; a later set of the same
// key replaces the value in place (as a JavaScript object spread would).
type itemBuilder struct {
	items []tcbr.DiffConfigItem
	index map[string]int
}

func (b *itemBuilder) set(it tcbr.DiffConfigItem) {
	if b.index == nil {
		b.index = map[string]int{}
	}
	if i, ok := b.index[it.Key]; ok {
		b.items[i] = it
		return
	}
	b.index[it.Key] = len(b.items)
	b.items = append(b.items, it)
}

// setStr adds a string item; empty strings are omitted, as the reference does.
func (b *itemBuilder) setStr(key string, v *string) {
	if v != nil && *v != "" {
		b.set(strItem(key, *v))
	}
}

// addGiven adds every key the caller gave, in a fixed order.
func (b *itemBuilder) addGiven(c *serverConfig) {
	if c == nil {
		return
	}
	if c.OpenAccessTypes != nil {
		b.set(tcbr.DiffConfigItem{Key: "AccessTypes", ArrayValue: c.OpenAccessTypes})
	}
	if c.MinNum != nil {
		b.set(intItem("MinNum", *c.MinNum))
	}
	if c.EnvParams != nil {
		b.set(strItem("EnvParam", envParamsJSON(c.EnvParams)))
	}
	if c.InitialDelaySeconds != nil {
		b.set(intItem("InitialDelaySeconds", *c.InitialDelaySeconds))
	}
	b.setStr("LogPath", c.CustomLogs)
	if c.Port != nil {
		b.set(intItem("Port", *c.Port))
	}
	b.setStr("Dockerfile", c.Dockerfile)
	b.setStr("BuildDir", c.BuildDir)
	if c.Cpu != nil {
		b.set(tcbr.DiffConfigItem{Key: "CpuSpecs", FloatValue: c.Cpu})
		b.set(tcbr.DiffConfigItem{Key: "MemSpecs", FloatValue: c.Mem})
	}
	if c.MaxNum != nil {
		b.set(intItem("MaxNum", *c.MaxNum))
	}
	if c.PolicyDetails != nil {
		b.set(tcbr.DiffConfigItem{Key: "PolicyDetails", PolicyDetails: c.PolicyDetails})
	}
	b.setStr("InternalAccess", c.InternalAccess)
	b.setStr("InternalDomain", c.InternalDomain)
	if c.EntryPoint != nil {
		b.set(tcbr.DiffConfigItem{Key: "EntryPoint", ArrayValue: c.EntryPoint})
	}
	if c.Cmd != nil {
		b.set(tcbr.DiffConfigItem{Key: "Cmd", ArrayValue: c.Cmd})
	}
	b.setStr("LogType", c.LogType)
	b.setStr("LogSetId", c.LogSetId)
	b.setStr("LogTopicId", c.LogTopicId)
	b.setStr("LogParseType", c.LogParseType)
	b.setStr("OperationMode", c.OperationMode)
	b.setStr("SessionAffinity", c.SessionAffinity)
	if c.TimerScale != nil {
		b.set(tcbr.DiffConfigItem{Key: "TimerScale", TimerScale: c.TimerScale})
	}
	if c.VpcConf != nil {
		b.set(tcbr.DiffConfigItem{Key: "VpcConf", VpcConf: &tcbr.VpcConf{
			VpcId: c.VpcConf.VpcId, SubnetId: c.VpcConf.SubnetId, VpcCIDR: c.VpcConf.VpcCIDR, SubnetCIDR: c.VpcConf.SubnetCIDR,
		}})
	}
	if c.VolumesConf != nil {
		b.set(tcbr.DiffConfigItem{Key: "VolumesConf", VolumesConf: c.VolumesConf})
	}
	if c.PublicNetConf != nil {
		b.set(tcbr.DiffConfigItem{Key: "PublicNetConf", PublicNetConf: c.PublicNetConf})
	}
	b.setStr("Tag", c.Tag)
}

// createItems is the config of a new service: the reference's defaults with
// the caller's keys on top (tcbr-api.md §8.2 step 5).
func createItems(c *serverConfig, serviceType string, port int64) []tcbr.DiffConfigItem {
	var b itemBuilder
	b.set(tcbr.DiffConfigItem{Key: "AccessTypes", ArrayValue: []string{"OA", "PUBLIC", "MINIAPP"}})
	b.set(intItem("MinNum", 0))
	b.set(strItem("EnvParam", "{}"))
	b.set(intItem("InitialDelaySeconds", 0))
	b.set(tcbr.DiffConfigItem{Key: "HasDockerfile", BoolValue: tcbr.Ptr(true)})
	b.set(intItem("Port", port))
	b.set(strItem("Dockerfile", "Dockerfile"))
	b.addGiven(c)
	if serviceType == "function" {
		b.set(intItem("Port", 3000))
		b.set(strItem("Tag", "function:"))
	}
	return b.items
}

// merge is the read-merge-write of an existing service's config: the
// caller's keys, plus what a code-only redeploy must not lose.
type merge struct {
	items []tcbr.DiffConfigItem
	kept  []string // remote keys preserved, for mergedFromRemote
}

func mergeForUpdate(c *serverConfig, remote *tcbr.ServerBaseConfig, serviceType string, replaceAllEnv bool) merge {
	var b itemBuilder
	var kept []string
	if remote == nil {
		remote = &tcbr.ServerBaseConfig{}
	}
	given := c
	if given == nil {
		given = &serverConfig{}
	}
	if given.OpenAccessTypes == nil && len(remote.OpenAccessTypes) > 0 {
		b.set(tcbr.DiffConfigItem{Key: "AccessTypes", ArrayValue: remote.OpenAccessTypes})
		kept = append(kept, "OpenAccessTypes")
	}
	env := remoteEnvParams(remote.EnvParams)
	switch {
	case given.EnvParams == nil && len(env) > 0:
		b.set(strItem("EnvParam", envParamsJSON(env)))
		kept = append(kept, "EnvParams ("+strings.Join(slices.Sorted(maps.Keys(env)), ", ")+")")
	case given.EnvParams != nil && !replaceAllEnv:
		var keptKeys []string
		for k := range env {
			if _, ok := given.EnvParams[k]; !ok {
				keptKeys = append(keptKeys, k)
			}
		}
		merged := maps.Clone(env)
		maps.Copy(merged, given.EnvParams)
		given = withEnv(given, merged)
		if len(keptKeys) > 0 {
			slices.Sort(keptKeys)
			kept = append(kept, "EnvParams ("+strings.Join(keptKeys, ", ")+")")
		}
	}
	if given.VpcConf == nil && remote.VpcConf != nil && remote.VpcConf.VpcId != "" {
		b.set(tcbr.DiffConfigItem{Key: "VpcConf", VpcConf: remote.VpcConf})
		kept = append(kept, "VpcConf")
	}
	b.addGiven(given)
	if serviceType == "function" {
		b.set(intItem("Port", 3000))
	}
	return merge{items: b.items, kept: kept}
}

func withEnv(c *serverConfig, env map[string]string) *serverConfig {
	cp := *c
	cp.EnvParams = env
	return &cp
}

// --- warnings

var (
	dbKeyPattern   = regexp.MustCompile(`(?i)(DATABASE|^DB_|_DB_|_DB$|MYSQL|POSTGRES|^PG|REDIS|MONGO|SQL)`)
	dbValuePattern = regexp.MustCompile(`(?i)^(mysql|postgres(ql)?|redis|rediss|mongodb(\+srv)?|sqlserver)://`)
)

// dbWithoutVPC warns when EnvParams look like a database connection while no
// VpcConf is set: the deploy succeeds and the service fails at runtime.
func dbWithoutVPC(env map[string]string, hasVPC bool) []warning {
	if hasVPC {
		return nil
	}
	var keys []string
	for k, v := range env {
		if dbKeyPattern.MatchString(k) || dbValuePattern.MatchString(strings.TrimSpace(v)) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	return []warning{{
		Code: "MISSING_VPC_FOR_DB_ENV",
		Message: fmt.Sprintf("EnvParams %s look like a database connection but the service has no VpcConf: "+
			"the deploy will succeed and the connection will fail at runtime if the database is only reachable in a VPC.", strings.Join(keys, ", ")),
		Remediations: []string{
			"Pass serverConfig.VpcConf {VpcId, SubnetId} of the database's VPC.",
			"Or open CloudRun on the env with that VPC (initEnv vpcId/subnetIds) so new services join it.",
			"Or use the database's public endpoint and allow the service's egress.",
			"Check the process log after the deploy for connection errors.",
			"Ignore this if the database is public or managed by CloudBase.",
		},
	}}
}

type warning struct {
	Code         string   `json:"code"`
	Message      string   `json:"message"`
	Remediations []string `json:"remediations"`
}
