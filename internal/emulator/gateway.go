package emulator

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// The HTTP access gateway of an env (tcb DescribeHTTPServiceRoute): domains,
// each with path routes to an upstream resource (CBR = a CloudRun service).
// Every env has its default domain <envId>-<appId>.<region>.app.tcloudbase.com;
// scenarios add routes and custom domains.

// GatewayDomainSpec is one gateway domain of a scenario env. Default true
// names the env's default domain (Domain is then optional).
type GatewayDomainSpec struct {
	Domain  string             `json:"domain,omitempty"`
	Default bool               `json:"default,omitempty"`
	Enable  *bool              `json:"enable,omitempty"`
	Routes  []GatewayRouteSpec `json:"routes,omitempty"`
}

// GatewayRouteSpec is one path of a gateway domain. UpstreamType defaults to
// CBR; Enable false disables the route.
type GatewayRouteSpec struct {
	Path         string `json:"path"`
	UpstreamType string `json:"upstreamType,omitempty"`
	UpstreamName string `json:"upstreamName"`
	Enable       *bool  `json:"enable,omitempty"`
}

type gatewayDomain struct {
	Domain    string
	IsDefault bool
	Enable    bool
	Routes    []gatewayRoute
}

type gatewayRoute struct {
	Path, UpstreamType, UpstreamName string
	Enable                           bool
}

// seedGateway builds an env's gateway: its default domain first, then the
// scenario's custom domains.
func (st *state) seedGateway(e *env, specs []GatewayDomainSpec) error {
	def := &gatewayDomain{Domain: fmt.Sprintf("%s-%s.%s.app.tcloudbase.com", e.ID, st.account.AppID, e.Region),
		IsDefault: true, Enable: true}
	e.gateway = []*gatewayDomain{def}
	for i, sp := range specs {
		d := def
		if !sp.Default {
			if sp.Domain == "" {
				return fmt.Errorf("gateway domain %d: set domain, or default: true for the env's default domain", i+1)
			}
			d = &gatewayDomain{Domain: sp.Domain, Enable: true}
			e.gateway = append(e.gateway, d)
		}
		if sp.Enable != nil {
			d.Enable = *sp.Enable
		}
		for _, r := range sp.Routes {
			if r.UpstreamName == "" {
				return fmt.Errorf("gateway domain %s: a route needs upstreamName", d.Domain)
			}
			rt := gatewayRoute{Path: r.Path, UpstreamType: r.UpstreamType, UpstreamName: r.UpstreamName, Enable: true}
			if rt.Path == "" {
				rt.Path = "/"
			}
			if rt.UpstreamType == "" {
				rt.UpstreamType = "CBR"
			}
			if r.Enable != nil {
				rt.Enable = *r.Enable
			}
			d.Routes = append(d.Routes, rt)
		}
	}
	return nil
}

// describeHTTPServiceRoute lists the env's gateway domains, paged by
// Offset/Limit (default 20, at most 1000) and narrowed by Filters on
// Domain, DomainType, Path or UpstreamResourceType (exact values).
func describeHTTPServiceRoute(c *call) (any, *apiError) {
	var req tcbr.DescribeHTTPServiceRouteRequest
	if aerr := cmp.Or(c.require("EnvId"), c.decode(&req)); aerr != nil {
		return nil, aerr
	}
	en, aerr := c.needEnv(req.EnvId)
	if aerr != nil {
		return nil, aerr
	}
	limit := req.Limit
	switch {
	case limit < 0 || limit > 1000:
		return nil, newAPIError("InvalidParameter", fmt.Sprintf("The value of `Limit` must be within 1..1000; got %d.", limit))
	case limit == 0:
		limit = 20
	}
	if req.Offset < 0 {
		return nil, newAPIError("InvalidParameter", "The value of `Offset` must not be negative.")
	}
	filters := map[string][]string{}
	for i, f := range req.Filters {
		switch f.Name {
		case "Domain", "DomainType", "Path", "UpstreamResourceType":
			filters[f.Name] = append(filters[f.Name], f.Values...)
		default:
			return nil, newAPIError("InvalidParameter", fmt.Sprintf(
				"The value of `Filters.%d.Name` must be Domain, DomainType, Path or UpstreamResourceType; got `%s`.", i, f.Name))
		}
	}
	var domains []tcbr.HTTPServiceDomain
	for _, d := range en.gateway {
		if v, ok := d.view(filters); ok {
			domains = append(domains, v)
		}
	}
	resp := tcbr.DescribeHTTPServiceRouteResponse{Domains: []tcbr.HTTPServiceDomain{}, TotalCount: int64(len(domains)),
		OriginDomain: fmt.Sprintf("%s-%s.%s.app-origin.tcloudbase.com", en.ID, c.st.account.AppID, en.Region), Meta: c.meta()}
	from := min(req.Offset, int64(len(domains)))
	to := min(from+limit, int64(len(domains)))
	resp.Domains = append(resp.Domains, domains[from:to]...)
	return resp, nil
}

// view renders a domain with the routes the filters keep; ok is false when
// a domain-level filter drops it.
func (d *gatewayDomain) view(filters map[string][]string) (tcbr.HTTPServiceDomain, bool) {
	keep := func(name, value string) bool {
		vals, ok := filters[name]
		return !ok || slices.Contains(vals, value)
	}
	v := tcbr.HTTPServiceDomain{Domain: d.Domain, DomainType: "HTTPSERVICE", IsDefault: d.IsDefault,
		Enable: tcbr.Ptr(d.Enable), Status: "SUCCESS", Protocol: "HTTP_AND_HTTPS", Routes: []tcbr.HTTPServiceRoute{}}
	if !keep("Domain", v.Domain) || !keep("DomainType", v.DomainType) {
		return v, false
	}
	for _, r := range d.Routes {
		if keep("Path", r.Path) && keep("UpstreamResourceType", r.UpstreamType) {
			v.Routes = append(v.Routes, tcbr.HTTPServiceRoute{Path: r.Path, UpstreamResourceType: r.UpstreamType,
				UpstreamResourceName: r.UpstreamName, Enable: tcbr.Ptr(r.Enable), EnableAuth: tcbr.Ptr(false)})
		}
	}
	routeFilter := filters["Path"] != nil || filters["UpstreamResourceType"] != nil
	return v, !routeFilter || len(v.Routes) > 0
}

// gatewayDump lists an env's gateway domains for the state dump.
func (e *env) gatewayDump() []map[string]any {
	out := []map[string]any{}
	for _, d := range e.gateway {
		routes := []string{}
		for _, r := range d.Routes {
			s := r.Path + " -> " + r.UpstreamType + ":" + r.UpstreamName
			if !r.Enable {
				s += " (disabled)"
			}
			routes = append(routes, s)
		}
		out = append(out, map[string]any{"domain": d.Domain, "default": d.IsDefault, "enable": d.Enable, "routes": routes})
	}
	return out
}
