package emulator

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
)

// Build simulation from the uploaded zip (spec §9.5). The outcome of a
// package build is decided when the deploy starts, from the package and the
// version's config; the log is rendered then and revealed as time passes.

// Forced failures: EnvParams {"EMULATOR_FAIL":"build"|"deploy"} (or the text
// EMULATOR_FAIL=build|deploy anywhere in EnvParams), or the marker files
// .emulator/fail-build and .emulator/fail-deploy in the zip.
const (
	failBuild  = "build"
	failDeploy = "deploy"
)

// Build durations: a normal or late-failing build takes buildDuration; a
// build that fails before its first step (no Dockerfile, no package.json)
// ends after earlyFailDuration.
const (
	earlyFailDuration = 10 * time.Second
	// readinessWindow is how long failing readiness probes run before the
	// version is deploy_failed (~30 probes every 5 s), after InitialDelaySeconds.
	readinessWindow = 150 * time.Second
)

// buildPlan is what a package build does.
type buildPlan struct {
	pkg        *codePackage
	buildpacks bool
	lang       string   // buildpacks: "Node.js 20.18"
	dockerfile string   // path in the zip
	steps      []string // Dockerfile instructions, as written
	deps       []string // package.json dependencies, "name@range", sorted
	outcome    string   // normal | build_failed | deploy_failed
	failReason string
	failStep   int // build_failed: failing step index; -1 = before any step
	buildDur   time.Duration
}

// zipEntries maps normalized entry names to their files.
func zipEntries(data []byte) map[string]*zip.File {
	out := map[string]*zip.File{}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil { // validated on upload
		return out
	}
	for _, f := range zr.File {
		out[cleanZipPath(f.Name)] = f
	}
	return out
}

// cleanZipPath normalizes "./a\\b" and "/a/b" to "a/b".
func cleanZipPath(p string) string {
	p = path.Clean("/" + strings.ReplaceAll(p, `\`, "/"))
	return strings.TrimPrefix(p, "/")
}

func readZipFile(f *zip.File) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 1<<20))
	return string(b), err
}

// emulatorFail is the failure EnvParams or marker files force, or "".
func emulatorFail(envParams string, entries map[string]*zip.File) string {
	var m map[string]any
	if json.Unmarshal([]byte(envParams), &m) == nil {
		if v, ok := m["EMULATOR_FAIL"].(string); ok && (v == failBuild || v == failDeploy) {
			return v
		}
	}
	for _, mode := range []string{failBuild, failDeploy} {
		if strings.Contains(envParams, "EMULATOR_FAIL="+mode) {
			return mode
		}
		if entries[".emulator/fail-"+mode] != nil {
			return mode
		}
	}
	return ""
}

// dockerInstructions splits a Dockerfile into instructions: comments and
// blank lines dropped, continuation lines joined with a space.
func dockerInstructions(src string) []string {
	var out []string
	var cur []string
	for line := range strings.SplitSeq(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if rest, ok := strings.CutSuffix(t, `\`); ok {
			cur = append(cur, strings.TrimSpace(rest))
			continue
		}
		out = append(out, strings.Join(append(cur, t), " "))
		cur = nil
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}

// packageDeps are package.json's dependencies as "name@range", sorted.
func packageDeps(src string) ([]string, error) {
	var pj struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal([]byte(src), &pj); err != nil {
		return nil, err
	}
	deps := []string{}
	for _, k := range slices.Sorted(maps.Keys(pj.Dependencies)) {
		deps = append(deps, k+"@"+pj.Dependencies[k])
	}
	return deps, nil
}

// runCommand is the shell text docker reports for a RUN instruction.
func runCommand(instr string) string {
	_, args, _ := strings.Cut(instr, " ")
	args = strings.TrimSpace(args)
	var exec []string
	if strings.HasPrefix(args, "[") && json.Unmarshal([]byte(args), &exec) == nil {
		return strings.Join(exec, " ")
	}
	return "/bin/sh -c " + args
}

func keyword(instr string) string {
	k, _, _ := strings.Cut(instr, " ")
	return strings.ToUpper(k)
}

// planBuild inspects the package. Function services (or DeployInfo.BuildPacks,
// or HasDockerfile false) build with buildpacks and need package.json;
// others need <BuildDir>/<Dockerfile>.
func planBuild(serverType string, cfg tcbr.ServerBaseConfig, bp *tcbr.BuildPacksInfo, pkg *codePackage) *buildPlan {
	entries := zipEntries(pkg.data)
	p := &buildPlan{pkg: pkg, outcome: "normal", failStep: -1, buildDur: defaultDeploySpec("package").BuildDuration,
		buildpacks: bp != nil || serverType == typeFunction || !cfg.HasDockerfile}
	dir := cleanZipPath(cfg.BuildDir)
	forced := emulatorFail(cfg.EnvParams, entries)
	if !p.readPackageJSON(entries, dir) {
		return p
	}
	if p.buildpacks {
		p.lang = buildpacksLanguage(bp)
	} else if !p.readDockerfile(entries, dir, cfg.Dockerfile) {
		return p
	}
	switch forced {
	case failBuild:
		p.failForced()
	case failDeploy:
		p.outcome = "deploy_failed"
	}
	return p
}

// fail marks the build failed at step (-1: before any step, which ends the
// build early). It returns false, for the readers' "go on" result.
func (p *buildPlan) fail(reason string, step int) bool {
	p.outcome, p.failReason, p.failStep = "build_failed", reason, step
	if step < 0 {
		p.buildDur = earlyFailDuration
	}
	return false
}

// readPackageJSON takes the dependencies from <dir>/package.json. Only a
// buildpacks build needs it: a Dockerfile build goes on without it, or with
// one that does not parse. It reports whether the build goes on.
func (p *buildPlan) readPackageJSON(entries map[string]*zip.File, dir string) bool {
	pj := entries[path.Join(dir, "package.json")]
	if pj == nil {
		if p.buildpacks {
			return p.fail("package.json not found", -1)
		}
		return true
	}
	src, err := readZipFile(pj)
	deps, perr := packageDeps(src)
	switch {
	case err == nil && perr == nil:
		p.deps = deps
	case p.buildpacks:
		return p.fail("package.json is not valid JSON: "+fmt.Sprint(cmpErr(err, perr)), -1)
	}
	return true
}

// buildpacksLanguage is the language buildpacks detect, "Node.js 20.18"
// unless DeployInfo.BuildPacks names one.
func buildpacksLanguage(bp *tcbr.BuildPacksInfo) string {
	lang, ver := "Node.js", "20.18"
	if bp != nil && bp.RepoLanguage != "" {
		lang = bp.RepoLanguage
	}
	if bp != nil && bp.LanguageVersion != "" {
		ver = bp.LanguageVersion
	}
	return lang + " " + ver
}

// readDockerfile takes the steps from <dir>/<name> (name "" = Dockerfile),
// failing the build the way docker does when it is missing, empty or does
// not start with FROM (or ARG). It reports whether the build goes on.
func (p *buildPlan) readDockerfile(entries map[string]*zip.File, dir, name string) bool {
	if name == "" {
		name = "Dockerfile"
	}
	p.dockerfile = path.Join(dir, cleanZipPath(name))
	f := entries[p.dockerfile]
	if f == nil {
		return p.fail("Dockerfile not found", -1)
	}
	src, err := readZipFile(f)
	if err != nil {
		return p.fail("Dockerfile could not be read: "+err.Error(), -1)
	}
	if p.steps = dockerInstructions(src); len(p.steps) == 0 {
		return p.fail("the Dockerfile ("+p.dockerfile+") cannot be empty", -1)
	}
	if k := keyword(p.steps[0]); k != "FROM" && k != "ARG" {
		return p.fail("Please provide a source image with `from` prior to commit", 0)
	}
	return true
}

// failForced fails a build that EMULATOR_FAIL=build asks to fail: buildpacks
// at npm install, a Dockerfile at its first RUN (else its last step), after
// the share of the build time the steps before it take.
func (p *buildPlan) failForced() {
	if p.buildpacks {
		p.fail("The command 'npm install --production' returned a non-zero code: 1", 0)
		return
	}
	step := len(p.steps) - 1
	for i, s := range p.steps {
		if keyword(s) == "RUN" {
			step = i
			break
		}
	}
	reason := fmt.Sprintf("emulator: forced build failure at step %d/%d (EMULATOR_FAIL=build)", step+1, len(p.steps))
	if keyword(p.steps[step]) == "RUN" {
		reason = "The command '" + runCommand(p.steps[step]) + "' returned a non-zero code: 1"
	}
	p.fail(reason, step)
	p.buildDur = earlyFailDuration + (p.buildDur-earlyFailDuration)*time.Duration(step+1)/time.Duration(len(p.steps))
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func isNpmInstall(instr string) bool {
	return keyword(instr) == "RUN" && (strings.Contains(instr, "npm install") || strings.Contains(instr, "npm ci") ||
		strings.Contains(instr, "npm i ") || strings.Contains(instr, "yarn"))
}

// renderBuildLog is the whole build log of a planned build.
func (st *state) renderBuildLog(s *service, v *version, p *buildPlan) []string {
	b := &buildLogWriter{ids: st.ids, v: v, p: p, lines: []string{
		fmt.Sprintf("[build] BuildId %d: building %s version %s", v.BuildID, s.Name, v.Name),
		fmt.Sprintf("[build] fetching code package %s/%s (%d bytes, %d files) ... done",
			p.pkg.Name, p.pkg.Version, len(p.pkg.data), len(p.pkg.files)),
	}}
	if p.buildpacks {
		return b.buildpacks()
	}
	return b.docker()
}

// buildLogWriter renders one build's log. Its random ids and timings are drawn
// from the state's generator in the order the lines are written, so a seed
// gives the same log.
type buildLogWriter struct {
	ids   *idGen
	v     *version
	p     *buildPlan
	lines []string
}

func (b *buildLogWriter) add(lines ...string) { b.lines = append(b.lines, lines...) }

// failed ends the log of a failed build.
func (b *buildLogWriter) failed(extra ...string) []string {
	b.add(extra...)
	b.add("[build] build failed")
	return b.lines
}

func (b *buildLogWriter) seconds() string { return fmt.Sprintf("%ds", 1+b.ids.r.IntN(6)) }

// installed is npm's summary line after installing the plan's dependencies.
func (b *buildLogWriter) installed(prefix string) string {
	return prefix + fmt.Sprintf("added %d packages in %s", len(b.p.deps)*(7+b.ids.r.IntN(30))+1, b.seconds())
}

// tail ends the log of a build that succeeded: tag, push, duration.
func (b *buildLogWriter) tail() []string {
	v := b.v
	repo, _, _ := strings.Cut(v.ImageURL, ":")
	b.add("Successfully tagged "+v.ImageURL,
		"The push refers to repository ["+repo+"]",
		"push "+v.ImageURL+" done",
		fmt.Sprintf("[build] build finished in %ds", int(v.BuildEnd.Sub(v.Created).Seconds())))
	return b.lines
}

// buildpacks is the log of a build without a Dockerfile.
func (b *buildLogWriter) buildpacks() []string {
	p, v := b.p, b.v
	b.add("[build] no Dockerfile, using buildpacks: "+p.lang, "===> DETECTING")
	if p.outcome == "build_failed" && p.failStep < 0 {
		return b.failed("[detector] ERROR: No buildpack groups passed detection: "+p.failReason,
			"ERROR: failed to build: "+p.failReason)
	}
	b.add("[detector] tencentcloud/nodejs ("+p.lang+", package.json found)",
		"===> BUILDING", "[builder] Installing "+p.lang, "[builder] Running npm install --production")
	for _, d := range p.deps {
		b.add("[builder] + " + d)
	}
	if p.outcome == "build_failed" {
		return b.failed("[builder] npm ERR! code ELIFECYCLE", "[builder] npm ERR! errno 1",
			"[builder] ERROR: "+p.failReason)
	}
	b.add(b.installed("[builder] "),
		"===> EXPORTING", "[exporter] Adding layer 'tencentcloud/nodejs:node_modules'",
		"[exporter] Saving "+v.ImageURL+"...", "[exporter] *** Images ("+b.ids.hex(12)+"):",
		"[exporter]       "+v.ImageURL)
	return b.tail()
}

// docker is the log of a Dockerfile build, step by step.
func (b *buildLogWriter) docker() []string {
	p := b.p
	if p.outcome == "build_failed" && p.failStep < 0 {
		return b.failed(
			"unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat /workspace/"+
				p.dockerfile+": no such file or directory",
			"ERROR: "+p.failReason+" ("+p.dockerfile+")")
	}
	b.add(fmt.Sprintf("Sending build context to Docker daemon  %.2fkB", float64(len(p.pkg.data))/1024))
	for i, step := range p.steps {
		b.add(fmt.Sprintf("Step %d/%d : %s", i+1, len(p.steps), step))
		if b.dockerStep(i, step) {
			return b.lines
		}
	}
	b.add("Successfully built " + b.ids.hex(12))
	return b.tail()
}

// dockerStep writes what docker prints for step i; it reports whether the
// build failed there (the log is then complete).
func (b *buildLogWriter) dockerStep(i int, step string) bool {
	p, v := b.p, b.v
	failing := p.outcome == "build_failed" && i == p.failStep
	switch k := keyword(step); {
	case i == 0 || k == "COPY" || k == "ADD":
		// A cached layer: no container runs.
		if failing {
			b.failed("ERROR: " + p.failReason)
			return true
		}
		b.add(" ---> " + b.ids.hex(12))
		return false
	case isNpmInstall(step):
		b.add(" ---> Running in " + b.ids.hex(12))
		for _, d := range p.deps {
			b.add("+ " + d)
		}
		if failing {
			b.failed("npm ERR! code ELIFECYCLE", "npm ERR! errno 1", p.failReason,
				"ERROR: failed to build image "+v.ImageURL)
			return true
		}
		b.add(b.installed(""), "found 0 vulnerabilities")
	default:
		b.add(" ---> Running in " + b.ids.hex(12))
		if failing {
			b.failed(p.failReason, "ERROR: failed to build image "+v.ImageURL)
			return true
		}
	}
	b.add("Removing intermediate container "+b.ids.hex(12), " ---> "+b.ids.hex(12))
	return false
}
