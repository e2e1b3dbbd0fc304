//go:build linux

// Command compare is `make bench`: one run, on one machine, of our binary
// against the reference TypeScript server @cloudbase/cloudbase-mcp (installed
// with npm into a temp dir) and the reference's packer from
// @cloudbase/manager-node. It prints one table (metric | cloudbase-mcp |
// reference | ratio) plus the read-latency lines of our server, and writes the
// same, with the machine and the method, to bench/RESULTS.md.
//
//	go run ./bench/compare -bin bin/cloudbase-mcp          # full: ~50,000 files / ~300 MB, 5 runs
//	go run ./bench/compare -bin bin/cloudbase-mcp -quick   # 5,000 files / ~30 MB, 3 runs
//	go run ./bench/compare -bin bin/cloudbase-mcp -startup-only -n 20   # the startup part only, printed
//
// Sections:
//   - startup: both servers over stdio, no credentials, cloudrun plugin only,
//     median of -n interleaved runs (bench/internal/startup), beside the floor:
//     bench/floor, the least a Go program does to answer the same session;
//   - packaging: a generated project (bench/internal/tree), the disk read speed
//     of that tree, our internal/pack (bench/packzip, its own process) and
//     manager-node's codeToZip / compressToZip (refzip.cjs, its own process),
//     cold page cache when it can be dropped, then warm;
//   - read latency (ours only): queryCloudRun list through the MCP server
//     against the emulator on loopback.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/startup"
	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/tree"
)

type options struct {
	bin            string
	n              int
	quick          bool
	files          int
	seed           uint64
	packRuns       int
	refVersion     string
	managerVersion string
	refDir         string
	results        string
	cold           bool
	compress       bool
	latencyN       int
	goCmd          string
	cleanTree      bool
	deploy         bool
	startupOnly    bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "bin/cloudbase-mcp", "our server binary (build it first: make build)")
	flag.IntVar(&o.n, "n", 0, "startup runs per server, median reported (default 5; 3 with -quick)")
	flag.BoolVar(&o.quick, "quick", false, "small run: 5,000 files / ~30 MB, 3 startup runs, 1 warm pack run")
	flag.IntVar(&o.files, "files", 0, "files in the generated project (default 50,000; 5,000 with -quick)")
	flag.Uint64Var(&o.seed, "seed", 1, "seed of the generated project")
	flag.IntVar(&o.packRuns, "pack-runs", 0, "warm-cache packaging runs per packer, median reported (default 3; 1 with -quick)")
	flag.StringVar(&o.refVersion, "ref-version", "2.34.6", "@cloudbase/cloudbase-mcp version (npm)")
	flag.StringVar(&o.managerVersion, "manager-version", "5.6.5", "@cloudbase/manager-node version (npm); see RESULTS.md for why")
	flag.StringVar(&o.refDir, "ref-dir", filepath.Join(os.TempDir(), "cloudbase-mcp-bench-ref"), "npm install dir of the reference (reused when the versions match)")
	flag.StringVar(&o.results, "results", "", "markdown output (default bench/RESULTS.md; none with -quick); \"-\" = none")
	flag.BoolVar(&o.cold, "cold", true, "drop the page cache before cold measurements when allowed (root)")
	flag.BoolVar(&o.compress, "compress", true, "also run manager-node's compressToZip (functions path, glob ignores)")
	flag.IntVar(&o.latencyN, "latency-n", 0, "cache-hit calls (default 2000; misses and concurrent batches are derived)")
	flag.StringVar(&o.goCmd, "go", "go", "go command used to build bench/packzip and bench/floor")
	flag.BoolVar(&o.cleanTree, "clean-tree", false, "delete the generated project afterwards (default: keep it cached under the temp dir)")
	flag.BoolVar(&o.deploy, "deploy", true, "also deploy the project with our binary to the emulator on loopback (the deploy budget)")
	flag.BoolVar(&o.startupOnly, "startup-only", false, "measure startup only and print it (writes no results file)")
	flag.Parse()
	if o.n == 0 {
		o.n = pick(o.quick, 3, 5)
	}
	if o.packRuns == 0 {
		o.packRuns = pick(o.quick, 1, 3)
	}
	if o.files == 0 {
		o.files = pick(o.quick, tree.Quick.Files, tree.Full.Files)
	}
	if o.latencyN == 0 {
		o.latencyN = pick(o.quick, 500, 2000)
	}
	if o.results == "" && !o.quick && !o.startupOnly {
		o.results = filepath.Join("bench", "RESULTS.md")
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func pick(quick bool, q, full int) int {
	if quick {
		return q
	}
	return full
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%s] %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func run(o options) error {
	began := time.Now()
	bin, err := filepath.Abs(o.bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: %w (run make build)", o.bin, err)
	}
	work, err := os.MkdirTemp("", "cloudbase-mcp-bench-work-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	rep := &report{opts: o, machine: probeMachine(), started: began, loadStart: loadAvg()}

	// Reference install.
	logf("reference: npm install @cloudbase/cloudbase-mcp@%s @cloudbase/manager-node@%s into %s", o.refVersion, o.managerVersion, o.refDir)
	ref, err := ensureRef(o.refDir, o.refVersion, o.managerVersion)
	if err != nil {
		return err
	}
	rep.ref = ref
	rep.refFacts = checkRef(ref)

	// Startup.
	logf("startup: %d interleaved runs per server and of the floor (+1 warm-up each)", o.n)
	if err := measureStartup(rep, o, bin, ref, work); err != nil {
		return err
	}
	if o.startupOnly {
		rep.took, rep.loadEnd = time.Since(began), loadAvg()
		fmt.Print(rep.startupText())
		return nil
	}

	// Packaging.
	if err := measurePackaging(rep, o, ref, work); err != nil {
		return err
	}

	// Deploy budget.
	if o.deploy && rep.treeDir != "" {
		measureDeploys(rep, o, bin, work)
	}

	// Read latency.
	logf("read latency: %d cache hits, %d misses, %d batches of %d concurrent misses", o.latencyN, o.latencyN/4, o.latencyN/40, concurrentN)
	lat, err := measureLatency(o.latencyN, o.latencyN/4, max(5, o.latencyN/40))
	if err != nil {
		return fmt.Errorf("read latency: %w", err)
	}
	rep.latency = lat

	rep.took, rep.loadEnd = time.Since(began), loadAvg()
	fmt.Print(rep.text())
	if o.results != "-" && o.results != "" {
		if err := os.WriteFile(o.results, []byte(rep.markdown()), 0o644); err != nil {
			return err
		}
		logf("wrote %s", o.results)
	}
	return nil
}

// startupResult holds one server's startup summary (nil when not measured).
type startupResult struct {
	startup.Summary
	All []startup.Run
}

func measureStartup(rep *report, o options, bin string, ref *refInstall, work string) error {
	floor := filepath.Join(work, "floor")
	build := exec.Command(o.goCmd, "build", "-trimpath", "-ldflags", "-s -w", "-o", floor, "./bench/floor") // as make build
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building bench/floor: %w\n%s", err, out)
	}
	home := filepath.Join(work, "home") // empty: neither server finds credentials or config
	cwd := filepath.Join(work, "cwd")
	for _, d := range []string{home, cwd} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	base := startup.CleanEnv(os.Environ())
	base = slices.DeleteFunc(base, func(kv string) bool {
		return strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_CONFIG_HOME=")
	})
	base = append(base, "HOME="+home)
	specs := []struct {
		name string
		spec startup.Spec
		out  **startupResult
	}{
		{"ours (no credentials)", startup.Spec{Argv: []string{bin}, Dir: cwd,
			Env: append(slices.Clone(base), "CLOUDBASE_MCP_PLUGINS_ENABLED=cloudrun", "CLOUDBASE_MCP_LOG_LEVEL=error")}, &rep.ours},
		{"ours (sandbox)", startup.Spec{Argv: []string{bin}, Dir: cwd,
			Env: append(slices.Clone(base), "CLOUDBASE_MCP_PLUGINS_ENABLED=cloudrun", "CLOUDBASE_MCP_LOG_LEVEL=error", "CLOUDBASE_MCP_SANDBOX=true")}, &rep.oursSandbox},
		{"reference", startup.Spec{Argv: []string{"node", ref.CLI}, Dir: cwd,
			Env: append(slices.Clone(base), "CLOUDBASE_MCP_PLUGINS_ENABLED=cloudrun", "CLOUDBASE_MCP_TELEMETRY_DISABLED=true")}, &rep.refStart},
		{"floor", startup.Spec{Argv: []string{floor}, Dir: cwd, Env: slices.Clone(base)}, &rep.floor},
	}
	runs := make([][]startup.Run, len(specs))
	for _, s := range specs { // warm-up (page cache, first-run files in HOME)
		if _, err := startup.Once(s.spec); err != nil {
			return fmt.Errorf("startup %s, warm-up: %w", s.name, err)
		}
	}
	for k := range o.n { // interleaved, so machine noise hits all servers alike
		for i, s := range specs {
			r, err := startup.Once(s.spec)
			if err != nil {
				return fmt.Errorf("startup %s, run %d: %w", s.name, k+1, err)
			}
			runs[i] = append(runs[i], r)
		}
	}
	for i, s := range specs {
		*s.out = &startupResult{Summary: startup.Summarize(runs[i]), All: runs[i]}
	}
	return nil
}

type packResult struct {
	cold *packRun  // nil when the cache could not be dropped
	warm []packRun // sorted by Seconds
	err  error     // why it could not be measured
}

func (p *packResult) median() *packRun {
	if len(p.warm) == 0 {
		return nil
	}
	return &p.warm[len(p.warm)/2]
}

func (p *packResult) peakKB() int64 {
	var m int64
	for _, r := range p.all() {
		m = max(m, r.PeakKB)
	}
	return m
}

func (p *packResult) all() []packRun {
	out := slices.Clone(p.warm)
	if p.cold != nil {
		out = append(out, *p.cold)
	}
	return out
}

type diskRead struct {
	files, bytes int64
	cold, warm   time.Duration // cold 0 = not measured
}

func measurePackaging(rep *report, o options, ref *refInstall, work string) error {
	spec := tree.Spec{Files: o.files, Scale: 1, Seed: o.seed}
	logf("packaging: project of %d files (seed %d) in %s", spec.Files, spec.Seed, tree.Dir(spec))
	t := time.Now()
	dir, st, generated, err := tree.Ensure(spec)
	if err != nil {
		return fmt.Errorf("generating the project: %w", err)
	}
	rep.tree, rep.treeDir, rep.treeGenerated, rep.treeGen = st, dir, generated, time.Since(t)
	removeDeployFiles(dir) // left by an interrupted deploy budget
	if o.cleanTree {
		defer func() { _ = tree.Remove(spec) }()
	}

	packzip := filepath.Join(work, "packzip")
	build := exec.Command(o.goCmd, "build", "-trimpath", "-o", packzip, "./bench/packzip")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building bench/packzip: %w\n%s", err, out)
	}

	b := &packBench{rep: rep, o: o}
	// Disk read: the limit.
	if err := b.readDisk(dir); err != nil {
		return err
	}
	rep.packOurs = b.measure("our packer", true, o.packRuns, func() (packRun, error) { return runOurs(packzip, dir, work) })
	rep.packRef = b.measure("reference codeToZip", true, o.packRuns, func() (packRun, error) {
		return runRef(ref, "codeToZip", dir, work, nil)
	})
	if err := measureBaseline(rep, ref, packzip, work); err != nil {
		return err
	}
	if o.compress {
		rep.packRefGlob = b.measure("reference compressToZip", false, 1, func() (packRun, error) {
			return runRef(ref, "compressToZip", dir, work, tree.Globs)
		})
	}
	return nil
}

// packBench runs the packaging measurements, cold when the page cache can be
// dropped.
type packBench struct {
	rep *report
	o   options
}

// cold drops the page cache before the measurement what, if asked to and
// allowed; the first refusal is reported once and every later number is warm.
func (b *packBench) cold(what string) bool {
	if !b.o.cold {
		return false
	}
	if err := dropCaches(); err != nil {
		if b.rep.dropErr == nil {
			b.rep.dropErr = err
			logf("cannot drop the page cache (%v): every number is warm-cache", err)
		}
		return false
	}
	logf("%s (page cache dropped)", what)
	return true
}

// readDisk times reading every file of dir, cold (when it can be) and warm.
func (b *packBench) readDisk(dir string) error {
	disk := &diskRead{}
	b.rep.disk = disk
	var err error
	if b.cold("disk read, cold") {
		t := time.Now()
		if disk.files, disk.bytes, err = tree.ReadAll(dir); err != nil {
			return err
		}
		disk.cold = time.Since(t)
	} else {
		_, _, _ = tree.ReadAll(dir) // warm it
	}
	logf("disk read, warm")
	t := time.Now()
	if disk.files, disk.bytes, err = tree.ReadAll(dir); err != nil {
		return err
	}
	disk.warm = time.Since(t)
	return nil
}

// measure runs the packer f once cold (if coldToo and the cache can be
// dropped), then runs times warm; the first failure ends it.
func (b *packBench) measure(name string, coldToo bool, runs int, f func() (packRun, error)) *packResult {
	p := &packResult{}
	if coldToo && b.cold(name+", cold") {
		r, err := f()
		if err != nil {
			p.err = err
			logf("%s failed: %v", name, err)
			return p
		}
		p.cold = &r
	} // else the cache is warm: the warm disk read and every cold run left the tree in it
	for i := range runs {
		logf("%s, warm %d/%d", name, i+1, runs)
		r, err := f()
		if err != nil {
			p.err = err
			logf("%s failed: %v", name, err)
			return p
		}
		p.warm = append(p.warm, r)
	}
	slices.SortFunc(p.warm, func(a, b packRun) int {
		return int((a.Seconds - b.Seconds) * 1e9)
	})
	return p
}

// measureBaseline is the runtime baseline: each packer on a one-file project.
func measureBaseline(rep *report, ref *refInstall, packzip, work string) error {
	tiny := filepath.Join(work, "tiny")
	if err := os.MkdirAll(tiny, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tiny, "index.js"), []byte("console.log('hello')\n"), 0o644); err != nil {
		return err
	}
	logf("packers on a one-file project (runtime baseline)")
	if r, err := runOurs(packzip, tiny, work); err == nil {
		rep.baseOurs = &r
	}
	if r, err := runRef(ref, "codeToZip", tiny, work, nil); err == nil {
		rep.baseRef = &r
	}
	return nil
}

// measureDeploys runs the deploy budget: cold (when the page cache can be dropped), then warm.
func measureDeploys(rep *report, o options, bin, work string) {
	for _, cold := range []bool{true, false} {
		if cold && (!o.cold || rep.dropErr != nil || rep.disk == nil || rep.disk.cold == 0) {
			continue
		}
		logf("deploy budget: manageCloudRun deploy of the project to the emulator on loopback (%s)", map[bool]string{true: "page cache dropped", false: "warm"}[cold])
		r, err := measureDeploy(bin, rep.treeDir, work, cold)
		if err != nil {
			logf("deploy budget failed: %v", err)
			rep.deployErr = err
			return
		}
		if cold {
			rep.deployCold = r
		} else {
			rep.deployWarm = r
		}
	}
}

// machine describes where the bench ran.
type machine struct {
	CPU, Kernel, Memory, GoVersion, NodeVersion, NPMVersion, OS string
	Cores                                                       int
}

func probeMachine() machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		NodeVersion: commandOutput("node", "--version"), NPMVersion: commandOutput("npm", "--version"),
		Kernel: commandOutput("uname", "-sr"), CPU: "unknown", Memory: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				var kb int64
				_, _ = fmt.Sscan(f[1], &kb)
				m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	// npm prints a warning about unknown user config on stderr; Output() keeps stdout only.
	return m
}
