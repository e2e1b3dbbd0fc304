package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type zipEntry struct {
	name string
	body string
	mode fs.FileMode // 0 = 0644 file
}

func makeZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr.SetMode(mode)
		w, err := zw.CreateHeader(hdr)
		require.NoError(t, err)
		_, err = io.WriteString(w, e.body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func extractBytes(data []byte, dest string, overwrite bool, lim ExtractLimits) (*ExtractResult, error) {
	return Extract(context.Background(), bytes.NewReader(data), int64(len(data)), dest, overwrite, lim)
}

// readTree returns rel path → content for every file under dir ("dir/" entries for directories).
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		require.True(t, d.Type().IsRegular(), "%s is not a regular file", rel)
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		out[rel] = string(b)
		return nil
	}))
	return out
}

// assertNothingLeft checks that parent holds exactly the names in keep (no temp or aside directories).
func assertNothingLeft(t *testing.T, parent string, keep ...string) {
	t.Helper()
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, keep, names, "leftovers in %s", parent)
}

func TestExtractRoundTrip(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeTree(t, src, map[string]string{
		"index.js":           strings.Repeat("console.log(1)\n", 1000),
		"src/a/b/c.txt":      "deep",
		"public/logo.svg":    "<svg/>",
		"bin/start.sh":       "#!/bin/sh\n",
		"unicode/名字.txt":     "名字",
		"empty.txt":          "",
		".gitignore":         "*.log\n",
		"debug.log":          "dropped",
		"node_modules/dep/x": "dropped",
	})
	require.NoError(t, os.Chmod(filepath.Join(src, "bin", "start.sh"), 0o755))
	data, zres := zipBytes(t, Options{Root: src})

	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	res, err := extractBytes(data, dest, false, ExtractLimits{})
	require.NoError(t, err)
	assert.Equal(t, zres.Files, res.Files)
	assert.Equal(t, zres.Bytes, res.Bytes)
	assert.Empty(t, res.Skipped)
	assert.NotNil(t, res.Skipped)

	want := readTree(t, src)
	delete(want, "debug.log")
	delete(want, "node_modules/")
	delete(want, "node_modules/dep/")
	delete(want, "node_modules/dep/x")
	assert.Equal(t, want, readTree(t, dest))

	st, err := os.Stat(filepath.Join(dest, "bin", "start.sh"))
	require.NoError(t, err)
	assert.NotZero(t, st.Mode().Perm()&0o100, "executable bit kept")
	st, err = os.Stat(filepath.Join(dest, "index.js"))
	require.NoError(t, err)
	assert.Zero(t, st.Mode().Perm()&0o111)
	st, err = os.Stat(dest)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o755), st.Mode().Perm())
	assertNothingLeft(t, parent, "out")
}

func TestExtractRefusesUnsafeEntries(t *testing.T) {
	t.Parallel()
	tests := map[string][]zipEntry{
		"dot-dot":           {{name: "ok.txt", body: "fine"}, {name: "../evil", body: "x"}},
		"dot-dot inside":    {{name: "a/../../evil", body: "x"}},
		"absolute":          {{name: "/etc/x", body: "x"}},
		"drive letter":      {{name: "C:\\x", body: "x"}},
		"drive letter fwd":  {{name: "c:/x", body: "x"}},
		"UNC":               {{name: "\\\\server\\share\\x", body: "x"}},
		"backslash dot-dot": {{name: "..\\evil", body: "x"}},
		"symlink entry":     {{name: "ok.txt", body: "fine"}, {name: "link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}},
		"NUL":               {{name: "a\x00b", body: "x"}},
	}
	for name, entries := range tests {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dest := filepath.Join(parent, "out")
			_, err := extractBytes(makeZip(t, entries...), dest, false, ExtractLimits{})
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrUnsafeEntry)
			assert.Contains(t, err.Error(), "unsafe archive entry")
			assertNothingLeft(t, parent)
			_, err = os.Lstat(filepath.Join(filepath.Dir(parent), "evil"))
			assert.ErrorIs(t, err, fs.ErrNotExist)
		})
	}
}

func TestExtractEntryPath(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"a/b.txt":     "a/b.txt",
		"a\\b.txt":    "a/b.txt",
		"./a//b":      "a/b",
		"./":          "",
		"a/./b/":      "a/b",
		"..foo/x":     "..foo/x",
		"dir/..a":     "dir/..a",
		"C_/x":        "C_/x",
		"1:/x":        "1:/x",
		"a/b:c/d.txt": "a/b:c/d.txt",
	} {
		got, err := entryPath(raw)
		if assert.NoError(t, err, raw) {
			assert.Equal(t, want, got, raw)
		}
	}
}

func TestExtractZipBomb(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("bomb.bin")
	require.NoError(t, err)
	zero := make([]byte, 1<<20)
	for range 50 {
		_, err = w.Write(zero)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.Less(t, buf.Len(), 1<<20, "highly compressible")

	parent := t.TempDir()
	_, err = extractBytes(buf.Bytes(), filepath.Join(parent, "out"), false, ExtractLimits{MaxBytes: 10 << 20})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrLimitExceeded)
	assert.ErrorContains(t, err, "more than the 10 MiB limit")
	assertNothingLeft(t, parent)
}

func TestExtractLyingHeaderIsNotTrusted(t *testing.T) {
	t.Parallel()
	// The headers claim 10 bytes; the data inflates to 5 MiB. Writing stops early and nothing stays.
	var raw bytes.Buffer
	fw, err := newFlateWriter(&raw)
	require.NoError(t, err)
	payload := bytes.Repeat([]byte("A"), 5<<20)
	_, err = fw.Write(payload)
	require.NoError(t, err)
	require.NoError(t, fw.Close())

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name: "liar.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(payload),
		CompressedSize64: uint64(raw.Len()), UncompressedSize64: 10,
	})
	require.NoError(t, err)
	_, err = w.Write(raw.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())

	parent := t.TempDir()
	_, err = extractBytes(buf.Bytes(), filepath.Join(parent, "out"), false, ExtractLimits{MaxBytes: 1 << 20})
	require.Error(t, err)
	assertNothingLeft(t, parent)
}

func TestExtractFileLimit(t *testing.T) {
	t.Parallel()
	data := makeZip(t, zipEntry{name: "a"}, zipEntry{name: "b"}, zipEntry{name: "c"}, zipEntry{name: "d/", mode: fs.ModeDir | 0o755})
	parent := t.TempDir()
	_, err := extractBytes(data, filepath.Join(parent, "out"), false, ExtractLimits{MaxFiles: 2})
	assert.ErrorIs(t, err, ErrLimitExceeded)
	assert.ErrorContains(t, err, "more than 2 entries")
	assertNothingLeft(t, parent)

	// Three files and one directory are four entries: the directory counts.
	_, err = extractBytes(data, filepath.Join(parent, "out"), false, ExtractLimits{MaxFiles: 3})
	assert.ErrorIs(t, err, ErrLimitExceeded)
	assert.ErrorContains(t, err, "more than 3 entries")
	assertNothingLeft(t, parent)

	res, err := extractBytes(data, filepath.Join(parent, "out"), false, ExtractLimits{MaxFiles: 4})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Files)
	assert.Equal(t, map[string]string{"a": "", "b": "", "c": "", "d/": ""}, readTree(t, filepath.Join(parent, "out")))
}

// An archive of nothing but directories is bounded like one of files:
// creating directories costs as much as creating files.
func TestExtractDirectoryEntriesCountTowardLimit(t *testing.T) {
	t.Parallel()
	var entries []zipEntry
	for i := range 50 {
		entries = append(entries, zipEntry{name: fmt.Sprintf("d%02d/", i), mode: fs.ModeDir | 0o755})
	}
	data := makeZip(t, entries...)
	parent := t.TempDir()
	_, err := extractBytes(data, filepath.Join(parent, "out"), false, ExtractLimits{MaxFiles: 10})
	assert.ErrorIs(t, err, ErrLimitExceeded)
	assertNothingLeft(t, parent)
}

// A ".." segment is refused even when the cleaned name would land inside
// the target: such a name is never produced by a packer, only by an attack.
func TestExtractRefusesDotDotInsideTarget(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"a/../b", "a/b/../../c", `a\..\b`} {
		data := makeZip(t, zipEntry{name: "a/x", body: "x"}, zipEntry{name: name, body: "evil"})
		parent := t.TempDir()
		_, err := extractBytes(data, filepath.Join(parent, "out"), false, ExtractLimits{})
		assert.ErrorIs(t, err, ErrUnsafeEntry, name)
		assertNothingLeft(t, parent)
	}
}

// corruptEntry flips bytes in the middle of the named entry's compressed data.
func corruptEntry(t testing.TB, data []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	for _, f := range zr.File {
		if f.Name == name {
			off, err := f.DataOffset()
			require.NoError(t, err)
			bad := bytes.Clone(data)
			mid := off + int64(f.CompressedSize64)/2
			for i := mid; i < mid+16; i++ {
				bad[i] ^= 0xff
			}
			return bad
		}
	}
	t.Fatalf("no entry %s", name)
	return nil
}

func TestExtractTruncatedOrCorrupt(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeTree(t, src, map[string]string{"a.txt": "written first", "b.txt": strings.Repeat("hello world ", 10_000)})
	data, _ := zipBytes(t, Options{Root: src})

	t.Run("truncated", func(t *testing.T) {
		parent := t.TempDir()
		_, err := extractBytes(data[:len(data)/2], filepath.Join(parent, "out"), false, ExtractLimits{})
		assert.ErrorContains(t, err, "not a valid zip archive")
		assertNothingLeft(t, parent)
	})
	t.Run("corrupt data after a file was written", func(t *testing.T) {
		base := t.TempDir()
		_, err := extractBytes(corruptEntry(t, data, "b.txt"), filepath.Join(base, "new", "out"), false, ExtractLimits{})
		assert.ErrorContains(t, err, "extracting b.txt")
		assertNothingLeft(t, base) // the temp dir and the parent it had to create are gone
	})
	t.Run("not a zip", func(t *testing.T) {
		parent := t.TempDir()
		_, err := extractBytes([]byte("hello"), filepath.Join(parent, "out"), false, ExtractLimits{})
		assert.ErrorContains(t, err, "not a valid zip archive")
		assertNothingLeft(t, parent)
	})
}

func TestExtractSkipsMacOSLitter(t *testing.T) {
	t.Parallel()
	data := makeZip(t,
		zipEntry{name: "app/index.js", body: "x"},
		zipEntry{name: "__MACOSX/", mode: fs.ModeDir | 0o755},
		zipEntry{name: "__MACOSX/app/._index.js", body: "meta"},
		zipEntry{name: "app/.DS_Store", body: "meta"},
		zipEntry{name: "app/._index.js", body: "meta"},
		zipEntry{name: "fifo", mode: fs.ModeNamedPipe | 0o644},
	)
	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	res, err := extractBytes(data, dest, false, ExtractLimits{})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"app/": "", "app/index.js": "x"}, readTree(t, dest), "the wrapping directory is kept")
	assert.Equal(t, []string{"__MACOSX/", "__MACOSX/app/._index.js", "app/.DS_Store", "app/._index.js", "fifo"}, res.Skipped)
	assert.Equal(t, 1, res.Files)
}

func TestExtractDuplicatesAndClashes(t *testing.T) {
	t.Parallel()
	for name, entries := range map[string][]zipEntry{
		"duplicate":          {{name: "a.txt"}, {name: "a.txt"}},
		"duplicate cleaned":  {{name: "a/b.txt"}, {name: "a//b.txt"}},
		"file then dir":      {{name: "a"}, {name: "a/b"}},
		"dir then file":      {{name: "a/b"}, {name: "a"}},
		"explicit dir, file": {{name: "a/", mode: fs.ModeDir | 0o755}, {name: "a"}},
	} {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			_, err := extractBytes(makeZip(t, entries...), filepath.Join(parent, "out"), false, ExtractLimits{})
			assert.ErrorIs(t, err, ErrUnsafeEntry)
			assertNothingLeft(t, parent)
		})
	}
}

func TestExtractOverwriteSemantics(t *testing.T) {
	t.Parallel()
	data := makeZip(t, zipEntry{name: "new.txt", body: "new"})

	t.Run("non-empty dest without overwrite is refused and untouched", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		writeTree(t, dest, map[string]string{"old.txt": "old"})
		_, err := extractBytes(data, dest, false, ExtractLimits{})
		assert.ErrorContains(t, err, "already exists and is not empty")
		assert.Equal(t, map[string]string{"old.txt": "old"}, readTree(t, dest))
		assertNothingLeft(t, parent, "out")
	})
	t.Run("a file at dest without overwrite is refused", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		require.NoError(t, os.WriteFile(dest, []byte("f"), 0o644))
		_, err := extractBytes(data, dest, false, ExtractLimits{})
		assert.ErrorContains(t, err, "already exists")
		assertNothingLeft(t, parent, "out")
	})
	t.Run("empty dest directory is replaced", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		require.NoError(t, os.Mkdir(dest, 0o755))
		_, err := extractBytes(data, dest, false, ExtractLimits{})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"new.txt": "new"}, readTree(t, dest))
		assertNothingLeft(t, parent, "out")
	})
	t.Run("overwrite replaces the old tree", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		writeTree(t, dest, map[string]string{"old.txt": "old", "sub/x": "x"})
		_, err := extractBytes(data, dest, true, ExtractLimits{})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"new.txt": "new"}, readTree(t, dest))
		assertNothingLeft(t, parent, "out")
	})
	t.Run("overwrite of a file", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		require.NoError(t, os.WriteFile(dest, []byte("f"), 0o644))
		_, err := extractBytes(data, dest, true, ExtractLimits{})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"new.txt": "new"}, readTree(t, dest))
		assertNothingLeft(t, parent, "out")
	})
	t.Run("a failed overwrite leaves the old tree", func(t *testing.T) {
		parent := t.TempDir()
		dest := filepath.Join(parent, "out")
		writeTree(t, dest, map[string]string{"old.txt": "old"})
		_, err := extractBytes(makeZip(t, zipEntry{name: "../x"}), dest, true, ExtractLimits{})
		assert.ErrorIs(t, err, ErrUnsafeEntry)
		assert.Equal(t, map[string]string{"old.txt": "old"}, readTree(t, dest))
		assertNothingLeft(t, parent, "out")
	})
	t.Run("missing parents are created, and removed again on failure", func(t *testing.T) {
		base := t.TempDir()
		_, err := extractBytes([]byte("not a zip"), filepath.Join(base, "a", "b", "out"), false, ExtractLimits{})
		require.Error(t, err)
		assertNothingLeft(t, base)
		_, err = extractBytes(data, filepath.Join(base, "a", "b", "out"), false, ExtractLimits{})
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"a/": "", "a/b/": "", "a/b/out/": "", "a/b/out/new.txt": "new"}, readTree(t, base))
	})
}

func TestExtractContextCancel(t *testing.T) {
	t.Parallel()
	data := makeZip(t, zipEntry{name: "a", body: "a"}, zipEntry{name: "b", body: "b"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	parent := t.TempDir()
	_, err := Extract(ctx, bytes.NewReader(data), int64(len(data)), filepath.Join(parent, "out"), false, ExtractLimits{})
	assert.ErrorIs(t, err, context.Canceled)
	assertNothingLeft(t, parent)
}

func TestExtractFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "pkg.zip")
	require.NoError(t, os.WriteFile(zipPath, makeZip(t, zipEntry{name: "svc/app.js", body: "ok"}), 0o644))
	res, err := ExtractFile(context.Background(), zipPath, filepath.Join(dir, "out"), false, ExtractLimits{})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Files)
	assert.Equal(t, map[string]string{"svc/": "", "svc/app.js": "ok"}, readTree(t, filepath.Join(dir, "out")))

	_, err = ExtractFile(context.Background(), filepath.Join(dir, "missing.zip"), filepath.Join(dir, "out2"), false, ExtractLimits{})
	assert.ErrorContains(t, err, "opening archive")
}
