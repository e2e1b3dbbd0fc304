package pack

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

// rawFile is a descriptor read with pread and closed by its last reader: no os.File, whose setup per
// file (a finalizer, an attempt to register with the poller) cost a tenth of the packer's CPU on
// projects of small files.
type rawFile int

func (f rawFile) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		m, err := syscall.Pread(int(f), p[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, io.EOF
		}
		n += m
	}
	return n, nil
}

func (f rawFile) Close() error { return syscall.Close(int(f)) }

// openEntry opens name, an entry of the directory open as dirFile (its Root is not needed here), as
// os.Root would for one path component: relative to the directory's descriptor, never following a
// symlink, without blocking (an entry swapped for a FIFO since the listing cannot hang the walk).
func openEntry(dirFile *os.File, _ *os.Root, name string) (source, int64, fs.FileMode, error) {
	dirfd := int(dirFile.Fd())
	var fd int
	var err error
	for {
		fd, err = syscall.Openat(dirfd, name, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, 0, 0, err
	}
	var st syscall.Stat_t
	for {
		err = syscall.Fstat(fd, &st)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		_ = syscall.Close(fd)
		return nil, 0, 0, err
	}
	mode := fs.FileMode(st.Mode & 0o777)
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		mode |= fs.ModeIrregular
	}
	return rawFile(fd), st.Size, mode, nil
}
