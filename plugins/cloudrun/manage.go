package cloudrun

import (
	"context"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

func (p *Plugin) handleManage(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, bad := bind[ManageArgs](req)
	if bad != nil {
		return bad, nil
	}
	// serverName is checked before credentials: the caller fixes it first.
	if args.Action != "initEnv" {
		if bad := checkServerName("serverName", args.ServerName); bad != nil {
			return bad, nil
		}
	}
	switch args.Action {
	case "delete":
		return p.manageDelete(ctx, args), nil
	case "deploy":
		return p.manageDeploy(ctx, req, args), nil
	case "updateConfig":
		return p.manageUpdateConfig(ctx, args), nil
	case "initEnv":
		return p.manageInitEnv(ctx, args), nil
	case "traffic":
		return p.manageTraffic(ctx, args), nil
	case "init":
		return p.manageInit(ctx, req, args), nil
	case "download":
		return p.manageDownload(ctx, req, args), nil
	case "createAgent":
		return p.manageCreateAgent(ctx, args), nil
	case "run":
		return p.manageRun(ctx, req, args), nil
	case "stop":
		return p.manageStop(ctx, args), nil
	}
	return invalid("unknown action "+args.Action, "Use one of: "+strings.Join(ManageActions, ", ")), nil
}

// --- delete

func (p *Plugin) manageDelete(ctx context.Context, a *ManageArgs) *mcp.CallToolResult {
	svc := a.ServerName
	if !a.Force && !a.DryRun {
		// No API call without confirmation.
		return failure{
			What: "Delete needs confirmation",
			Why:  "deleting " + svc + " removes the service, all its versions and its domain for good",
			Hint: "Ask the user to confirm, then call again with force: true. Use dryRun: true to see what would be deleted.",
			NextStep: manageNext("delete", map[string]any{"serverName": svc, "force": true},
				"delete after the user confirmed"),
		}.result()
	}
	envID, bad := p.ready(ctx, "")
	if bad != nil {
		return bad
	}
	if a.DryRun {
		d, err := p.fetchDetail(ctx, envID, svc)
		if err != nil {
			return upstreamFailure("read service "+svc+" before a dry-run delete", err, svc)
		}
		out := map[string]any{
			"dryRun": true, "envId": envID, "serverName": svc,
			"wouldDelete": serviceView(svc, d.Detail, false),
			"message":     "Nothing was deleted. Call again with force: true (and without dryRun) to delete.",
		}
		return success(out)
	}
	resp, err := p.client.DeleteCloudRunServer(ctx, &tcbr.DeleteCloudRunServerRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		// A running task or an open gray release (ResourceInUse) maps to a
		// getManageTask next step.
		return upstreamFailure("delete "+svc, err, svc)
	}
	p.invalidateService(envID, svc)
	p.audit(ctx, "delete", envID, svc, "accepted", resp.RequestId)
	result := strings.ToLower(resp.Result)
	if result == "failed" || result == "fail" {
		return failure{
			What:      "Delete of " + svc + " was refused",
			Why:       "the platform answered Result " + resp.Result,
			RequestID: resp.RequestId,
			NextStep:  queryNext("detail", map[string]any{"detailServerName": svc, "refresh": true}, "see the service state"),
		}.result()
	}
	p.log.Info("service deleted", "envId", envID, "serverName", svc, "requestId", resp.RequestId)
	return success(map[string]any{
		"envId": envID, "serverName": svc, "deleted": true, "status": "deleting", "requestId": resp.RequestId,
		"message":  "Deletion started; the service disappears from the list within about a minute.",
		"nextStep": queryNext("list", map[string]any{"refresh": true}, "confirm the service is gone"),
	})
}
