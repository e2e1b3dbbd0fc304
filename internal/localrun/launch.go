package localrun

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A project runs one of two ways. A function project (it depends on the
// functions framework) runs under the framework, as CloudRun runs it. Any
// other project is a container service: with Docker when an engine is
// reachable and the project has a Dockerfile, else with the start command it
// declares (a package.json start script or main, app.py, go.mod, a single
// Java source file), the way each template's README runs it.

// ErrCannotRun: neither Docker nor a start command can run the project.
var ErrCannotRun = fmt.Errorf("%w: no way to run this project locally", ErrNotAFunctionProject)

// launch is how a project is started.
type launch struct {
	how     string     // for the log and errors: "functions framework", "npm start", "docker"
	build   [][]string // run first, in the project directory (docker build)
	argv    []string   // the command
	install bool       // npm install first when node_modules is missing
	after   []string   // run once the process has ended (docker rm -f)
	docker  bool       // the env goes in as -e flags, not to the docker CLI
}

// tool resolves a program: the option's override, else PATH.
func (o Options) tool(name string) (string, error) {
	switch {
	case name == "node" && o.NodePath != "":
		name = o.NodePath
	case name == "npm" && o.NpmPath != "":
		name = o.NpmPath
	case o.Tools[name] != "":
		name = o.Tools[name]
	}
	return exec.LookPath(name)
}

// plan decides how to start the project.
func (m *Manager) plan(ctx context.Context, o Options, p project) (launch, error) {
	if p.function() {
		node, err := findNode(ctx, o.NodePath)
		if err != nil {
			return launch{}, err
		}
		return launch{how: "functions framework", argv: []string{node, tcbffPath(o.Dir), "--source", o.Dir}, install: true}, nil
	}
	if p.dockerfile {
		if docker, ok := dockerReachable(ctx, o); ok {
			return dockerLaunch(docker, o, p), nil
		}
	}
	return nativeLaunch(ctx, o, p)
}

// dockerReachable reports whether a Docker engine answers, within seconds.
func dockerReachable(ctx context.Context, o Options) (string, bool) {
	docker, err := o.tool("docker")
	if err != nil {
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, docker, "info", "--format", "{{.ServerVersion}}")
	cmd.Env = ScrubbedEnviron()
	return docker, cmd.Run() == nil
}

// dockerLaunch builds the project's image and runs it with the port
// published on loopback; the container is removed when the run ends.
func dockerLaunch(docker string, o Options, p project) launch {
	image := "cloudbase-mcp-local/" + strings.ToLower(o.ServerName)
	name := "cloudbase-mcp-" + strings.ToLower(o.ServerName)
	port := strconv.Itoa(o.Port)
	argv := []string{docker, "run", "--rm", "--name", name, "-p", "127.0.0.1:" + port + ":" + port, "-e", "PORT=" + port}
	for _, k := range envKeys(o.Env) {
		if k != "PORT" {
			argv = append(argv, "-e", k+"="+o.Env[k])
		}
	}
	return launch{how: "docker", docker: true,
		build: [][]string{{docker, "build", "-t", image, o.Dir}},
		argv:  append(argv, image),
		after: []string{docker, "rm", "-f", name}}
}

// nativeLaunch is the start command the project declares.
func nativeLaunch(ctx context.Context, o Options, p project) (launch, error) {
	if p.hasPackageJSON {
		if l, ok := nodeLaunch(ctx, o, p); ok {
			return l, nil
		}
	}
	for _, c := range []struct {
		file, tool string
		argv       func(tool string) []string
	}{
		{"app.py", "python3", func(t string) []string { return []string{t, "app.py"} }},
		{"main.py", "python3", func(t string) []string { return []string{t, "main.py"} }},
		{"server.py", "python3", func(t string) []string { return []string{t, "server.py"} }},
		{"go.mod", "go", func(t string) []string { return []string{t, "run", "."} }},
	} {
		if !p.entries[c.file] {
			continue
		}
		path, err := o.tool(c.tool)
		if err != nil {
			return launch{}, fmt.Errorf("%w: %s needs %s, which is not on PATH (%v); install it, or run the project with Docker", ErrCannotRun, c.file, c.tool, err)
		}
		return launch{how: strings.Join(c.argv(c.tool), " "), argv: c.argv(path)}, nil
	}
	if java := javaSources(p); len(java) == 1 {
		path, err := o.tool("java")
		if err != nil {
			return launch{}, fmt.Errorf("%w: %s needs java (JDK 11 or later), which is not on PATH (%v)", ErrCannotRun, java[0], err)
		}
		return launch{how: "java " + java[0], argv: []string{path, java[0]}}, nil
	}
	return launch{}, cannotRun(o, p)
}

// nodeLaunch: the start script, else main, else a usual entry file.
func nodeLaunch(ctx context.Context, o Options, p project) (launch, bool) {
	if p.scripts["start"] != "" {
		if npm, err := findNpm(o.NpmPath); err == nil {
			return launch{how: "npm start", argv: []string{npm, "start"}, install: len(p.deps) > 0}, true
		}
	}
	for _, file := range []string{p.main, "index.js", "server.js", "app.js"} {
		if file == "" || !p.entries[filepath.Clean(file)] {
			continue
		}
		node, err := findNode(ctx, o.NodePath)
		if err != nil {
			return launch{}, false
		}
		return launch{how: "node " + file, argv: []string{node, file}, install: len(p.deps) > 0}, true
	}
	return launch{}, false
}

func javaSources(p project) []string {
	var out []string
	for name, regular := range p.entries {
		if regular && strings.HasSuffix(name, ".java") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// cannotRun says why nothing can run the project, and what would.
func cannotRun(o Options, p project) error {
	if !p.hasPackageJSON && !p.dockerfile {
		return fmt.Errorf("%w: %s has no package.json. run starts Node.js function-mode services (a package.json that depends on %s and an index.js that exports main) and container projects (a Dockerfile, or a start command: a package.json start script, app.py, go.mod, a single .java file). Create one with manageCloudRun init, or point targetPath at the project directory",
			ErrCannotRun, o.Dir, frameworkPkg)
	}
	var what []string
	if p.dockerfile {
		what = append(what, "start a Docker engine (docker info fails), so that its Dockerfile can be built and run")
	}
	if p.hasPackageJSON {
		what = append(what, `add a "start" script to package.json for a server that listens on PORT`,
			fmt.Sprintf("or, for a function, depend on %s (`npm install %s@^1` in %s) and export main from index.js", frameworkPkg, frameworkPkg, o.Dir))
	} else {
		what = append(what, "or add a start command: app.py, go.mod, a single .java file, or a package.json start script")
	}
	return fmt.Errorf("%w: %s has no start command this server knows. To run it: %s", ErrCannotRun, o.Dir, strings.Join(what, "; "))
}

// stepTimeout bounds one build step (a docker build).
const stepTimeout = 10 * time.Minute

// runStep runs a build step in dir, its output going to the run's log.
func runStep(ctx context.Context, argv []string, dir string, sink *logSink) error {
	sink.note("%s", strings.Join(argv, " "))
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = ScrubbedEnviron()
	cmd.Stdout, cmd.Stderr = sink, sink
	setProcAttrs(cmd)
	cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, true) }
	cmd.WaitDelay = pipeWaitDelay
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: `%s` failed (%v). Last lines:\n%s", ErrExited, strings.Join(argv, " "), err, strings.Join(sink.tail(errTailLines), "\n"))
	}
	return nil
}

// cleanUp runs a finished run's clean-up command (docker rm -f), best effort.
func cleanUp(argv []string) {
	if len(argv) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = ScrubbedEnviron()
	_ = cmd.Run()
}
