package cloudrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/clock"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// upload gets a ticket and PUTs the package with the ticket's headers.
func (p *Plugin) upload(ctx context.Context, prog *mcpx.Progress, plan *deployPlan, file string, pkg *pack.Result) (tcbr.DeployParam, error) {
	ticket, err := p.client.DescribeCloudBaseBuildService(ctx, &tcbr.DescribeCloudBaseBuildServiceRequest{EnvId: plan.envID, ServiceName: plan.svc})
	if err != nil {
		return tcbr.DeployParam{}, upstreamFailure("get an upload ticket for "+plan.svc, err, plan.svc)
	}
	if ticket.UploadUrl == "" {
		return tcbr.DeployParam{}, &failure{What: "Could not upload the package", Why: "the platform returned no upload URL", RequestID: ticket.RequestId,
			Hint: "Nothing was deployed. Call deploy again; if it persists, check the env in the console."}
	}
	f, err := os.Open(file)
	if err != nil {
		return tcbr.DeployParam{}, &failure{What: "Could not read the package", Why: err.Error()}
	}
	defer f.Close()
	body := &countingReader{r: f, total: pkg.ZipBytes, prog: prog, clock: p.clock}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, ticket.UploadUrl, body)
	if err != nil {
		return tcbr.DeployParam{}, &failure{What: "Could not upload the package", Why: "bad upload URL: " + err.Error()}
	}
	req.ContentLength = pkg.ZipBytes
	for _, h := range ticket.UploadHeaders {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := p.transferClient().Do(req)
	if err != nil {
		return tcbr.DeployParam{}, &failure{What: "Could not upload the package", Why: redactURL(err.Error(), ticket.UploadUrl),
			Hint: "Nothing was deployed. Check the network and call deploy again."}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return tcbr.DeployParam{}, &failure{What: "Could not upload the package",
			Why:  fmt.Sprintf("object storage answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(snippet))),
			Hint: "Nothing was deployed. Call deploy again (a new upload ticket is issued each time)."}
	}
	prog.Report(float64(pkg.ZipBytes), float64(pkg.ZipBytes), "uploaded "+humanBytes(pkg.ZipBytes))
	return tcbr.DeployParam{DeployType: "package", PackageName: ticket.PackageName, PackageVersion: ticket.PackageVersion}, nil
}

// transferClient is the client for package transfers: no overall timeout (a
// large upload may take minutes); the call's ctx bounds it.
func (p *Plugin) transferClient() *http.Client {
	if p.transfer != nil {
		return p.transfer
	}
	return http.DefaultClient
}

// redactURL keeps presigned query strings out of messages.
func redactURL(msg, url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		msg = strings.ReplaceAll(msg, url, url[:i]+"?…")
	}
	return msg
}

// countingReader reports transfer progress every 250 ms.
type countingReader struct {
	r     io.Reader
	n     int64
	total int64
	prog  *mcpx.Progress
	clock clock.Clock
	last  time.Time
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	if now := c.clock.Now(); now.Sub(c.last) > 250*time.Millisecond {
		c.last = now
		c.prog.Report(float64(c.n), float64(c.total), fmt.Sprintf("uploading: %s of %s", humanBytes(c.n), humanBytes(c.total)))
	}
	return n, err
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
