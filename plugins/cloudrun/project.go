package cloudrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/mcpx"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/safefs"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/workspace"
	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"
	"github.com/mark3labs/mcp-go/mcp"
)

// A project directory is located once, confined to the workspace, and then
// only reached through the workspace's *os.Root (see internal/safefs): no
// symlink, whenever it appears, leads a read or a write outside.

// workspacePaths confines the paths a call names to the workspace: the
// client's roots when it offers them, else the configured workspace.
type workspacePaths struct {
	cfg   *config.Config // Workspace
	roots *mcpx.Roots
}

type rootsKey struct{}

// resolve asks the client for its roots (once per change) and carries them
// in the call's context.
func (wp *workspacePaths) resolve(ctx context.Context, req mcp.CallToolRequest) (context.Context, error) {
	roots, err := wp.roots.Workspace(ctx, req, wp.configured())
	if err != nil {
		return nil, err
	}
	return context.WithValue(ctx, rootsKey{}, roots), nil
}

// configured is the workspace when the client offers no roots.
func (wp *workspacePaths) configured() string {
	if wp.cfg.Workspace == "" {
		return "."
	}
	return wp.cfg.Workspace
}

// rootsOf is the client's roots when the call resolved them, else the
// configured workspace.
func (wp *workspacePaths) rootsOf(ctx context.Context) []string {
	if roots, _ := ctx.Value(rootsKey{}).([]string); len(roots) > 0 {
		return roots
	}
	return []string{wp.configured()}
}

// locate confines a targetPath to the workspace.
func (wp *workspacePaths) locate(ctx context.Context, target string) (workspace.Path, error) {
	roots := wp.rootsOf(ctx)
	loc, err := workspace.Locate(roots, target)
	if err != nil {
		return workspace.Path{}, invalid("targetPath "+target+": "+err.Error(),
			"Use a path inside the workspace ("+strings.Join(roots, " or ")+"), absolute or relative to it. The workspace is the client's roots when it offers them, else CLOUDBASE_MCP_WORKSPACE, else the server's working directory.")
	}
	return loc, nil
}

// projectDir locates <targetPath or the workspace root>/<serverName>, with
// the symlinks of the joined path resolved too.
func (wp *workspacePaths) projectDir(ctx context.Context, target, name string) (workspace.Path, error) {
	if target == "" {
		target = "."
	}
	base, err := wp.locate(ctx, target)
	if err != nil {
		return workspace.Path{}, err
	}
	return wp.locate(ctx, filepath.Join(base.Abs(), name))
}

// serviceDir is targetPath when given, else <workspace root>/<serverName>:
// the directory download writes and run starts from.
func (wp *workspacePaths) serviceDir(ctx context.Context, target, name string) (workspace.Path, error) {
	if target != "" {
		return wp.locate(ctx, target)
	}
	return wp.projectDir(ctx, "", name)
}

// refuseWorkspaceRoot: init, download and createAgent replace their target
// directory; the workspace root itself is never one.
func refuseWorkspaceRoot(loc workspace.Path, action string) error {
	if !loc.IsRoot() {
		return nil
	}
	return invalid(fmt.Sprintf("%s would write into the workspace root %s itself", action, loc.Root),
		"Pass a targetPath below the workspace root (a new or empty directory for the project).")
}

// entryCount is the number of entries in the directory loc (0 when it is
// missing or not a directory: nothing there to replace).
func entryCount(loc workspace.Path) int {
	ws, err := loc.OpenWorkspace()
	if err != nil {
		return 0
	}
	defer ws.Close()
	if st, err := ws.Lstat(loc.Rel); err != nil || !st.IsDir() {
		if err == nil {
			return 1 // a file, link or FIFO where the directory goes: replacing it needs consent
		}
		return 0
	}
	dir, err := ws.OpenRoot(loc.Rel)
	if err != nil {
		return 0
	}
	defer dir.Close()
	entries, err := fs.ReadDir(dir.FS(), ".")
	if err != nil {
		return 0
	}
	return len(entries)
}

// listFiles returns the regular files under loc, relative and sorted.
func listFiles(loc workspace.Path) []string {
	files := []string{}
	dir, err := loc.OpenDir()
	if err != nil {
		return files
	}
	defer dir.Close()
	_ = fs.WalkDir(dir.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	sort.Strings(files)
	return files
}

// --- what a project holds

// projectRoot is an opened project directory: every read goes through it.
type projectRoot struct {
	root *os.Root
	path string // for messages
}

func openProject(loc workspace.Path) (*projectRoot, error) {
	root, err := loc.OpenDir()
	if err != nil {
		return nil, err
	}
	return &projectRoot{root: root, path: loc.Abs()}, nil
}

func (pr *projectRoot) Close() error { return pr.root.Close() }

// read reads a small regular file of the project.
func (pr *projectRoot) read(name string) ([]byte, error) {
	return safefs.ReadFile(pr.root, name, safefs.MaxSmallFile)
}

func (pr *projectRoot) hasFile(name string) bool { return safefs.IsRegular(pr.root, name) }

// projectRel checks that a name from serverConfig (Dockerfile, BuildDir) is a
// relative path that stays inside the project, and returns it cleaned.
func projectRel(param, name string) (string, error) {
	clean := filepath.Clean(filepath.FromSlash(name))
	if name == "" || !filepath.IsLocal(clean) {
		return "", fmt.Errorf("serverConfig.%s %q must be a relative path inside the project (no leading /, no ..)", param, name)
	}
	return clean, nil
}

// detectServiceType: a Dockerfile means container; a functions-framework or
// aiagent-framework dependency means function; otherwise container.
func detectServiceType(pr *projectRoot, cfg *serverconfig.Config) (string, string) {
	if df, _ := cfg.String("Dockerfile"); df != "" {
		return "container", "serverConfig.Dockerfile is set"
	}
	if pr.hasFile("Dockerfile") {
		return "container", "the project has a Dockerfile"
	}
	if b, err := pr.read("package.json"); err == nil {
		var pkg struct {
			Dependencies map[string]string `json:"dependencies"`
		}
		if json.Unmarshal(b, &pkg) == nil {
			for _, dep := range []string{"@cloudbase/aiagent-framework", "@cloudbase/functions-framework"} {
				if _, ok := pkg.Dependencies[dep]; ok {
					return "function", "package.json depends on " + dep
				}
			}
		}
	}
	return "container", "no Dockerfile and no functions-framework dependency (default)"
}

// exposedPort reads the first EXPOSE of a Dockerfile; 80 when there is none.
func exposedPort(dockerfile []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && strings.EqualFold(fields[0], "EXPOSE") {
			port := strings.SplitN(fields[1], "/", 2)[0]
			if n, err := strconv.ParseInt(port, 10, 64); err == nil && n > 0 && n < 65536 {
				return n
			}
		}
	}
	return 80
}

// --- cloudbaserc.json

// writeCloudbaserc records {envId, cloudrun: {name}} in the project's
// cloudbaserc.json, merging into an existing file instead of replacing it.
// The file is read and replaced through the project's root: a symlink at
// cloudbaserc.json (or at any temp name) is never followed.
func writeCloudbaserc(loc workspace.Path, envID, svc string) (bool, error) {
	dir, err := loc.OpenDir()
	if err != nil {
		return false, err
	}
	defer dir.Close()
	const name = "cloudbaserc.json"
	doc := map[string]any{}
	if b, err := safefs.ReadFile(dir, name, safefs.MaxSmallFile); err == nil {
		if err := json.Unmarshal(b, &doc); err != nil {
			return false, fmt.Errorf("cloudbaserc.json exists but is not JSON; left it unchanged: %w", err)
		}
	} else if _, lerr := dir.Lstat(name); !errors.Is(lerr, fs.ErrNotExist) {
		// A link out of the project, a FIFO, a huge file: not ours to replace.
		return false, fmt.Errorf("cloudbaserc.json cannot be read as a regular file inside the project (%v); left it unchanged", err)
	}
	cr, _ := doc["cloudrun"].(map[string]any)
	if doc["envId"] == envID && cr != nil && cr["name"] == svc {
		return false, nil
	}
	doc["envId"] = envID
	if cr == nil {
		cr = map[string]any{}
	}
	cr["name"] = svc
	doc["cloudrun"] = cr
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return false, err
	}
	if err := safefs.WriteFile(dir, name, append(b, '\n'), 0o644); err != nil {
		return false, err
	}
	return true, nil
}
