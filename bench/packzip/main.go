//go:build linux

// Command packzip packages a directory with internal/pack (pack.ZipToFile, the
// deploy path) in its own process, so its peak RSS is its own, and prints one
// JSON object: the Result plus the wall time of the call and the process's
// peak RSS (VmHWM of /proc/self/status, read after the call; getrusage's
// Maxrss would include the parent's high-water mark, see bench/internal/proctree).
//
//	go run ./bench/packzip -dir /path/to/project [-out DIR] [-keep] [-cpuprofile FILE]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/proctree"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/pack"
)

func main() {
	dir := flag.String("dir", "", "project directory to package")
	out := flag.String("out", "", "directory for the zip (default: the system temp dir)")
	keep := flag.Bool("keep", false, "keep the zip and print its path (default: remove it)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the packaging call to this file")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "packzip: -dir is required")
		os.Exit(2)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "packzip:", err)
			os.Exit(1)
		}
	}
	start := time.Now()
	path, res, err := pack.ZipToFile(context.Background(), pack.Options{Root: *dir}, *out)
	elapsed := time.Since(start)
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "packzip:", err)
		os.Exit(1)
	}
	hwm := proctree.SelfHWMKB()
	if !*keep {
		_ = os.Remove(path)
		path = ""
	}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{
		"seconds":  elapsed.Seconds(),
		"files":    res.Files,
		"bytes":    res.Bytes,
		"zipBytes": res.ZipBytes,
		"excluded": res.Excluded,
		"hwmKB":    hwm,
		"zip":      path,
	})
}
