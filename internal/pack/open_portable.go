//go:build !linux

package pack

import (
	"io/fs"
	"os"
)

// openEntry opens name, an entry of the directory dir.
func openEntry(_ *os.File, dir *os.Root, name string) (source, int64, fs.FileMode, error) {
	return openInRoot(dir, name)
}
