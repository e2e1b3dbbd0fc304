//go:build !unix

package testutil

import "testing"

// AsUnprivilegedUser: permission tests run as they are where there is no root.
func AsUnprivilegedUser(t *testing.T) bool { return true }
