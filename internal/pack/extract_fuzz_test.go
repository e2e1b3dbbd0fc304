package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzExtractLimits keep a zip bomb cheap: at most 16 files and 64 KiB written.
var fuzzExtractLimits = ExtractLimits{MaxFiles: 16, MaxBytes: 64 << 10}

// Destination setups for FuzzExtractSandbox (mode % 5).
const (
	fzDestAbsent        = iota // dest does not exist
	fzDestEmptyDir             // dest is an empty directory
	fzDestFullOverwrite        // dest holds a file; overwrite is true
	fzDestFullKeep             // dest holds a file; overwrite is false (must fail, dest untouched)
	fzDestMissingParent        // dest's parent directories do not exist yet
	fzDestModes
)

// FuzzExtractSandbox runs Extract on arbitrary bytes inside a sandbox:
//
//	base/             (t.TempDir)
//	  sentinel        a file that must never change
//	  parent/
//	    sibling       a file that must never change
//	    out/          dest (absent, empty, or holding old/keep.txt, per mode)
//	    new/a/out/    dest when its parents are missing (mode fzDestMissingParent)
//
// Properties: no panic; the listings of base and parent (and the sentinel files) are unchanged except for
// dest itself; on error dest is exactly as before (absent, empty, or with its old content) and any parent
// Extract created is gone; on success dest holds only directories and regular files (no symlink, nothing
// else), every file is the content of a zip entry of the same cleaned name, none is macOS litter, the file
// count and byte count equal the result's, and the limits hold.
//
// Run longer with: go test -run '^$' -fuzz '^FuzzExtractSandbox$' -fuzztime 60s ./internal/pack/
func FuzzExtractSandbox(f *testing.F) {
	for _, seed := range extractFuzzSeeds(f) {
		for mode := range uint8(fzDestModes) {
			f.Add(seed, mode)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		mode %= fzDestModes
		base := t.TempDir()
		parent := filepath.Join(base, "parent")
		require.NoError(t, os.Mkdir(parent, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(base, "sentinel"), []byte("base"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(parent, "sibling"), []byte("parent"), 0o644))
		dest := filepath.Join(parent, "out")
		overwrite := false
		switch mode {
		case fzDestEmptyDir:
			require.NoError(t, os.Mkdir(dest, 0o755))
		case fzDestFullOverwrite, fzDestFullKeep:
			require.NoError(t, os.MkdirAll(filepath.Join(dest, "old"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dest, "old", "keep.txt"), []byte("old content"), 0o644))
			overwrite = mode == fzDestFullOverwrite
		case fzDestMissingParent:
			dest = filepath.Join(parent, "new", "a", "out")
		}
		before := fzSnapshot(t, base, dest)
		destBefore := fzSnapshotTree(t, dest)

		res, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), dest, overwrite, fuzzExtractLimits)

		// Outside dest nothing changed, whatever the outcome (except dest's new parents on success).
		after := fzSnapshot(t, base, dest)
		if err == nil && mode == fzDestMissingParent {
			require.Equal(t, map[string]string{"parent/new/": "", "parent/new/a/": ""}, fzDiffKeys(after, before),
				"only dest's parents may appear")
			for k := range after {
				if _, ok := before[k]; !ok {
					delete(after, k)
				}
			}
		}
		require.Equal(t, before, after, "something outside dest changed (err: %v)", err)

		if err != nil {
			require.Nil(t, res)
			require.NotEmpty(t, err.Error())
			require.Equal(t, destBefore, fzSnapshotTree(t, dest), "a failed extraction changed dest: %v", err)
			return
		}
		require.NotEqual(t, uint8(fzDestFullKeep), mode, "a non-empty dest was replaced without overwrite")
		require.NotNil(t, res)
		require.LessOrEqual(t, res.Files, fuzzExtractLimits.MaxFiles)
		require.LessOrEqual(t, res.Bytes, fuzzExtractLimits.MaxBytes)
		require.NotNil(t, res.Skipped)

		zr, zerr := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		require.True(t, zerr == nil || errors.Is(zerr, zip.ErrInsecurePath), "Extract accepted what zip.NewReader refuses: %v", zerr)
		entries := map[string][]*zip.File{} // cleaned name -> the regular file entries of that name
		for _, zf := range zr.File {
			if !zf.Mode().IsRegular() || strings.HasSuffix(zf.Name, "/") || strings.HasSuffix(zf.Name, "\\") {
				continue
			}
			name := path.Clean(strings.ReplaceAll(zf.Name, "\\", "/"))
			entries[name] = append(entries[name], zf)
		}

		st, lerr := os.Lstat(dest)
		require.NoError(t, lerr)
		require.True(t, st.IsDir(), "dest is %v", st.Mode())
		files, total := 0, int64(0)
		require.NoError(t, filepath.WalkDir(dest, func(p string, d fs.DirEntry, werr error) error {
			require.NoError(t, werr)
			info, ierr := os.Lstat(p)
			require.NoError(t, ierr)
			require.True(t, info.IsDir() || info.Mode().IsRegular(), "%s has type %v", p, info.Mode().Type())
			require.Zero(t, info.Mode()&fs.ModeSymlink, "%s is a symlink", p)
			rel, rerr := filepath.Rel(dest, p)
			require.NoError(t, rerr)
			require.True(t, filepath.IsLocal(rel) || rel == ".", "%s is outside dest", p)
			if rel == "." {
				return nil
			}
			rel = filepath.ToSlash(rel)
			require.False(t, skippedEntry(rel), "macOS litter %s was extracted", rel)
			if info.IsDir() {
				return nil
			}
			files++
			got, rerr := os.ReadFile(p)
			require.NoError(t, rerr)
			total += int64(len(got))
			cands := entries[rel]
			require.NotEmpty(t, cands, "%s is not in the archive", rel)
			require.Len(t, cands, 1, "%s comes from a duplicated entry", rel)
			rc, oerr := cands[0].Open()
			require.NoError(t, oerr)
			want, rerr := io.ReadAll(rc)
			_ = rc.Close()
			require.NoError(t, rerr, "%s was extracted from an entry that does not read back", rel)
			require.True(t, bytes.Equal(want, got), "%s differs from its entry", rel)
			return nil
		}))
		require.Equal(t, res.Files, files)
		require.Equal(t, res.Bytes, total)
	})
}

// fzSnapshot lists every path under base except dest and what is below it: path -> content for files,
// "" for directories (with a trailing slash), the link target for symlinks.
func fzSnapshot(t *testing.T, base, dest string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if p == dest {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(base, p)
		require.NoError(t, err)
		rel = filepath.ToSlash(rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			require.NoError(t, err)
			out[rel] = "-> " + target
		case d.IsDir():
			out[rel+"/"] = ""
		default:
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			out[rel] = string(b)
		}
		return nil
	}))
	return out
}

// fzSnapshotTree is the tree under dir (nil when dir does not exist).
func fzSnapshotTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Lstat(dir); err != nil {
		require.ErrorIs(t, err, fs.ErrNotExist)
		return nil
	}
	return fzSnapshot(t, dir, "")
}

func fzDiffKeys(after, before map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			out[k] = v
		}
	}
	return out
}

// fuzzZipEntry is one entry of a seed archive.
type fuzzZipEntry struct {
	name string
	body string
	mode fs.FileMode // 0 = a 0644 file
	raw  bool        // stored with CreateRaw: declared sizes below are written as is
	size uint64      // declared uncompressed size for raw entries
}

func buildFuzzZip(t testing.TB, entries ...fuzzZipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		hdr.SetMode(mode)
		if e.raw {
			hdr.Method = zip.Store
			hdr.CRC32 = crc32.ChecksumIEEE([]byte(e.body))
			hdr.CompressedSize64 = uint64(len(e.body))
			hdr.UncompressedSize64 = e.size
			w, err := zw.CreateRaw(hdr)
			require.NoError(t, err)
			_, err = io.WriteString(w, e.body)
			require.NoError(t, err)
			continue
		}
		w, err := zw.CreateHeader(hdr)
		require.NoError(t, err)
		_, err = io.WriteString(w, e.body)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// extractFuzzSeeds are small archives for the corner cases Extract must handle.
func extractFuzzSeeds(t testing.TB) [][]byte {
	bomb := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, err := zw.Create("bomb.bin")
		require.NoError(t, err)
		_, err = w.Write(make([]byte, 256<<10)) // 4x the fuzz limit, a few hundred bytes compressed
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return buf.Bytes()
	}
	many := make([]fuzzZipEntry, 20)
	for i := range many {
		many[i] = fuzzZipEntry{name: "f/" + string(rune('a'+i)), body: "x"}
	}
	return [][]byte{
		{},
		[]byte("PK\x05\x06" + strings.Repeat("\x00", 18)),
		buildFuzzZip(t, fuzzZipEntry{name: "index.js", body: "console.log(1)\n"}, fuzzZipEntry{name: "src/", mode: fs.ModeDir | 0o755},
			fuzzZipEntry{name: "src/a/b.txt", body: "deep"}, fuzzZipEntry{name: "bin/run.sh", body: "#!/bin/sh\n", mode: 0o755}),
		buildFuzzZip(t, fuzzZipEntry{name: "app/", mode: fs.ModeDir | 0o755}, fuzzZipEntry{name: "app/main.go", body: "package main\n"}),
		buildFuzzZip(t, fuzzZipEntry{name: "ok.txt", body: "fine"}, fuzzZipEntry{name: "../evil", body: "x"}),
		buildFuzzZip(t, fuzzZipEntry{name: "a/../../evil", body: "x"}),
		buildFuzzZip(t, fuzzZipEntry{name: "..\\evil", body: "x"}),
		buildFuzzZip(t, fuzzZipEntry{name: "/etc/evil", body: "x"}),
		buildFuzzZip(t, fuzzZipEntry{name: "C:\\evil", body: "x"}),
		buildFuzzZip(t, fuzzZipEntry{name: "\\\\server\\share\\evil", body: "x"}),
		buildFuzzZip(t, fuzzZipEntry{name: "ok.txt", body: "fine"}, fuzzZipEntry{name: "link", body: "/etc/passwd", mode: fs.ModeSymlink | 0o777}),
		buildFuzzZip(t, fuzzZipEntry{name: "dir/link", body: "../../..", mode: fs.ModeSymlink | 0o777}, fuzzZipEntry{name: "dir/link/x", body: "through"}),
		buildFuzzZip(t, fuzzZipEntry{name: "__MACOSX/._a.txt", body: "meta"}, fuzzZipEntry{name: "a.txt", body: "a"},
			fuzzZipEntry{name: "sub/.DS_Store", body: "ds"}, fuzzZipEntry{name: "sub/._b", body: "rsrc"}, fuzzZipEntry{name: "sub/b", body: "b"}),
		buildFuzzZip(t, fuzzZipEntry{name: "huge.bin", body: "tiny", raw: true, size: 1 << 62}),
		buildFuzzZip(t, fuzzZipEntry{name: "liar.bin", body: strings.Repeat("z", 4096), raw: true, size: 10}),
		buildFuzzZip(t, fuzzZipEntry{name: "dup.txt", body: "one"}, fuzzZipEntry{name: "dup.txt", body: "two"}),
		buildFuzzZip(t, fuzzZipEntry{name: "dup.txt", body: "one"}, fuzzZipEntry{name: "./dup.txt", body: "two"}),
		buildFuzzZip(t, fuzzZipEntry{name: "x", body: "file"}, fuzzZipEntry{name: "x/", mode: fs.ModeDir | 0o755}),
		buildFuzzZip(t, fuzzZipEntry{name: "x/y", body: "below"}, fuzzZipEntry{name: "x", body: "file"}),
		buildFuzzZip(t, fuzzZipEntry{name: "fifo", mode: fs.ModeNamedPipe | 0o644}, fuzzZipEntry{name: "dev", mode: fs.ModeDevice | 0o644}),
		buildFuzzZip(t, fuzzZipEntry{name: "./", mode: fs.ModeDir | 0o755}, fuzzZipEntry{name: "a\x00b", body: "nul"}),
		buildFuzzZip(t, many...),
		bomb(),
	}
}
