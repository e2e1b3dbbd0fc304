package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/emulator"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tcbr"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startEmulatorCmd runs `cloudbase-mcp emulator` with args on a free
// loopback port and returns its base URL.
func startEmulatorCmd(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(binPath, append([]string{"emulator", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = cleanEnv(t)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, out) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "CloudRun emulator listening on ")
	require.True(t, ok, line)
	t.Cleanup(func() { assertNoWireViolations(t, base) })
	return base
}

// TestEmulatorPublicBaseURL: with --public-base-url the storage and
// template URLs the emulator hands out name the host clients reach it by,
// not the address it listens on.
func TestEmulatorPublicBaseURL(t *testing.T) {
	t.Parallel()
	base := startEmulatorCmd(t, "--public-base-url", "http://emu.example:9999/")
	c, err := tcbr.NewSDKClient(tcbr.Options{BaseURL: base, ReadRetries: -1,
		Credential: tcbr.Credential{SecretID: emulator.DemoSecretID, SecretKey: emulator.DemoSecretKey}})
	require.NoError(t, err)
	ticket, err := c.DescribeCloudBaseBuildService(context.Background(),
		&tcbr.DescribeCloudBaseBuildServiceRequest{EnvId: sandboxEnvID, ServiceName: "shop-api"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(ticket.UploadUrl, "http://emu.example:9999/__cos/upload/"), ticket.UploadUrl)

	resp, err := http.Post(base+"/func_tpl/v1.0/function_list/find", "application/json", strings.NewReader(`{}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(body), "http://emu.example:9999/__templates/")
	assert.NotContains(t, string(body), base)

	// Without the flag, the URLs follow the request's Host.
	plain := startEmulatorCmd(t)
	c, err = tcbr.NewSDKClient(tcbr.Options{BaseURL: plain, ReadRetries: -1,
		Credential: tcbr.Credential{SecretID: emulator.DemoSecretID, SecretKey: emulator.DemoSecretKey}})
	require.NoError(t, err)
	ticket, err = c.DescribeCloudBaseBuildService(context.Background(),
		&tcbr.DescribeCloudBaseBuildServiceRequest{EnvId: sandboxEnvID, ServiceName: "shop-api"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(ticket.UploadUrl, plain+"/__cos/upload/"), ticket.UploadUrl)
}

func TestEmulatorRefusesABadPublicBaseURL(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"emu.example:9999", "ftp://emu.example", "http://emu.example/prefix", "http://"} {
		cmd := exec.Command(binPath, "emulator", "--addr", "127.0.0.1:0", "--public-base-url", bad)
		cmd.Env = cleanEnv(t)
		done := make(chan struct{})
		var out []byte
		var err error
		go func() { out, err = cmd.CombinedOutput(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Fatalf("%q: the emulator started instead of refusing the flag", bad)
		}
		require.Error(t, err, bad)
		assert.Contains(t, string(out), "--public-base-url", bad)
	}
}

// TestStandaloneEmulatorAdminIsLoopbackOnly: the attacks of
// internal/emulator's admin tests, against the standalone emulator.
func TestStandaloneEmulatorAdminIsLoopbackOnly(t *testing.T) {
	t.Parallel()
	base := startEmulatorCmd(t)
	port := base[strings.LastIndex(base, ":")+1:]
	send := func(method, path, host, contentType, body string) int {
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		require.NoError(t, err)
		if host != "" {
			req.Host = host
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	fault := `{"action":"DescribeCloudRunServers","code":"InternalError"}`
	assert.Equal(t, http.StatusForbidden, send(http.MethodGet, "/__emulator/state", "rebound.example:"+port, "", ""), "DNS rebinding")
	assert.Equal(t, http.StatusForbidden, send(http.MethodPost, "/__emulator/faults", "rebound.example:"+port, "application/json", fault))
	assert.Equal(t, http.StatusUnsupportedMediaType, send(http.MethodPost, "/__emulator/faults", "", "text/plain", fault), "cross-site form post")
	assert.Equal(t, http.StatusOK, send(http.MethodGet, "/__emulator/faults", "", "", ""))
	assert.Equal(t, http.StatusOK, send(http.MethodPost, "/__emulator/faults", "localhost:"+port, "application/json", fault))
}

// assertNoWireViolations asks a running emulator for the requests it
// refused as the real API would (GET /__emulator/violations): a test of
// ours must send none.
func assertNoWireViolations(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/__emulator/violations")
	require.NoError(t, err)
	defer resp.Body.Close()
	var got struct {
		Violations []emulator.WireViolation `json:"violations"`
	}
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	assert.Empty(t, got.Violations, "requests the real API would refuse")
}
