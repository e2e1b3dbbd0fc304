package cloudrun

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// accessURLs says where a service answers after a deploy, like the
// reference: first the HTTP gateway routes bound to it (tcb
// DescribeHTTPServiceRoute; enabled routes of upstream type CBR named after
// the service, custom domains before the env's default domain), then the
// service's own domain (its custom domain, else the default one). Best
// effort: a lookup that fails only leaves its URLs out, and the deploy never
// fails because of it.
func accessURLs(ctx context.Context, client tcbr.Client, envID, svc string) []string {
	var urls []string
	add := func(u string) {
		if u != "" && !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	if routes, err := client.DescribeHTTPServiceRoute(ctx, &tcbr.DescribeHTTPServiceRouteRequest{EnvId: envID, Limit: 1000}); err == nil {
		for _, u := range gatewayURLs(routes.Domains, svc) {
			add(u)
		}
	}
	if d, err := fetchDetail(ctx, client, envID, svc); err == nil && d.Detail.BaseInfo != nil {
		b := d.Detail.BaseInfo
		add(httpsURL(cmp.Or(b.CustomDomainName, b.DefaultDomainName)))
	}
	return urls
}

// gatewayURLs are the URLs of the enabled CBR routes to svc: custom domains
// first, then default ones, each in the order listed.
func gatewayURLs(domains []tcbr.HTTPServiceDomain, svc string) []string {
	var custom, deflt []string
	for _, d := range domains {
		if d.Domain == "" || (d.Enable != nil && !*d.Enable) {
			continue
		}
		for _, r := range d.Routes {
			if r.UpstreamResourceType != "CBR" || r.UpstreamResourceName != svc || (r.Enable != nil && !*r.Enable) {
				continue
			}
			path := r.Path
			if !strings.HasPrefix(path, "/") {
				path = "/" + path
			}
			u := "https://" + d.Domain + path
			if d.IsDefault {
				deflt = append(deflt, u)
			} else {
				custom = append(custom, u)
			}
		}
	}
	return append(custom, deflt...)
}

// httpsURL turns a bare domain into an https URL; URLs pass through.
func httpsURL(domain string) string {
	domain = strings.TrimSpace(domain)
	if domain == "" || strings.HasPrefix(domain, "http://") || strings.HasPrefix(domain, "https://") {
		return domain
	}
	return "https://" + domain
}
