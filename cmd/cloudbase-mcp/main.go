// Command cloudbase-mcp is an MCP server for Tencent CloudBase Run: over
// stdio for one user, or over Streamable HTTP for a team (hosted mode).
//
//	cloudbase-mcp [flags]            serve MCP over stdio (the default), or HTTP with --transport http
//	cloudbase-mcp emulator [flags]   run the local CloudRun emulator
//	cloudbase-mcp demo               drive a sandboxed server through a real MCP session
//	cloudbase-mcp version            print version, commit and build date
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"golang.org/x/term"
)

func main() {
	args := os.Args[1:]
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	if cmd == "" && len(args) == 1 {
		switch args[0] {
		case "--version", "-version", "-v":
			cmd, args = "version", nil
		case "--help", "-help", "-h":
			cmd, args = "help", nil
		}
	}
	var err error
	switch cmd {
	case "", "serve":
		err = serve(args)
	case "emulator":
		err = runEmulator(args)
	case "demo":
		err = runDemo(args)
	case "version":
		fmt.Println(versionString())
	case "help":
		help(os.Stdout)
	default:
		fmt.Fprintf(os.Stderr, "cloudbase-mcp: unknown command %q\n\n%s\n", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) { // a subcommand's --help
		help(os.Stdout)
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cloudbase-mcp: %v\n", err)
		os.Exit(1)
	}
}

const usage = `usage:
  cloudbase-mcp [flags]            serve MCP over stdio (the default; an MCP client starts it)
  cloudbase-mcp --transport http   hosted mode: serve MCP over Streamable HTTP for a team or a CI fleet
  cloudbase-mcp demo               start a sandboxed server and drive it through a real MCP session
  cloudbase-mcp emulator [flags]   run the local CloudRun emulator (--addr, --scenario, --speed, --public-base-url)
  cloudbase-mcp version            print version, commit and build date (also --version)
  cloudbase-mcp help               this text (also --help)`

// help lists the subcommands and every setting.
func help(w io.Writer) {
	fmt.Fprintf(w, "%s: an MCP server for Tencent CloudBase Run (CloudRun).\n\n%s\n\n", versionString(), usage)
	fmt.Fprintln(w, "Settings (flag > environment > config file > default):")
	config.PrintSettings(w)
}

// greet tells a person who started the server by hand what it is: it speaks
// JSON-RPC on stdin/stdout and is meant to be started by an MCP client.
func greet(w io.Writer) {
	fmt.Fprintf(w, `%s
This is an MCP server: it speaks JSON-RPC on stdin and stdout, and is meant to be
started by an MCP client, for example:
  claude mcp add cloudbase -e CLOUDBASE_MCP_SANDBOX=true -- cloudbase-mcp
To see it work without a client or a cloud account: cloudbase-mcp demo
Settings and subcommands: cloudbase-mcp --help
Waiting for JSON-RPC on stdin (Ctrl-D to quit).
`, versionString())
}

// stdinIsTerminal reports whether stdin is a terminal (a person, not a
// client); /dev/null is a character device but no terminal.
func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }
