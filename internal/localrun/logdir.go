package localrun

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// Local-run logs hold whatever the project prints: they live in a directory
// only this user can enter, never in a shared place where another local user
// could plant a symlink to redirect our writes or read the logs.

// DefaultLogDir is <user cache dir>/cloudbase-mcp/runs (~/.cache on Linux),
// else a per-user directory under the system temp dir.
func DefaultLogDir() string {
	if dir, err := os.UserCacheDir(); err == nil && dir != "" {
		return filepath.Join(dir, "cloudbase-mcp", "runs")
	}
	return filepath.Join(os.TempDir(), "cloudbase-mcp-runs-"+strconv.Itoa(os.Getuid()))
}

// ensurePrivateDir creates dir with mode 0700 when missing and checks that it
// is a real directory (not a symlink) owned by this user and closed to
// others; a directory of ours with a looser mode is tightened.
func ensurePrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(dir), err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("cannot create the log directory %s: %w", dir, err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("log directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("log directory %s is not a directory (a symlink or a file is there); remove it or set another log directory", dir)
	}
	if owner, ok := ownerOf(st); ok && owner != os.Getuid() {
		return fmt.Errorf("log directory %s belongs to another user (uid %d); local-run logs are only written to a directory of your own", dir, owner)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("log directory %s is open to other users and cannot be closed: %w", dir, err)
		}
	}
	return nil
}

// createLog replaces path with a new, empty file only this user can read. A
// symlink or file planted at path is removed, never followed (O_EXCL).
func createLog(path string) (*os.File, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
}
