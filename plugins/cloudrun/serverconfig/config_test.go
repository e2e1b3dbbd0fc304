package serverconfig

import (
	"encoding/json"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustParse(t *testing.T, raw map[string]any) *Config {
	t.Helper()
	c, err := Parse(raw)
	require.NoError(t, err)
	return c
}

// keysOf lists item keys, for compact expectations.
func keysOf(items []tcbr.DiffConfigItem) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, it.Key)
	}
	return out
}

func wire(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestParse(t *testing.T) {
	cases := []struct {
		name string
		raw  map[string]any
		err  string
	}{
		{"empty", map[string]any{}, ""},
		{"pair", map[string]any{"Cpu": 0.5, "Mem": 1.0}, ""},
		{"bad pair", map[string]any{"Cpu": 1.0, "Mem": 1.0}, "Mem must be 2 x Cpu"},
		{"cpu alone", map[string]any{"Cpu": 1.0}, "Cpu and Mem go together"},
		{"min over max", map[string]any{"MinNum": 3, "MaxNum": 2}, "MinNum 3 is larger than MaxNum 2"},
		{"vpc without id", map[string]any{"VpcConf": map[string]any{"SubnetId": "s"}}, "VpcConf needs VpcId"},
		{"unknown key", map[string]any{"Memory": 1}, `unknown parameter "Memory"`},
		{"unknown nested key", map[string]any{"VpcConf": map[string]any{"VpcId": "v", "Zone": "z"}}, `serverConfig.VpcConf: unknown parameter "Zone"`},
		{"wrong type", map[string]any{"Port": "eighty"}, "serverConfig.Port: must be an integer"},
		{"env object", map[string]any{"EnvParams": map[string]any{"A": "1", "N": 2, "B": true}}, ""},
		{"env text", map[string]any{"EnvParams": `{"A":"1"}`}, ""},
		{"env not an object", map[string]any{"EnvParams": "A=1"}, "EnvParams must be a JSON object"},
		{"env nested", map[string]any{"EnvParams": map[string]any{"A": map[string]any{}}}, "EnvParams value of A must be a string"},
		{"null is absent", map[string]any{"Port": nil}, ""},
		{"any case", map[string]any{"minNum": 1, "MAXNUM": 2, "cpu": 0.5, "mem": "1"}, ""},
		{"two spellings", map[string]any{"minNum": 1, "MinNum": 2}, "given twice"},
		{"a number as text", map[string]any{"Port": "8080"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.raw)
			if c.err == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, c.err)
			}
		})
	}
	c := mustParse(t, map[string]any{"EnvParams": map[string]any{"N": 2, "B": true}, "Port": nil})
	env, ok := c.Env()
	require.True(t, ok)
	assert.Equal(t, map[string]string{"N": "2", "B": "true"}, env)
	assert.Equal(t, 1, c.Len())
	c = mustParse(t, map[string]any{"minNum": 1, "Port": 80})
	assert.Equal(t, []string{"minNum → MinNum"}, c.Normalized)
	nilCfg, err := Parse(nil)
	require.NoError(t, err)
	assert.Nil(t, nilCfg)
}

func TestCreate(t *testing.T) {
	cases := []struct {
		name     string
		raw      map[string]any
		function bool
		port     int64
		want     string
	}{
		{"defaults", nil, false, 8080,
			`[{"Key":"AccessTypes","ArrayValue":["OA","PUBLIC","MINIAPP"]},{"Key":"MinNum","IntValue":0},{"Key":"EnvParam","Value":"{}"},{"Key":"InitialDelaySeconds","IntValue":0},{"Key":"HasDockerfile","BoolValue":true},{"Key":"Port","IntValue":8080},{"Key":"Dockerfile","Value":"Dockerfile"}]`},
		{"given keys replace defaults in place", map[string]any{"OpenAccessTypes": []any{"VPC"}, "Port": 9000, "Cpu": 1, "Mem": 2, "Tag": ""}, false, 80,
			`[{"Key":"AccessTypes","ArrayValue":["VPC"]},{"Key":"MinNum","IntValue":0},{"Key":"EnvParam","Value":"{}"},{"Key":"InitialDelaySeconds","IntValue":0},{"Key":"HasDockerfile","BoolValue":true},{"Key":"Port","IntValue":9000},{"Key":"Dockerfile","Value":"Dockerfile"},{"Key":"CpuSpecs","FloatValue":1},{"Key":"MemSpecs","FloatValue":2}]`},
		{"function: port 3000 and its tag", map[string]any{"EnvParams": map[string]any{"B": "2", "A": "1"}}, true, 80,
			`[{"Key":"AccessTypes","ArrayValue":["OA","PUBLIC","MINIAPP"]},{"Key":"MinNum","IntValue":0},{"Key":"EnvParam","Value":"{\"A\":\"1\",\"B\":\"2\"}"},{"Key":"InitialDelaySeconds","IntValue":0},{"Key":"HasDockerfile","BoolValue":true},{"Key":"Port","IntValue":3000},{"Key":"Dockerfile","Value":"Dockerfile"},{"Key":"Tag","Value":"function:"}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse(c.raw)
			require.NoError(t, err)
			assert.JSONEq(t, c.want, wire(t, Create(cfg, c.function, c.port)))
		})
	}
}

func remoteConfig() *tcbr.ServerBaseConfig {
	return &tcbr.ServerBaseConfig{
		OpenAccessTypes: []string{"OA", "VPC"}, Cpu: 0.5, Mem: 1, MinNum: 1, MaxNum: 5, Port: 8080,
		EnvParams: `{"DB_PASSWORD":"pw","NODE_ENV":"production"}`, Dockerfile: "Dockerfile",
		VpcConf: &tcbr.VpcConf{VpcId: "vpc-1", SubnetId: "subnet-1"}, SessionAffinity: tcbr.Ptr("open"),
	}
}

func TestMergeForUpdate(t *testing.T) {
	cases := []struct {
		name       string
		raw        map[string]any
		function   bool
		replaceAll bool
		want       string
		kept       []string
	}{
		{"code-only redeploy keeps access, env and VPC", nil, false, false,
			`[{"Key":"AccessTypes","ArrayValue":["OA","VPC"]},{"Key":"EnvParam","Value":"{\"DB_PASSWORD\":\"pw\",\"NODE_ENV\":\"production\"}"},{"Key":"VpcConf","VpcConf":{"VpcId":"vpc-1","SubnetId":"subnet-1"}}]`,
			[]string{"OpenAccessTypes", "EnvParams (DB_PASSWORD, NODE_ENV)", "VpcConf"}},
		{"env merged by key", map[string]any{"EnvParams": map[string]any{"NODE_ENV": "staging", "NEW": "1"}}, false, false,
			`[{"Key":"AccessTypes","ArrayValue":["OA","VPC"]},{"Key":"VpcConf","VpcConf":{"VpcId":"vpc-1","SubnetId":"subnet-1"}},{"Key":"EnvParam","Value":"{\"DB_PASSWORD\":\"pw\",\"NEW\":\"1\",\"NODE_ENV\":\"staging\"}"}]`,
			[]string{"OpenAccessTypes", "EnvParams (DB_PASSWORD)", "VpcConf"}},
		{"env replaced", map[string]any{"EnvParams": map[string]any{"ONLY": "1"}}, false, true,
			`[{"Key":"AccessTypes","ArrayValue":["OA","VPC"]},{"Key":"VpcConf","VpcConf":{"VpcId":"vpc-1","SubnetId":"subnet-1"}},{"Key":"EnvParam","Value":"{\"ONLY\":\"1\"}"}]`,
			[]string{"OpenAccessTypes", "VpcConf"}},
		{"given access and VPC win; function port", map[string]any{"OpenAccessTypes": []any{"PUBLIC"}, "VpcConf": map[string]any{"VpcId": "vpc-2"}}, true, false,
			`[{"Key":"EnvParam","Value":"{\"DB_PASSWORD\":\"pw\",\"NODE_ENV\":\"production\"}"},{"Key":"AccessTypes","ArrayValue":["PUBLIC"]},{"Key":"VpcConf","VpcConf":{"VpcId":"vpc-2"}},{"Key":"Port","IntValue":3000}]`,
			[]string{"EnvParams (DB_PASSWORD, NODE_ENV)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse(c.raw)
			require.NoError(t, err)
			m := MergeForUpdate(cfg, remoteConfig(), c.function, c.replaceAll)
			assert.JSONEq(t, c.want, wire(t, m.Items))
			assert.Equal(t, c.kept, m.Kept)
		})
	}
	m := MergeForUpdate(nil, nil, false, false)
	assert.Empty(t, m.Items, "a service without config keeps nothing")
}

func TestDiff(t *testing.T) {
	cases := []struct {
		name      string
		raw       map[string]any
		changed   []string
		unchanged []string
		redeploy  []string
	}{
		{"same values are unchanged", map[string]any{"MinNum": 1, "Port": 8080, "OpenAccessTypes": []any{"OA", "VPC"}, "SessionAffinity": "open"},
			nil, []string{"AccessTypes", "MinNum", "Port", "SessionAffinity"}, []string{}},
		{"a changed value", map[string]any{"MinNum": 2, "MaxNum": 5}, []string{"MinNum"}, []string{"MaxNum"}, []string{}},
		{"Cpu and Mem go together", map[string]any{"Cpu": 1, "Mem": 2}, []string{"CpuSpecs", "MemSpecs"}, nil, []string{"CpuSpecs", "MemSpecs"}},
		{"the pair unchanged", map[string]any{"Cpu": 0.5, "Mem": 1}, nil, []string{"CpuSpecs", "MemSpecs"}, []string{}},
		{"env by value", map[string]any{"EnvParams": map[string]any{"DB_PASSWORD": "pw", "NODE_ENV": "production"}}, nil, []string{"EnvParam"}, []string{}},
		{"env changed", map[string]any{"EnvParams": map[string]any{"NODE_ENV": "x"}}, []string{"EnvParam"}, nil, []string{"EnvParam"}},
		{"vpc by id and subnet", map[string]any{"VpcConf": map[string]any{"VpcId": "vpc-1", "SubnetId": "subnet-1", "VpcCIDR": "10.0.0.0/16"}}, nil, []string{"VpcConf"}, []string{}},
		{"a key the service lacks", map[string]any{"PublicNetConf": map[string]any{"PublicNetStatus": "on"}}, []string{"PublicNetConf"}, nil, []string{}},
		{"empty strings are not sent", map[string]any{"Tag": ""}, nil, nil, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			changes, unchanged := Diff(mustParse(t, c.raw), remoteConfig())
			names := []string{}
			for _, ch := range changes {
				names = append(names, ch.Item.Key)
			}
			if c.changed == nil {
				c.changed = []string{}
			}
			if c.unchanged == nil {
				c.unchanged = []string{}
			}
			assert.Equal(t, c.changed, names)
			assert.Equal(t, c.unchanged, unchanged)
			assert.Equal(t, c.redeploy, RedeployKeys(changes))
			assert.Equal(t, keysOf(Items(changes)), names)
		})
	}
}

func TestPending(t *testing.T) {
	changes, _ := Diff(mustParse(t, map[string]any{"MinNum": 2, "Cpu": 1, "Mem": 2}), remoteConfig())
	now := remoteConfig()
	now.MinNum, now.Cpu = 2, 1 // Mem not there yet
	assert.Equal(t, []string{"CpuSpecs", "MemSpecs"}, Pending(changes, now), "the pair is pending together")
	now.Mem = 2
	assert.Equal(t, []string{}, Pending(changes, now))
}

func TestViews(t *testing.T) {
	v := View(remoteConfig(), false)
	assert.Equal(t, map[string]any{"DB_PASSWORD": "***", "NODE_ENV": "***"}, v["EnvParams"])
	assert.Equal(t, VpcView{VpcId: "vpc-1", SubnetId: "subnet-1"}, v["VpcConf"])
	assert.Equal(t, "open", v["SessionAffinity"])
	assert.Equal(t, []string{}, v["EntryPoint"])
	assert.Equal(t, []tcbr.HpaPolicy{}, v["PolicyDetails"])
	assert.Equal(t, 0.5, v["Cpu"])
	assert.Equal(t, int64(1), v["MinNum"])
	revealed := View(remoteConfig(), true)
	assert.Equal(t, map[string]any{"DB_PASSWORD": "pw", "NODE_ENV": "production"}, revealed["EnvParams"])
	assert.Equal(t, map[string]any{"_raw": "***"}, MaskEnv("A=1", false))
	assert.Equal(t, map[string]any{"_raw": "A=1"}, MaskEnv("A=1", true))
	bare := View(&tcbr.ServerBaseConfig{}, false)
	assert.NotContains(t, bare, "VpcConf")
	assert.NotContains(t, bare, "SessionAffinity")

	// What detail shows is what serverConfig takes: every key of the view
	// parses back (the masked EnvParams aside, which are refused).
	back := View(remoteConfig(), true)
	b, err := json.Marshal(back)
	require.NoError(t, err)
	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	cfg, err := Parse(raw)
	require.NoError(t, err, "the revealed view parses as serverConfig")
	changes, _ := Diff(cfg, remoteConfig())
	assert.Empty(t, changes, "and changes nothing")
	masked := View(remoteConfig(), false)
	b, _ = json.Marshal(masked)
	require.NoError(t, json.Unmarshal(b, &raw))
	_, err = Parse(raw)
	assert.ErrorContains(t, err, "the mask detail shows", "a masked value is never written back")

	changes, _ = Diff(mustParse(t, map[string]any{"EnvParams": map[string]any{"NODE_ENV": "x", "NEW": "1"}, "MinNum": 3}), remoteConfig())
	assert.JSONEq(t, `[{"key":"MinNum","to":3},{"key":"EnvParam","added":["NEW"],"changed":["NODE_ENV"],"removed":["DB_PASSWORD"]}]`,
		wire(t, ChangesView(changes, remoteConfig())))
	maskedItems := MaskItems([]tcbr.DiffConfigItem{{Key: "EnvParam", Value: tcbr.Ptr(`{"A":"secret"}`)}, {Key: "Port", IntValue: tcbr.Ptr(int64(1))}})
	assert.JSONEq(t, `[{"Key":"EnvParam","Value":"{\"A\":\"***\"}"},{"Key":"Port","IntValue":1}]`, wire(t, maskedItems))
}

// TestTableIsConsistent: names and item keys are unique, and every key has a
// schema.
func TestTableIsConsistent(t *testing.T) {
	names, items := map[string]bool{}, map[string]bool{}
	for _, k := range Keys {
		assert.False(t, names[k.Name], k.Name)
		assert.False(t, items[k.Item], k.Item)
		names[k.Name], items[k.Item] = true, true
		assert.NotEmpty(t, k.kind.schema()["type"], k.Name)
		assert.NotNil(t, k.remote, k.Name)
	}
	assert.Len(t, Schema(), len(Keys))
}
