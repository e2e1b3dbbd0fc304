package workspace

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResolve(t *testing.T) {
	base := t.TempDir()
	base, _ = filepath.EvalSymlinks(base)
	root := filepath.Join(base, "ws")
	outside := filepath.Join(base, "elsewhere")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "app", "src"), 0o755))
	require.NoError(t, os.MkdirAll(outside, 0o755))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "link-out")))
	require.NoError(t, os.Symlink(filepath.Join(root, "app"), filepath.Join(root, "link-in")))

	tests := []struct {
		name string
		path string
		want string // "" = refused
	}{
		{"relative inside", "app", filepath.Join(root, "app")},
		{"relative not yet created", "app/new/dir", filepath.Join(root, "app", "new", "dir")},
		{"absolute inside", filepath.Join(root, "app", "src"), filepath.Join(root, "app", "src")},
		{"the root itself", ".", root},
		{"dot-dot escape", "../elsewhere", ""},
		{"dot-dot that stays inside", "app/../app/src", filepath.Join(root, "app", "src")},
		{"absolute outside", outside, ""},
		{"absolute outside, not existing", "/definitely/not/here", ""},
		{"symlink out", "link-out", ""},
		{"below a symlink out", "link-out/sub", ""},
		{"symlink in", "link-in/src", filepath.Join(root, "app", "src")},
		{"prefix trick", root + "-sibling", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Resolve([]string{root}, tc.path)
			if tc.want == "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrOutside)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestResolveSeveralRoots(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	got, err := Resolve([]string{a, b}, filepath.Join(b, "x"))
	require.NoError(t, err)
	rb, _ := filepath.EvalSymlinks(b)
	assert.Equal(t, filepath.Join(rb, "x"), got)
	_, err = Resolve(nil, "x")
	assert.Error(t, err)
	_, err = Resolve([]string{a}, "  ")
	assert.Error(t, err)
}
