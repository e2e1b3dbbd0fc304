//go:build linux

// Package proctree runs a command and measures the peak resident memory of
// the process and all of its descendants (Linux /proc).
//
// The peak comes from VmHWM, the per-process RSS high-water mark the kernel
// keeps for the process's current memory image: a sampler walks the tree
// every Interval (through /proc/<pid>/task/<tid>/children) and remembers
// each process's latest VmHWM. Because VmHWM is monotonic, only growth in the
// last Interval before a process exits can be missed. The tree's peak is the
// sum of its processes' VmHWM: exact for one process, an upper bound for
// several (their peaks need not coincide); the sampled peak of the sum of
// VmRSS is kept too, as a lower bound.
//
// wait4's rusage Maxrss is recorded but not used: on Linux a child's Maxrss
// starts at its parent's RSS high-water mark, because exec folds the memory
// image it replaces (the parent's, shared by Go's vfork-style spawn) into the
// process's maxrss. A child of a 90 MB bench process therefore never reports
// less than 90 MB, whatever it really used.
package proctree

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Interval is the default sampling period.
const Interval = 5 * time.Millisecond

// Usage is what a Sampler saw.
type Usage struct {
	HWMSumKB       int64         `json:"hwmSumKB"`       // sum of the last VmHWM read of every process seen
	TreeSampledKB  int64         `json:"treeSampledKB"`  // peak of the sampled sum of VmRSS over the tree
	Wait4MaxRSSKB  int64         `json:"wait4MaxRssKB"`  // wait4 rusage Maxrss of the direct child (see the package doc)
	CPU            time.Duration `json:"cpuNs"`          // user+system CPU of the direct child (wait4; its waited-for descendants too)
	Procs          int           `json:"procs"`          // distinct processes seen in the tree
	Samples        int           `json:"samples"`        // sampler passes
	DescendantsSaw bool          `json:"descendantsSaw"` // a process other than the root was seen
}

// PeakKB is the reported peak RSS of the tree: the sum of VmHWM.
func (u Usage) PeakKB() int64 { return u.HWMSumKB }

// Sampler watches one process tree until Stop.
type Sampler struct {
	root  int
	every time.Duration
	stop  chan struct{}
	done  chan struct{}

	mu  sync.Mutex
	u   Usage
	hwm map[int]int64
}

// Watch starts sampling the tree rooted at pid.
func Watch(pid int, every time.Duration) *Sampler {
	if every <= 0 {
		every = Interval
	}
	s := &Sampler{root: pid, every: every, stop: make(chan struct{}), done: make(chan struct{}), hwm: map[int]int64{}}
	go s.loop()
	return s
}

func (s *Sampler) loop() {
	defer close(s.done)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

func (s *Sampler) sample() {
	pids := treePIDs(s.root)
	var sum int64
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pid := range pids {
		rss, hwm, ok := readStatus(pid)
		if !ok {
			continue
		}
		sum += rss
		if _, seen := s.hwm[pid]; !seen && pid != s.root {
			s.u.DescendantsSaw = true
		}
		s.hwm[pid] = max(s.hwm[pid], hwm)
	}
	s.u.Samples++
	s.u.TreeSampledKB = max(s.u.TreeSampledKB, sum)
}

// Stop ends sampling (call it after the child was waited for, with its
// ProcessState) and returns the combined usage.
func (s *Sampler) Stop(ps *os.ProcessState) Usage {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.u
	u.Procs = len(s.hwm)
	for _, v := range s.hwm {
		u.HWMSumKB += v
	}
	if ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			u.Wait4MaxRSSKB = ru.Maxrss // KiB on Linux
		}
		u.CPU = ps.UserTime() + ps.SystemTime()
	}
	return u
}

// Checkpoint takes one extra sample now (e.g. right before asking the child
// to exit, when it is known to be alive).
func (s *Sampler) Checkpoint() { s.sample() }

// treePIDs lists pid and its live descendants.
func treePIDs(root int) []int {
	out := []int{root}
	for i := 0; i < len(out); i++ {
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(out[i]) + "/task")
		if err != nil {
			continue
		}
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(out[i]) + "/task/" + t.Name() + "/children")
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if c, err := strconv.Atoi(f); err == nil {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// SelfHWMKB is this process's VmHWM in KiB (0 if unknown).
func SelfHWMKB() int64 {
	_, hwm, _ := readStatusFile("/proc/self/status")
	return hwm
}

// readStatus returns VmRSS and VmHWM of pid in KiB.
func readStatus(pid int) (rss, hwm int64, ok bool) {
	return readStatusFile("/proc/" + strconv.Itoa(pid) + "/status")
}

func readStatusFile(path string) (rss, hwm int64, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			rss = kb(line)
			ok = true
		case strings.HasPrefix(line, "VmHWM:"):
			hwm = kb(line)
		}
	}
	return rss, hwm, ok
}

func kb(line string) int64 {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	v, _ := strconv.ParseInt(f[1], 10, 64)
	return v
}

// Result is a finished Run.
type Result struct {
	Usage
	Wall   time.Duration
	Stdout []byte
	Stderr []byte
}

// Run starts cmd (stdout and stderr captured unless already set), samples its
// tree, waits and returns the usage and the output.
func Run(cmd *exec.Cmd) (Result, error) {
	var out, errb bytes.Buffer
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &errb
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	s := Watch(cmd.Process.Pid, Interval)
	err := cmd.Wait()
	r := Result{Usage: s.Stop(cmd.ProcessState), Wall: time.Since(start), Stdout: out.Bytes(), Stderr: errb.Bytes()}
	return r, err
}
