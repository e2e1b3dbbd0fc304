//go:build unix

package pack

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Special files are skipped and counted, never opened (opening a FIFO would block the walk).
func TestZipSkipsSpecialFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "a"})
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644))
	// Socket paths are limited to ~100 bytes, so the socket lives in a short directory and is linked in.
	sockDir, err := os.MkdirTemp("", "s")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	l, err := net.Listen("unix", filepath.Join(sockDir, "s"))
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	require.NoError(t, os.Link(filepath.Join(sockDir, "s"), filepath.Join(dir, "sock")))

	data, res := zipBytes(t, Options{Root: dir})
	assert.Equal(t, []string{"a.txt"}, zipNames(t, data))
	assert.Equal(t, 2, res.Excluded)
	assert.Equal(t, []string{"pipe (not a regular file)", "sock (not a regular file)"}, res.ExcludedSamples)
}
