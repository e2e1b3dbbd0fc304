//go:build linux

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/proctree"
	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/startup"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// The deploy budget: our built binary, over stdio MCP, deploys the bench tree to the emulator on loopback
// (in this process, so the server's RSS is its own), and the progress notifications it sends tell where the
// seconds go. Only the tool contract is used (manageCloudRun deploy, the stage words of its progress
// messages), never the plugin's code.

const (
	deployEnv     = "demo-env-1a2b3c" // the emulator's default scenario
	deployTimeout = 10 * time.Minute
)

// Files the deploy needs or writes at the project root; the generator writes neither, so any found there
// is a leftover of an interrupted bench and is removed before packaging is measured.
var deployFiles = []string{"Dockerfile", "cloudbaserc.json"}

const benchDockerfile = "# written by bench/compare for the deploy budget, removed afterwards\nFROM node:20-alpine\nCOPY . /app\nCMD [\"node\", \"/app/index.js\"]\n"

func removeDeployFiles(dir string) {
	for _, f := range deployFiles {
		_ = os.Remove(filepath.Join(dir, f))
	}
}

// stageMark is one progress message as the client saw it.
type stageMark struct {
	At        time.Duration // since the call was sent
	Message   string
	ServerCPU time.Duration // the server's CPU time so far (/proc/<pid>/stat)
	BenchCPU  time.Duration // this process's: the emulator, which receives the upload, plus the bench's client
}

// stageCPU is the CPU time spent in a stage.
type stageCPU struct{ Server, Bench time.Duration }

type deployRun struct {
	Cold         bool
	Total        time.Duration // call sent → result read
	Before       time.Duration // call sent → "packaging" (argument checks, path resolution)
	Packaging    time.Duration // "packaging" → first "uploading" (includes the few loopback calls that plan the deploy)
	Uploading    time.Duration // first "uploading" → "uploaded"
	Registration time.Duration // "starting the deploy" → result (create call, then polls until the build is registered)
	PackagingCPU stageCPU
	UploadingCPU stageCPU
	PeakKB       int64         // server process, whole session
	CPU          time.Duration // server process, whole session (user+sys)
	ZipBytes     int64
	Files        int64
	Registered   bool
	Marks        []stageMark
	Stored       int64 // bytes the emulator holds for the package (what arrived)
	StoredFiles  int64 // entries it read from that zip
}

// measureDeploy runs one deploy of dir with the binary bin against a fresh emulator.
func measureDeploy(bin, dir, work string, cold bool) (*deployRun, error) {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		return nil, err
	}
	defer emu.Close()
	base, err := emu.Listen("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(benchDockerfile), 0o644); err != nil {
		return nil, err
	}
	defer removeDeployFiles(dir)
	env, err := deployServerEnv(base, dir, work)
	if err != nil {
		return nil, err
	}

	s, err := startDeployServer(bin, work, env)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	ctx, cancel := context.WithTimeout(context.Background(), deployTimeout)
	defer cancel()
	if err := s.initialize(ctx); err != nil {
		return nil, err
	}
	res, total, err := s.deploy(ctx, dir, cold)
	if err != nil {
		return nil, err
	}
	u := s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &deployRun{Cold: cold, Total: total, Marks: s.marks, PeakKB: u.PeakKB(), CPU: u.CPU}
	if err := r.read(res); err != nil {
		return r, err
	}
	r.Stored, r.StoredFiles = storedPackage(emu)
	if r.Stored != r.ZipBytes {
		return r, fmt.Errorf("the emulator holds %d package bytes, the result says %d were packed", r.Stored, r.ZipBytes)
	}
	return r, r.split()
}

// deployServerEnv is the server's environment: no credentials or settings of
// this machine, an empty HOME under work, the emulator at base as the API.
func deployServerEnv(base, dir, work string) ([]string, error) {
	home := filepath.Join(work, "deploy-home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, err
	}
	env := slices.DeleteFunc(startup.CleanEnv(os.Environ()), func(kv string) bool {
		return strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "XDG_CONFIG_HOME=")
	})
	return append(env, "HOME="+home,
		"CLOUDBASE_API_BASE_URL="+base,
		"TENCENTCLOUD_SECRETID="+emulator.DemoSecretID, "TENCENTCLOUD_SECRETKEY="+emulator.DemoSecretKey,
		"CLOUDBASE_ENV_ID="+deployEnv,
		"CLOUDBASE_MCP_PLUGINS_ENABLED=cloudrun", "CLOUDBASE_MCP_LOG_LEVEL=error",
		"CLOUDBASE_MCP_WORKSPACE="+filepath.Dir(dir),
		"CLOUDBASE_MCP_AUDIT_LOG="+filepath.Join(work, "deploy-audit.log")), nil
}

// deployServer is our binary over stdio, its process tree sampled, with the
// progress messages of the deploy call recorded as they arrive.
type deployServer struct {
	c       *client.Client
	cmd     *exec.Cmd
	sampler *proctree.Sampler
	stopped bool

	mu    sync.Mutex
	marks []stageMark
	sent  time.Time // when the deploy call went out
}

func startDeployServer(bin, work string, env []string) (*deployServer, error) {
	s := &deployServer{}
	c, err := client.NewStdioMCPClientWithOptions(bin, env, nil, transport.WithCommandFunc(
		func(ctx context.Context, command string, env, args []string) (*exec.Cmd, error) {
			s.cmd = exec.CommandContext(ctx, command, args...)
			s.cmd.Env, s.cmd.Dir = env, work
			return s.cmd, nil
		}))
	if err != nil {
		return nil, err
	}
	s.c = c
	s.sampler = proctree.Watch(s.cmd.Process.Pid, proctree.Interval)
	c.OnNotification(s.progress)
	return s, nil
}

// stop ends the server (once) and returns its usage over the session.
func (s *deployServer) stop() proctree.Usage {
	if s.stopped {
		return proctree.Usage{}
	}
	s.stopped = true
	s.sampler.Checkpoint()
	_ = s.c.Close()
	_ = s.cmd.Wait()
	return s.sampler.Stop(s.cmd.ProcessState)
}

// progress records a progress message with the CPU time both sides have
// spent so far.
func (s *deployServer) progress(n mcp.JSONRPCNotification) {
	if n.Method != "notifications/progress" {
		return
	}
	msg, _ := n.Params.AdditionalFields["message"].(string)
	server, _ := procCPU(s.cmd.Process.Pid)
	s.mu.Lock()
	s.marks = append(s.marks, stageMark{At: time.Since(s.sent), Message: msg, ServerCPU: server, BenchCPU: selfCPU()})
	s.mu.Unlock()
}

func (s *deployServer) initialize(ctx context.Context) error {
	if err := s.c.Start(ctx); err != nil { // already running: this installs the notification handler
		return err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "cloudbase-mcp-bench", Version: "1"}
	if _, err := s.c.Initialize(ctx, init); err != nil {
		return fmt.Errorf("initialize: %w", err)
	}
	return nil
}

// deploy calls manageCloudRun deploy on dir (after dropping the page cache
// if cold) and times it.
func (s *deployServer) deploy(ctx context.Context, dir string, cold bool) (*mcp.CallToolResult, time.Duration, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = "manageCloudRun"
	req.Params.Arguments = map[string]any{"action": "deploy", "serverName": "bench-deploy", "targetPath": dir}
	req.Params.Meta = &mcp.Meta{ProgressToken: "deploy"}
	if cold {
		if err := dropCaches(); err != nil {
			return nil, 0, err
		}
	}
	s.mu.Lock()
	s.sent = time.Now()
	s.mu.Unlock()
	res, err := s.c.CallTool(ctx, req)
	total := time.Since(s.sent)
	if err != nil {
		return nil, 0, fmt.Errorf("deploy call: %w", err)
	}
	return res, total, nil
}

// read takes the figures the result reports.
func (r *deployRun) read(res *mcp.CallToolResult) error {
	var text strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if res.IsError {
		return fmt.Errorf("deploy failed: %s", tailString(text.String(), 400))
	}
	var out struct {
		Package struct {
			Files    int64 `json:"files"`
			ZipBytes int64 `json:"zipBytes"`
		} `json:"package"`
		BuildID int64 `json:"buildId"`
		Status  string
	}
	if err := json.Unmarshal([]byte(text.String()), &out); err != nil {
		return fmt.Errorf("deploy result is not JSON: %w: %s", err, tailString(text.String(), 200))
	}
	r.Files, r.ZipBytes, r.Registered = out.Package.Files, out.Package.ZipBytes, out.BuildID > 0
	return nil
}

// split cuts the timeline at the first message of each stage.
func (r *deployRun) split() error {
	at := func(prefix string) (stageMark, bool) {
		for _, m := range r.Marks {
			if strings.HasPrefix(m.Message, prefix) {
				return m, true
			}
		}
		return stageMark{}, false
	}
	pack, ok1 := at("packaging")
	up, ok2 := at("uploading")
	done, ok3 := at("uploaded")
	start, ok4 := at("starting the deploy")
	if !ok1 || !ok3 || !ok4 {
		return fmt.Errorf("the deploy's progress did not show every stage: %q", r.messages())
	}
	if !ok2 { // an upload too quick for a byte-count update
		up = done
	}
	r.Before, r.Packaging, r.Uploading, r.Registration = pack.At, up.At-pack.At, done.At-up.At, r.Total-start.At
	r.PackagingCPU = stageCPU{Server: up.ServerCPU - pack.ServerCPU, Bench: up.BenchCPU - pack.BenchCPU}
	r.UploadingCPU = stageCPU{Server: done.ServerCPU - up.ServerCPU, Bench: done.BenchCPU - up.BenchCPU}
	return nil
}

// procCPU is the user+system CPU time of a live process, from /proc/<pid>/stat (clock ticks of 10 ms).
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	_, rest, ok := strings.Cut(string(b), ") ") // the command name may hold spaces
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, false
	}
	var utime, stime int64
	if _, err := fmt.Sscan(f[11], &utime); err != nil {
		return 0, false
	}
	if _, err := fmt.Sscan(f[12], &stime); err != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (r *deployRun) messages() []string {
	out := make([]string, 0, len(r.Marks))
	for _, m := range r.Marks {
		out = append(out, m.Message)
	}
	return out
}

// storedPackage is what the emulator received: bytes and entries of the uploaded package.
func storedPackage(emu *emulator.Emulator) (bytes, files int64) {
	for _, p := range emu.Packages() {
		bytes, files = int64(p.Bytes), int64(len(p.Files))
	}
	return bytes, files
}
