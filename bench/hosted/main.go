// Command hosted is the hosted-mode part of `make bench`: a bounded load run
// (bench/internal/hostedload) of N concurrent clients × M calls against two
// instances of the binary over loopback, reporting throughput, p50/p99 of
// cached and uncached reads, errors and RSS per instance, to stdout and to
// bench/HOSTED.md. It fails when any call failed.
//
//	go run ./bench/hosted -bin bin/cloudbase-mcp [-clients 100 -calls 20]
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/hostedload"
)

func main() {
	var o hostedload.Options
	results := ""
	flag.StringVar(&o.Bin, "bin", "bin/cloudbase-mcp", "the server binary (make build)")
	flag.IntVar(&o.Clients, "clients", 100, "concurrent clients, each with keys of its own")
	flag.IntVar(&o.Calls, "calls", 20, "calls per client")
	flag.IntVar(&o.Instances, "instances", 2, "server instances")
	flag.StringVar(&results, "results", "bench/HOSTED.md", `markdown output; "-" = none`)
	flag.Parse()
	var b strings.Builder
	failed := false
	// The load, then one client alone: latency without contention. Its 200
	// calls in a row would exceed its own limits (20 requests/s, and 20
	// upstream calls/s of one action for its account, which would queue its
	// uncached reads 50 ms apart): both are off for it.
	alone := hostedload.Options{Bin: o.Bin, Clients: 1, Calls: 200, Instances: o.Instances,
		Env: []string{"CLOUDBASE_MCP_HTTP_RATE_LIMIT=0", "CLOUDBASE_MCP_UPSTREAM_RATE_LIMIT=0"}}
	for _, run := range []hostedload.Options{o, alone} {
		fmt.Fprintf(os.Stderr, "hosted load: %d clients × %d calls against %d instances...\n", run.Clients, run.Calls, run.Instances)
		r, err := hostedload.Run(run)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hosted load:", err)
			os.Exit(1)
		}
		report(&b, r)
		b.WriteString("\n")
		if r.Errors > 0 {
			fmt.Fprintf(os.Stderr, "hosted load: %d calls failed, e.g. %q\n", r.Errors, r.FirstErrors)
			failed = true
		}
	}
	fmt.Print(b.String())
	if results != "-" {
		if err := os.WriteFile(results, []byte(markdown(o, b.String())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "hosted load:", err)
			os.Exit(1)
		}
	}
	if failed {
		os.Exit(1)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func report(w io.Writer, r *hostedload.Result) {
	fmt.Fprintf(w, "| metric | value |\n|---|---:|\n")
	fmt.Fprintf(w, "| clients × calls, instances | %d × %d, %d |\n", r.Clients, r.Calls, r.Instances)
	fmt.Fprintf(w, "| calls / errors | %d / %d |\n", r.Total, r.Errors)
	fmt.Fprintf(w, "| wall time | %.2f s |\n", r.Wall.Seconds())
	fmt.Fprintf(w, "| throughput | %.0f calls/s |\n", r.Throughput())
	for _, l := range []struct {
		name string
		l    hostedload.Latency
	}{{"cached read (list)", r.Cached}, {"uncached read (list, refresh)", r.Uncached}, {"first read of a client (miss)", r.First}} {
		fmt.Fprintf(w, "| %s: p50 / p99 / max (n=%d) | %s / %s / %s |\n", l.name, l.l.N, ms(l.l.P50), ms(l.l.P99), ms(l.l.Max))
	}
	for i, m := range r.RSS {
		fmt.Fprintf(w, "| instance %d RSS at the end / peak | %s / %s |\n", i+1, mib(m.Now), mib(m.Peak))
	}
}

func markdown(r hostedload.Options, tables string) string {
	host, _ := os.Hostname()
	return fmt.Sprintf(`# Hosted mode under load

`+"`make bench`"+` (bench/hosted): %d concurrent MCP clients × %d calls against %d instances of the binary in
hosted mode (Streamable HTTP, protocol 2026-07-28, callers' keys in headers: every client is a tenant of
its own), all on loopback with one in-process emulator (speed 60) as the cloud. Clients are split evenly
over the instances. Calls alternate between a cached read (`+"`queryCloudRun list`"+`) and an uncached one
(`+"`list`"+` with `+"`refresh: true`"+`: one signed upstream call); each client's first call is a miss. Times are
per call as the client sees it (HTTP round trip included). The access log is on, as in production. RSS is
read from /proc at the end of the run (VmRSS, and VmHWM for the peak). The run stops by itself and fails
if any call fails. The clients, the emulator and both instances share the machine's cores: under the load
the latencies are mostly queueing for CPU; the second table is one client alone (200 calls, fresh
instances, rate limits off: its 200 calls in a row would exceed its 20 requests/s, and its uncached reads
would queue 50 ms apart under its account's 20 upstream calls/s), the latency of a call without contention.

Machine: %s, %d CPUs (%s/%s), %s. Run at %s.

%s`, r.Clients, r.Calls, r.Instances, host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(),
		time.Now().UTC().Format(time.RFC3339), tables)
}
