package cloudrun

import (
	"context"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serviceDomain is the service's own default domain, read from the API.
func (h *harness) serviceDomain(t *testing.T, svc string) string {
	t.Helper()
	d, err := h.plugin.reads.client.DescribeCloudRunServerDetail(context.Background(),
		&tcbr.DescribeCloudRunServerDetailRequest{EnvId: demoEnv, ServerName: svc})
	require.NoError(t, err)
	require.NotEmpty(t, d.BaseInfo.DefaultDomainName)
	return d.BaseInfo.DefaultDomainName
}

// The demo scenario binds hello-api on the gateway: "/" of a custom domain
// and "/hello" of the env's default domain. A deploy answers the custom
// domain first, then the default one, then the service's own domain, like
// the reference.
func TestDeployAccessURLFromTheGateway(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "hello-api", "imageUrl": "ccr.ccs.tencentyun.com/demo/hello:v2"})
	require.False(t, res.IsError, resultText(res))
	assert.Equal(t, "update", out["operation"])
	assert.Equal(t, "https://api.demo-shop.example.com/", out["accessUrl"])
	assert.Equal(t, []any{
		"https://api.demo-shop.example.com/",
		"https://demo-env-1a2b3c-1318273645.ap-shanghai.app.tcloudbase.com/hello",
		h.serviceDomain(t, "hello-api"),
	}, out["accessUrls"])
	assert.JSONEq(t, `{"EnvId":"demo-env-1a2b3c","Limit":1000}`, h.lastRequest(t, "DescribeHTTPServiceRoute"), "the reference's request")
}

// Without a route bound to it (canary-web's is disabled; a new service has
// none) the service's own domain is the access URL.
func TestDeployAccessURLFallsBackToTheServiceDomain(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "img-svc", "imageUrl": "ccr.ccs.tencentyun.com/demo/app:v1"})
	require.False(t, res.IsError, resultText(res))
	domain := h.serviceDomain(t, "img-svc")
	assert.Equal(t, domain, out["accessUrl"])
	assert.Equal(t, []any{domain}, out["accessUrls"])
	assert.Equal(t, 1, h.emu.RequestCount("DescribeHTTPServiceRoute"))
}

// The gateway lookup is best effort: when it fails the deploy still
// succeeds, with the service's own domain.
func TestDeployAccessURLSurvivesAGatewayFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.emu.SetSpeed(400)
	h.emu.InjectFault(emulator.Fault{Action: "DescribeHTTPServiceRoute", Code: "InternalError", Message: "injected", Times: persistent})
	res, out := h.manage(t, map[string]any{"action": "deploy", "serverName": "hello-api", "imageUrl": "ccr.ccs.tencentyun.com/demo/hello:v2"})
	require.False(t, res.IsError, resultText(res))
	assert.Greater(t, out["taskId"].(float64), float64(0), "the deploy was accepted")
	assert.Equal(t, h.serviceDomain(t, "hello-api"), out["accessUrl"])
	assert.GreaterOrEqual(t, h.emu.RequestCount("DescribeHTTPServiceRoute"), 1, "it was asked")
}

func TestGatewayURLs(t *testing.T) {
	t.Parallel()
	off := tcbr.Ptr(false)
	domains := []tcbr.HTTPServiceDomain{
		{Domain: "env.app.tcloudbase.com", IsDefault: true, Routes: []tcbr.HTTPServiceRoute{
			{Path: "api", UpstreamResourceType: "CBR", UpstreamResourceName: "svc"}, // path without a slash
			{Path: "/old", UpstreamResourceType: "CBR", UpstreamResourceName: "svc", Enable: off},
			{Path: "/fn", UpstreamResourceType: "SCF", UpstreamResourceName: "svc"}, // a function of the same name
			{Path: "/other", UpstreamResourceType: "CBR", UpstreamResourceName: "other"},
		}},
		{Domain: "off.example.com", Enable: off, Routes: []tcbr.HTTPServiceRoute{
			{Path: "/", UpstreamResourceType: "CBR", UpstreamResourceName: "svc"},
		}},
		{Domain: "www.example.com", Routes: []tcbr.HTTPServiceRoute{
			{Path: "/", UpstreamResourceType: "CBR", UpstreamResourceName: "svc", Enable: tcbr.Ptr(true)},
		}},
	}
	assert.Equal(t, []string{"https://www.example.com/", "https://env.app.tcloudbase.com/api"}, gatewayURLs(domains, "svc"))
	assert.Empty(t, gatewayURLs(domains, "nobody"))
	assert.Equal(t, "https://a.example.com", httpsURL(" a.example.com "))
	assert.Equal(t, "http://a.example.com", httpsURL("http://a.example.com"))
	assert.Equal(t, "", httpsURL(""))
}
