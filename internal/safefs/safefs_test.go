//go:build unix

package safefs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func openRoot(t *testing.T) (*os.Root, string) {
	t.Helper()
	dir := t.TempDir()
	root, err := os.OpenRoot(dir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = root.Close() })
	return root, dir
}

func TestReadFileRefusesWhatIsNotARegularFileInside(t *testing.T) {
	root, dir := openRoot(t)
	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("id_rsa"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ok.json"), []byte(`{}`), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "out")))
	require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero")))
	require.NoError(t, os.Symlink("ok.json", filepath.Join(dir, "in")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big"), []byte(strings.Repeat("x", 101)), 0o644))

	data, err := ReadFile(root, "ok.json", 100)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(data))
	data, err = ReadFile(root, "in", 100)
	require.NoError(t, err, "a link inside the root is followed")
	assert.Equal(t, "{}", string(data))

	_, err = ReadFile(root, "fifo", 100) // returns at once: no writer is waited for
	assert.ErrorIs(t, err, ErrNotRegular)
	_, err = ReadFile(root, "sub", 100)
	assert.ErrorIs(t, err, ErrNotRegular)
	_, err = ReadFile(root, "out", 100)
	assert.Error(t, err, "a link out of the root is not followed")
	_, err = ReadFile(root, "zero", 100)
	assert.Error(t, err)
	_, err = ReadFile(root, "../"+filepath.Base(dir)+"/ok.json", 100)
	assert.Error(t, err)
	_, err = ReadFile(root, "big", 100)
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = ReadFile(root, "missing", 100)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, err = ReadFilePath(filepath.Join(dir, "fifo"), 100)
	assert.ErrorIs(t, err, ErrNotRegular)
	_, err = ReadFilePath("/dev/zero", 100)
	assert.ErrorIs(t, err, ErrNotRegular)
}

func TestWriteFileReplacesLinksAndLeavesNoTemp(t *testing.T) {
	root, dir := openRoot(t)
	victim := filepath.Join(t.TempDir(), "bashrc")
	require.NoError(t, os.WriteFile(victim, []byte("mine"), 0o644))
	require.NoError(t, os.Symlink(victim, filepath.Join(dir, "cloudbaserc.json")))

	require.NoError(t, WriteFile(root, "cloudbaserc.json", []byte(`{"envId":"e"}`), 0o644))
	got, err := os.ReadFile(victim)
	require.NoError(t, err)
	assert.Equal(t, "mine", string(got), "the link's target is untouched")
	st, err := os.Lstat(filepath.Join(dir, "cloudbaserc.json"))
	require.NoError(t, err)
	assert.True(t, st.Mode().IsRegular(), "the link was replaced by the file")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temp file is left")

	// A write into a directory that is a link out fails, and writes nothing there.
	outside := t.TempDir()
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "sub")))
	assert.Error(t, WriteFile(root, "sub/x.json", []byte("{}"), 0o644))
	entries, err = os.ReadDir(outside)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestCreateTempNeverOpensAnExistingName(t *testing.T) {
	root, dir := openRoot(t)
	name, f, err := CreateTemp(root, ".", ".x.tmp-", 0o600)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	assert.True(t, strings.HasPrefix(name, ".x.tmp-"))
	// O_EXCL: the same name, even as a dangling link, is an error, not an open.
	require.NoError(t, os.Symlink(filepath.Join(t.TempDir(), "target"), filepath.Join(dir, "link")))
	_, err = root.OpenFile("link", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	assert.True(t, errors.Is(err, fs.ErrExist))
}

func TestIsEmptyDir(t *testing.T) {
	root, dir := openRoot(t)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "empty"), 0o755))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "full"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "full", "f"), nil, 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	assert.True(t, IsEmptyDir(root, "empty"))
	assert.False(t, IsEmptyDir(root, "full"))
	assert.False(t, IsEmptyDir(root, "fifo"))
	assert.False(t, IsEmptyDir(root, "missing"))
	name, err := MkdirTemp(root, ".", ".t-", 0o700)
	require.NoError(t, err)
	assert.True(t, IsEmptyDir(root, name))
}
