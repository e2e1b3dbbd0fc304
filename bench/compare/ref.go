//go:build linux

package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

//go:embed refzip.cjs
var refzipScript []byte

// refInstall is the reference server and @cloudbase/manager-node installed
// with npm into one directory under the system temp dir.
type refInstall struct {
	Dir            string
	ServerVersion  string
	ManagerVersion string
	CLI            string // node entry point of the server (its package.json "bin")
	Reused         bool
	NPMOutput      string
}

func installedVersion(dir, pkg string) string {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(pkg), "package.json"))
	if err != nil {
		return ""
	}
	var p struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(b, &p)
	return p.Version
}

// ensureRef installs (or reuses) the pinned reference packages.
func ensureRef(dir, serverVersion, managerVersion string) (*refInstall, error) {
	r := &refInstall{Dir: dir, ServerVersion: serverVersion, ManagerVersion: managerVersion}
	if installedVersion(dir, "@cloudbase/cloudbase-mcp") == serverVersion &&
		installedVersion(dir, "@cloudbase/manager-node") == managerVersion {
		r.Reused = true
	} else if err := r.install(); err != nil {
		return nil, err
	}
	cli, err := refCLI(dir)
	if err != nil {
		return nil, err
	}
	r.CLI = filepath.Join(dir, "node_modules", "@cloudbase", "cloudbase-mcp", filepath.FromSlash(cli))
	if err := os.WriteFile(filepath.Join(dir, "refzip.cjs"), refzipScript, 0o644); err != nil {
		return nil, err
	}
	return r, nil
}

// install runs npm install of the pinned versions into r.Dir and checks that
// npm installed exactly those.
func (r *refInstall) install() error {
	dir := r.Dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		if err := os.WriteFile(filepath.Join(dir, "package.json"),
			[]byte(`{"name":"cloudbase-mcp-bench-ref","private":true}`+"\n"), 0o644); err != nil {
			return err
		}
	}
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund", "--save-exact",
		"@cloudbase/cloudbase-mcp@"+r.ServerVersion, "@cloudbase/manager-node@"+r.ManagerVersion)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	r.NPMOutput = string(out)
	if err != nil {
		return fmt.Errorf("npm install in %s: %w\n%s", dir, err, out)
	}
	for pkg, want := range map[string]string{"@cloudbase/cloudbase-mcp": r.ServerVersion, "@cloudbase/manager-node": r.ManagerVersion} {
		if got := installedVersion(dir, pkg); got != want {
			return fmt.Errorf("npm installed %s %q, want %q", pkg, got, want)
		}
	}
	return nil
}

// refCLI is the reference server's entry point, relative to its package: the
// "bin" of its package.json (a path, or the cloudbase-mcp entry of a map).
func refCLI(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "@cloudbase", "cloudbase-mcp", "package.json"))
	if err != nil {
		return "", err
	}
	var p struct {
		Bin any `json:"bin"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return "", err
	}
	var cli string
	switch v := p.Bin.(type) {
	case string:
		cli = v
	case map[string]any:
		cli, _ = v["cloudbase-mcp"].(string)
	}
	if cli == "" {
		return "", fmt.Errorf("no bin in @cloudbase/cloudbase-mcp's package.json")
	}
	return cli, nil
}

func commandOutput(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// refFacts are checks on the installed reference, reported in RESULTS.md.
type refFacts struct {
	// CodeToZipSame: manager-node's codeToZip is textually the function inlined
	// in the server's bundle ("" = identical, else what differs or is missing).
	CodeToZipCheck string
	// CitedManager: manager-node versions the server bundle mentions.
	CitedManager []string
	// RegistryLatest: `npm view @cloudbase/manager-node version`.
	RegistryLatest string
}

func extractFunc(src, head string) string {
	i := strings.Index(src, head)
	if i < 0 {
		return ""
	}
	j := strings.Index(src[i:], "\n}\n")
	if j < 0 {
		return ""
	}
	return src[i : i+j+2]
}

func checkRef(r *refInstall) refFacts {
	var f refFacts
	mgr, err1 := os.ReadFile(filepath.Join(r.Dir, "node_modules", "@cloudbase", "manager-node", "lib", "cloudrun", "index.js"))
	bundle, err2 := os.ReadFile(filepath.Join(r.Dir, "node_modules", "@cloudbase", "cloudbase-mcp", "dist", "index.cjs"))
	const head = "async function codeToZip("
	switch {
	case err1 != nil || err2 != nil:
		f.CodeToZipCheck = fmt.Sprintf("could not compare (%v %v)", err1, err2)
	default:
		a, b := extractFunc(string(mgr), head), extractFunc(string(bundle), head)
		switch {
		case a == "":
			f.CodeToZipCheck = "codeToZip not found in manager-node's lib/cloudrun/index.js"
		case b == "":
			f.CodeToZipCheck = "codeToZip not found (unminified) in the server's dist/index.cjs"
		case a != b:
			f.CodeToZipCheck = "manager-node's codeToZip differs from the one inlined in the server's dist/index.cjs"
		}
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`manager-node (\d+\.\d+\.\d+)`).FindAllStringSubmatch(string(bundle), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			f.CitedManager = append(f.CitedManager, m[1])
		}
	}
	f.RegistryLatest = commandOutput("npm", "view", "@cloudbase/manager-node", "version")
	return f
}
