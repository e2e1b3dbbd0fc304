//go:build !unix

package safefs

// Windows has no FIFOs a plain open could block on.
const nonblock = 0
