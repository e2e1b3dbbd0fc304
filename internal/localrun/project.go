package localrun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/safefs"
)

const (
	frameworkPkg   = "@cloudbase/functions-framework"
	agentPkg       = "@cloudbase/aiagent-framework"
	minNodeMajor   = 18 // functions-framework 1.18.0: "engines": {"node": ">=18.0.0"}
	installTimeout = 10 * time.Minute
)

// project is what run needs to know about the directory it is asked to start.
type project struct {
	hasPackageJSON bool
	deps           map[string]bool   // dependencies and devDependencies
	scripts        map[string]string // package.json scripts
	main           string            // package.json main
	dockerfile     bool
	expose         string
	entries        map[string]bool // the regular files at the project's root
}

func (p project) declaresFramework() bool { return p.deps[frameworkPkg] || p.deps[agentPkg] }

// function reports whether the project runs in function mode (it depends on
// the functions framework); every other project runs as a container does.
func (p project) function() bool { return p.declaresFramework() }

// tcbffPath is the framework's CLI inside the project (package.json "bin": {"tcb-ff": "./bin/tcb-ff.js"}).
func tcbffPath(dir string) string {
	return filepath.Join(dir, "node_modules", "@cloudbase", "functions-framework", "bin", "tcb-ff.js")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// inspectProject reads what decides how the project runs. The files are
// read through the project's root: regular files only, bounded, never
// blocking. A package.json that is there but broken is refused.
func inspectProject(dir string) (project, error) {
	p := project{deps: map[string]bool{}, scripts: map[string]string{}, entries: map[string]bool{}}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return p, fmt.Errorf("%w: cannot open %s: %v", ErrNotAFunctionProject, dir, err)
	}
	defer root.Close()
	if f, err := root.Open("."); err == nil {
		names, _ := f.Readdirnames(maxRootEntries)
		f.Close()
		for _, n := range names {
			p.entries[n] = safefs.IsRegular(root, n)
		}
	}
	for _, name := range []string{"Dockerfile", "dockerfile"} {
		if data, err := safefs.ReadFile(root, name, safefs.MaxSmallFile); err == nil {
			p.dockerfile, p.expose = true, dockerExpose(data)
			break
		}
	}
	raw, err := safefs.ReadFile(root, "package.json", safefs.MaxSmallFile)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return p, nil
	case err != nil:
		return p, fmt.Errorf("%w: cannot read %s: %v", ErrNotAFunctionProject, filepath.Join(dir, "package.json"), err)
	}
	var pkg struct {
		Main            string            `json:"main"`
		Dependencies    map[string]any    `json:"dependencies"`
		DevDependencies map[string]any    `json:"devDependencies"`
		Scripts         map[string]string `json:"scripts"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return p, fmt.Errorf("%w: %s/package.json is not valid JSON (%v); fix it and call run again", ErrNotAFunctionProject, dir, err)
	}
	p.hasPackageJSON, p.main = true, pkg.Main
	for name := range pkg.Dependencies {
		p.deps[name] = true
	}
	for name := range pkg.DevDependencies {
		p.deps[name] = true
	}
	for k, v := range pkg.Scripts {
		p.scripts[k] = strings.TrimSpace(v)
	}
	return p, nil
}

// maxRootEntries bounds how many root entries are looked at.
const maxRootEntries = 10_000

var exposeLine = regexp.MustCompile(`(?i)^\s*EXPOSE\s+(\d+)`)

// dockerExpose returns the first EXPOSEd port of a Dockerfile, or "".
func dockerExpose(data []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if m := exposeLine.FindStringSubmatch(sc.Text()); m != nil {
			return m[1]
		}
	}
	return ""
}

var nodeVersion = regexp.MustCompile(`v?(\d+)\.\d+`)

// findNode resolves node on PATH (or the given path) and checks that it is new enough.
func findNode(ctx context.Context, override string) (string, error) {
	name := override
	if name == "" {
		name = "node"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %q was not found on PATH (%v). Install Node.js %d or newer from https://nodejs.org (or with your package manager), make sure `node --version` works in a new terminal, then restart the MCP server so it sees the new PATH",
			ErrNodeMissing, name, err, minNodeMajor)
	}
	vctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(vctx, path, "--version").Output()
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("%w: %s --version failed (%v). Reinstall Node.js %d or newer from https://nodejs.org", ErrNodeMissing, path, err, minNodeMajor)
	}
	version := strings.TrimSpace(string(out))
	if m := nodeVersion.FindStringSubmatch(version); m != nil {
		if major, _ := strconv.Atoi(m[1]); major < minNodeMajor {
			return "", fmt.Errorf("%w: %s is Node.js %s; %s needs Node.js %d or newer. Install a current LTS from https://nodejs.org (or switch with nvm) and restart the MCP server",
				ErrNodeMissing, path, version, frameworkPkg, minNodeMajor)
		}
	}
	return path, nil
}

func findNpm(override string) (string, error) {
	name := override
	if name == "" {
		name = "npm"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w: %q was not found on PATH (%v), and node_modules must be installed before the service can start. npm ships with Node.js (%d or newer, https://nodejs.org); install it, or run `npm install` in the project yourself and call run again",
			ErrNpmMissing, name, err, minNodeMajor)
	}
	return path, nil
}

// runInstall runs `npm install` in dir, its output going to the run's log. It
// reports progress every few seconds and ends npm's whole process group when
// ctx ends.
func runInstall(ctx context.Context, npm, dir string, sink *logSink, progress func(string, string)) error {
	args := []string{"install", "--no-audit", "--no-fund", "--loglevel=error"}
	sink.note("npm %s (in %s)", strings.Join(args, " "), dir)
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	cmd.Env = ScrubbedEnviron() // install scripts are the dependencies' code
	cmd.Stdout, cmd.Stderr = sink, sink
	setProcAttrs(cmd)
	cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, true) }
	cmd.WaitDelay = 250 * time.Millisecond

	// npm gets the parent-death signal too; see setDeathSignal for why the thread is pinned.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%w: cannot start %s: %v", ErrInstallFailed, npm, err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-waited:
			if ctx.Err() != nil {
				sink.note("npm install cancelled")
				return ctx.Err()
			}
			if err != nil {
				code := exitCodeOf(cmd.ProcessState)
				sink.note("npm install failed (exit code %d) after %s", code, time.Since(began).Round(time.Second))
				return fmt.Errorf("%w: `npm %s` in %s exited with code %d. Last lines:\n%s\nFix the cause (network or registry access, a package.json error) and call run again, or run `npm install` in %s yourself",
					ErrInstallFailed, strings.Join(args, " "), dir, code, strings.Join(sink.tail(errTailLines), "\n"), dir)
			}
			sink.note("npm install finished in %s", time.Since(began).Round(100*time.Millisecond))
			return nil
		case <-tick.C:
			report(progress, "install", fmt.Sprintf("npm install running for %s", time.Since(began).Round(time.Second)))
		}
	}
}

func report(progress func(string, string), stage, msg string) {
	if progress != nil {
		progress(stage, msg)
	}
}
