package emulator

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Service types.
const (
	typeFunction  = "function"
	typeContainer = "container"
)

// defaultConfig is the platform default of a service created without the
// corresponding Items (spec §9.2).
func defaultConfig(envID, name, serverType string) tcbr.ServerBaseConfig {
	port, tag := tcbr.FlexInt(80), ""
	if serverType == typeFunction {
		port, tag = 3000, "function:"
	}
	return tcbr.ServerBaseConfig{
		EnvId:           envID,
		ServerName:      name,
		OpenAccessTypes: []string{"PUBLIC"},
		Cpu:             0.5,
		Mem:             1,
		MinNum:          0,
		MaxNum:          5,
		PolicyDetails:   []tcbr.HpaPolicy{{PolicyType: "cpu", PolicyThreshold: 60}},
		CustomLogs:      "stdout",
		EnvParams:       "",
		Port:            port,
		HasDockerfile:   true,
		Dockerfile:      "Dockerfile",
		LogType:         "default",
		Tag:             tag,
		InternalAccess:  "close",
		OperationMode:   "condScale",
		TimerScale:      []tcbr.TimerScale{},
		EntryPoint:      []string{},
		Cmd:             []string{},
		SessionAffinity: tcbr.Ptr("close"),
		VolumesConf:     []tcbr.VolumeConf{},
		PublicNetConf:   &tcbr.PublicNetConf{PublicNetStatus: "ENABLE"},
	}
}

// cloneConfig deep-copies a config (it holds slices and pointers).
func cloneConfig(c tcbr.ServerBaseConfig) tcbr.ServerBaseConfig {
	b, err := json.Marshal(c)
	if err != nil {
		panic("emulator: config does not marshal: " + err.Error())
	}
	var out tcbr.ServerBaseConfig
	if err := json.Unmarshal(b, &out); err != nil {
		panic("emulator: config does not round-trip: " + err.Error())
	}
	return out
}

// overlayConfig applies a partial ServerBaseConfig (JSON) and an EnvParams
// map on top of base and returns the result; base is not modified.
func overlayConfig(base tcbr.ServerBaseConfig, raw json.RawMessage, envParams map[string]string) (tcbr.ServerBaseConfig, error) {
	out := cloneConfig(base)
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &out); err != nil {
			return out, fmt.Errorf("config: %w", err)
		}
	}
	if envParams != nil {
		out.EnvParams = envParamsText(envParams)
	}
	out.EnvId, out.ServerName = base.EnvId, base.ServerName
	return out, nil
}

// envParamsText renders env params as the JSON object text the API carries,
// keys sorted so the output is stable.
func envParamsText(m map[string]string) string {
	var b []byte
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		kb, _ := json.Marshal(k)
		vb, _ := json.Marshal(m[k])
		b = append(b, kb...)
		b = append(b, ':')
		b = append(b, vb...)
	}
	return string(append(b, '}'))
}
