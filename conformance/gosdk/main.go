// Command gosdk drives cloudbase-mcp with the official Go MCP SDK client
// (github.com/modelcontextprotocol/go-sdk), a client the team did not write,
// at the SDK's default protocol version (2026-07-28: server/discover and multi
// round-trip requests) and at 2025-11-25 (initialize and server-initiated
// requests).
//
//	go run . <path-to-binary>
//
// Every check starts its own sandbox server with a fresh workspace, prints
// "ok   <era> <name>" or "FAIL <era> <name>: <why>" (with the server's
// stderr), and the command exits 1 if any check fails. GOSDK_ONLY=roots,init
// runs only the named checks.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const checkTimeout = 60 * time.Second

// eras are the protocol versions asked for: "" is the SDK's default.
var eras = []string{"", "2025-11-25"}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run . <path-to-binary>")
		os.Exit(2)
	}
	bin, err := filepath.Abs(os.Args[1])
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(bin); err == nil && st.Mode()&0o111 == 0 {
			err = fmt.Errorf("not executable")
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gosdk: %s: %v\n", os.Args[1], err)
		os.Exit(2)
	}
	only := map[string]bool{}
	for _, n := range strings.Split(os.Getenv("GOSDK_ONLY"), ",") {
		if n != "" {
			only[n] = true
		}
	}
	fmt.Printf("cloudbase-mcp conformance (Go SDK): %s\n", bin)
	passed, failed := 0, 0
	for _, era := range eras {
		var all []*session
		for _, ch := range checks {
			if len(only) > 0 && !only[ch.name] {
				continue
			}
			c := &checkCtx{name: ch.name, era: era, bin: bin, stderr: &lockedBuffer{}}
			if run(c, ch.fn) {
				passed++
			} else {
				failed++
			}
			all = append(all, c.sessions...)
		}
		if stdoutClean(era, all) {
			passed++
		} else {
			failed++
		}
	}
	fmt.Printf("\n%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		os.Exit(1)
	}
}

func eraName(era string) string {
	if era == "" {
		return "default"
	}
	return era
}

func run(c *checkCtx, fn checkFunc) bool {
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	start := time.Now()
	type outcome struct {
		note string
		err  error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- outcome{err: fmt.Errorf("panic: %v", r)}
			}
		}()
		note, err := fn(ctx, c)
		done <- outcome{note, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		o.err = fmt.Errorf("timed out after %s", checkTimeout)
	}
	era := eraName(c.era)
	if len(c.sessions) > 0 {
		era = fmt.Sprintf("%s→%s", era, negotiated(c.sessions[0]))
	}
	secs := time.Since(start).Seconds()
	c.close()
	if o.err == nil {
		if o.note != "" {
			o.note = " (" + o.note + ")"
		}
		fmt.Printf("ok   [%s] %s%s [%.1fs]\n", era, c.name, o.note, secs)
		return true
	}
	fmt.Printf("FAIL [%s] %s: %v [%.1fs]\n", era, c.name, o.err, secs)
	if s := strings.TrimSpace(c.stderr.String()); s != "" {
		fmt.Println("     | server stderr:")
		for _, l := range strings.Split(s, "\n") {
			fmt.Println("     | " + l)
		}
	} else {
		fmt.Println("     (server stderr was empty)")
	}
	return false
}

// stdoutClean fails when the SDK's reader failed in any session of the era,
// which is what a line on the server's stdout that is not JSON-RPC causes.
func stdoutClean(era string, all []*session) bool {
	msgs := 0
	var problems []string
	for _, s := range all {
		s.tap.mu.Lock()
		msgs += len(s.tap.received)
		for _, e := range s.tap.readErrs {
			problems = append(problems, e.Error())
		}
		s.tap.mu.Unlock()
	}
	if len(problems) > 0 {
		fmt.Printf("FAIL [%s] stdout-clean: %d read error(s): %s\n", eraName(era), len(problems), short(problems, 1000))
		return false
	}
	fmt.Printf("ok   [%s] stdout-clean (%d sessions, %d messages from the server, all JSON-RPC)\n", eraName(era), len(all), msgs)
	return true
}
