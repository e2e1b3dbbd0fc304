package cloudrun

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/templates"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/workspace"
	"github.com/mark3labs/mcp-go/mcp"
)

// maxTemplateZip bounds a remote template download.
const maxTemplateZip = 64 << 20

// clearToWrite lets init, download and createAgent write dir: at once when
// it is empty or missing or force is set; over existing files only when the
// user confirms (elicitation; a.Force is then set) or the call says force.
func (p *Plugin) clearToWrite(ctx context.Context, req mcp.CallToolRequest, a *ManageArgs, loc workspace.Path, retry map[string]any) *mcp.CallToolResult {
	if bad := refuseWorkspaceRoot(loc, a.Action); bad != nil {
		return bad
	}
	if a.Force {
		return nil
	}
	n := entryCount(loc)
	if n == 0 {
		return nil
	}
	dir := loc.Abs()
	why := fmt.Sprintf("%s holds %d entries, which %s would replace", dir, n, a.Action)
	switch c, res := p.askUser(ctx, req, a.Action+"|"+dir, "Replace "+filepath.Base(dir),
		fmt.Sprintf("%s: %s would replace the directory %s, which holds %d entries. Replace it?", ManageToolName, a.Action, dir, n)); c {
	case accepted:
		a.Force = true
		return nil
	case answered:
		return res
	}
	args := map[string]any{"force": true}
	for k, v := range retry {
		args[k] = v
	}
	return failure{
		Kind:     "needsConfirmation",
		What:     "The target directory is not empty",
		Why:      why,
		Hint:     "Pick another targetPath or serverName, or confirm with the user and call again with force: true (the old content is removed only after the new one is in place).",
		NextStep: manageNext(a.Action, args, "replace the directory after the user confirmed"),
	}.result()
}

// --- init

func (p *Plugin) manageInit(ctx context.Context, req mcp.CallToolRequest, a *ManageArgs) *mcp.CallToolResult {
	prog := newProgress(ctx, req)
	id := a.Template
	if id == "" {
		id = "helloworld"
	}
	dest, bad := p.projectDir(ctx, a.TargetPath, a.ServerName)
	if bad != nil {
		return bad
	}
	if bad := p.clearToWrite(ctx, req, a, dest, map[string]any{"serverName": a.ServerName, "template": id, "targetPath": a.TargetPath}); bad != nil {
		return bad
	}
	source, serverType := "", ""
	var res *pack.ExtractResult
	var err error
	// The remote list first, as the reference does; the templates built into
	// this binary when it is unreachable or lacks the identifier.
	remote, _, remoteErr := p.templates.GetOrLoad(ctx, "templates|"+p.cfg.TemplatesURL, p.cfg.CacheTTL.Templates, false,
		func(ctx context.Context) ([]template, bool, error) {
			l, err := p.fetchTemplates(ctx, p.cfg.TemplatesURL)
			return l, true, err
		})
	var remoteTpl *template
	if remoteErr == nil {
		for i := range remote {
			if remote[i].Identifier == id && remote[i].ZipURL != "" {
				remoteTpl = &remote[i]
			}
		}
	}
	switch {
	case remoteTpl != nil:
		prog.report(0, 0, "downloading template "+id)
		res, err = p.extractURL(ctx, remoteTpl.ZipURL, dest, a.Force, maxTemplateZip)
		source, serverType = "remote", remoteTpl.ServerType
	default:
		t, ok := templates.Get(id)
		if !ok {
			known := []string{}
			for _, t := range templates.List() {
				known = append(known, t.Identifier)
			}
			for _, t := range remote {
				if !slices.Contains(known, t.Identifier) {
					known = append(known, t.Identifier)
				}
			}
			return invalid(fmt.Sprintf("template %q does not exist", id), "Use one of: "+joinList(known)+" (queryCloudRun templates lists them).")
		}
		var zipped bytes.Buffer
		if err := templates.WriteZip(id, &zipped); err != nil {
			return failure{What: "Could not prepare template " + id, Why: err.Error()}.result()
		}
		res, err = extractInto(ctx, bytes.NewReader(zipped.Bytes()), int64(zipped.Len()), dest, a.Force)
		source, serverType = "embedded", t.ServerType
	}
	if err != nil {
		return failure{What: "Could not create the project", Why: err.Error(), Hint: "Nothing was written. Fix the cause and call again."}.result()
	}
	files := listFiles(dest)
	out := map[string]any{"serverName": a.ServerName, "template": id, "source": source, "serviceType": serverType,
		"projectDir": dest.Abs(), "files": files, "fileCount": res.Files}
	if remoteErr != nil && source == "embedded" {
		out["notice"] = "The remote template list is unreachable (" + remoteErr.Error() + "); used the template built into this server."
	}
	p.recordProject(out, dest, a.ServerName)
	out["nextSteps"] = projectNextSteps(a.ServerName, dest.Abs(), serverType)
	return success(out)
}

func joinList(items []string) string {
	sort.Strings(items)
	out := ""
	for i, s := range items {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// projectNextSteps: run locally (function services), then deploy.
func projectNextSteps(svc, dir, serverType string) []*NextStep {
	var steps []*NextStep
	if serverType == "function" {
		steps = append(steps, manageNext("run", map[string]any{"serverName": svc, "targetPath": dir}, "run it locally"))
	}
	steps = append(steps, manageNext("deploy", map[string]any{"serverName": svc, "targetPath": dir}, "deploy it to CloudRun"))
	return steps
}

// recordProject writes cloudbaserc.json when an env is known.
func (p *Plugin) recordProject(out map[string]any, dir workspace.Path, svc string) {
	envID := p.cfg.EnvID
	if envID == "" {
		p.envMu.Lock()
		envID = p.resolvedEnv
		p.envMu.Unlock()
	}
	if envID == "" {
		return
	}
	updated, err := writeCloudbaserc(dir, envID, svc)
	if err != nil {
		out["warnings"] = []warning{{Code: "CLOUDBASERC_NOT_WRITTEN", Message: err.Error()}}
		return
	}
	out["cloudbasercUpdated"] = updated
}

// extractURL downloads a zip into a temp file and extracts it atomically.
func (p *Plugin) extractURL(ctx context.Context, url string, dest workspace.Path, overwrite bool, limit int64) (*pack.ExtractResult, error) {
	tmp, err := p.downloadTemp(ctx, url, limit, nil)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	return p.extractFileInto(ctx, tmp, dest, overwrite)
}

// extractInto extracts a zip into dest through the workspace's root.
func extractInto(ctx context.Context, r io.ReaderAt, size int64, dest workspace.Path, overwrite bool) (*pack.ExtractResult, error) {
	ws, err := dest.OpenWorkspace()
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	return pack.ExtractAt(ctx, r, size, ws, dest.Rel, overwrite, pack.ExtractLimits{})
}

// downloadTemp GETs url into a temp file, bounded by limit bytes.
func (p *Plugin) downloadTemp(ctx context.Context, url string, limit int64, prog *progress) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("bad download URL: %w", err)
	}
	resp, err := p.transferClient().Do(req)
	if err != nil {
		return "", errors.New(redactURL(err.Error(), url))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("download answered HTTP %d", resp.StatusCode)
	}
	f, err := os.CreateTemp("", "cloudbase-mcp-download-*.zip")
	if err != nil {
		return "", err
	}
	var body io.Reader = io.LimitReader(resp.Body, limit+1)
	if prog != nil {
		body = &countingReader{r: body, total: resp.ContentLength, prog: prog}
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = fmt.Errorf("the package is larger than %s", humanBytes(limit))
	}
	if err == nil && resp.ContentLength > 0 && n != resp.ContentLength {
		err = fmt.Errorf("the download was cut short (%d of %d bytes)", n, resp.ContentLength)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// --- download

// maxPackageDownload bounds a downloaded code package.
const maxPackageDownload = 1 << 30

func (p *Plugin) manageDownload(ctx context.Context, req mcp.CallToolRequest, a *ManageArgs) *mcp.CallToolResult {
	prog := newProgress(ctx, req)
	svc := a.ServerName
	dest, bad := p.serviceDir(ctx, a.TargetPath, svc)
	if bad != nil {
		return bad
	}
	// Checked before any network call: nothing is fetched for nothing.
	if bad := p.clearToWrite(ctx, req, a, dest, map[string]any{"serverName": svc, "targetPath": a.TargetPath}); bad != nil {
		return bad
	}
	envID, bad := p.ready(ctx, "")
	if bad != nil {
		return bad
	}
	detail, err := p.client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return upstreamFailure("read service "+svc, err, svc)
	}
	versions := append([]tcbr.OnlineVersionInfo(nil), detail.OnlineVersionInfos...)
	sort.SliceStable(versions, func(i, j int) bool { return versions[i].FlowRatio.Int() > versions[j].FlowRatio.Int() })
	if len(versions) == 0 {
		return failure{What: "Nothing to download for " + svc, Why: "the service has no online version",
			NextStep: queryNext("getDeployRecords", map[string]any{"detailServerName": svc}, "see its deploys")}.result()
	}
	version := versions[0]
	ticket, err := p.client.DescribeCloudBaseBuildService(ctx, &tcbr.DescribeCloudBaseBuildServiceRequest{EnvId: envID, ServiceName: svc, ServiceVersion: version.VersionName})
	if err != nil {
		return upstreamFailure("get the download link of "+version.VersionName, err, svc)
	}
	if ticket.DownloadUrl == "" {
		return failure{What: "Nothing to download for " + svc, RequestID: ticket.RequestId,
			Why:  fmt.Sprintf("version %s was deployed from an image (%s), so there is no code package", version.VersionName, orDash(version.ImageUrl)),
			Hint: "Get the source from where the image was built."}.result()
	}
	prog.report(0, 0, "downloading "+version.VersionName)
	tmp, err := p.downloadTemp(ctx, ticket.DownloadUrl, maxPackageDownload, prog)
	if err != nil {
		return failure{What: "Could not download " + version.VersionName, Why: err.Error(), Hint: "Nothing was written. Call again."}.result()
	}
	defer os.Remove(tmp)
	res, err := p.extractFileInto(ctx, tmp, dest, a.Force)
	if err != nil {
		return failure{What: "Could not extract the package of " + version.VersionName, Why: err.Error(),
			Hint: "Nothing was written: the package was refused as a whole."}.result()
	}
	out := map[string]any{"envId": envID, "serverName": svc, "version": version.VersionName, "targetPath": dest.Abs(),
		"fileCount": res.Files, "bytes": res.Bytes, "skipped": nonNil(res.Skipped)}
	p.recordProject(out, dest, svc)
	out["nextSteps"] = projectNextSteps(svc, dest.Abs(), serviceTypeOf(detail))
	return success(out)
}

func serviceTypeOf(d *tcbr.DescribeCloudRunServerDetailResponse) string {
	if d != nil && d.BaseInfo != nil {
		return d.BaseInfo.ServerType
	}
	return ""
}

// --- createAgent

func (p *Plugin) manageCreateAgent(ctx context.Context, req mcp.CallToolRequest, a *ManageArgs) *mcp.CallToolResult {
	if a.AgentConfig == nil || a.AgentConfig.AgentName == "" {
		return invalid("createAgent needs agentConfig.agentName", `For example {"agentName": "support-bot"}.`)
	}
	ac := a.AgentConfig
	botTag := ac.BotTag
	if botTag == "" {
		botTag = templates.NewBotTag()
	}
	agentName, err := templates.NormalizeAgentName(ac.AgentName)
	if err == nil {
		botTag, err = templates.NormalizeBotTag(botTag)
	}
	var botID string
	if err == nil {
		botID, err = templates.BotID(agentName, botTag)
	}
	if err != nil {
		return invalid(err.Error(), "Fix agentConfig and call again.")
	}
	files, err := templates.AgentFiles(templates.AgentOptions{AgentName: ac.AgentName, BotTag: botTag, Description: ac.Description, Template: ac.Template})
	if err != nil {
		return invalid(err.Error(), "Fix agentConfig and call again.")
	}
	dest, bad := p.projectDir(ctx, a.TargetPath, a.ServerName)
	if bad != nil {
		return bad
	}
	if bad := p.clearToWrite(ctx, req, a, dest, map[string]any{"serverName": a.ServerName, "targetPath": a.TargetPath, "agentConfig": a.AgentConfig}); bad != nil {
		return bad
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write(files[name])
		}
		if err != nil {
			return failure{What: "Could not scaffold the agent", Why: err.Error()}.result()
		}
	}
	if err := zw.Close(); err != nil {
		return failure{What: "Could not scaffold the agent", Why: err.Error()}.result()
	}
	if _, err := extractInto(ctx, bytes.NewReader(zipped.Bytes()), int64(zipped.Len()), dest, a.Force); err != nil {
		return failure{What: "Could not write the agent project", Why: err.Error(), Hint: "Nothing was written."}.result()
	}
	out := map[string]any{"serverName": a.ServerName, "botId": botID, "agentName": agentName, "botTag": botTag,
		"projectDir": dest.Abs(), "files": names, "serviceType": "function"}
	p.recordProject(out, dest, a.ServerName)
	out["nextSteps"] = []*NextStep{
		manageNext("run", map[string]any{"serverName": a.ServerName, "targetPath": dest.Abs(), "runOptions": map[string]any{"runMode": "agent", "agentId": botID}}, "run the agent locally"),
		manageNext("deploy", map[string]any{"serverName": a.ServerName, "targetPath": dest.Abs()}, "deploy the agent as a function service"),
	}
	return success(out)
}

// extractFileInto is extractInto for a zip file on disk.
func (p *Plugin) extractFileInto(ctx context.Context, zipPath string, dest workspace.Path, overwrite bool) (*pack.ExtractResult, error) {
	ws, err := dest.OpenWorkspace()
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	return pack.ExtractFileAt(ctx, zipPath, ws, dest.Rel, overwrite, pack.ExtractLimits{})
}
