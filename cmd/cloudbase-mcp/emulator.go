package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
)

// runEmulator serves the CloudRun emulator until SIGTERM/SIGINT.
func runEmulator(args []string) error {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8787", "listen address (loopback recommended)")
	scenario := fs.String("scenario", "", "scenario JSON file (default: the built-in demo scenario)")
	speed := fs.Float64("speed", 1, "virtual seconds per real second")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	opts := emulator.Options{Speed: *speed, Logger: logger}
	if *scenario != "" {
		sc, err := emulator.LoadScenario(*scenario)
		if err != nil {
			return err
		}
		opts.Scenario = sc
	}
	emu, err := emulator.New(opts)
	if err != nil {
		return err
	}
	base, err := emu.Listen(*addr)
	if err != nil {
		return err
	}
	defer emu.Close()
	fmt.Printf("CloudRun emulator listening on %s\n", base)
	fmt.Printf("  CLOUDBASE_API_BASE_URL=%s\n  TENCENTCLOUD_SECRETID=%s\n  TENCENTCLOUD_SECRETKEY=%s\n  CLOUDBASE_ENV_ID=%s\n",
		base, emulator.DemoSecretID, emulator.DemoSecretKey, sandboxEnvID)
	fmt.Printf("  CLOUDBASE_TEMPLATES_URL=%s/func_tpl/v1.0/function_list/find\n  admin: %s/__emulator/state\n", base, base)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	return nil
}
