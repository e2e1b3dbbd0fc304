//go:build unix

package pack

import (
	"io/fs"
	"os"
	"syscall"
)

// openFlag opens project files without blocking: it also spares the two fcntl calls os.File makes per
// file to try (and fail) to put a regular file in the poller, a third of the syscalls per small file.
const openFlag = os.O_RDONLY | syscall.O_NONBLOCK

// readDirTypes lists f (a directory opened in a Root) with the types from the directory entries: a File
// opened in a Root lstats every entry instead (a syscall per entry). A duplicate of the descriptor, as
// a plain File, reads the same entries; an entry whose type the file system does not report is still
// lstat'ed relative to that descriptor.
func readDirTypes(f *os.File) ([]fs.DirEntry, error) {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return f.ReadDir(-1)
	}
	syscall.CloseOnExec(fd)
	d := os.NewFile(uintptr(fd), f.Name())
	defer d.Close()
	return d.ReadDir(-1)
}
