package emulator

import (
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func routes(t *testing.T, base string, params m) tcbr.DescribeHTTPServiceRouteResponse {
	t.Helper()
	return ok[tcbr.DescribeHTTPServiceRouteResponse](t, apiService(t, base, tcbr.ServiceTCB, "DescribeHTTPServiceRoute", params))
}

func TestDescribeHTTPServiceRoute(t *testing.T) {
	_, base := start(t, Options{})
	all := routes(t, base, m{"EnvId": demoEnv, "Limit": 1000})
	require.EqualValues(t, 2, all.TotalCount)
	require.Len(t, all.Domains, 2)
	def, custom := all.Domains[0], all.Domains[1]
	assert.Equal(t, "demo-env-1a2b3c-1318273645.ap-shanghai.app.tcloudbase.com", def.Domain)
	assert.True(t, def.IsDefault)
	assert.Equal(t, "HTTPSERVICE", def.DomainType)
	assert.Equal(t, []tcbr.HTTPServiceRoute{
		{Path: "/hello", UpstreamResourceType: "CBR", UpstreamResourceName: "hello-api", Enable: tcbr.Ptr(true), EnableAuth: tcbr.Ptr(false)},
		{Path: "/web", UpstreamResourceType: "CBR", UpstreamResourceName: "canary-web", Enable: tcbr.Ptr(false), EnableAuth: tcbr.Ptr(false)},
		{Path: "/shop", UpstreamResourceType: "CBR", UpstreamResourceName: "shop-api", Enable: tcbr.Ptr(true), EnableAuth: tcbr.Ptr(false)},
	}, def.Routes)
	assert.Equal(t, "api.demo-shop.example.com", custom.Domain)
	assert.False(t, custom.IsDefault)
	assert.Equal(t, "hello-api", custom.Routes[0].UpstreamResourceName)

	// Paging: default 20, Offset skips.
	page := routes(t, base, m{"EnvId": demoEnv, "Offset": 1, "Limit": 1})
	assert.EqualValues(t, 2, page.TotalCount)
	require.Len(t, page.Domains, 1)
	assert.Equal(t, custom.Domain, page.Domains[0].Domain)
	assert.Len(t, routes(t, base, m{"EnvId": demoEnv}).Domains, 2)

	// Filters: domain-level ones drop domains, route-level ones routes.
	f := routes(t, base, m{"EnvId": demoEnv, "Filters": []m{{"Name": "Domain", "Values": []string{custom.Domain}}}})
	require.Len(t, f.Domains, 1)
	assert.Equal(t, custom.Domain, f.Domains[0].Domain)
	f = routes(t, base, m{"EnvId": demoEnv, "Filters": []m{{"Name": "Path", "Values": []string{"/shop"}}}})
	require.Len(t, f.Domains, 1)
	assert.Equal(t, []string{"shop-api"}, []string{f.Domains[0].Routes[0].UpstreamResourceName})
	assert.Empty(t, routes(t, base, m{"EnvId": demoEnv, "Filters": []m{{"Name": "UpstreamResourceType", "Values": []string{"SCF"}}}}).Domains)

	// A fresh env has its default domain and no routes.
	fresh := routes(t, base, m{"EnvId": freshEnv})
	require.Len(t, fresh.Domains, 1)
	assert.True(t, fresh.Domains[0].IsDefault)
	assert.Empty(t, fresh.Domains[0].Routes)

	// Refusals.
	bad := func(params m) string {
		return apiErr(t, apiService(t, base, tcbr.ServiceTCB, "DescribeHTTPServiceRoute", params), "InvalidParameter")
	}
	assert.Contains(t, bad(m{"EnvId": demoEnv, "Limit": 1001}), "Limit")
	assert.Contains(t, bad(m{"EnvId": demoEnv, "Filters": []m{{"Name": "Owner", "Values": []string{"x"}}}}), "Filters.0.Name")
	apiErr(t, apiService(t, base, tcbr.ServiceTCB, "DescribeHTTPServiceRoute", m{}), "MissingParameter")
	apiErr(t, apiService(t, base, tcbr.ServiceTCB, "DescribeHTTPServiceRoute", m{"EnvId": "nope"}), "ResourceNotFound")
}

func TestGatewayScenarioValidation(t *testing.T) {
	sc := DefaultScenario()
	sc.Envs[1].Gateway = []GatewayDomainSpec{{Routes: []GatewayRouteSpec{{Path: "/"}}}}
	_, err := New(Options{Scenario: sc})
	assert.ErrorContains(t, err, "set domain, or default: true")
	sc.Envs[1].Gateway = []GatewayDomainSpec{{Default: true, Routes: []GatewayRouteSpec{{Path: "/"}}}}
	_, err = New(Options{Scenario: sc})
	assert.ErrorContains(t, err, "upstreamName")
}
