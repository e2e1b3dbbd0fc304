//go:build linux

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/tools/internal/release"
)

// runImage lays out the image the Dockerfile describes as a directory (the
// release binary in place of the build stage's own) and runs its ENTRYPOINT
// there under chroot, as its USER, with its ENV and WORKDIR, plus sandbox
// mode: an MCP session that inits and deploys a project, which writes to the
// workspace, the temp dir and the audit log under HOME. Nothing else is in
// the directory, so a shell or a shared library would be missing.
func runImage(img *image, bin, version string) (string, error) {
	if os.Geteuid() != 0 {
		return "skipped: chroot needs root", nil
	}
	root, err := os.MkdirTemp("", "cbmcp-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(root)
	if err := os.Chmod(root, 0o755); err != nil {
		return "", err
	}
	if err := layout(img, root, bin); err != nil {
		return "", err
	}
	cmd := exec.Command(img.entrypoint[0], img.entrypoint[1:]...)
	cmd.Dir = img.workdir
	// Docker's default PATH, then the image's ENV, then sandbox mode.
	cmd.Env = append(append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, img.env...),
		"CLOUDBASE_MCP_SANDBOX=true", "CLOUDBASE_MCP_SANDBOX_SPEED=600")
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uint32(img.uid), Gid: uint32(img.gid)}}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return "", err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s in the image: %w", img.entrypoint[0], err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	note, err := session(in, bufio.NewScanner(out), version)
	if err != nil {
		return "", fmt.Errorf("%w; stderr: %s", err, stderr.String())
	}
	_ = in.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("exit: %w; stderr: %s", err, stderr.String())
		}
	case <-time.After(5 * time.Second):
		return "", errors.New("still running 5 s after stdin closed")
	}
	return note, written(img, root)
}

// layout builds the image's filesystem under root.
func layout(img *image, root, bin string) error {
	at := func(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }
	for _, d := range img.dirs {
		if err := os.MkdirAll(at(d), 0o755); err != nil {
			return err
		}
	}
	for _, c := range img.copies {
		if err := release.CopyFile(c[0], at(c[1]), 0o644); err != nil {
			return fmt.Errorf("the image copies %s from the build stage: %w", c[0], err)
		}
	}
	if err := release.CopyFile(bin, at(img.binary), 0o755); err != nil {
		return err
	}
	for p, m := range img.modes {
		if err := os.Chmod(at(p), m); err != nil {
			return err
		}
	}
	for p, o := range img.owners {
		if err := os.Chown(at(p), o[0], o[1]); err != nil {
			return err
		}
	}
	return nil
}

// session: initialize, tools/list, init and deploy a project in the sandbox.
func session(in io.Writer, out *bufio.Scanner, version string) (string, error) {
	out.Buffer(make([]byte, 1<<20), 1<<24)
	id := 0
	call := func(method string, params any) (map[string]any, error) {
		id++
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
		if _, err := in.Write(append(b, '\n')); err != nil {
			return nil, err
		}
		for out.Scan() {
			var msg map[string]any
			if err := json.Unmarshal(out.Bytes(), &msg); err != nil {
				return nil, fmt.Errorf("stdout line is not JSON: %q", out.Text())
			}
			if n, ok := msg["id"].(float64); ok && int(n) == id {
				res, ok := msg["result"].(map[string]any)
				if !ok || res["isError"] == true {
					return nil, fmt.Errorf("%s: %s", method, out.Text())
				}
				return res, nil
			}
		}
		return nil, fmt.Errorf("%s: stdout closed", method)
	}
	init, err := call("initialize", map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "distcheck", "version": "1"}})
	if err != nil {
		return "", err
	}
	if info, _ := init["serverInfo"].(map[string]any); info["version"] != version {
		return "", fmt.Errorf("serverInfo %v, built as %s", init["serverInfo"], version)
	}
	_, _ = in.Write([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"))
	list, err := call("tools/list", map[string]any{})
	if err != nil {
		return "", err
	}
	tools, _ := list["tools"].([]any)
	if _, err := call("tools/call", map[string]any{"name": "manageCloudRun",
		"arguments": map[string]any{"action": "init", "serverName": "img-app", "template": "nodejs"}}); err != nil {
		return "", err
	}
	dep, err := call("tools/call", map[string]any{"name": "manageCloudRun",
		"arguments": map[string]any{"action": "deploy", "serverName": "img-app", "targetPath": "img-app"}})
	if err != nil {
		return "", err
	}
	sc, _ := dep["structuredContent"].(map[string]any)
	return fmt.Sprintf("%d tools; init and deploy as the image's user, buildId %.0f", len(tools), sc["buildId"]), nil
}

// written checks the session's files landed where the image keeps them, and
// the temp dir was left clean.
func written(img *image, root string) error {
	var ws, home string
	for _, kv := range img.env {
		if v, ok := strings.CutPrefix(kv, "CLOUDBASE_MCP_WORKSPACE="); ok {
			ws = v
		}
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			home = v
		}
	}
	if _, err := os.Stat(filepath.Join(root, ws, "img-app", "package.json")); err != nil {
		return fmt.Errorf("init wrote no project into the workspace: %w", err)
	}
	if _, err := os.Stat(filepath.Join(root, home, ".config", "cloudbase-mcp", "audit.log")); err != nil {
		return fmt.Errorf("no audit log under HOME: %w", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, "tmp")); len(left) > 0 {
		return fmt.Errorf("left in /tmp: %v", left)
	}
	return nil
}
