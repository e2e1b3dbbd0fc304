// Command cloudbase-mcp is an MCP server (stdio) for Tencent CloudBase Run.
//
//	cloudbase-mcp [flags]            serve MCP over stdio (the default)
//	cloudbase-mcp emulator [flags]   run the local CloudRun emulator
//	cloudbase-mcp demo               drive a sandboxed server through a real MCP session
//	cloudbase-mcp version            print version, commit and build date
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
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
		fmt.Fprintln(os.Stderr, usage)
	default:
		fmt.Fprintf(os.Stderr, "cloudbase-mcp: unknown command %q\n\n%s\n", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cloudbase-mcp: %v\n", err)
		os.Exit(1)
	}
}

const usage = `usage:
  cloudbase-mcp [flags]            serve MCP over stdio (flags mirror the CLOUDBASE_* variables; --help lists them)
  cloudbase-mcp emulator [flags]   run the local CloudRun emulator (--addr, --scenario, --speed)
  cloudbase-mcp demo               start a sandboxed server and drive it through a real MCP session
  cloudbase-mcp version            print version, commit and build date`
