// Command startup measures the built server: time from process start to the
// initialize response, time to tools/list, the tools/list size and the peak
// RSS of a short session, as medians over -n runs.
//
//	go run ./bench/startup -bin bin/cloudbase-mcp -n 5
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

type run struct {
	initialize time.Duration
	toolsList  time.Duration
	listBytes  int
	maxRSSKB   int64
}

func main() {
	bin := flag.String("bin", "bin/cloudbase-mcp", "server binary")
	n := flag.Int("n", 5, "runs")
	flag.Parse()
	var runs []run
	for i := 0; i < *n; i++ {
		r, err := once(*bin)
		if err != nil {
			fmt.Fprintln(os.Stderr, "run failed:", err)
			os.Exit(1)
		}
		runs = append(runs, r)
	}
	med := func(f func(r run) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	fmt.Printf("runs: %d (medians)\n", len(runs))
	fmt.Printf("start → initialize response: %.1f ms\n", med(func(r run) float64 { return float64(r.initialize.Microseconds()) / 1000 }))
	fmt.Printf("start → tools/list response: %.1f ms\n", med(func(r run) float64 { return float64(r.toolsList.Microseconds()) / 1000 }))
	fmt.Printf("tools/list result size:      %.0f bytes\n", med(func(r run) float64 { return float64(r.listBytes) }))
	fmt.Printf("peak RSS:                    %.1f MiB\n", med(func(r run) float64 { return float64(r.maxRSSKB) / 1024 }))
}

func once(bin string) (run, error) {
	var r run
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_LOG_LEVEL=error")
	in, err := cmd.StdinPipe()
	if err != nil {
		return r, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return r, err
	}
	cmd.Stderr = io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return r, err
	}
	out := bufio.NewReader(outPipe)
	send := func(s string) error { _, err := io.WriteString(in, s+"\n"); return err }
	if err := send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`); err != nil {
		return r, err
	}
	if _, err := out.ReadString('\n'); err != nil {
		return r, err
	}
	r.initialize = time.Since(start)
	_ = send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err := send(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`); err != nil {
		return r, err
	}
	line, err := out.ReadString('\n')
	if err != nil {
		return r, err
	}
	r.toolsList = time.Since(start)
	var msg struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal([]byte(line), &msg); err != nil {
		return r, err
	}
	r.listBytes = len(msg.Result)
	_ = send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"queryCloudRun","arguments":{"action":"list"}}}`)
	if _, err := out.ReadString('\n'); err != nil {
		return r, err
	}
	_ = in.Close()
	if err := cmd.Wait(); err != nil {
		return r, err
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSSKB = ru.Maxrss
	}
	return r, nil
}
