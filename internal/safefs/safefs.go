// Package safefs is the one way the server reads and writes files that belong
// to a user's project: every name is resolved under an *os.Root (no symlink,
// no ".." leads out of it), reads open without blocking and accept only
// regular files up to a size bound, and writes go through an exclusive temp
// file with a random name that is then renamed over the target (a symlink
// at the target is replaced, never followed).
//
// A project is hostile until proven otherwise: a FIFO named package.json, a
// symlink to /dev/zero or to ~/.bashrc, a 10 GB Dockerfile. None of them can
// block a call, exhaust memory or make the server touch a file outside the
// root.
package safefs

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// MaxSmallFile bounds the project files the server reads whole
// (cloudbaserc.json, package.json, Dockerfile, ignore files): 1 MiB is far
// above any real one, and small enough that reading it costs nothing.
const MaxSmallFile = 1 << 20

var (
	// ErrNotRegular: the name is a directory, FIFO, socket or device.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge: the file is larger than the bound the caller set.
	ErrTooLarge = errors.New("file is too large")
)

// OpenRegular opens name under root for reading. The open never blocks (a
// FIFO or a device opens at once and is refused), and the file must be a
// regular file once open, so a swap between a check and the open cannot
// slip a special file in.
func OpenRegular(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	f, err := root.OpenFile(name, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	return checkRegular(f, name)
}

// OpenRegularPath is OpenRegular for a path outside any project (the
// server's own config and credentials files).
func OpenRegularPath(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	return checkRegular(f, path)
}

func checkRegular(f *os.File, name string) (*os.File, fs.FileInfo, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotRegular}
	}
	return f, st, nil
}

// ReadFile reads the regular file name under root, refusing it with
// ErrTooLarge when it holds more than max bytes.
func ReadFile(root *os.Root, name string, max int64) ([]byte, error) {
	f, _, err := OpenRegular(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, name, max)
}

// ReadFilePath is ReadFile for a path outside any project.
func ReadFilePath(path string, max int64) ([]byte, error) {
	f, _, err := OpenRegularPath(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readBounded(f, path, max)
}

func readBounded(f *os.File, name string, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w (more than %d bytes)", ErrTooLarge, max)}
	}
	return data, nil
}

// IsRegular reports whether name under root is a regular file (symlinks
// inside the root are followed; one leading out counts as absent).
func IsRegular(root *os.Root, name string) bool {
	st, err := root.Stat(name)
	return err == nil && st.Mode().IsRegular()
}

// WriteFile replaces name under root with data: written to an exclusive temp
// file with a random name beside it, synced, then renamed over name. A
// symlink or special file at name is replaced, not followed; on failure the
// temp file is removed and name is untouched.
func WriteFile(root *os.Root, name string, data []byte, perm fs.FileMode) error {
	tmp, f, err := CreateTemp(root, filepath.Dir(name), "."+filepath.Base(name)+".tmp-", perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, name)
	}
	if err != nil {
		_ = root.Remove(tmp)
		return err
	}
	return nil
}

// CreateTemp creates a new file in dir under root with a random name that
// starts with prefix, exclusively (O_EXCL: an existing file or symlink of
// that name is an error, never opened), and returns its name under root.
func CreateTemp(root *os.Root, dir, prefix string, perm fs.FileMode) (string, *os.File, error) {
	for range 10 {
		name := filepath.Join(dir, prefix+RandomSuffix())
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		return name, f, nil
	}
	return "", nil, fmt.Errorf("cannot create a temporary file in %s: names keep colliding", dir)
}

// MkdirTemp creates a new directory in dir under root with a random name
// that starts with prefix, and returns its name under root.
func MkdirTemp(root *os.Root, dir, prefix string, perm fs.FileMode) (string, error) {
	for range 10 {
		name := filepath.Join(dir, prefix+RandomSuffix())
		err := root.Mkdir(name, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		return name, nil
	}
	return "", fmt.Errorf("cannot create a temporary directory in %s: names keep colliding", dir)
}

// RandomSuffix is 16 hex digits from the system's secure random source.
func RandomSuffix() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// IsEmptyDir reports whether name under root is a directory with no entries.
// A FIFO or any other non-directory is not (and is never opened).
func IsEmptyDir(root *os.Root, name string) bool {
	st, err := root.Lstat(name)
	if err != nil || !st.IsDir() {
		return false
	}
	f, err := root.OpenFile(name, os.O_RDONLY|nonblock, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.IsDir() {
		return false
	}
	_, err = f.Readdirnames(1)
	return errors.Is(err, io.EOF)
}
