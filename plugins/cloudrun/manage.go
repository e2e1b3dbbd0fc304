package cloudrun

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/mark3labs/mcp-go/mcp"
)

func (p *Plugin) handleManage(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	start := time.Now()
	args, bad := bind[ManageArgs](req)
	if bad != nil {
		return bad, nil
	}
	ctx, secrets := withSecrets(ctx)
	rememberArgSecrets(ctx, args)
	res := p.manage(ctx, req, args)
	secrets.redactFailure(res)
	if !res.NeedsInput() { // asking the user is not an outcome yet
		p.audit(ctx, args, res, time.Since(start))
	}
	return res, nil
}

// rememberArgSecrets records the EnvParams values a call sends.
func rememberArgSecrets(ctx context.Context, a *ManageArgs) {
	if a.RunOptions != nil {
		rememberSecrets(ctx, a.RunOptions.EnvParams)
	}
	if raw, ok := a.ServerConfig["EnvParams"]; ok {
		if b, err := json.Marshal(raw); err == nil {
			if env, err := parseEnvParams(b); err == nil {
				rememberSecrets(ctx, env)
			}
		}
	}
}

// usesPaths: the action reads or writes the local file system.
func usesPaths(a *ManageArgs) bool {
	switch a.Action {
	case "init", "download", "run", "createAgent":
		return true
	case "deploy":
		return a.TargetPath != "" || a.ImageURL == ""
	}
	return false
}

func (p *Plugin) manage(ctx context.Context, req mcp.CallToolRequest, args *ManageArgs) *mcp.CallToolResult {
	// serverName is checked before credentials: the caller fixes it first.
	if args.Action != "initEnv" {
		if bad := checkServerName("serverName", args.ServerName); bad != nil {
			return bad
		}
	}
	if usesPaths(args) {
		roots, res := p.workspaceRoots(ctx, req)
		if res != nil {
			return res
		}
		ctx = withRoots(ctx, roots)
	}
	switch args.Action {
	case "delete":
		return p.manageDelete(ctx, req, args)
	case "deploy":
		return p.manageDeploy(ctx, req, args)
	case "updateConfig":
		return p.manageUpdateConfig(ctx, args)
	case "initEnv":
		return p.manageInitEnv(ctx, args)
	case "traffic":
		return p.manageTraffic(ctx, args)
	case "init":
		return p.manageInit(ctx, req, args)
	case "download":
		return p.manageDownload(ctx, req, args)
	case "createAgent":
		return p.manageCreateAgent(ctx, req, args)
	case "run":
		return p.manageRun(ctx, req, args)
	case "stop":
		return p.manageStop(ctx, args)
	}
	return invalid("unknown action "+args.Action, "Use one of: "+strings.Join(ManageActions, ", "))
}

// --- delete

func (p *Plugin) manageDelete(ctx context.Context, req mcp.CallToolRequest, a *ManageArgs) *mcp.CallToolResult {
	svc := a.ServerName
	envID, bad := p.ready(ctx, "")
	if bad != nil {
		return bad
	}
	if !a.Force && !a.DryRun && clientCaps(ctx).Elicitation != nil {
		// The user is not asked about a service that does not exist.
		if _, err := p.fetchDetail(ctx, envID, svc); err != nil {
			return upstreamFailure("read service "+svc+" before deleting it", err, svc)
		}
	}
	if !a.Force && !a.DryRun {
		// No API call without confirmation: the user's, asked through the
		// client, or force: true from an agent that asked the user itself.
		c, res := p.askUser(ctx, req, "delete|"+envID+"|"+svc, "Delete "+svc,
			fmt.Sprintf("Delete the CloudRun service %s in env %s? This removes the service, all its versions and its domain for good.", svc, envID))
		switch c {
		case answered:
			return res
		case cannotAsk:
			return failure{
				Kind: "needsConfirmation",
				What: "Delete needs confirmation",
				Why:  "deleting " + svc + " removes the service, all its versions and its domain for good",
				Hint: "Ask the user to confirm, then call again with force: true. Use dryRun: true to see what would be deleted.",
				NextStep: manageNext("delete", map[string]any{"serverName": svc, "force": true},
					"delete after the user confirmed"),
			}.result()
		}
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
	p.notify(ctx, "%s: deletion started in env %s", svc, envID)
	return success(map[string]any{
		"envId": envID, "serverName": svc, "deleted": true, "status": "deleting", "requestId": resp.RequestId,
		"message":  "Deletion started; the service disappears from the list within about a minute.",
		"nextStep": queryNext("list", map[string]any{"refresh": true}, "confirm the service is gone"),
	})
}
