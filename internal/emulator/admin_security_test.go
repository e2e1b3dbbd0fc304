package emulator

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawAdmin sends an admin request exactly as a browser would: Host, Origin
// and Content-Type as given (Go's client sends no Origin of its own).
func rawAdmin(t *testing.T, method, url, host, origin, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestAdminRefusesDNSRebinding: a page at http://attacker.example:PORT whose
// name was rebound to 127.0.0.1 reaches the emulator's socket, but its
// requests carry Host attacker.example:PORT. The admin endpoints must not
// answer them: no state read (it holds EnvParams), no fault injected, no
// reset.
func TestAdminRefusesDNSRebinding(t *testing.T) {
	e, base := start(t, Options{})
	port := base[strings.LastIndex(base, ":")+1:]
	evil := "attacker.example:" + port
	e.Advance(90e9) // 90 s: a reset would undo it

	status, body := rawAdmin(t, http.MethodGet, base+"/__emulator/state", evil, "", "", "")
	assert.Equal(t, http.StatusForbidden, status)
	assert.NotContains(t, body, "DB_PASSWORD")
	assert.NotContains(t, body, demoEnv)

	status, _ = rawAdmin(t, http.MethodPost, base+"/__emulator/faults", evil, "http://"+evil, "application/json",
		`{"action":"DescribeCloudRunServers","code":"InternalError","times":5}`)
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = rawAdmin(t, http.MethodPost, base+"/__emulator/reset", evil, "", "", "")
	assert.Equal(t, http.StatusForbidden, status)
	for _, h := range []string{"127.0.0.2:" + port, "0.0.0.0:" + port, "localhost.attacker.example:" + port, "[::2]:" + port} {
		status, _ := rawAdmin(t, http.MethodGet, base+"/__emulator/clock", h, "", "", "")
		assert.Equal(t, http.StatusForbidden, status, "Host %q", h)
	}

	assert.Empty(t, e.pendingFaults(), "no fault was injected")
	assert.Equal(t, defaultStart.Add(90e9), e.Now(), "no reset happened")
	// The API itself stays reachable: it is signed.
	assert.Empty(t, api(t, base, "DescribeCloudRunServers", m{"EnvId": demoEnv}).Code)
}

// TestAdminRefusesCrossSitePosts: any web page may POST to
// http://127.0.0.1:PORT without asking (a form, or fetch in no-cors mode),
// with a text/plain, form or multipart body, or none at all; it cannot send
// application/json without a preflight the emulator never grants, and the
// browser names its origin. None of those posts may act.
func TestAdminRefusesCrossSitePosts(t *testing.T) {
	e, base := start(t, Options{})
	e.Advance(90e9)
	fault := `{"action":"DescribeCloudRunServers","code":"InternalError","times":5}`
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", ""} {
		status, _ := rawAdmin(t, http.MethodPost, base+"/__emulator/faults", "", "", ct, fault)
		assert.Equal(t, http.StatusUnsupportedMediaType, status, "Content-Type %q", ct)
	}
	// A bodiless POST from a foreign page is refused on its Origin.
	status, _ := rawAdmin(t, http.MethodPost, base+"/__emulator/reset", "", "https://attacker.example", "", "")
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = rawAdmin(t, http.MethodPost, base+"/__emulator/clock/advance?s=3600", "", "null", "", "")
	assert.Equal(t, http.StatusForbidden, status, "a sandboxed page sends Origin null")
	req, err := http.NewRequest(http.MethodPost, base+"/__emulator/reset", nil)
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)

	assert.Empty(t, e.pendingFaults())
	assert.Equal(t, defaultStart.Add(90e9), e.Now())
}

// TestAdminAnswersLoopbackClients: tools on this machine keep working, by
// any loopback name, with JSON bodies or none.
func TestAdminAnswersLoopbackClients(t *testing.T) {
	e, base := start(t, Options{})
	port := base[strings.LastIndex(base, ":")+1:]
	for _, h := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST", "[::1]:" + port, "127.0.0.1"} {
		status, body := rawAdmin(t, http.MethodGet, base+"/__emulator/clock", h, "", "", "")
		assert.Equal(t, http.StatusOK, status, "Host %q: %s", h, body)
	}
	status, body := rawAdmin(t, http.MethodPost, base+"/__emulator/faults", "localhost:"+port, "http://localhost:3000",
		"application/json; charset=utf-8", `{"action":"DescribeCloudRunServers","code":"InternalError"}`)
	require.Equal(t, http.StatusOK, status, body)
	assert.Len(t, e.pendingFaults(), 1)
	status, _ = rawAdmin(t, http.MethodPost, base+"/__emulator/reset", "", "", "", "")
	assert.Equal(t, http.StatusOK, status)
	assert.Empty(t, e.pendingFaults())
}
