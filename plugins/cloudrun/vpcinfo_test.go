package cloudrun

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serverConfig.VpcConf.CreateType (1 new VPC, 2 an existing one) reaches
// CreateCloudRunServer's VpcInfo; without it the VPC named is an existing one.
func TestDeployVpcInfoCreateType(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, svc, vpcID string
		createType       any
		want             string
	}{
		{"new VPC", "vpc-one", "vpc-new1", 1, `{"VpcId":"vpc-new1","CreateType":1,"SubnetIds":["subnet-a"]}`},
		{"existing VPC (default)", "vpc-two", "vpc-old1", nil, `{"VpcId":"vpc-old1","CreateType":2,"SubnetIds":["subnet-a"]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			vpc := map[string]any{"VpcId": tc.vpcID, "SubnetId": "subnet-a"}
			if tc.createType != nil {
				vpc["CreateType"] = tc.createType
			}
			res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": tc.svc,
				"imageUrl": "ccr.ccs.tencentyun.com/demo/app:v1", "serverConfig": map[string]any{"VpcConf": vpc}})
			require.False(t, res.IsError, resultText(res))
			got, err := json.Marshal(h.lastBody(t, "CreateCloudRunServer")["VpcInfo"])
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, string(got))
			d, err := h.plugin.reads.client.DescribeCloudRunServerDetail(context.Background(),
				&tcbr.DescribeCloudRunServerDetailRequest{EnvId: demoEnv, ServerName: tc.svc})
			require.NoError(t, err)
			require.NotNil(t, d.ServerConfig.VpcConf)
			assert.Equal(t, tc.vpcID, d.ServerConfig.VpcConf.VpcId)
			assert.Equal(t, "subnet-a", d.ServerConfig.VpcConf.SubnetId)
		})
	}
}
