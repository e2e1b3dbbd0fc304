// Command npmdist turns GoReleaser's binaries into npm packages: one package
// per platform holding its binary (with "os" and "cpu" so npm installs only
// the matching one), and the main package npm/cloudbase-mcp whose bin starts
// it, listing them all in optionalDependencies (the esbuild pattern). Each is
// packed with npm pack; nothing is published.
//
//	go run ./tools/npmdist [-dist dist] [-src npm/cloudbase-mcp]
//
// It reads dist/metadata.json (the version) and dist/artifacts.json (the
// binaries) and writes dist/npm/<package>/ and dist/npm/*.tgz.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/tools/internal/release"
)

// platforms maps GoReleaser's GOOS/GOARCH to Node's process.platform/arch,
// which name the platform packages and fill their "os" and "cpu".
var (
	nodeOS   = map[string]string{"linux": "linux", "darwin": "darwin", "windows": "win32"}
	nodeArch = map[string]string{"amd64": "x64", "arm64": "arm64"}
)

// mainManifest is npm/cloudbase-mcp/package.json, field for field (an
// unknown field there is an error, so none is dropped on the way to dist).
type mainManifest struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Description          string            `json:"description"`
	MCPName              string            `json:"mcpName"`
	Keywords             []string          `json:"keywords"`
	Homepage             string            `json:"homepage"`
	Bugs                 string            `json:"bugs"`
	Repository           json.RawMessage   `json:"repository"`
	Bin                  map[string]string `json:"bin"`
	Files                []string          `json:"files"`
	Engines              map[string]string `json:"engines"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
}

// platformManifest is the package.json of one binary's package.
type platformManifest struct {
	Name            string          `json:"name"`
	Version         string          `json:"version"`
	Description     string          `json:"description"`
	Homepage        string          `json:"homepage"`
	Repository      json.RawMessage `json:"repository"`
	OS              []string        `json:"os"`
	CPU             []string        `json:"cpu"`
	Files           []string        `json:"files"`
	PreferUnplugged bool            `json:"preferUnplugged"`
}

func main() {
	dist := flag.String("dist", "dist", "GoReleaser's output directory")
	src := flag.String("src", filepath.Join("npm", "cloudbase-mcp"), "the main package's sources")
	flag.Parse()
	tarballs, err := run(*dist, *src)
	if err != nil {
		fmt.Fprintln(os.Stderr, "npmdist:", err)
		os.Exit(1)
	}
	for _, t := range tarballs {
		fmt.Println(t)
	}
}

func run(dist, src string) ([]string, error) {
	version, arts, err := release.Read(dist)
	if err != nil {
		return nil, err
	}
	var main mainManifest
	if err := readStrict(filepath.Join(src, "package.json"), &main); err != nil {
		return nil, err
	}
	out := filepath.Join(dist, "npm")
	if err := os.RemoveAll(out); err != nil {
		return nil, err
	}

	optional := map[string]string{}
	var dirs []string
	for _, a := range arts {
		if a.Type != "Binary" {
			continue
		}
		dir, pkg, err := platformPackage(out, version, main, a)
		if err != nil {
			return nil, err
		}
		optional[pkg] = version
		dirs = append(dirs, dir)
	}
	if len(optional) == 0 {
		return nil, errors.New("no binaries in " + filepath.Join(dist, "artifacts.json"))
	}
	sort.Strings(dirs)

	main.Version = version
	main.OptionalDependencies = optional
	mainDir := filepath.Join(out, filepath.Base(src))
	for _, f := range []string{"README.md", filepath.Join("bin", "cloudbase-mcp.js")} {
		if err := release.CopyFile(filepath.Join(src, f), filepath.Join(mainDir, f), 0o755); err != nil {
			return nil, err
		}
	}
	if err := writeJSON(filepath.Join(mainDir, "package.json"), main); err != nil {
		return nil, err
	}
	dirs = append([]string{mainDir}, dirs...)

	var tarballs []string
	for _, d := range dirs {
		t, err := pack(d, out)
		if err != nil {
			return nil, err
		}
		tarballs = append(tarballs, t)
	}
	return tarballs, nil
}

// platformPackage writes the package of one binary and returns its directory and name.
func platformPackage(out, version string, main mainManifest, a release.Artifact) (string, string, error) {
	osName, okOS := nodeOS[a.Goos]
	cpu, okCPU := nodeArch[a.Goarch]
	if !okOS || !okCPU {
		return "", "", fmt.Errorf("%s: no npm platform for %s/%s", a.Path, a.Goos, a.Goarch)
	}
	pkg := main.Name + "-" + osName + "-" + cpu
	dir := filepath.Join(out, strings.TrimPrefix(strings.ReplaceAll(pkg, "/", "-"), "@"))
	exe := "cloudbase-mcp"
	if a.Goos == "windows" {
		exe += ".exe"
	}
	if err := release.CopyFile(a.Path, filepath.Join(dir, "bin", exe), 0o755); err != nil {
		return "", "", err
	}
	manifest := platformManifest{
		Name:        pkg,
		Version:     version,
		Description: fmt.Sprintf("The %s/%s binary of %s.", osName, cpu, main.Name),
		Homepage:    main.Homepage,
		Repository:  main.Repository,
		OS:          []string{osName},
		CPU:         []string{cpu},
		Files:       []string{"bin/" + exe},
		// Yarn PnP: keep the binary on disk, where it can be executed.
		PreferUnplugged: true,
	}
	readme := fmt.Sprintf("# %s\n\nThe cloudbase-mcp binary for %s on %s. Install %s, which starts it.\n", pkg, osName, cpu, main.Name)
	if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(readme), 0o644); err != nil {
		return "", "", err
	}
	return dir, pkg, writeJSON(filepath.Join(dir, "package.json"), manifest)
}

// pack runs npm pack in dir, writing the tarball into dest, and returns its path.
func pack(dir, dest string) (string, error) {
	abs, err := filepath.Abs(dest)
	if err != nil {
		return "", err
	}
	cmd := exec.Command("npm", "pack", "--json", "--pack-destination", abs)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack in %s: %w", dir, err)
	}
	var res []struct {
		Filename string `json:"filename"`
	}
	if err := json.Unmarshal(b, &res); err != nil || len(res) != 1 {
		return "", fmt.Errorf("npm pack in %s: unexpected output %q", dir, b)
	}
	return filepath.Join(dest, res[0].Filename), nil
}

// readStrict decodes path into v, refusing fields v does not have.
func readStrict(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetEscapeHTML(false) // ">=18", not "\u003e=18"
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
