package mcpx

import (
	"context"
	"testing"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/tenant"
	"github.com/stretchr/testify/assert"
)

func TestRootURIs(t *testing.T) {
	ok := []struct {
		uri     string
		windows bool
		want    string
	}{
		{"file:///home/dev/project", false, "/home/dev/project"},
		{"file://localhost/home/dev/project", false, "/home/dev/project"},
		{"file:///home/dev/my%20project/", false, "/home/dev/my project"},
		{"FILE:///srv/app", false, "/srv/app"},
		// The forms real Windows clients send.
		{"file:///C:/Users/dev/project", true, `C:\Users\dev\project`},
		{"file:///c%3A/Users/dev/project", true, `c:\Users\dev\project`},
		{"file:///d:/", true, `d:\`},
		{"file:///C:", true, `C:\`},
	}
	for _, c := range ok {
		got, err := RootPath(c.uri, c.windows)
		if assert.NoError(t, err, c.uri) {
			assert.Equal(t, c.want, got, c.uri)
		}
	}
	refused := []struct {
		uri     string
		windows bool
	}{
		{"file://evil.example/share/project", false}, // another machine
		{"file://server/share", true},                // a UNC share
		{"file:///home/dev%2F..%2F..%2Fetc", false},  // an encoded separator
		{"file:///home/dev%2fx", false},              // lower case too
		{"file:///C:/dev%5C..%5Cwindows", true},      // an encoded backslash
		{"file:///home/dev%00/x", false},             // an encoded NUL
		{"file:///home/dev%0a/x", false},             // a control character
		{"file:///home/dev/../../etc", false},        // a .. segment
		{"file:///home/dev?x=1", false},              // a query
		{"file:///home/dev#frag", false},             // a fragment
		{"file://user@localhost/home/dev", false},    // user info
		{"https://example.com/project", false},       // not a file URI
		{"file:relative/path", false},                // opaque
		{"file:///home/dev", true},                   // no drive letter on Windows
		{"file:///C:evil", true},                     // a drive-relative path
		{"file:///home/a%5", false},                  // a truncated escape
	}
	for _, c := range refused {
		_, err := RootPath(c.uri, c.windows)
		assert.Error(t, err, c.uri)
	}
}

// TestRootsAreTheCallersOwn: requests of 2026-07-28 carry no session, so on
// a hosted server the roots one caller gave are kept under that caller.
func TestRootsAreTheCallersOwn(t *testing.T) {
	r := NewRoots(NewConfirmer(nil, nil), nil)
	alice := tenant.With(context.Background(), &tenant.Tenant{ID: "k:alice"})
	bob := tenant.With(context.Background(), &tenant.Tenant{ID: "k:bob"})
	r.set(rootsKey(alice), []string{"/home/alice/project"})
	assert.Equal(t, []string{"/home/alice/project"}, r.get(rootsKey(alice)).paths)
	assert.False(t, r.get(rootsKey(bob)).asked, "bob is asked for his own")
	assert.False(t, r.get(rootsKey(context.Background())).asked, "nor does a call without a caller see alice's")
	r.Forget(rootsKey(alice))
	assert.False(t, r.get(rootsKey(alice)).asked)
}
