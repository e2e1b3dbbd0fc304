package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strings"
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
	publicURL := fs.String("public-base-url", "", "base URL clients reach the emulator by, put into the storage and template URLs it hands out\n"+
		"(e.g. http://emulator.internal:8787 behind a port mapping; default: the Host of each request)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	public, err := publicBaseURL(*publicURL)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	opts := emulator.Options{Speed: *speed, Logger: logger, PublicBaseURL: public}
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
	reach := base
	if public != "" {
		fmt.Printf("  reached as %s (storage and template URLs name it)\n", public)
		reach = public
	}
	fmt.Printf("  CLOUDBASE_API_BASE_URL=%s\n  TENCENTCLOUD_SECRETID=%s\n  TENCENTCLOUD_SECRETKEY=%s\n  CLOUDBASE_ENV_ID=%s\n",
		reach, emulator.DemoSecretID, emulator.DemoSecretKey, sandboxEnvID)
	// The admin endpoints answer loopback names only.
	fmt.Printf("  CLOUDBASE_TEMPLATES_URL=%s/func_tpl/v1.0/function_list/find\n  admin (loopback only): %s/__emulator/state\n", reach, base)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	<-ctx.Done()
	return nil
}

// publicBaseURL checks --public-base-url: scheme and host, nothing else
// (the emulator serves its paths from the root).
func publicBaseURL(raw string) (string, error) {
	raw = strings.TrimRight(strings.TrimSpace(raw), "/")
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	bad := func(why string) error {
		return fmt.Errorf("--public-base-url %q: %s; give scheme://host[:port], e.g. http://emulator.internal:8787", raw, why)
	}
	switch {
	case err != nil:
		return "", bad(err.Error())
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("the scheme must be http or https")
	case u.Hostname() == "":
		return "", bad("the host is missing")
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", bad("only a scheme and a host are allowed")
	}
	return raw, nil
}
