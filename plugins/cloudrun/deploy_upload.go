package cloudrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// upload gets a ticket and PUTs the package with the ticket's headers.
func (d *deployer) upload(ctx context.Context, prog *mcpx.Progress, plan *deployPlan, file string, pkg *pack.Result) (tcbr.DeployParam, error) {
	ticket, err := d.client.DescribeCloudBaseBuildService(ctx, &tcbr.DescribeCloudBaseBuildServiceRequest{EnvId: plan.envID, ServiceName: plan.svc})
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
	body := d.transfer.counting(f, pkg.ZipBytes, prog)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, ticket.UploadUrl, body)
	if err != nil {
		return tcbr.DeployParam{}, &failure{What: "Could not upload the package", Why: "bad upload URL: " + err.Error()}
	}
	req.ContentLength = pkg.ZipBytes
	for _, h := range ticket.UploadHeaders {
		req.Header.Set(h.Key, h.Value)
	}
	resp, err := d.transfer.client().Do(req)
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

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
