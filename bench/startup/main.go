//go:build linux

// Command startup measures an MCP stdio server from process start: time to
// the initialize response, time to the tools/list response, the tools/list
// result size and the peak RSS of the process tree over a short session
// (initialize, tools/list, stdin closed), as medians over -n runs.
//
// Our binary (no credentials unless -sandbox):
//
//	go run ./bench/startup -bin bin/cloudbase-mcp -n 5
//
// Any command line (e.g. the reference server), with extra environment:
//
//	go run ./bench/startup -n 5 -env CLOUDBASE_MCP_PLUGINS_ENABLED=cloudrun -- node path/to/cli.cjs
//
// The environment given to the server is the current one minus credentials
// and CloudBase settings (TENCENTCLOUD_*, CLOUDBASE_*, TCB_*), with HOME set
// to an empty temp dir, plus -env.
// `make bench` (bench/compare) runs both servers side by side.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/proctree"
	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/startup"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	bin := flag.String("bin", "bin/cloudbase-mcp", "server binary (used when no command follows the flags)")
	n := flag.Int("n", 5, "measured runs")
	warmup := flag.Int("warmup", 1, "discarded runs first")
	sandbox := flag.Bool("sandbox", false, "set CLOUDBASE_MCP_SANDBOX=true (our binary's in-process emulator)")
	var env multi
	flag.Var(&env, "env", "extra KEY=VALUE for the server (repeatable)")
	flag.Parse()

	argv := flag.Args()
	if len(argv) == 0 {
		argv = []string{*bin}
		env = append(env, "CLOUDBASE_MCP_LOG_LEVEL=error")
	}
	if *sandbox {
		env = append(env, "CLOUDBASE_MCP_SANDBOX=true")
	}
	home, err := os.MkdirTemp("", "cloudbase-mcp-bench-home-") // no credential or config files either
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(home)
	base := slices.DeleteFunc(startup.CleanEnv(os.Environ()), func(kv string) bool {
		return strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_CONFIG_HOME=")
	})
	spec := startup.Spec{Argv: argv, Env: append(append(base, "HOME="+home), env...)}
	s, _, err := startup.Measure(spec, *n, *warmup)
	if err != nil {
		fmt.Fprintln(os.Stderr, "startup:", err)
		_ = os.RemoveAll(home)
		os.Exit(1)
	}
	fmt.Printf("command: %s\n", strings.Join(argv, " "))
	fmt.Printf("runs: %d (medians, after %d warm-up)\n", s.Runs, *warmup)
	fmt.Printf("start → initialize response: %.1f ms\n", ms(s.Initialize.Microseconds()))
	fmt.Printf("start → tools/list response: %.1f ms\n", ms(s.ToolsList.Microseconds()))
	fmt.Printf("tools/list result size:      %d bytes, %d o200k tokens (%d tools: %s)\n", s.ListBytes, s.ListTokens, len(s.Tools), strings.Join(s.Tools, ", "))
	fmt.Printf("peak RSS (process tree):     %.1f MiB (sum of VmHWM over %d process(es), sampled every %s; sampled VmRSS sum %.1f MiB)\n",
		float64(s.PeakKB)/1024, s.MaxProcs, proctree.Interval, float64(s.TreeKB)/1024)
}

func ms(us int64) float64 { return float64(us) / 1000 }
