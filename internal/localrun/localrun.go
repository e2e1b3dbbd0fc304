// Package localrun starts function-mode CloudRun services on this machine with
// @cloudbase/functions-framework, waits until they answer, keeps their logs and
// stops them: one process per service name, all of them ended by Close.
//
// Facts about @cloudbase/functions-framework 1.18.0 this package relies on
// (read from its build/options.js, build/cli.js, build/framework.js and
// docs/framework-usage.md):
//   - CLI: node_modules/@cloudbase/functions-framework/bin/tcb-ff.js; without
//     -w/--watch it calls runCLI() in-process (with -w it forks through nodemon,
//     which we do not use).
//   - --source <dir> is resolved with require.resolve, so a directory loads its
//     package.json "main" or index.js; the function is the export named by
//     --target / FUNCTION_TARGET (default "main").
//   - Port: --port, else PORT, else 3000. server.listen(port) binds every
//     interface; "Server listening on port N" is logged once it does.
//   - ENABLE_CORS=true turns CORS on; ALLOWED_ORIGINS is a comma list of host
//     patterns added to localhost,127.0.0.1, and "*" allows every origin.
//   - RUN_MODE is not read by the framework (nor is any agent id variable):
//     grep of build/ finds no RUN_MODE, AGENT or BOT_ID. The reference sets
//     RUN_MODE=agent for agents; we keep it and pass Options.AgentID as
//     AGENT_ID for the agent code to read (an aiagent-framework project's own
//     convention, not the framework's).
//   - SIGTERM/SIGINT end the server at once unless graceful shutdown is on
//     (default only when NODE_ENV=production); we escalate to SIGKILL anyway.
//   - The framework writes its own access and user-code logs under ./logs of
//     the working directory (LOG_DIRNAME), i.e. <Dir>/logs.
//   - HEAD /_healthz answers 200 once the server is up (we only need the TCP
//     port: readiness is a successful dial on 127.0.0.1:port).
package localrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors the tool layer branches on with errors.Is. The errors returned wrap
// them with what happened and what to do next.
var (
	ErrNodeMissing         = errors.New("node.js is not available")
	ErrNpmMissing          = errors.New("npm is not available")
	ErrPortInUse           = errors.New("port is already in use")
	ErrAlreadyRunning      = errors.New("service is already running locally")
	ErrNotAFunctionProject = errors.New("not a function-mode project")
	// ErrFrameworkMissing also matches ErrNotAFunctionProject.
	ErrFrameworkMissing = fmt.Errorf("%w: %s is not installed", ErrNotAFunctionProject, frameworkPkg)
	ErrInstallFailed    = errors.New("npm install failed")
	ErrExited           = errors.New("process exited during startup")
	ErrNotReady         = errors.New("process did not open its port in time")
	ErrNotRunning       = errors.New("service is not running locally")
	ErrInvalidOptions   = errors.New("invalid local run options")
	ErrClosed           = errors.New("local runs are shut down")
)

// Status values of Info.Status.
const (
	StatusStarting = "starting"
	StatusRunning  = "running"
	StatusExited   = "exited"  // ended on its own
	StatusStopped  = "stopped" // ended by Stop, Close, or a failed start
)

// Modes of Options.Mode.
const (
	ModeNormal = "normal"
	ModeAgent  = "agent"
)

// AgentIDEnv is the variable that carries Options.AgentID to the process in agent mode.
const AgentIDEnv = "AGENT_ID"

const (
	defaultPort         = 3000
	defaultReadyTimeout = 30 * time.Second
	defaultStopGrace    = 2 * time.Second
	defaultCloseGrace   = 1000 * time.Millisecond // SIGTERM → SIGKILL in Close
	closeBudget         = 1400 * time.Millisecond // Close returns within this (the server exits within 2 s)
	pipeWaitDelay       = 250 * time.Millisecond  // output of escaped grandchildren is given up after this
	tailLines           = 20                      // LogTail in Info
	errTailLines        = 15                      // lines quoted in errors
)

// Options describe one local run.
type Options struct {
	ServerName   string                      // one process per service name
	Dir          string                      // project directory (absolute, already confined by the caller)
	Port         int                         // 0 = 3000
	Env          map[string]string           // extra env (runOptions.envParams); never logged
	Mode         string                      // "normal" | "agent"; "" = agent when package.json depends on @cloudbase/aiagent-framework, else normal
	AgentID      string                      // agent mode: passed to the process as AGENT_ID
	InstallDeps  bool                        // run `npm install` first when node_modules (or the framework in it) is missing
	ReadyTimeout time.Duration               // 0 = 30 s (npm install time not included)
	Progress     func(stage, message string) // optional: "install", "start", "ready"; called from Start's goroutine

	NodePath string            // "" = node on PATH (tests point it elsewhere)
	NpmPath  string            // "" = npm on PATH
	Tools    map[string]string // other programs by name (python3, go, java, docker); "" = on PATH
}

// Info describes a run.
type Info struct {
	ServerName string    `json:"serverName"`
	PID        int       `json:"pid"`
	Port       int       `json:"port"`
	URL        string    `json:"url"`
	Dir        string    `json:"dir"`
	Mode       string    `json:"mode"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"startedAt"`
	ExitCode   *int      `json:"exitCode,omitempty"`
	LogFile    string    `json:"logFile"`
	LogTail    []string  `json:"logTail"`
	How        string    `json:"how,omitempty"` // what runs it: functions framework, npm start, python3 app.py, docker
}

// Manager owns the local processes. It is safe for concurrent use.
type Manager struct {
	logDir string
	logger *slog.Logger

	ctx    context.Context // ends with Close: aborts installs and readiness waits
	cancel context.CancelFunc
	wg     sync.WaitGroup // Start calls in progress and reapers

	stopGrace  time.Duration
	closeGrace time.Duration
	poll       time.Duration

	mu     sync.Mutex
	runs   map[string]*run // the latest run per service name
	closed bool
}

type run struct {
	name, dir, logFile string
	port               int
	cancelStart        context.CancelFunc
	startDone          chan struct{} // closed when Start returns

	// Guarded by Manager.mu.
	how           string    // what runs it (launch.how)
	after         []string  // run once the process has ended (docker rm -f)
	prev          *run      // the run this one replaced in the table, until spawned
	mode          string    // settled after the project is inspected
	log           *logSink  // set once the log file is open
	startedAt     time.Time // reservation time, then the spawn time
	pid           int
	done          chan struct{} // closed once the process has been waited for; nil before it is spawned
	status        string
	exitCode      *int
	stopRequested bool
}

func (r *run) active() bool { return r.status == StatusStarting || r.status == StatusRunning }

// NewManager returns a Manager writing logs to logDir ("" = DefaultLogDir()),
// a directory of this user's only, created on demand.
func NewManager(logDir string, logger *slog.Logger) *Manager {
	if logDir == "" {
		logDir = DefaultLogDir()
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		logDir: logDir, logger: logger, ctx: ctx, cancel: cancel,
		stopGrace: defaultStopGrace, closeGrace: defaultCloseGrace, poll: 100 * time.Millisecond,
		runs: map[string]*run{},
	}
}

// Compiled on first use: the matcher for {0,63} costs about half a millisecond, which startup need not pay.
var serverNamePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`) })

func normalize(o Options) (Options, error) {
	if !serverNamePattern().MatchString(o.ServerName) {
		return o, fmt.Errorf("%w: serverName %q must be letters, digits, '-' or '_' (it names the log file)", ErrInvalidOptions, o.ServerName)
	}
	if !filepath.IsAbs(o.Dir) {
		return o, fmt.Errorf("%w: project directory %q is not absolute", ErrInvalidOptions, o.Dir)
	}
	if st, err := os.Stat(o.Dir); err != nil || !st.IsDir() {
		return o, fmt.Errorf("%w: project directory %s does not exist or is not a directory; create the project first (manageCloudRun init) or fix targetPath", ErrInvalidOptions, o.Dir)
	}
	real, err := filepath.EvalSymlinks(o.Dir) // the symlink policy compares real paths
	if err != nil {
		return o, fmt.Errorf("%w: project directory %s: %v", ErrInvalidOptions, o.Dir, err)
	}
	o.Dir = real
	if o.Port == 0 {
		o.Port = defaultPort
	}
	if o.Port < 1 || o.Port > 65535 {
		return o, fmt.Errorf("%w: port %d is outside 1..65535", ErrInvalidOptions, o.Port)
	}
	switch o.Mode {
	case "", ModeNormal, ModeAgent:
	default:
		return o, fmt.Errorf("%w: mode %q must be normal or agent", ErrInvalidOptions, o.Mode)
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = defaultReadyTimeout
	}
	if err := CheckEnv(o.Env); err != nil {
		return o, err
	}
	return o, nil
}

// Start runs the service's project with the functions framework and returns
// once its port answers. See the package errors for the refusals; after the
// process was spawned, failures also return its Info (exit code, log tail).
func (m *Manager) Start(ctx context.Context, o Options) (Info, error) {
	o, err := normalize(o)
	if err != nil {
		return Info{ServerName: o.ServerName, LogTail: []string{}}, err
	}
	callerCtx := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopOnClose := context.AfterFunc(m.ctx, cancel)
	defer stopOnClose()
	r, info, err := m.reserve(o, cancel)
	if err != nil {
		return info, err
	}
	defer m.wg.Done()
	defer close(r.startDone)
	spawned := false
	defer func() {
		if !spawned {
			m.unreserve(r)
		}
	}()

	l, err := m.prepare(ctx, r, &o)
	if err != nil {
		return m.failedInfo(r), m.abortErr(callerCtx, err)
	}
	report(o.Progress, "start", fmt.Sprintf("starting with %s on port %d", l.how, o.Port))
	cmd := exec.Command(l.argv[0], l.argv[1:]...)
	cmd.Dir = o.Dir
	cmd.Env = childEnv(o)
	if l.docker { // the run variables go to the container as -e flags
		cmd.Env = ScrubbedEnviron()
	}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	cmd.WaitDelay = pipeWaitDelay
	setProcAttrs(cmd)
	keys := envKeys(o.Env)
	extra := "none"
	if len(keys) > 0 {
		extra = strings.Join(keys, ", ")
	}
	m.mu.Lock()
	r.how, r.after = l.how, l.after
	m.mu.Unlock()
	r.log.note("starting with %s in %s (PORT=%d, RUN_MODE=%s, extra env keys: %s)", l.how, o.Dir, o.Port, o.Mode, extra)
	if err := m.spawn(r, cmd); err != nil {
		r.log.note("could not start %s: %v", l.argv[0], err)
		return m.failedInfo(r), fmt.Errorf("%w: cannot start %s: %v", ErrCannotRun, l.argv[0], err)
	}
	spawned = true
	m.logger.Info("local run started", "serverName", o.ServerName, "pid", r.pid, "port", o.Port,
		"dir", o.Dir, "how", l.how, "mode", o.Mode, "envKeys", keys, "logFile", r.logFile)
	return m.awaitReady(ctx, callerCtx, r, o)
}

// reserve claims the service name (and its port among our runs) before any slow work.
func (m *Manager) reserve(o Options, cancelStart context.CancelFunc) (*run, Info, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, Info{ServerName: o.ServerName, LogTail: []string{}}, fmt.Errorf("%w: the MCP server is shutting down", ErrClosed)
	}
	if r := m.runs[o.ServerName]; r != nil && r.active() {
		info := m.infoLocked(r, tailLines)
		return nil, info, fmt.Errorf("%w: %s is %s at %s (%s); stop it first (manageCloudRun stop) to restart it",
			ErrAlreadyRunning, o.ServerName, r.status, info.URL, describePID(r.pid))
	}
	for _, other := range m.runs {
		if other.active() && other.port == o.Port {
			return nil, Info{ServerName: o.ServerName, Port: o.Port, LogTail: []string{}},
				fmt.Errorf("%w: port %d is used by local run %s (%s) started by this server; stop it (manageCloudRun stop serverName=%s) or choose another runOptions.port",
					ErrPortInUse, o.Port, other.name, describePID(other.pid), other.name)
		}
	}
	r := &run{
		name: o.ServerName, dir: o.Dir, mode: o.Mode, port: o.Port, startedAt: time.Now(),
		status: StatusStarting, cancelStart: cancelStart, startDone: make(chan struct{}),
		logFile: filepath.Join(m.logDir, o.ServerName+".log"),
	}
	r.prev = m.runs[o.ServerName]
	m.runs[o.ServerName] = r
	m.wg.Add(1) // Close waits for this Start; safe: closed is false under mu
	return r, Info{}, nil
}

// unreserve forgets a run whose process was never spawned, bringing back the previous one.
func (m *Manager) unreserve(r *run) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r.log != nil {
		r.log.close()
	}
	if r.stopRequested {
		r.status = StatusStopped
	}
	if m.runs[r.name] == r {
		if r.prev != nil {
			m.runs[r.name] = r.prev
		} else {
			delete(m.runs, r.name)
		}
	}
}

func (m *Manager) failedInfo(r *run) Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	info := m.infoLocked(r, tailLines)
	info.Status = StatusStopped
	return info
}

// abortErr reports a cancelled start as the caller's ctx error (or ErrClosed) rather than as the step that noticed it.
func (m *Manager) abortErr(callerCtx context.Context, err error) error {
	switch {
	case m.ctx.Err() != nil:
		return fmt.Errorf("%w: start aborted: %v", ErrClosed, err)
	case callerCtx.Err() != nil:
		return fmt.Errorf("local run start cancelled: %w", callerCtx.Err())
	}
	return err
}

// prepare inspects the project, plans its launch, installs its npm
// dependencies when needed and runs the build steps.
func (m *Manager) prepare(ctx context.Context, r *run, o *Options) (launch, error) {
	proj, err := inspectProject(o.Dir)
	if err != nil {
		return launch{}, err
	}
	if err := checkTree(ctx, o.Dir); err != nil {
		return launch{}, err
	}
	if o.Mode == "" {
		o.Mode = ModeNormal
		if proj.deps[agentPkg] {
			o.Mode = ModeAgent
		}
	}
	m.mu.Lock()
	r.mode = o.Mode
	m.mu.Unlock()
	l, err := m.plan(ctx, *o, proj)
	if err != nil {
		return launch{}, err
	}
	if err := m.checkPort(o.Port, o.ServerName); err != nil {
		return launch{}, err
	}
	if err := m.openLog(r); err != nil {
		return launch{}, err
	}
	if err := m.installDeps(ctx, r, *o, proj, l); err != nil {
		return launch{}, err
	}
	for _, step := range l.build {
		report(o.Progress, "build", strings.Join(step, " "))
		if err := runStep(ctx, step, o.Dir, r.log); err != nil {
			return launch{}, err
		}
	}
	return l, nil
}

// installDeps runs npm install when the launch needs node_modules and they
// are missing; for a function, the framework must be there afterwards.
func (m *Manager) installDeps(ctx context.Context, r *run, o Options, proj project, l launch) error {
	tcbff := tcbffPath(o.Dir)
	function := proj.function()
	need := l.install && (!fileExists(filepath.Join(o.Dir, "node_modules")) || (function && !fileExists(tcbff)))
	if need && o.InstallDeps {
		npm, err := findNpm(o.NpmPath)
		if err != nil {
			return err
		}
		report(o.Progress, "install", "dependencies are not installed: running npm install in "+o.Dir)
		m.logger.Info("local run: npm install", "serverName", o.ServerName, "dir", o.Dir)
		ictx, icancel := context.WithTimeout(ctx, installTimeout)
		err = runInstall(ictx, npm, o.Dir, r.log, o.Progress)
		icancel()
		if err != nil {
			return err
		}
		// What npm installed is checked too (a file: dependency is a link out).
		if err := checkTree(ctx, o.Dir); err != nil {
			return err
		}
	}
	if function && !fileExists(tcbff) {
		return frameworkMissing(o, proj, need)
	}
	return nil
}

func frameworkMissing(o Options, p project, triedInstall bool) error {
	ff := tcbffPath(o.Dir)
	switch {
	case !p.declaresFramework():
		// Deliberately not `npm install` it ourselves: that would rewrite the user's package.json.
		return fmt.Errorf("%w: package.json in %s does not depend on %s. Add it (`npm install %s@^1` in %s, which records it in package.json and is needed for deploy too) and call run again",
			ErrFrameworkMissing, o.Dir, frameworkPkg, frameworkPkg, o.Dir)
	case !o.InstallDeps:
		return fmt.Errorf("%w: %s does not exist. Run `npm install` in %s, or call run with dependency installation enabled",
			ErrFrameworkMissing, ff, o.Dir)
	case triedInstall:
		return fmt.Errorf("%w: npm install finished but %s does not exist. Check that package.json lists %s (version 1.x) and run `npm install` in %s",
			ErrFrameworkMissing, ff, frameworkPkg, o.Dir)
	default:
		return fmt.Errorf("%w: %s does not exist although node_modules does. Run `npm install` in %s", ErrFrameworkMissing, ff, o.Dir)
	}
}

// openLog starts <logDir>/<serverName>.log afresh for this run.
func (m *Manager) openLog(r *run) error {
	if err := ensurePrivateDir(m.logDir); err != nil {
		return err
	}
	f, err := createLog(r.logFile)
	if err != nil {
		return fmt.Errorf("cannot create the log file %s: %w", r.logFile, err)
	}
	m.mu.Lock()
	r.log = newLogSink(f)
	m.mu.Unlock()
	return nil
}

func describePID(pid int) string {
	if pid == 0 {
		return "installing dependencies, no process yet"
	}
	return "pid " + strconv.Itoa(pid)
}

// checkPort refuses a port something already listens on.
func (m *Manager) checkPort(port int, name string) error {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("%w: 127.0.0.1:%d is taken by another program (%v); stop it or call run again with another runOptions.port for %s",
			ErrPortInUse, port, err, name)
	}
	_ = l.Close()
	return nil
}

func (m *Manager) infoLocked(r *run, lines int) Info {
	info := Info{
		ServerName: r.name, PID: r.pid, Port: r.port, URL: fmt.Sprintf("http://127.0.0.1:%d/", r.port),
		Dir: r.dir, Mode: r.mode, Status: r.status, StartedAt: r.startedAt, LogFile: r.logFile, LogTail: []string{}, How: r.how,
	}
	if r.exitCode != nil {
		code := *r.exitCode
		info.ExitCode = &code
	}
	if r.log != nil {
		info.LogTail = r.log.tail(lines)
	}
	return info
}
