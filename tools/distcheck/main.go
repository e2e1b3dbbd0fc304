// Command distcheck checks what `make dist` produced, after GoReleaser and
// npmdist: every archive is listed in checksums.txt with its true SHA-256 and
// holds the binary, README.md and server.json; the Linux binaries are static;
// the native binary reports the snapshot's version; and the container image
// the Dockerfile describes is rebuilt as a directory from the release binary
// and run under chroot as the image's user (there is no Docker engine here).
// It prints the size of every artifact.
//
//	go run ./tools/distcheck [-dist dist]
package main

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/tools/internal/release"
)

type artifact = release.Artifact

type checker struct{ passed, failed int }

func (c *checker) check(name string, err error, note string) {
	if err != nil {
		c.failed++
		fmt.Printf("FAIL %s: %v\n", name, err)
		return
	}
	c.passed++
	if note != "" {
		note = " (" + note + ")"
	}
	fmt.Printf("ok   %s%s\n", name, note)
}

func main() {
	dist := flag.String("dist", "dist", "GoReleaser's output directory")
	flag.Parse()
	version, arts, err := release.Read(*dist)
	if err != nil {
		fatal(err)
	}
	sort.Slice(arts, func(i, j int) bool { return arts[i].Path < arts[j].Path })
	c := &checker{}

	sums, err := readChecksums(filepath.Join(*dist, "checksums.txt"))
	c.check("checksums.txt", err, fmt.Sprintf("%d entries", len(sums)))
	for _, a := range arts {
		switch a.Type {
		case "Archive":
			c.check("archive "+a.Name, checkArchive(a, sums), "")
		case "Binary":
			if a.Goos == "linux" {
				c.check("static "+a.Path, checkStatic(a.Path), "no interpreter, no shared libraries")
			}
			if a.Goos == runtime.GOOS && a.Goarch == runtime.GOARCH {
				out, err := checkVersion(a.Path, version)
				c.check("version of "+a.Path, err, out)
			}
		}
	}
	c.check("six platforms", checkPlatforms(arts), "linux, darwin, windows × amd64, arm64")

	img, err := parseDockerfile("Dockerfile")
	c.check("Dockerfile", err, "FROM scratch, no RUN or SHELL, numeric non-root USER, exec-form ENTRYPOINT")
	if err == nil {
		c.check("Dockerfile label", checkLabel(img, "server.json"), "io.modelcontextprotocol.server.name is server.json's name")
		if bin := binaryFor(arts, "linux", runtime.GOARCH); runtime.GOOS == "linux" && bin != "" {
			note, err := runImage(img, bin, version)
			c.check("container image as a chroot", err, note)
		} else {
			fmt.Println("skip container image as a chroot: needs Linux and a linux/" + runtime.GOARCH + " binary")
		}
	}

	printSizes(arts, filepath.Join(*dist, "npm"))
	fmt.Printf("\n%d passed, %d failed\n", c.passed, c.failed)
	if c.failed > 0 {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "distcheck:", err)
	os.Exit(1)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func readChecksums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 {
			return nil, fmt.Errorf("bad line %q", sc.Text())
		}
		sums[fields[1]] = fields[0]
	}
	return sums, sc.Err()
}

func sha256File(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkArchive: its checksum is listed and right, and it holds the binary,
// README.md and server.json.
func checkArchive(a artifact, sums map[string]string) error {
	want, ok := sums[a.Name]
	if !ok {
		return errors.New("not in checksums.txt")
	}
	got, err := sha256File(a.Path)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("sha256 %s, checksums.txt says %s", got, want)
	}
	names, err := archiveNames(a.Path)
	if err != nil {
		return err
	}
	exe := "cloudbase-mcp"
	if a.Goos == "windows" {
		exe += ".exe"
	}
	for _, n := range []string{exe, "README.md", "server.json"} {
		if !names[n] {
			return fmt.Errorf("no %s in it (has %v)", n, names)
		}
	}
	return nil
}

func archiveNames(path string) (map[string]bool, error) {
	names := map[string]bool{}
	if strings.HasSuffix(path, ".zip") {
		z, err := zip.OpenReader(path)
		if err != nil {
			return nil, err
		}
		defer z.Close()
		for _, f := range z.File {
			names[f.Name] = true
		}
		return names, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		names[h.Name] = true
	}
}

// checkStatic: an ELF with no program interpreter and no DT_NEEDED libraries.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return errors.New("has a program interpreter: dynamically linked")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	if len(libs) > 0 {
		return fmt.Errorf("needs %v", libs)
	}
	return nil
}

func checkVersion(bin, version string) (string, error) {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "", err
	}
	got := strings.TrimSpace(string(out))
	if !strings.HasPrefix(got, "cloudbase-mcp "+version+" ") {
		return "", fmt.Errorf("says %q, built as %s", got, version)
	}
	return got, nil
}

func checkPlatforms(arts []artifact) error {
	var missing []string
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			if binaryFor(arts, goos, goarch) == "" {
				missing = append(missing, goos+"/"+goarch)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("no binary for %v", missing)
	}
	return nil
}

func binaryFor(arts []artifact, goos, goarch string) string {
	for _, a := range arts {
		if a.Type == "Binary" && a.Goos == goos && a.Goarch == goarch {
			return a.Path
		}
	}
	return ""
}

func printSizes(arts []artifact, npmDir string) {
	fmt.Println("\nsizes:")
	row := func(kind, path string) {
		if st, err := os.Stat(path); err == nil {
			size := fmt.Sprintf("%.1f MiB", float64(st.Size())/(1<<20))
			if st.Size() < 1<<20 {
				size = fmt.Sprintf("%.1f KiB", float64(st.Size())/(1<<10))
			}
			fmt.Printf("  %-8s %10s  %s\n", kind, size, path)
		}
	}
	for _, a := range arts {
		if a.Type == "Binary" || a.Type == "Archive" {
			row(strings.ToLower(a.Type), a.Path)
		}
	}
	tgz, _ := filepath.Glob(filepath.Join(npmDir, "*.tgz"))
	for _, t := range tgz {
		row("npm", t)
	}
}
