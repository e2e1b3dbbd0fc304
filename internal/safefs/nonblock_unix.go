//go:build unix

package safefs

import "syscall"

// nonblock makes opening a FIFO or device return at once instead of waiting
// for a writer; for a regular file it changes nothing.
const nonblock = syscall.O_NONBLOCK
