package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/testutil"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeTree creates files under dir: "a/b.txt" → content; a key ending in "/" makes an empty directory.
func writeTree(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			require.NoError(t, os.MkdirAll(p, 0o755))
			continue
		}
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// zipBytes packages opts and returns the archive and its result.
func zipBytes(t testing.TB, opts Options) ([]byte, *Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := Zip(context.Background(), opts, &buf)
	require.NoError(t, err)
	return buf.Bytes(), res
}

// readZip returns name → content of an archive.
func readZip(t testing.TB, data []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		require.NoError(t, rc.Close())
		out[f.Name] = string(b)
	}
	return out
}

func zipNames(t testing.TB, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	names := make([]string, 0, len(zr.File))
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	return names
}

func TestZipEntriesAreFilesOnlySortedAndFixed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"b.txt":          "b",
		"a/z.txt":        "z",
		"a/b/c.txt":      "c",
		"a.txt":          "a",
		"empty/":         "",
		"run.sh":         "#!/bin/sh\necho hi\n",
		"unicode/名字.txt": "x",
	})
	require.NoError(t, os.Chmod(filepath.Join(dir, "run.sh"), 0o750))

	data, res := zipBytes(t, Options{Root: dir})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)

	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		assert.Equal(t, zip.Deflate, f.Method, f.Name)
		assert.True(t, f.Modified.Equal(fixedModTime), "%s: %v", f.Name, f.Modified)
		assert.False(t, f.Mode().IsDir(), f.Name)
		want := fs.FileMode(0o644)
		if f.Name == "run.sh" {
			want = 0o755
		}
		assert.Equal(t, want, f.Mode().Perm(), f.Name)
	}
	// Depth-first, each directory sorted by name.
	assert.Equal(t, []string{"a/b/c.txt", "a/z.txt", "a.txt", "b.txt", "run.sh", "unicode/名字.txt"}, names)
	assert.Equal(t, 6, res.Files)
	assert.Equal(t, int64(len(data)), res.ZipBytes)
	assert.Equal(t, int64(1+1+1+1+len("#!/bin/sh\necho hi\n")+1), res.Bytes)
	assert.False(t, res.HasDockerfile)
	assert.Equal(t, "z", readZip(t, data)["a/z.txt"])
}

func TestZipIsByteIdentical(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"index.js":          strings.Repeat("console.log('hello');\n", 500),
		"src/app.js":        "module.exports = 1\n",
		"src/lib/util.js":   strings.Repeat("x", 70_000),
		"public/index.html": "<html></html>",
		".gitignore":        "*.log\n",
		"debug.log":         "noise",
		"node_modules/x/y":  "dep",
	}
	a, b := t.TempDir(), t.TempDir()
	writeTree(t, a, files)
	writeTree(t, b, files)
	// Different timestamps on the copy must not matter.
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	require.NoError(t, filepath.WalkDir(b, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		return os.Chtimes(p, old, old)
	}))

	first, res1 := zipBytes(t, Options{Root: a})
	second, res2 := zipBytes(t, Options{Root: a})
	copied, res3 := zipBytes(t, Options{Root: b})
	assert.True(t, bytes.Equal(first, second), "two runs over the same tree differ")
	assert.True(t, bytes.Equal(first, copied), "a copy of the tree gives a different archive")
	assert.Equal(t, res1, res2)
	assert.Equal(t, res1, res3)
	assert.Equal(t, 5, res1.Files)
}

func TestZipSymlinks(t *testing.T) {
	t.Parallel()
	t.Run("file symlink inside the root is packaged with the target's content", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"real/config.json": `{"a":1}`, "app/main.js": "x"})
		require.NoError(t, os.Symlink("../real/config.json", filepath.Join(dir, "app", "config.json")))
		// An absolute link that stays inside the root is fine too.
		require.NoError(t, os.Symlink(filepath.Join(dir, "app", "main.js"), filepath.Join(dir, "abs.js")))

		data, res := zipBytes(t, Options{Root: dir})
		got := readZip(t, data)
		assert.Equal(t, `{"a":1}`, got["app/config.json"])
		assert.Equal(t, `{"a":1}`, got["real/config.json"])
		assert.Equal(t, "x", got["abs.js"])
		assert.Equal(t, 4, res.Files)
	})

	t.Run("directory symlink is not descended", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"lib/a.js": "a"})
		require.NoError(t, os.Symlink("lib", filepath.Join(dir, "alias")))
		require.NoError(t, os.Symlink(".", filepath.Join(dir, "lib", "loop"))) // a cycle

		data, res := zipBytes(t, Options{Root: dir})
		assert.Equal(t, []string{"lib/a.js"}, zipNames(t, data))
		assert.Equal(t, 2, res.Excluded)
		assert.Contains(t, res.ExcludedSamples, "alias (symlink to a directory, not followed)")
		assert.Contains(t, res.ExcludedSamples, "lib/loop (symlink to a directory, not followed)")
	})

	t.Run("symlink leaving the root is refused", func(t *testing.T) {
		etcPasswd, err := filepath.EvalSymlinks("/etc/passwd")
		require.NoError(t, err)
		for name, target := range map[string]string{
			"absolute": "OUTSIDE/secret.txt",
			"relative": "../../outside/secret.txt",
			"etc":      "/etc/passwd",
		} {
			t.Run(name, func(t *testing.T) {
				parent := t.TempDir()
				root := filepath.Join(parent, "proj")
				writeTree(t, parent, map[string]string{"proj/app/main.js": "x", "outside/secret.txt": "secret"})
				target = strings.Replace(target, "OUTSIDE", filepath.Join(parent, "outside"), 1)
				require.NoError(t, os.Symlink(target, filepath.Join(root, "app", "x")))

				_, err := Zip(context.Background(), Options{Root: root}, io.Discard)
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrOutsideRoot)
				want := etcPasswd
				if name != "etc" {
					realParent, err := filepath.EvalSymlinks(parent)
					require.NoError(t, err)
					want = filepath.Join(realParent, "outside", "secret.txt")
				}
				assert.EqualError(t, err, "symlink app/x points outside the project: "+want)
			})
		}
	})

	t.Run("dangling symlink leaving the root is refused, dangling inside is skipped", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"a.txt": "a"})
		require.NoError(t, os.Symlink("missing.txt", filepath.Join(dir, "dangling")))
		data, res := zipBytes(t, Options{Root: dir})
		assert.Equal(t, []string{"a.txt"}, zipNames(t, data))
		assert.Equal(t, []string{"dangling (broken symlink)"}, res.ExcludedSamples)

		require.NoError(t, os.Symlink("/nonexistent/elsewhere", filepath.Join(dir, "out")))
		_, err := Zip(context.Background(), Options{Root: dir}, io.Discard)
		assert.ErrorIs(t, err, ErrOutsideRoot)
		assert.ErrorContains(t, err, "symlink out points outside the project: /nonexistent/elsewhere")
	})

	t.Run("an ignored symlink leaving the root is not an error", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"a.txt": "a", ".gitignore": "secret\n"})
		require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(dir, "secret")))
		data, _ := zipBytes(t, Options{Root: dir})
		assert.Equal(t, []string{".gitignore", "a.txt"}, zipNames(t, data))
	})

	t.Run("root given through a symlink", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"real/a.txt": "a"})
		require.NoError(t, os.Symlink("a.txt", filepath.Join(dir, "real", "b.txt")))
		require.NoError(t, os.Symlink("real", filepath.Join(dir, "link")))
		data, _ := zipBytes(t, Options{Root: filepath.Join(dir, "link")})
		assert.Equal(t, map[string]string{"a.txt": "a", "b.txt": "a"}, readZip(t, data))
	})
}

func TestZipLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.bin": strings.Repeat("a", 600),
		"b.bin": strings.Repeat("b", 600),
		"c.bin": strings.Repeat("c", 600),
	})

	_, err := Zip(context.Background(), Options{Root: dir, MaxBytes: 1000}, io.Discard)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrLimitExceeded)
	assert.Contains(t, err.Error(), "project is larger than the 1000 B limit (")
	assert.Contains(t, err.Error(), "add ignore rules (.cloudbaseignore) or deploy an image")

	_, err = Zip(context.Background(), Options{Root: dir, MaxFiles: 2}, io.Discard)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrLimitExceeded)
	assert.Contains(t, err.Error(), "more than 2 files")

	// Exactly at the limits is fine.
	_, res := zipBytes(t, Options{Root: dir, MaxBytes: 1800, MaxFiles: 3})
	assert.Equal(t, 3, res.Files)

	assert.Equal(t, "1 GiB", formatBytes(DefaultMaxBytes))
	assert.Equal(t, "1.5 GiB", formatBytes(DefaultMaxBytes*3/2))
	assert.Equal(t, "10 MiB", formatBytes(10<<20))
}

func TestZipContextCancel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 300 {
		files[fmt.Sprintf("d%d/f%03d.txt", i%7, i)] = "data"
	}
	writeTree(t, dir, files)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Zip(ctx, Options{Root: dir}, io.Discard)
	assert.ErrorIs(t, err, context.Canceled)

	// Cancelled mid-way (from the progress callback): stops before the end.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var calls int
	_, err = Zip(ctx, Options{Root: dir, Progress: func(files int, _ int64) {
		calls++
		cancel()
	}}, io.Discard)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 1, calls)
}

func TestZipProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{}
	for i := range 200 {
		files[fmt.Sprintf("src/file%03d.txt", i)] = "x"
	}
	writeTree(t, dir, files)

	type call struct {
		files int
		bytes int64
	}
	var calls []call
	_, res := zipBytes(t, Options{Root: dir, Progress: func(f int, b int64) { calls = append(calls, call{f, b}) }})
	require.NotEmpty(t, calls)
	assert.Equal(t, call{res.Files, res.Bytes}, calls[len(calls)-1], "the last call reports the totals")
	assert.LessOrEqual(t, len(calls), res.Files/progressEveryFiles+1)
	for i := 1; i < len(calls)-1; i++ {
		assert.GreaterOrEqual(t, calls[i].files-calls[i-1].files, progressEveryFiles)
	}
}

func TestZipRootErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))

	_, err := Zip(context.Background(), Options{Root: filepath.Join(dir, "missing")}, io.Discard)
	assert.ErrorContains(t, err, "project directory "+filepath.Join(dir, "missing")+" does not exist")
	_, err = Zip(context.Background(), Options{Root: file}, io.Discard)
	assert.ErrorContains(t, err, "is not a directory")
	_, err = Zip(context.Background(), Options{}, io.Discard)
	assert.ErrorContains(t, err, "project directory is not set")
}

func TestZipUnreadableFile(t *testing.T) {
	t.Parallel()
	// Root reads any file: as root (CI), the test re-runs itself as nobody.
	if !testutil.AsUnprivilegedUser(t) {
		return
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"app/secret.txt": "x", "app/sub/a.txt": "a"})
	require.NoError(t, os.Chmod(filepath.Join(dir, "app", "secret.txt"), 0))
	_, err := Zip(context.Background(), Options{Root: dir}, io.Discard)
	assert.ErrorContains(t, err, "cannot read app/secret.txt: permission denied")

	require.NoError(t, os.Chmod(filepath.Join(dir, "app", "secret.txt"), 0o644))
	require.NoError(t, os.Chmod(filepath.Join(dir, "app", "sub"), 0))
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "app", "sub"), 0o755) })
	_, err = Zip(context.Background(), Options{Root: dir}, io.Discard)
	assert.ErrorContains(t, err, "cannot read directory app/sub: permission denied")
}

type failingWriter struct{ after int }

func (w *failingWriter) Write(b []byte) (int, error) {
	if w.after -= len(b); w.after < 0 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

func TestZipWriteError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.bin": strings.Repeat("random-ish data ", 100_000)})
	_, err := Zip(context.Background(), Options{Root: dir}, &failingWriter{after: 1000})
	assert.ErrorContains(t, err, "writing zip: disk full")
}

func TestZipToFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := t.TempDir()
	writeTree(t, dir, map[string]string{"Dockerfile": "FROM scratch\n", "main.go": "package main\n"})

	p, res, err := ZipToFile(context.Background(), Options{Root: dir}, out)
	require.NoError(t, err)
	assert.Equal(t, out, filepath.Dir(p))
	assert.True(t, res.HasDockerfile)
	st, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, res.ZipBytes, st.Size())
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	direct, _ := zipBytes(t, Options{Root: dir})
	assert.Equal(t, direct, data)

	// On error no file is left behind.
	require.NoError(t, os.Remove(p))
	_, _, err = ZipToFile(context.Background(), Options{Root: dir, MaxFiles: 1}, out)
	require.Error(t, err)
	left, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, left)
}

func TestWithin(t *testing.T) {
	t.Parallel()
	assert.True(t, within("/a/b", "/a/b"))
	assert.True(t, within("/a/b", "/a/b/c"))
	assert.True(t, within("/a/b", "/a/b/..c"))
	assert.False(t, within("/a/b", "/a/bc"))
	assert.False(t, within("/a/b", "/a"))
	assert.False(t, within("/a/b", "/etc/passwd"))
}
