package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTableNamesItsSources(t *testing.T) {
	tab := Load()
	assert.Equal(t, "github.com/TencentCloud/tencentcloud-sdk-go", tab.SDK.Repository)
	assert.Regexp(t, `^[0-9a-f]{40}$`, tab.SDK.Commit)
	assert.Contains(t, tab.SDK.ManagerNode, "@cloudbase/manager-node")
	assert.Equal(t, "2022-02-17", tab.Services["tcbr"].Version)
	assert.Equal(t, "2018-06-08", tab.Services["tcb"].Version)
	// The actions the public Go SDK lacks are described from manager-node,
	// and marked so.
	assert.Equal(t, "manager-node", tab.Action("tcbr", "DescribeCloudRunBuildLog").Source)
	assert.Equal(t, "manager-node", tab.Action("tcb", "DescribeEnvInfo").Source)
	assert.Equal(t, "sdk", tab.Action("tcbr", "DescribeCloudRunProcessLog").Source)
	assert.Equal(t, map[string]string{"EnvId": "string", "RunId": "string"}, tab.Action("tcbr", "DescribeCloudRunProcessLog").Request)
}

func TestAllowancesAreMergedAndMarked(t *testing.T) {
	tab := Load()
	require.Len(t, Allowances, 3)
	for _, al := range Allowances {
		a := tab.Action(al.Service, al.Action)
		require.NotNil(t, a, al.Action)
		assert.Equal(t, al.Type, a.Request[al.Field])
		assert.Equal(t, al, a.Allowed[al.Field])
		assert.NotEmpty(t, al.Evidence)
		assert.Nil(t, tab.CheckRequest(al.Service, al.Action, []byte(`{"`+al.Field+`":`+sample(al.Type)+`}`)))
	}
	// An allowance for a field the model has, or for an unknown action, is refused.
	_, err := parse([]byte(`{"services":{"tcbr":{"actions":{"CreateCloudRunEnv":{"request":{"EnvType":"string"},"response":{}}}}}}`))
	assert.ErrorContains(t, err, "drop the allowance")
	_, err = parse([]byte(`{"services":{}}`))
	assert.ErrorContains(t, err, "no such action")
}

func sample(typ string) string {
	return map[string]string{"string": `"baas"`, "boolean": "true", "[]string": `["baas"]`}[typ]
}

func TestCheckRequest(t *testing.T) {
	tab := Load()
	cases := []struct {
		action, body string
		want         *Violation
	}{
		{"DescribeCloudRunServers", `{"EnvId":"e","PageSize":10}`, nil},
		{"DescribeCloudRunServers", `{"EnvId":"e","PageSize":1e1}`, nil}, // an integral number is an integer
		{"DescribeCloudRunServers", `{"EnvId":"e","PageSize":10.5}`, &Violation{"InvalidParameter", "PageSize", "integer"}},
		{"DescribeCloudRunServers", `{"EnvId":null}`, &Violation{"InvalidParameter", "EnvId", "string"}},
		{"DescribeCloudRunServers", `{"Zed":1,"Abc":1}`, &Violation{"UnknownParameter", "Abc", ""}}, // first in name order
		{"DescribeCloudRunServers", `[]`, &Violation{"InvalidParameter", "", "object"}},
		{"ReleaseGray", `{"VersionFlowItems":[{"VersionName":"v","UrlParam":{"Key":"k","Value":1}}]}`,
			&Violation{"InvalidParameter", "VersionFlowItems.0.UrlParam.Value", "string"}},
		{"ReleaseGray", `{"VersionFlowItems":[null]}`, &Violation{"InvalidParameter", "VersionFlowItems.0", "object"}},
		{"CreateCloudRunServer", `{"VpcInfo":{"VpcId":"v","CreateType":1,"SubnetIds":["s"]}}`, nil},
		{"CreateCloudRunServer", `{"VpcInfo":{"VpcId":"v","CreateType":"1"}}`, &Violation{"InvalidParameter", "VpcInfo.CreateType", "integer"}},
		{"NoSuchAction", `{}`, &Violation{"InvalidAction", "NoSuchAction", ""}},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tab.CheckRequest("tcbr", tc.action, []byte(tc.body)), "%s %s", tc.action, tc.body)
	}
	assert.Equal(t, "The parameter `Abc` is not recognized.", (&Violation{Code: "UnknownParameter", Path: "Abc"}).Message())
	assert.Equal(t, "The value type of parameter `A.0.B` is not valid, input type should be `integer`.",
		(&Violation{Code: "InvalidParameter", Path: "A.0.B", Want: "integer"}).Message())
}

func TestCheckResponse(t *testing.T) {
	tab := Load()
	// null is fine in an answer (the models' fields are pointers), unknown fields are not.
	assert.Nil(t, tab.CheckResponse("tcbr", "DescribeCloudRunDeployRecord",
		[]byte(`{"DeployRecords":[{"DeployId":"v1","ImageUrl":null,"BuildId":12}],"RequestId":"r"}`)))
	assert.Equal(t, &Violation{"UnknownParameter", "DeployRecords.0.Extra", ""}, tab.CheckResponse("tcbr", "DescribeCloudRunDeployRecord",
		[]byte(`{"DeployRecords":[{"DeployId":"v1","Extra":1}],"RequestId":"r"}`)))
	// manager-node's number-or-string Uin.
	for _, uin := range []string{`"100"`, `100`} {
		assert.Nil(t, tab.CheckResponse("tcb", "DescribeEnvInfo", []byte(`{"EnvInfo":{"UserInfo":{"Uin":`+uin+`}},"RequestId":"r"}`)))
	}
	assert.Equal(t, &Violation{"InvalidParameter", "EnvInfo.UserInfo.Uin", "string or integer"},
		tab.CheckResponse("tcb", "DescribeEnvInfo", []byte(`{"EnvInfo":{"UserInfo":{"Uin":true}},"RequestId":"r"}`)))
}
