//go:build linux

package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/proctree"
)

// packRun is one packaging run in its own process.
type packRun struct {
	Seconds  float64 // the packaging call alone, timed inside the process
	Files    int64   // regular-file entries in the zip (central directory)
	Bytes    int64   // their uncompressed bytes: the input bytes packed
	ZipBytes int64
	PeakKB   int64 // max(sampled tree VmHWM, the VmHWM the process read itself at the end)
	Wait4KB  int64 // wait4 Maxrss, for the record (inflated by the bench's own; see proctree)
	Procs    int
	CPU      float64 // user+system seconds of the packer process (all of it, startup included)
}

func (r packRun) mbps() float64 { return float64(r.Bytes) / 1e6 / r.Seconds }

// zipContent counts the regular-file entries of a zip and their sizes.
func zipContent(path string) (files, bytes int64, err error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, 0, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || f.FileInfo().IsDir() {
			continue
		}
		files++
		bytes += int64(f.UncompressedSize64)
	}
	return files, bytes, nil
}

type procJSON struct {
	Seconds  float64 `json:"seconds"`
	ZipBytes int64   `json:"zipBytes"`
	HWMKB    int64   `json:"hwmKB"`
	Zip      string  `json:"zip"`
}

func runMeasured(cmd *exec.Cmd) (procJSON, proctree.Usage, error) {
	res, err := proctree.Run(cmd)
	if err != nil {
		return procJSON{}, res.Usage, fmt.Errorf("%s: %w: %s", strings.Join(cmd.Args, " "), err, tailString(string(res.Stderr), 600))
	}
	var out procJSON
	if err := json.Unmarshal(res.Stdout, &out); err != nil {
		return procJSON{}, res.Usage, fmt.Errorf("%s: bad output %q: %w", cmd.Args[0], res.Stdout, err)
	}
	return out, res.Usage, nil
}

// runOurs packs dir with the packzip binary (pack.ZipToFile).
func runOurs(packzip, dir, work string) (packRun, error) {
	cmd := exec.Command(packzip, "-dir", dir, "-out", work, "-keep")
	out, u, err := runMeasured(cmd)
	if err != nil {
		return packRun{}, err
	}
	defer os.Remove(out.Zip)
	r := packRun{Seconds: out.Seconds, ZipBytes: out.ZipBytes, PeakKB: max(u.PeakKB(), out.HWMKB), Wait4KB: u.Wait4MaxRSSKB, Procs: u.Procs,
		CPU: u.CPU.Seconds()}
	if r.Files, r.Bytes, err = zipContent(out.Zip); err != nil {
		return r, err
	}
	return r, nil
}

// runRef packs dir with @cloudbase/manager-node (mode codeToZip or compressToZip).
func runRef(ref *refInstall, mode, dir, work string, globs []string) (packRun, error) {
	zipPath := filepath.Join(work, "ref-"+mode+".zip")
	defer os.Remove(zipPath)
	g, _ := json.Marshal(globs)
	cmd := exec.Command("node", filepath.Join(ref.Dir, "refzip.cjs"), mode, dir, zipPath, string(g))
	cmd.Dir = work
	out, u, err := runMeasured(cmd)
	if err != nil {
		return packRun{}, err
	}
	r := packRun{Seconds: out.Seconds, ZipBytes: out.ZipBytes, PeakKB: max(u.PeakKB(), out.HWMKB), Wait4KB: u.Wait4MaxRSSKB, Procs: u.Procs,
		CPU: u.CPU.Seconds()}
	if r.Files, r.Bytes, err = zipContent(zipPath); err != nil {
		return r, err
	}
	return r, nil
}

// dropCaches empties the page cache (root only). It reports whether it did.
func dropCaches() error {
	syscall.Sync()
	f, err := os.OpenFile("/proc/sys/vm/drop_caches", os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteString("3\n"); err != nil {
		return err
	}
	return nil
}

func tailString(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
