package serverconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Config is a serverConfig argument, bound: each key the caller gave, with
// its Go value. A read-merge-write only changes what was given.
type Config struct {
	values map[string]any
	// Normalized lists the keys given in another spelling, "minNum → MinNum".
	Normalized []string
}

// lookupFold finds a key by its name in any case.
func lookupFold(name string) (*Key, bool) {
	if k, ok := byName[name]; ok {
		return k, true
	}
	for _, k := range Keys {
		if strings.EqualFold(k.Name, name) {
			return k, true
		}
	}
	return nil, false
}

// validCPUMem are the Cpu/Mem pairs the platform accepts.
var validCPUMem = map[float64]float64{0.25: 0.5, 0.5: 1, 1: 2, 2: 4, 4: 8, 8: 16, 16: 32}

// Parse binds serverConfig and checks it before any network call; nil raw
// gives a nil Config. Keys match case-insensitively (minNum is MinNum; the
// spellings changed are in Normalized); unknown keys are refused.
func Parse(raw map[string]any) (*Config, error) {
	if raw == nil {
		return nil, nil
	}
	c := &Config{values: map[string]any{}}
	for _, given := range slices.Sorted(maps.Keys(raw)) {
		k, ok := lookupFold(given)
		if !ok {
			return nil, fmt.Errorf("serverConfig: unknown parameter %q (valid keys: %s)", given, strings.Join(Names(), ", "))
		}
		name := k.Name
		if _, dup := c.values[name]; dup {
			return nil, fmt.Errorf("serverConfig: %s is given twice (as %s and another spelling)", name, given)
		}
		if given != name {
			c.Normalized = append(c.Normalized, given+" → "+name)
		}
		b, err := json.Marshal(raw[given])
		if err != nil {
			return nil, fmt.Errorf("serverConfig.%s: %w", name, err)
		}
		if string(b) == "null" {
			continue
		}
		v, err := k.kind.decode(b)
		if err != nil {
			return nil, fmt.Errorf("serverConfig.%s: %s", name, mcpx.DecodeMessage(err))
		}
		c.values[name] = v
	}
	return c, c.check()
}

// check applies the rules between keys.
func (c *Config) check() error {
	cpu, hasCPU := c.values["Cpu"].(float64)
	mem, hasMem := c.values["Mem"].(float64)
	switch {
	case hasCPU && hasMem:
		if want, ok := validCPUMem[cpu]; !ok || mem != want {
			return fmt.Errorf("serverConfig: Cpu %g / Mem %g is not a valid pair; Mem must be 2 x Cpu, one of 0.25/0.5, 0.5/1, 1/2, 2/4, 4/8, 8/16, 16/32", cpu, mem)
		}
	case hasCPU || hasMem:
		return errors.New("serverConfig: Cpu and Mem go together (Mem = 2 x Cpu, e.g. Cpu 0.5 with Mem 1)")
	}
	minNum, hasMin := c.values["MinNum"].(int64)
	maxNum, hasMax := c.values["MaxNum"].(int64)
	if hasMin && hasMax && minNum > maxNum {
		return fmt.Errorf("serverConfig: MinNum %d is larger than MaxNum %d", minNum, maxNum)
	}
	if v, ok := c.values["VpcConf"].(Vpc); ok && v.VpcId == "" {
		return errors.New("serverConfig: VpcConf needs VpcId (and SubnetId)")
	}
	if env, ok := c.values["EnvParams"].(map[string]string); ok {
		for _, k := range slices.Sorted(maps.Keys(env)) {
			if env[k] == Masked {
				return fmt.Errorf("serverConfig: EnvParams %s is %s, the mask detail shows instead of the value; send its real value, or leave the key out (EnvParams merge by key, so a key left out keeps its value)", k, Masked)
			}
		}
	}
	return nil
}

// Names lists the keys in table order.
func Names() []string {
	out := make([]string, len(Keys))
	for i, k := range Keys {
		out[i] = k.Name
	}
	return out
}

// Has reports whether key name was given.
func (c *Config) Has(name string) bool {
	if c == nil {
		return false
	}
	_, ok := c.values[name]
	return ok
}

// Len is the number of keys given.
func (c *Config) Len() int {
	if c == nil {
		return 0
	}
	return len(c.values)
}

func get[T any](c *Config, name string) (T, bool) {
	var zero T
	if c == nil {
		return zero, false
	}
	v, ok := c.values[name].(T)
	return v, ok
}

// String returns a string key's value.
func (c *Config) String(name string) (string, bool) { return get[string](c, name) }

// Int returns an integer key's value.
func (c *Config) Int(name string) (int64, bool) { return get[int64](c, name) }

// Env returns EnvParams, when given.
func (c *Config) Env() (map[string]string, bool) { return get[map[string]string](c, "EnvParams") }

// Vpc returns VpcConf, when given.
func (c *Config) Vpc() (Vpc, bool) { return get[Vpc](c, "VpcConf") }

// WithEnv is a copy of c with EnvParams replaced.
func (c *Config) WithEnv(env map[string]string) *Config {
	out := &Config{values: map[string]any{}}
	if c != nil {
		maps.Copy(out.values, c.values)
	}
	out.values["EnvParams"] = env
	return out
}

// --- items

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

// add adds one key's item.
func (b *itemBuilder) add(k *Key, v any) {
	if it, ok := k.kind.item(k.Item, v); ok {
		b.set(it)
	}
}

// addGiven adds every key c holds, in table order.
func (b *itemBuilder) addGiven(c *Config) {
	if c == nil {
		return
	}
	for _, k := range Keys {
		if v, ok := c.values[k.Name]; ok {
			b.add(k, v)
		}
	}
}

// Items are the wire items of the keys given, in table order.
func (c *Config) Items() []tcbr.DiffConfigItem {
	var b itemBuilder
	b.addGiven(c)
	return b.items
}

// Create is the config of a new service: the reference's defaults with the
// caller's keys on top (tcbr-api.md §8.2 step 5).
func Create(c *Config, function bool, port int64) []tcbr.DiffConfigItem {
	var b itemBuilder
	b.add(byName["OpenAccessTypes"], []string{"OA", "PUBLIC", "MINIAPP"})
	b.add(byName["MinNum"], int64(0))
	b.set(tcbr.DiffConfigItem{Key: "EnvParam", Value: tcbr.Ptr("{}")})
	b.add(byName["InitialDelaySeconds"], int64(0))
	b.set(tcbr.DiffConfigItem{Key: "HasDockerfile", BoolValue: tcbr.Ptr(true)})
	b.add(byName["Port"], port)
	b.add(byName["Dockerfile"], "Dockerfile")
	b.addGiven(c)
	if function {
		b.add(byName["Port"], int64(3000))
		b.add(byName["Tag"], "function:")
	}
	return b.items
}

// Merge is the read-merge-write of an existing service's config: the
// caller's keys, plus what a code-only redeploy must not lose.
type Merge struct {
	Items []tcbr.DiffConfigItem
	Kept  []string // remote keys preserved, for mergedFromRemote
}

// MergeForUpdate merges c into the service's current config: OpenAccessTypes
// and VpcConf are kept unless given, EnvParams are merged by key (or, with
// replaceAllEnv, replaced by the given ones).
func MergeForUpdate(c *Config, remote *tcbr.ServerBaseConfig, function, replaceAllEnv bool) Merge {
	var b itemBuilder
	var kept []string
	if remote == nil {
		remote = &tcbr.ServerBaseConfig{}
	}
	given := c
	if !given.Has("OpenAccessTypes") && len(remote.OpenAccessTypes) > 0 {
		b.add(byName["OpenAccessTypes"], remote.OpenAccessTypes)
		kept = append(kept, "OpenAccessTypes")
	}
	env := RemoteEnv(remote.EnvParams)
	givenEnv, hasEnv := given.Env()
	switch {
	case !hasEnv && len(env) > 0:
		b.add(byName["EnvParams"], env)
		kept = append(kept, "EnvParams ("+strings.Join(slices.Sorted(maps.Keys(env)), ", ")+")")
	case hasEnv && !replaceAllEnv:
		var keptKeys []string
		for k := range env {
			if _, ok := givenEnv[k]; !ok {
				keptKeys = append(keptKeys, k)
			}
		}
		merged := maps.Clone(env)
		maps.Copy(merged, givenEnv)
		given = given.WithEnv(merged)
		if len(keptKeys) > 0 {
			slices.Sort(keptKeys)
			kept = append(kept, "EnvParams ("+strings.Join(keptKeys, ", ")+")")
		}
	}
	if _, ok := given.Vpc(); !ok {
		if _, ok := byName["VpcConf"].remote(remote); ok {
			b.set(tcbr.DiffConfigItem{Key: "VpcConf", VpcConf: remote.VpcConf}) // kept exactly as the service has it
			kept = append(kept, "VpcConf")
		}
	}
	b.addGiven(given)
	if function {
		b.add(byName["Port"], int64(3000))
	}
	return Merge{Items: b.items, Kept: kept}
}

// --- diff

// Change is one key updateConfig would send.
type Change struct {
	Key  *Key
	Item tcbr.DiffConfigItem
	From any // the service's value; nil when it had none
	To   any
}

// Diff compares the keys c holds with the service's current config: the
// changed ones (in table order) and the names of the unchanged ones. Cpu and
// Mem travel together: if either changes, both are sent.
func Diff(c *Config, remote *tcbr.ServerBaseConfig) (changed []Change, unchanged []string) {
	unchanged = []string{}
	if remote == nil {
		remote = &tcbr.ServerBaseConfig{}
	}
	if c == nil {
		return nil, unchanged
	}
	differs := func(k *Key, v any) bool {
		r, ok := k.remote(remote)
		return !ok || !k.kind.equal(v, r)
	}
	pair := false
	for _, name := range []string{"Cpu", "Mem"} {
		if v, ok := c.values[name]; ok && differs(byName[name], v) {
			pair = true
		}
	}
	for _, k := range Keys {
		v, ok := c.values[k.Name]
		if !ok {
			continue
		}
		it, send := k.kind.item(k.Item, v)
		if !send {
			continue
		}
		isPair := k.Name == "Cpu" || k.Name == "Mem"
		if (isPair && !pair) || (!isPair && !differs(k, v)) {
			unchanged = append(unchanged, k.Item)
			continue
		}
		from, _ := k.remote(remote)
		changed = append(changed, Change{Key: k, Item: it, From: from, To: v})
	}
	return changed, unchanged
}

// Items returns the wire items of changes.
func Items(changes []Change) []tcbr.DiffConfigItem {
	out := make([]tcbr.DiffConfigItem, len(changes))
	for i, ch := range changes {
		out[i] = ch.Item
	}
	return out
}

// RedeployKeys names the changes that roll out a new version.
func RedeployKeys(changes []Change) []string {
	out := []string{}
	for _, ch := range changes {
		if ch.Key.Redeploy {
			out = append(out, ch.Item.Key)
		}
	}
	return out
}

// Pending lists the changes the service's config does not show yet (by the
// same rules as Diff).
func Pending(changes []Change, now *tcbr.ServerBaseConfig) []string {
	c := &Config{values: map[string]any{}}
	for _, ch := range changes {
		c.values[ch.Key.Name] = ch.To
	}
	still, _ := Diff(c, now)
	out := []string{}
	for _, ch := range still {
		out = append(out, ch.Item.Key)
	}
	return out
}
