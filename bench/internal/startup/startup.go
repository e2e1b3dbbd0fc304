//go:build linux

// Package startup measures an MCP stdio server from process start: time to
// the initialize response, time to the tools/list response, the byte size of
// the tools/list result and the peak RSS of its process tree over the session
// (initialize, notifications/initialized, tools/list, then stdin closed).
package startup

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/bench/internal/proctree"
	"github.com/tiktoken-go/tokenizer"
)

// Spec is a server command line.
type Spec struct {
	Argv []string
	Env  []string // the complete environment
	Dir  string
	// Timeout bounds each response (a server that hangs, e.g. on the
	// network, fails the run instead of blocking the bench); 0 = 60 s.
	Timeout time.Duration
}

// Run is one measured session.
type Run struct {
	Initialize time.Duration `json:"initializeNs"`
	ToolsList  time.Duration `json:"toolsListNs"`
	ListBytes  int           `json:"listBytes"` // bytes of the JSON "result" member of the tools/list response
	ListJSON   []byte        `json:"-"`         // that member itself, for the token count
	Tools      []string      `json:"tools"`
	Exit       time.Duration `json:"exitNs"` // stdin closed → process exited
	proctree.Usage
	Killed bool   `json:"killed"` // did not exit within 10 s of stdin closing
	Stderr string `json:"-"`
}

const initializeReq = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cloudbase-mcp-bench","version":"1"}}}`

// Once runs one session.
func Once(spec Spec) (Run, error) {
	var r Run
	s, err := start(spec)
	if err != nil {
		return r, err
	}
	if err := s.listTools(&r); err != nil {
		s.kill()
		r.Stderr = s.stderr.String()
		return r, fmt.Errorf("%w (stderr: %s)", err, tail(r.Stderr, 400))
	}
	s.sampler.Checkpoint()
	s.finish(&r)
	return r, nil
}

// session is one running server under measurement.
type session struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	lines   <-chan []byte // stdout, one line each; closed at EOF
	stderr  *strings.Builder
	sampler *proctree.Sampler
	started time.Time // just before the process started: the zero of every timing
	timeout time.Duration
}

// start starts the server in its own process group, with its memory sampled
// and its stdout read line by line.
func start(spec Spec) (*session, error) {
	s := &session{timeout: spec.Timeout, stderr: &strings.Builder{}}
	if s.timeout <= 0 {
		s.timeout = 60 * time.Second
	}
	cmd := exec.Command(spec.Argv[0], spec.Argv[1:]...)
	cmd.Env, cmd.Dir = spec.Env, spec.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // so a hung tree can be killed as a group
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = &limitWriter{w: s.stderr, n: 64 << 10}
	s.cmd, s.in = cmd, in

	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s.sampler = proctree.Watch(cmd.Process.Pid, proctree.Interval)
	s.lines = readLines(outPipe)
	return s, nil
}

// readLines delivers r's lines until it ends.
func readLines(r io.Reader) <-chan []byte {
	lines := make(chan []byte, 16)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(r, 1<<20)
		for {
			b, err := br.ReadBytes('\n')
			if len(b) > 0 {
				lines <- b
			}
			if err != nil {
				return
			}
		}
	}()
	return lines
}

// listTools is the measured exchange: initialize, notifications/initialized,
// tools/list; it records the timings, the list's size and the tool names.
func (s *session) listTools(r *Run) error {
	if err := s.send(initializeReq); err != nil {
		return err
	}
	if _, err := s.await(1); err != nil {
		return err
	}
	r.Initialize = time.Since(s.started)
	if err := s.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`); err != nil {
		return err
	}
	if err := s.send(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`); err != nil {
		return err
	}
	res, err := s.await(2)
	if err != nil {
		return err
	}
	r.ToolsList = time.Since(s.started)
	r.ListBytes = len(res)
	r.ListJSON = res
	var list struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(res, &list); err != nil {
		return fmt.Errorf("tools/list result: %w", err)
	}
	for _, t := range list.Tools {
		r.Tools = append(r.Tools, t.Name)
	}
	return nil
}

func (s *session) send(msg string) error {
	_, err := io.WriteString(s.in, msg+"\n")
	return err
}

// await reads stdout until the response with id (skipping notifications
// and any non-JSON noise a server may print).
func (s *session) await(id int) (json.RawMessage, error) {
	deadline := time.After(s.timeout)
	for {
		select {
		case b, ok := <-s.lines:
			if !ok {
				return nil, errors.New("server closed stdout")
			}
			var msg struct {
				ID     *int            `json:"id"`
				Result json.RawMessage `json:"result"`
				Error  json.RawMessage `json:"error"`
			}
			if json.Unmarshal(b, &msg) != nil || msg.ID == nil || *msg.ID != id {
				continue
			}
			if msg.Error != nil {
				return nil, fmt.Errorf("error response: %s", msg.Error)
			}
			return msg.Result, nil
		case <-deadline:
			return nil, fmt.Errorf("no response to request %d within %s", id, s.timeout)
		}
	}
}

// kill ends a failed session's whole process tree.
func (s *session) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.sampler.Stop(s.cmd.ProcessState)
}

// finish closes stdin and times the exit (killing the tree if it has not
// exited within 10 s), then records memory use and stderr.
func (s *session) finish(r *Run) {
	closed := time.Now()
	_ = s.in.Close()
	waited := make(chan error, 1)
	go func() { waited <- s.cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		r.Killed = true
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-waited
	}
	r.Exit = time.Since(closed)
	for range s.lines { // drain
	}
	r.Usage = s.sampler.Stop(s.cmd.ProcessState)
	r.Stderr = s.stderr.String()
}

// Summary holds the medians of several runs (and the minimum start → initialize).
type Summary struct {
	Runs          int
	Initialize    time.Duration
	InitializeMin time.Duration // on a loaded machine the minimum is the least disturbed run
	ToolsList     time.Duration
	ListBytes     int
	ListTokens    int   // o200k tokens of the last run's tools/list result (what a model pays for it)
	PeakKB        int64 // sum of VmHWM over the tree
	Wait4KB       int64 // wait4 Maxrss (inflated by the parent's; see proctree)
	TreeKB        int64 // sampled sum of VmRSS
	MaxProcs      int
	Tools         []string
	Killed        int
}

// Measure runs warmup discarded sessions then n measured ones and returns
// the medians.
func Measure(spec Spec, n, warmup int) (Summary, []Run, error) {
	for range warmup {
		if _, err := Once(spec); err != nil {
			return Summary{}, nil, fmt.Errorf("warm-up run: %w", err)
		}
	}
	var runs []Run
	for i := range n {
		r, err := Once(spec)
		if err != nil {
			return Summary{}, runs, fmt.Errorf("run %d: %w", i+1, err)
		}
		runs = append(runs, r)
	}
	return Summarize(runs), runs, nil
}

// Summarize returns the medians of runs (at least one).
func Summarize(runs []Run) Summary {
	s := Summary{Runs: len(runs), Tools: runs[0].Tools}
	s.Initialize = median(runs, func(r Run) time.Duration { return r.Initialize })
	s.InitializeMin = slices.MinFunc(runs, func(a, b Run) int { return cmp.Compare(a.Initialize, b.Initialize) }).Initialize
	s.ToolsList = median(runs, func(r Run) time.Duration { return r.ToolsList })
	s.ListBytes = median(runs, func(r Run) int { return r.ListBytes })
	s.ListTokens = o200kTokens(runs[len(runs)-1].ListJSON)
	s.PeakKB = median(runs, func(r Run) int64 { return r.PeakKB() })
	s.Wait4KB = median(runs, func(r Run) int64 { return r.Wait4MaxRSSKB })
	s.TreeKB = median(runs, func(r Run) int64 { return r.TreeSampledKB })
	for _, r := range runs {
		s.MaxProcs = max(s.MaxProcs, r.Procs)
		if r.Killed {
			s.Killed++
		}
	}
	return s
}

func median[T int | int64 | time.Duration](runs []Run, f func(Run) T) T {
	v := make([]T, len(runs))
	for i, r := range runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// CleanEnv drops credentials and CloudBase/Tencent Cloud settings from env so
// neither server can find an account.
func CleanEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		u := strings.ToUpper(k)
		if strings.HasPrefix(u, "TENCENTCLOUD_") || strings.HasPrefix(u, "CLOUDBASE_") || strings.HasPrefix(u, "TCB_") ||
			u == "MCP_CLOUD_MODE" || u == "ENV_ID" {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// o200kTokens counts b in the o200k encoding (GPT-4o's; the budget test of
// the cloudrun plugin uses the same), or -1 when it cannot.
func o200kTokens(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	enc, err := tokenizer.Get(tokenizer.O200kBase)
	if err != nil {
		return -1
	}
	ids, _, err := enc.Encode(string(b))
	if err != nil {
		return -1
	}
	return len(ids)
}
