//go:build unix

package main

import (
	"bufio"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkShutdown measures how long the built binary takes to exit after
// stdin closes or SIGTERM arrives (the budget is 2 s), idle and with a
// deploy waiting for its build to register.
func BenchmarkShutdown(b *testing.B) {
	for _, c := range []struct {
		name   string
		deploy bool
		signal bool
	}{{"stdin EOF idle", false, false}, {"SIGTERM idle", false, true}, {"stdin EOF during a deploy wait", true, false}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				cmd, in, _ := startSandbox(b)
				if c.deploy {
					send(b, in, rpc(2, "tools/call", map[string]any{"name": "manageCloudRun",
						"arguments": map[string]any{"action": "deploy", "serverName": "bench-img", "imageUrl": "ccr.ccs.tencentyun.com/ns/app:v1"}}))
					time.Sleep(200 * time.Millisecond) // in the registration wait
				}
				b.StartTimer()
				if c.signal {
					_ = cmd.Process.Signal(syscall.SIGTERM)
				} else {
					_ = in.Close()
				}
				if err := cmd.Wait(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
			}
		})
	}
}

// startSandbox runs the binary in sandbox mode (a frozen virtual clock, so
// deploys never register) and completes initialize.
func startSandbox(b *testing.B) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	cmd := exec.Command(binPath)
	cmd.Env = append(cleanEnv(b, "CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_SANDBOX_SPEED=0.001"), "CLOUDBASE_MCP_LOG_LEVEL=error")
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	out := bufio.NewReader(stdout)
	send(b, in, rpc(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "bench", "version": "1"}}))
	line, err := out.ReadString('\n')
	if err != nil || !strings.Contains(line, `"id":1`) {
		b.Fatalf("no initialize answer: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd, in, out
}

func send(b *testing.B, in io.Writer, line string) {
	if _, err := io.WriteString(in, line+"\n"); err != nil {
		b.Fatal(err)
	}
}
