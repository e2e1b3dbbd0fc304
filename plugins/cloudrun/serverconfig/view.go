package serverconfig

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Masked replaces every EnvParams value unless revealed: they often hold
// database passwords.
const Masked = "***"

// View is a service's config as detail shows it: under the names serverConfig
// takes, so that any value can be copied back into serverConfig as it is.
// EnvParams values are masked unless reveal; a masked value is refused if
// sent back (Parse), so the mask can never be written by mistake.
func View(c *tcbr.ServerBaseConfig, reveal bool) map[string]any {
	out := make(map[string]any, len(Keys))
	for _, k := range Keys {
		if k.Name == "EnvParams" {
			out[k.Name] = MaskEnv(c.EnvParams, reveal)
			continue
		}
		if v, ok := k.remote(c); ok {
			out[k.Name] = k.kind.view(v)
		}
	}
	return out
}

// MaskEnv parses the EnvParams JSON text into an object, replacing every
// value with *** unless reveal. Text that is not a JSON object is shown (or
// masked) whole under "_raw".
func MaskEnv(raw string, reveal bool) map[string]any {
	out := map[string]any{}
	if strings.TrimSpace(raw) == "" {
		return out
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		out["_raw"] = Masked
		if reveal {
			out["_raw"] = raw
		}
		return out
	}
	for k, v := range m {
		out[k] = Masked
		if reveal {
			out[k] = v
		}
	}
	return out
}

// ValueChange is one changed key as updateConfig reports it.
type ValueChange struct {
	Key string `json:"key"`
	To  any    `json:"to"`
}

// EnvChange is the EnvParams change as updateConfig reports it: names only.
type EnvChange struct {
	Key     string   `json:"key"`
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Removed []string `json:"removed"`
}

// ChangesView describes each change for the agent; EnvParams by name only.
func ChangesView(changes []Change, remote *tcbr.ServerBaseConfig) []any {
	out := make([]any, 0, len(changes))
	for _, ch := range changes {
		if ch.Key.Name != "EnvParams" {
			out = append(out, ValueChange{Key: ch.Item.Key, To: wireValue(ch.Item)})
			continue
		}
		before, after := RemoteEnv(remote.EnvParams), ch.To.(map[string]string)
		e := EnvChange{Key: ch.Item.Key, Added: []string{}, Changed: []string{}, Removed: []string{}}
		for _, k := range slices.Sorted(maps.Keys(after)) {
			old, ok := before[k]
			switch {
			case !ok:
				e.Added = append(e.Added, k)
			case old != after[k]:
				e.Changed = append(e.Changed, k)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(before)) {
			if _, ok := after[k]; !ok {
				e.Removed = append(e.Removed, k)
			}
		}
		out = append(out, e)
	}
	return out
}

// wireValue is the value an item carries.
func wireValue(it tcbr.DiffConfigItem) any {
	switch {
	case it.Value != nil:
		return *it.Value
	case it.IntValue != nil:
		return *it.IntValue
	case it.FloatValue != nil:
		return *it.FloatValue
	case it.BoolValue != nil:
		return *it.BoolValue
	case it.ArrayValue != nil:
		return it.ArrayValue
	case it.PolicyDetails != nil:
		return it.PolicyDetails
	case it.TimerScale != nil:
		return it.TimerScale
	case it.VpcConf != nil:
		return it.VpcConf
	case it.VolumesConf != nil:
		return it.VolumesConf
	case it.PublicNetConf != nil:
		return it.PublicNetConf
	}
	return nil
}

// MaskItems hides EnvParams values in items reported back (a dry run).
func MaskItems(items []tcbr.DiffConfigItem) []tcbr.DiffConfigItem {
	out := make([]tcbr.DiffConfigItem, len(items))
	for i, it := range items {
		if it.Key == byName["EnvParams"].Item && it.Value != nil {
			masked := map[string]string{}
			for k := range RemoteEnv(*it.Value) {
				masked[k] = Masked
			}
			it.Value = tcbr.Ptr(EnvJSON(masked))
		}
		out[i] = it
	}
	return out
}

// Schema is the JSON schema of serverConfig's properties.
func Schema() map[string]any {
	props := make(map[string]any, len(Keys))
	for _, k := range Keys {
		s := k.kind.schema()
		if k.Desc != "" {
			s["description"] = k.Desc
		}
		props[k.Name] = s
	}
	return props
}
