package cloudrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

type deleteDryRunResult struct {
	DryRun      bool        `json:"dryRun"`
	EnvID       string      `json:"envId"`
	ServerName  string      `json:"serverName"`
	WouldDelete serviceView `json:"wouldDelete"`
	Message     string      `json:"message"`
}

type deleteResult struct {
	EnvID      string    `json:"envId"`
	ServerName string    `json:"serverName"`
	Deleted    bool      `json:"deleted"`
	Status     string    `json:"status"`
	RequestID  string    `json:"requestId"`
	Message    string    `json:"message"`
	NextStep   *NextStep `json:"nextStep"`
}

func (ad *admin) deleteService(ctx context.Context, c *call) (any, error) {
	a := c.args
	svc := a.ServerName
	envID, err := ad.envs.ready(ctx, "")
	if err != nil {
		return nil, err
	}
	if a.DryRun {
		d, err := fetchDetail(ctx, ad.client, envID, svc)
		if err != nil {
			return nil, upstreamFailure("read service "+svc+" before a dry-run delete", err, svc)
		}
		msg := "Nothing was deleted. To delete, ask the user, then call again with force: true and without dryRun."
		if mcpx.CanElicit(ctx) {
			msg = "Nothing was deleted. To delete, call again without dryRun: the user is asked to confirm."
		}
		return &deleteDryRunResult{DryRun: true, EnvID: envID, ServerName: svc, WouldDelete: viewService(svc, d.Detail, false), Message: msg}, nil
	}
	// A client that can ask the user always does; force is the consent of
	// clients that cannot.
	if mcpx.CanElicit(ctx) || !a.Force {
		if err := ad.confirmDelete(ctx, c, envID, svc); err != nil {
			return nil, err
		}
	}
	resp, err := ad.client.DeleteCloudRunServer(ctx, &tcbr.DeleteCloudRunServerRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		// A running task or an open gray release (ResourceInUse) maps to a
		// getManageTask next step.
		return nil, upstreamFailure("delete "+svc, err, svc)
	}
	ad.cache.invalidateService(ctx, envID, svc)
	if result := strings.ToLower(resp.Result); result == "failed" || result == "fail" {
		return nil, &failure{
			Kind: kindUpstream, What: "Delete of " + svc + " was refused", Why: "the platform answered Result " + resp.Result, RequestID: resp.RequestId,
			NextStep: queryStep("detail", "see the service state", Args{DetailServerName: svc, Refresh: true}),
		}
	}
	ad.log.Info("service deleted", "envId", envID, "serverName", svc, "requestId", resp.RequestId)
	mcpx.Notify(ctx, PluginName, fmt.Sprintf("%s: deletion started in env %s", svc, envID))
	return &deleteResult{EnvID: envID, ServerName: svc, Deleted: true, Status: "deleting", RequestID: resp.RequestId,
		Message:  "Deletion started; the service disappears from the list within about a minute.",
		NextStep: queryStep("list", "confirm the service is gone", Args{Refresh: true})}, nil
}

// confirmDelete: no delete call without the user's confirmation, asked
// through the client, or force: true from an agent that asked the user.
// The user is not asked about what would fail anyway: a service that does
// not exist, or one with a task running (the platform refuses to delete it).
func (ad *admin) confirmDelete(ctx context.Context, c *call, envID, svc string) error {
	if mcpx.CanElicit(ctx) {
		if err := ad.deletable(ctx, envID, svc); err != nil {
			return err
		}
	}
	q := mcpx.Question{Subject: "delete|" + envID + "|" + svc, Title: "Delete " + svc,
		Message: fmt.Sprintf("Delete the CloudRun service %s in env %s? This removes the service, all its versions and its domain for good.", svc, envID)}
	return c.askUser(ctx, q, &failure{
		Kind:     kindNeedsConfirmation,
		What:     "Delete needs confirmation",
		Why:      "deleting " + svc + " removes the service, all its versions and its domain for good",
		Hint:     "Ask the user to confirm, then call again with force: true. Use dryRun: true to see what would be deleted.",
		NextStep: manageStep("delete", "delete after the user confirmed", Args{ServerName: svc, Force: true}),
	})
}

// deletable checks that a delete would be accepted now.
func (ad *admin) deletable(ctx context.Context, envID, svc string) error {
	if _, err := fetchDetail(ctx, ad.client, envID, svc); err != nil {
		return upstreamFailure("read service "+svc+" before deleting it", err, svc)
	}
	task, err := ad.client.DescribeServerManageTask(ctx, &tcbr.DescribeServerManageTaskRequest{EnvId: envID, ServerName: svc, TaskId: latestTask})
	if err != nil || !task.IsExist || task.Task == nil {
		return nil // the delete itself will tell
	}
	if st := strings.ToLower(task.Task.Status); st == "running" || st == "todo" {
		return &failure{
			What:     "Cannot delete " + svc + " now",
			Why:      fmt.Sprintf("its task %d (%s %s release) is %s, and the platform refuses to delete a service while a task runs", task.Task.Id, orDash(task.Task.ChangeType), orDash(task.Task.ReleaseType), st),
			Hint:     "Wait for the task to end (or roll back an open gray release), then delete. The user was not asked.",
			NextStep: queryStep("getManageTask", "see when the task ends", Args{DetailServerName: svc}),
		}
	}
	return nil
}
