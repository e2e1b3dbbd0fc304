package cloudrun

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/templates"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/workspace"
)

// init, download and createAgent write a project directory: through the
// workspace's root, into a temp directory renamed into place (nothing is
// half-written), and over existing files only with the user's consent.

// projects writes project directories: init (a template), download (the
// online code) and createAgent (an agent scaffold).
type projects struct {
	client    tcbr.Client // download: the service and its package link
	envs      *envResolver
	paths     *workspacePaths
	templates *templateSource
	transfer  *transfers
}

// maxTemplateZip bounds a remote template download.
const maxTemplateZip = 64 << 20

// maxPackageDownload bounds a downloaded code package.
const maxPackageDownload = 1 << 30

// projectRecord is what init, download and createAgent report of the
// project's cloudbaserc.json.
type projectRecord struct {
	Warnings           []warning `json:"warnings,omitempty"`
	CloudbasercUpdated *bool     `json:"cloudbasercUpdated,omitempty"`
	Message            string    `json:"message"`
	NextStep           *NextStep `json:"nextStep"`
}

// record writes cloudbaserc.json when an env is known.
func (pj *projects) record(dir workspace.Path, svc string) projectRecord {
	var rec projectRecord
	envID := pj.envs.knownEnv()
	if envID == "" {
		return rec
	}
	updated, err := writeCloudbaserc(dir, envID, svc)
	if err != nil {
		rec.Warnings = []warning{{Code: "CLOUDBASERC_NOT_WRITTEN", Message: err.Error()}}
		return rec
	}
	rec.CloudbasercUpdated = &updated
	return rec
}

// runFirst: a new project is run locally before it is deployed; the
// message names the deploy that follows.
func (r *projectRecord) runFirst(svc, dir string, run Args) {
	run.ServerName, run.TargetPath = svc, dir
	r.NextStep = manageStep("run", "run it locally and check that it answers", run)
	r.Message = fmt.Sprintf("%s is ready in %s. Run it locally (nextStep), then deploy it: manageCloudRun deploy with serverName %s and targetPath %s.", svc, dir, svc, dir)
}

// clearToWrite lets init, download and createAgent write dir: at once when
// it is empty or missing or force is set; over existing files only when the
// user confirms (elicitation) or the call says force.
func clearToWrite(ctx context.Context, c *call, loc workspace.Path, retry Args) error {
	a := c.args
	if err := refuseWorkspaceRoot(loc, a.Action); err != nil {
		return err
	}
	// A client that can ask the user always does; force is the consent of
	// clients that cannot.
	if a.Force && !mcpx.CanElicit(ctx) {
		return nil
	}
	n := entryCount(loc)
	if n == 0 {
		return nil
	}
	dir := loc.Abs()
	q := mcpx.Question{Subject: a.Action + "|" + dir, Title: "Replace " + filepath.Base(dir),
		Message: fmt.Sprintf("%s: %s would replace the directory %s, which holds %d entries. Replace it?", ManageToolName, a.Action, dir, n)}
	retry.Force = true
	err := c.askUser(ctx, q, &failure{
		Kind:     kindNeedsConfirmation,
		What:     "The target directory is not empty",
		Why:      fmt.Sprintf("%s holds %d entries, which %s would replace", dir, n, a.Action),
		Hint:     "Pick another targetPath or serverName, or confirm with the user and call again with force: true (the old content is removed only after the new one is in place).",
		NextStep: manageStep(a.Action, "replace the directory after the user confirmed", retry),
	})
	if err == nil {
		a.Force = true // the user said yes: replace
	}
	return err
}

// --- init

type initResult struct {
	ServerName  string   `json:"serverName"`
	Template    string   `json:"template"`
	Source      string   `json:"source"` // remote or embedded
	ServiceType string   `json:"serviceType"`
	ProjectDir  string   `json:"projectDir"`
	Files       []string `json:"files"`
	FileCount   int      `json:"fileCount"`
	Notice      string   `json:"notice,omitempty"`
	projectRecord
}

func (pj *projects) initProject(ctx context.Context, c *call) (any, error) {
	a := c.args
	id := a.Template
	if id == "" {
		id = "helloworld"
	}
	dest, err := pj.paths.projectDir(ctx, a.TargetPath, a.ServerName)
	if err != nil {
		return nil, err
	}
	if err := clearToWrite(ctx, c, dest, Args{ServerName: a.ServerName, Template: id, TargetPath: a.TargetPath}); err != nil {
		return nil, err
	}
	// The remote list first, as the reference does; the templates built into
	// this binary when it is unreachable or lacks the identifier.
	remote, _, remoteErr := pj.templates.remote(ctx, false)
	out := &initResult{ServerName: a.ServerName, Template: id, ProjectDir: dest.Abs()}
	var res *pack.ExtractResult
	if i := slices.IndexFunc(remote, func(t template) bool { return t.Identifier == id && t.ZipURL != "" }); remoteErr == nil && i >= 0 {
		c.progress.Report(0, 0, "downloading template "+id)
		res, err = pj.extractURL(ctx, remote[i].ZipURL, dest, a.Force, maxTemplateZip)
		out.Source, out.ServiceType = "remote", remote[i].ServerType
	} else {
		res, out.ServiceType, err = extractEmbedded(ctx, id, dest, a.Force, remote)
		out.Source = "embedded"
		if remoteErr != nil {
			out.Notice = "The remote template list is unreachable (" + remoteErr.Error() + "); used the template built into this server."
		}
	}
	if err != nil {
		return nil, err
	}
	out.Files, out.FileCount = listFiles(dest), res.Files
	out.projectRecord = pj.record(dest, a.ServerName)
	out.runFirst(a.ServerName, dest.Abs(), Args{})
	return out, nil
}

// extractEmbedded writes a template built into this binary.
func extractEmbedded(ctx context.Context, id string, dest workspace.Path, overwrite bool, remote []template) (*pack.ExtractResult, string, error) {
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
		sort.Strings(known)
		return nil, "", invalid(fmt.Sprintf("template %q does not exist", id), "Use one of: "+strings.Join(known, ", ")+" (queryCloudRun templates lists them).")
	}
	var zipped bytes.Buffer
	if err := templates.WriteZip(id, &zipped); err != nil {
		return nil, "", &failure{What: "Could not prepare template " + id, Why: err.Error()}
	}
	res, err := extractInto(ctx, bytes.NewReader(zipped.Bytes()), int64(zipped.Len()), dest, overwrite, "Could not create the project")
	if err != nil {
		return nil, "", err
	}
	return res, t.ServerType, nil
}

// extractURL downloads a zip into a temp file and extracts it atomically.
func (pj *projects) extractURL(ctx context.Context, url string, dest workspace.Path, overwrite bool, limit int64) (*pack.ExtractResult, error) {
	tmp, err := pj.transfer.downloadTemp(ctx, url, limit, nil)
	if err != nil {
		return nil, notWritten("Could not create the project", err)
	}
	defer os.Remove(tmp)
	return extractFileInto(ctx, tmp, dest, overwrite, "Could not create the project")
}

func notWritten(what string, err error) error {
	return &failure{What: what, Why: err.Error(), Hint: "Nothing was written. Fix the cause and call again."}
}

// extractInto extracts a zip into dest through the workspace's root; what
// names the failure.
func extractInto(ctx context.Context, r io.ReaderAt, size int64, dest workspace.Path, overwrite bool, what string) (*pack.ExtractResult, error) {
	ws, err := dest.OpenWorkspace()
	if err != nil {
		return nil, notWritten(what, err)
	}
	defer ws.Close()
	res, err := pack.ExtractAt(ctx, r, size, ws, dest.Rel, overwrite, pack.ExtractLimits{})
	if err != nil {
		return nil, notWritten(what, err)
	}
	return res, nil
}

// extractFileInto is extractInto for a zip file on disk.
func extractFileInto(ctx context.Context, zipPath string, dest workspace.Path, overwrite bool, what string) (*pack.ExtractResult, error) {
	ws, err := dest.OpenWorkspace()
	if err != nil {
		return nil, notWritten(what, err)
	}
	defer ws.Close()
	res, err := pack.ExtractFileAt(ctx, zipPath, ws, dest.Rel, overwrite, pack.ExtractLimits{})
	if err != nil {
		return nil, notWritten(what, err)
	}
	return res, nil
}

// --- download

type downloadResult struct {
	EnvID      string   `json:"envId"`
	ServerName string   `json:"serverName"`
	Version    string   `json:"version"`
	TargetPath string   `json:"targetPath"`
	FileCount  int      `json:"fileCount"`
	Bytes      int64    `json:"bytes"`
	Skipped    []string `json:"skipped"`
	projectRecord
}

func (pj *projects) download(ctx context.Context, c *call) (any, error) {
	a := c.args
	svc := a.ServerName
	dest, err := pj.paths.serviceDir(ctx, a.TargetPath, svc)
	if err != nil {
		return nil, err
	}
	// Checked before any network call: nothing is fetched for nothing.
	if err := clearToWrite(ctx, c, dest, Args{ServerName: svc, TargetPath: a.TargetPath}); err != nil {
		return nil, err
	}
	envID, err := pj.envs.ready(ctx, "")
	if err != nil {
		return nil, err
	}
	detail, err := pj.client.DescribeCloudRunServerDetail(ctx, &tcbr.DescribeCloudRunServerDetailRequest{EnvId: envID, ServerName: svc})
	if err != nil {
		return nil, upstreamFailure("read service "+svc, err, svc)
	}
	version, url, err := pj.packageURL(ctx, envID, svc, detail)
	if err != nil {
		return nil, err
	}
	c.progress.Report(0, 0, "downloading "+version)
	tmp, err := pj.transfer.downloadTemp(ctx, url, maxPackageDownload, c.progress)
	if err != nil {
		return nil, &failure{What: "Could not download " + version, Why: err.Error(), Hint: "Nothing was written. Call again."}
	}
	defer os.Remove(tmp)
	res, err := extractFileInto(ctx, tmp, dest, a.Force, "Could not extract the package of "+version)
	if err != nil {
		return nil, err
	}
	out := &downloadResult{EnvID: envID, ServerName: svc, Version: version, TargetPath: dest.Abs(),
		FileCount: res.Files, Bytes: res.Bytes, Skipped: nonNil(res.Skipped)}
	out.projectRecord = pj.record(dest, svc)
	out.runFirst(svc, dest.Abs(), Args{})
	return out, nil
}

// packageURL finds the online version with the most traffic and its code
// package's download link.
func (pj *projects) packageURL(ctx context.Context, envID, svc string, detail *tcbr.DescribeCloudRunServerDetailResponse) (string, string, error) {
	versions := append([]tcbr.OnlineVersionInfo(nil), detail.OnlineVersionInfos...)
	sort.SliceStable(versions, func(i, j int) bool { return versions[i].FlowRatio.Int() > versions[j].FlowRatio.Int() })
	if len(versions) == 0 {
		return "", "", &failure{What: "Nothing to download for " + svc, Why: "the service has no online version",
			NextStep: queryStep("getDeployRecords", "see its deploys", Args{DetailServerName: svc})}
	}
	version := versions[0]
	ticket, err := pj.client.DescribeCloudBaseBuildService(ctx, &tcbr.DescribeCloudBaseBuildServiceRequest{EnvId: envID, ServiceName: svc, ServiceVersion: version.VersionName})
	if err != nil {
		return "", "", upstreamFailure("get the download link of "+version.VersionName, err, svc)
	}
	if ticket.DownloadUrl == "" {
		return "", "", &failure{What: "Nothing to download for " + svc, RequestID: ticket.RequestId,
			Why:  fmt.Sprintf("version %s was deployed from an image (%s), so there is no code package", version.VersionName, orDash(version.ImageUrl)),
			Hint: "Get the source from where the image was built."}
	}
	return version.VersionName, ticket.DownloadUrl, nil
}

// --- createAgent

type createAgentResult struct {
	ServerName  string   `json:"serverName"`
	BotID       string   `json:"botId"`
	AgentName   string   `json:"agentName"`
	BotTag      string   `json:"botTag"`
	ProjectDir  string   `json:"projectDir"`
	Files       []string `json:"files"`
	ServiceType string   `json:"serviceType"`
	projectRecord
}

func (pj *projects) createAgent(ctx context.Context, c *call) (any, error) {
	a := c.args
	if a.AgentConfig == nil || a.AgentConfig.AgentName == "" {
		return nil, invalid("createAgent needs agentConfig.agentName", `For example {"agentName": "support-bot"}.`)
	}
	agent, files, err := agentProject(a.AgentConfig)
	if err != nil {
		return nil, err
	}
	dest, err := pj.paths.projectDir(ctx, a.TargetPath, a.ServerName)
	if err != nil {
		return nil, err
	}
	if err := clearToWrite(ctx, c, dest, Args{ServerName: a.ServerName, TargetPath: a.TargetPath, AgentConfig: a.AgentConfig}); err != nil {
		return nil, err
	}
	names, zipped, err := zipFiles(files)
	if err != nil {
		return nil, &failure{What: "Could not scaffold the agent", Why: err.Error()}
	}
	if _, err := extractInto(ctx, bytes.NewReader(zipped), int64(len(zipped)), dest, a.Force, "Could not write the agent project"); err != nil {
		return nil, err
	}
	agent.ServerName, agent.ProjectDir, agent.Files, agent.ServiceType = a.ServerName, dest.Abs(), names, "function"
	agent.projectRecord = pj.record(dest, a.ServerName)
	agent.runFirst(a.ServerName, dest.Abs(), Args{RunOptions: &RunOptions{RunMode: "agent", AgentID: agent.BotID}})
	return agent, nil
}

// agentProject checks the agent's names and renders its files.
func agentProject(ac *AgentConfig) (*createAgentResult, map[string][]byte, error) {
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
		return nil, nil, invalid(err.Error(), "Fix agentConfig and call again.")
	}
	files, err := templates.AgentFiles(templates.AgentOptions{AgentName: ac.AgentName, BotTag: botTag, Description: ac.Description, Template: ac.Template})
	if err != nil {
		return nil, nil, invalid(err.Error(), "Fix agentConfig and call again.")
	}
	return &createAgentResult{BotID: botID, AgentName: agentName, BotTag: botTag}, files, nil
}

// zipFiles zips files in name order.
func zipFiles(files map[string][]byte) ([]string, []byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
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
			return nil, nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	return names, buf.Bytes(), nil
}
