package emulator

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// DiffConfigItem handling (spec §7.5): each wire Key has exactly one value
// slot; the reverse map puts it into ServerBaseConfig. Unknown keys are
// ignored. Keys marked redeploy need new pods when their value changes
// (SubmitServerConfigChangeDiff starts an UpdateConfig task for them); the
// others are applied in place.

type itemSlot int

const (
	slotValue itemSlot = iota
	slotInt
	slotBool
	slotFloat
	slotArray
	slotPolicy
	slotTimer
	slotVpc
	slotVolumes
	slotPublicNet
)

var slotNames = map[itemSlot]string{
	slotValue: "Value", slotInt: "IntValue", slotBool: "BoolValue", slotFloat: "FloatValue",
	slotArray: "ArrayValue", slotPolicy: "PolicyDetails", slotTimer: "TimerScale", slotVpc: "VpcConf",
	slotVolumes: "VolumesConf", slotPublicNet: "PublicNetConf",
}

func (k itemSlot) present(it tcbr.DiffConfigItem) bool {
	switch k {
	case slotValue:
		return it.Value != nil
	case slotInt:
		return it.IntValue != nil
	case slotBool:
		return it.BoolValue != nil
	case slotFloat:
		return it.FloatValue != nil
	case slotArray:
		return it.ArrayValue != nil
	case slotPolicy:
		return it.PolicyDetails != nil
	case slotTimer:
		return it.TimerScale != nil
	case slotVpc:
		return it.VpcConf != nil
	case slotVolumes:
		return it.VolumesConf != nil
	}
	return it.PublicNetConf != nil
}

type itemSpec struct {
	slot     itemSlot
	redeploy bool
	// apply sets the value; a non-empty return is the InvalidParameter reason.
	apply func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string
}

func oneOf(v string, allowed ...string) string {
	if slices.Contains(allowed, v) {
		return ""
	}
	return fmt.Sprintf("must be one of %q, got %q", allowed, v)
}

func setStr(dst func(c *tcbr.ServerBaseConfig) *string, allowed ...string) func(*tcbr.ServerBaseConfig, tcbr.DiffConfigItem) string {
	return func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		if len(allowed) > 0 {
			if msg := oneOf(*it.Value, allowed...); msg != "" {
				return msg
			}
		}
		*dst(c) = *it.Value
		return ""
	}
}

func setInt(dst func(c *tcbr.ServerBaseConfig) *tcbr.FlexInt, lo, hi int64) func(*tcbr.ServerBaseConfig, tcbr.DiffConfigItem) string {
	return func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		if v := *it.IntValue; v < lo || v > hi {
			return fmt.Sprintf("must be within %d..%d, got %d", lo, hi, v)
		}
		*dst(c) = tcbr.FlexInt(*it.IntValue)
		return ""
	}
}

var itemSpecs = map[string]itemSpec{
	"AccessTypes": {slotArray, false, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		for _, a := range it.ArrayValue {
			if msg := oneOf(a, "OA", "PUBLIC", "MINIAPP", "VPC"); msg != "" {
				return msg
			}
		}
		c.OpenAccessTypes = slices.Clone(it.ArrayValue)
		return ""
	}},
	"CpuSpecs": {slotFloat, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		c.Cpu = *it.FloatValue
		return ""
	}},
	"MemSpecs": {slotFloat, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		c.Mem = *it.FloatValue
		return ""
	}},
	"MinNum":              {slotInt, false, setInt(func(c *tcbr.ServerBaseConfig) *tcbr.FlexInt { return &c.MinNum }, 0, 1000)},
	"MaxNum":              {slotInt, false, setInt(func(c *tcbr.ServerBaseConfig) *tcbr.FlexInt { return &c.MaxNum }, 1, 1000)},
	"InitialDelaySeconds": {slotInt, false, setInt(func(c *tcbr.ServerBaseConfig) *tcbr.FlexInt { return &c.InitialDelaySeconds }, 0, 3600)},
	"Port":                {slotInt, true, setInt(func(c *tcbr.ServerBaseConfig) *tcbr.FlexInt { return &c.Port }, 1, 65535)},
	"HasDockerfile": {slotBool, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		c.HasDockerfile = *it.BoolValue
		return ""
	}},
	"EnvParam": {slotValue, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		if *it.Value != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(*it.Value), &m); err != nil || m == nil {
				return "must be the text of a JSON object, e.g. {\"KEY\":\"value\"}"
			}
		}
		c.EnvParams = *it.Value
		return ""
	}},
	"LogPath":        {slotValue, true, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.CustomLogs })},
	"CreateTime":     {slotValue, false, func(*tcbr.ServerBaseConfig, tcbr.DiffConfigItem) string { return "" }}, // read-only
	"Dockerfile":     {slotValue, true, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.Dockerfile })},
	"BuildDir":       {slotValue, true, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.BuildDir })},
	"LogType":        {slotValue, true, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.LogType }, "none", "default", "custom")},
	"LogSetId":       {slotValue, true, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.LogSetId })},
	"LogTopicId":     {slotValue, true, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.LogTopicId })},
	"LogParseType":   {slotValue, true, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.LogParseType }, "json", "line")},
	"Tag":            {slotValue, false, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.Tag })},
	"InternalAccess": {slotValue, false, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.InternalAccess }, "open", "close")},
	"InternalDomain": {slotValue, false, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.InternalDomain })},
	"OperationMode": {slotValue, false, setStr(func(c *tcbr.ServerBaseConfig) *string { return &c.OperationMode },
		"noScale", "condScale", "alwaysScale", "custom", "manualScale")},
	"SessionAffinity": {slotValue, false, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		if msg := oneOf(*it.Value, "open", "close"); msg != "" {
			return msg
		}
		c.SessionAffinity = tcbr.Ptr(*it.Value)
		return ""
	}},
	"EntryPoint": {slotArray, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		c.EntryPoint = slices.Clone(it.ArrayValue)
		return ""
	}},
	"Cmd": {slotArray, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		c.Cmd = slices.Clone(it.ArrayValue)
		return ""
	}},
	"PolicyDetails": {slotPolicy, false, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		for _, p := range it.PolicyDetails {
			if msg := oneOf(p.PolicyType, "cpu", "mem", "cpu/mem"); msg != "" {
				return "PolicyType " + msg
			}
			if p.PolicyThreshold < 1 || p.PolicyThreshold > 100 {
				return fmt.Sprintf("PolicyThreshold must be within 1..100, got %d", p.PolicyThreshold)
			}
		}
		c.PolicyDetails = slices.Clone(it.PolicyDetails)
		return ""
	}},
	"TimerScale": {slotTimer, false, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		c.TimerScale = slices.Clone(it.TimerScale)
		return ""
	}},
	"VpcConf": {slotVpc, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		if it.VpcConf.VpcId == "" {
			return "VpcId is required"
		}
		c.VpcConf = tcbr.Ptr(*it.VpcConf)
		return ""
	}},
	"VolumesConf": {slotVolumes, true, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		c.VolumesConf = slices.Clone(it.VolumesConf)
		return ""
	}},
	"PublicNetConf": {slotPublicNet, false, func(c *tcbr.ServerBaseConfig, it tcbr.DiffConfigItem) string {
		if msg := oneOf(it.PublicNetConf.PublicNetStatus, "ENABLE", "DISABLE"); msg != "" {
			return "PublicNetStatus " + msg
		}
		c.PublicNetConf = tcbr.Ptr(*it.PublicNetConf)
		return ""
	}},
}

// validCPUMem are the allowed (Cpu, Mem) pairs (spec §7.2).
var validCPUMem = map[float64]float64{0.25: 0.5, 0.5: 1, 1: 2, 2: 4, 4: 8, 8: 16, 16: 32}

// applyItems validates items and applies them on top of base; base is not
// modified. changed lists the known keys whose effective value changed.
func applyItems(base tcbr.ServerBaseConfig, items []tcbr.DiffConfigItem) (cfg tcbr.ServerBaseConfig, changed []string, aerr *apiError) {
	cfg = cloneConfig(base)
	var cpu, mem *float64
	for i, it := range items {
		where := "Items." + strconv.Itoa(i)
		if it.Key == "" {
			return cfg, nil, missingParam(where + ".Key")
		}
		spec, known := itemSpecs[it.Key]
		if !known {
			continue
		}
		where += " (Key `" + it.Key + "`)"
		if !spec.slot.present(it) {
			return cfg, nil, newAPIError("InvalidParameter",
				"The value of "+where+" must be given in `"+slotNames[spec.slot]+"`.")
		}
		before := fieldJSON(cfg, it.Key)
		if msg := spec.apply(&cfg, it); msg != "" {
			return cfg, nil, newAPIError("InvalidParameter", "The value of "+where+" is invalid: "+msg+".")
		}
		switch it.Key {
		case "CpuSpecs":
			cpu = it.FloatValue
		case "MemSpecs":
			mem = it.FloatValue
		}
		if fieldJSON(cfg, it.Key) != before && !slices.Contains(changed, it.Key) {
			changed = append(changed, it.Key)
		}
	}
	switch {
	case (cpu == nil) != (mem == nil):
		return cfg, nil, newAPIError("InvalidParameter", "CpuSpecs and MemSpecs must be sent together.")
	case cpu != nil && validCPUMem[*cpu] != *mem:
		return cfg, nil, newAPIError("InvalidParameter", fmt.Sprintf(
			"CpuSpecs %g with MemSpecs %g is not a valid pair; valid pairs: 0.25/0.5, 0.5/1, 1/2, 2/4, 4/8, 8/16, 16/32.", *cpu, *mem))
	case cfg.MinNum > cfg.MaxNum:
		return cfg, nil, newAPIError("InvalidParameter", fmt.Sprintf("MinNum %d must not exceed MaxNum %d.", cfg.MinNum, cfg.MaxNum))
	}
	return cfg, changed, nil
}

// fieldJSON renders the config field a key maps to, for change detection;
// EnvParam compares as a JSON object, not as text.
func fieldJSON(c tcbr.ServerBaseConfig, key string) string {
	var v any
	switch key {
	case "AccessTypes":
		v = c.OpenAccessTypes
	case "CpuSpecs":
		v = c.Cpu
	case "MemSpecs":
		v = c.Mem
	case "EnvParam":
		var m map[string]any
		if json.Unmarshal([]byte(c.EnvParams), &m) != nil || len(m) == 0 {
			return "{}"
		}
		v = m
	case "LogPath":
		v = c.CustomLogs
	default:
		var all map[string]any
		b, _ := json.Marshal(c)
		_ = json.Unmarshal(b, &all)
		v = all[key]
	}
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return "[]" // nil and empty slices are the same setting
	}
	return string(b)
}

// needsRedeploy says whether any of the changed keys needs new pods.
func needsRedeploy(changed []string) bool {
	return slices.ContainsFunc(changed, func(k string) bool { return itemSpecs[k].redeploy })
}
