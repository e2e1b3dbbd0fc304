package pack

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

const (
	// DefaultExtractMaxFiles bounds the number of extracted files when ExtractLimits.MaxFiles is 0.
	DefaultExtractMaxFiles = 20_000
	// DefaultExtractMaxBytes bounds the uncompressed bytes written when ExtractLimits.MaxBytes is 0.
	DefaultExtractMaxBytes int64 = 1 << 30

	maxSkippedListed = 100
)

// ExtractLimits bounds an extraction; zero values take the defaults (20,000 files, 1 GiB).
type ExtractLimits struct {
	MaxFiles int
	MaxBytes int64
}

// ExtractResult describes a finished extraction.
type ExtractResult struct {
	Files   int      `json:"files"`
	Bytes   int64    `json:"bytes"`
	Skipped []string `json:"skipped"` // macOS metadata entries and special files left out (first 100)
}

// ExtractFile is Extract on a zip file on disk.
func ExtractFile(ctx context.Context, zipPath, dest string, overwrite bool, lim ExtractLimits) (*ExtractResult, error) {
	f, err := os.Open(zipPath)
	if err != nil {
		return nil, fmt.Errorf("opening archive: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("opening archive: %w", err)
	}
	return Extract(ctx, f, st.Size(), dest, overwrite, lim)
}

// Extract unzips r into a new temporary directory next to dest, then renames it to dest atomically.
// dest must not exist, or must be an empty directory (then it is replaced), or overwrite must be true (then
// the existing dest is moved aside and removed only after the rename succeeded). On any error nothing is left
// behind: no temp dir, dest untouched.
//
// The whole archive is refused when any entry is unsafe: a `..` segment, an absolute path (also `C:\` and
// `\\server` forms; backslashes count as separators), or a symlink. `__MACOSX/`, `.DS_Store` and `._*`
// entries are skipped. Limits count the bytes actually written, not the sizes the headers claim. A single
// top-level directory wrapping everything is kept as is.
func Extract(ctx context.Context, r io.ReaderAt, size int64, dest string, overwrite bool, lim ExtractLimits) (*ExtractResult, error) {
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = DefaultExtractMaxFiles
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultExtractMaxBytes
	}
	if dest == "" {
		return nil, errors.New("extraction target is not set")
	}
	dest, err := filepath.Abs(dest)
	if err != nil {
		return nil, fmt.Errorf("extraction target: %w", err)
	}
	if err := checkDest(dest, overwrite); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // insecure names get our own, clearer refusal
		return nil, fmt.Errorf("not a valid zip archive: %w", err)
	}
	plan, res, err := planExtraction(zr.File, lim)
	if err != nil {
		return nil, err
	}

	parent := filepath.Dir(dest)
	createdFrom, err := mkdirParents(parent)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".extract-*")
	if err != nil {
		removeCreated(parent, createdFrom)
		return nil, fmt.Errorf("creating a temporary directory next to %s: %w", dest, err)
	}
	fail := func(err error) (*ExtractResult, error) {
		_ = os.RemoveAll(tmp)
		removeCreated(parent, createdFrom)
		return nil, err
	}
	if err := writeEntries(ctx, tmp, plan, lim, res); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil { // MkdirTemp makes it 0700
		return fail(err)
	}
	if err := install(tmp, dest, overwrite); err != nil {
		return fail(err)
	}
	return res, nil
}

type plannedEntry struct {
	f    *zip.File
	name string // cleaned, slash-separated, relative
	dir  bool
}

// planExtraction validates every entry before anything is written, so an unsafe archive writes nothing.
func planExtraction(files []*zip.File, lim ExtractLimits) ([]plannedEntry, *ExtractResult, error) {
	res := &ExtractResult{Skipped: []string{}}
	plan := make([]plannedEntry, 0, len(files))
	kinds := map[string]bool{} // path -> is a directory; catches duplicates and file/directory clashes
	var nFiles int
	var declared uint64
	for _, f := range files {
		name, err := entryPath(f.Name)
		if err != nil {
			return nil, nil, err
		}
		mode := f.Mode()
		if mode&fs.ModeSymlink != 0 {
			return nil, nil, kindErrorf(ErrUnsafeEntry, "unsafe archive entry %q: symlinks are not extracted", f.Name)
		}
		if name == "" || skippedEntry(name) {
			if name != "" {
				res.skip(f.Name)
			}
			continue
		}
		isDir := mode.IsDir() || strings.HasSuffix(f.Name, "/") || strings.HasSuffix(f.Name, "\\")
		if !isDir && !mode.IsRegular() {
			res.skip(f.Name) // devices, pipes, sockets: never created
			continue
		}
		if err := claim(kinds, name, isDir); err != nil {
			return nil, nil, err
		}
		if !isDir {
			nFiles++
			if nFiles > lim.MaxFiles {
				return nil, nil, kindErrorf(ErrLimitExceeded, "archive has more than %d files (the limit)", lim.MaxFiles)
			}
			declared += f.UncompressedSize64
			if declared > uint64(lim.MaxBytes) { // early refusal; the copy still counts real bytes
				return nil, nil, kindErrorf(ErrLimitExceeded, "archive expands to more than the %s limit", formatBytes(lim.MaxBytes))
			}
		}
		plan = append(plan, plannedEntry{f: f, name: name, dir: isDir})
	}
	return plan, res, nil
}

func (r *ExtractResult) skip(name string) {
	if len(r.Skipped) < maxSkippedListed {
		r.Skipped = append(r.Skipped, name)
	}
}

// entryPath validates an entry name and returns it cleaned ("" for the archive root itself).
func entryPath(raw string) (string, error) {
	unsafe := func(why string) error {
		return kindErrorf(ErrUnsafeEntry, "unsafe archive entry %q: %s", raw, why)
	}
	n := strings.ReplaceAll(raw, "\\", "/")
	switch {
	case n == "":
		return "", unsafe("empty name")
	case strings.ContainsRune(n, 0):
		return "", unsafe("NUL in name")
	case strings.HasPrefix(n, "/"), len(n) >= 2 && n[1] == ':' && isASCIILetter(n[0]):
		return "", unsafe("absolute path")
	}
	for seg := range strings.SplitSeq(n, "/") {
		if seg == ".." {
			return "", unsafe("it would be written outside the target directory")
		}
	}
	c := path.Clean(n)
	if c == "." {
		return "", nil
	}
	if !filepath.IsLocal(filepath.FromSlash(c)) {
		return "", unsafe("it would be written outside the target directory")
	}
	return c, nil
}

func isASCIILetter(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }

// skippedEntry: macOS archive litter.
func skippedEntry(name string) bool {
	if name == "__MACOSX" || strings.HasPrefix(name, "__MACOSX/") {
		return true
	}
	base := path.Base(name)
	return base == ".DS_Store" || strings.HasPrefix(base, "._")
}

// claim records name (and its parents as directories), refusing duplicates and file/directory clashes.
func claim(kinds map[string]bool, name string, isDir bool) error {
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if dir, ok := kinds[d]; ok {
			if !dir {
				return kindErrorf(ErrUnsafeEntry, "archive entry %q is both a file and a directory", d)
			}
			break // its parents were recorded with it
		}
		kinds[d] = true
	}
	if prev, ok := kinds[name]; ok {
		if prev && isDir {
			return nil
		}
		if prev != isDir {
			return kindErrorf(ErrUnsafeEntry, "archive entry %q is both a file and a directory", name)
		}
		return kindErrorf(ErrUnsafeEntry, "archive has a duplicate entry %q", name)
	}
	kinds[name] = isDir
	return nil
}

func writeEntries(ctx context.Context, tmp string, plan []plannedEntry, lim ExtractLimits, res *ExtractResult) error {
	root, err := os.OpenRoot(tmp) // defence in depth: nothing can resolve outside tmp
	if err != nil {
		return err
	}
	defer root.Close()
	buf := make([]byte, copyBufferSize)
	for _, e := range plan {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.dir {
			if err := root.MkdirAll(e.name, 0o755); err != nil {
				return fmt.Errorf("extracting %s: %w", e.name, pathErrCause(err))
			}
			continue
		}
		if d := path.Dir(e.name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return fmt.Errorf("extracting %s: %w", e.name, pathErrCause(err))
			}
		}
		if err := extractOne(ctx, root, e, buf, lim, res); err != nil {
			return err
		}
		res.Files++
	}
	return nil
}

func extractOne(ctx context.Context, root *os.Root, e plannedEntry, buf []byte, lim ExtractLimits, res *ExtractResult) error {
	perm := fs.FileMode(0o644)
	if e.f.Mode()&0o111 != 0 {
		perm = 0o755
	}
	rc, err := e.f.Open()
	if err != nil {
		return fmt.Errorf("extracting %s: %w", e.name, err)
	}
	defer rc.Close()
	out, err := root.OpenFile(e.name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("extracting %s: %w", e.name, pathErrCause(err))
	}
	for {
		n, rerr := rc.Read(buf)
		if n > 0 {
			res.Bytes += int64(n)
			if res.Bytes > lim.MaxBytes {
				out.Close()
				return kindErrorf(ErrLimitExceeded, "archive expands to more than the %s limit", formatBytes(lim.MaxBytes))
			}
			if _, err := out.Write(buf[:n]); err != nil {
				out.Close()
				return fmt.Errorf("extracting %s: %w", e.name, pathErrCause(err))
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Close()
			return fmt.Errorf("extracting %s: %w", e.name, rerr)
		}
		if err := ctx.Err(); err != nil {
			out.Close()
			return err
		}
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("extracting %s: %w", e.name, pathErrCause(err))
	}
	return nil
}

// checkDest fails early when dest exists, is not an empty directory and overwrite is false.
func checkDest(dest string, overwrite bool) error {
	st, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) || overwrite {
		return nil
	}
	if err != nil {
		return fmt.Errorf("extraction target %s: %w", dest, pathErrCause(err))
	}
	if st.IsDir() && isEmptyDir(dest) {
		return nil
	}
	return fmt.Errorf("%s already exists and is not empty; allow overwriting to replace it", dest)
}

// install moves the finished tmp directory to dest.
func install(tmp, dest string, overwrite bool) error {
	st, err := os.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return renameInto(tmp, dest)
	}
	if err != nil {
		return fmt.Errorf("extraction target %s: %w", dest, pathErrCause(err))
	}
	if st.IsDir() && isEmptyDir(dest) && os.Remove(dest) == nil {
		if err := renameInto(tmp, dest); err != nil {
			_ = os.Mkdir(dest, st.Mode().Perm()) // put the empty directory back
			return err
		}
		return nil
	}
	if !overwrite {
		return fmt.Errorf("%s already exists and is not empty; allow overwriting to replace it", dest)
	}
	// Move the old tree into a fresh sibling directory so its name cannot collide, swap, then delete.
	aside, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".old-*")
	if err != nil {
		return fmt.Errorf("moving %s aside: %w", dest, err)
	}
	old := filepath.Join(aside, "old")
	if err := os.Rename(dest, old); err != nil {
		_ = os.Remove(aside)
		return fmt.Errorf("moving %s aside: %w", dest, pathErrCause(err))
	}
	if err := renameInto(tmp, dest); err != nil {
		if rerr := os.Rename(old, dest); rerr == nil {
			_ = os.Remove(aside)
		}
		return err
	}
	if err := os.RemoveAll(aside); err != nil {
		return fmt.Errorf("extracted into %s, but could not remove the previous content at %s: %w", dest, aside, err)
	}
	return nil
}

func renameInto(tmp, dest string) error {
	if err := os.Rename(tmp, dest); err != nil {
		return fmt.Errorf("moving the extracted files to %s: %w", dest, pathErrCause(err))
	}
	return nil
}

func isEmptyDir(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	return errors.Is(err, io.EOF)
}

// mkdirParents creates dir and missing parents; it returns the topmost directory it created ("" if none).
func mkdirParents(dir string) (string, error) {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if top == "" {
		return "", nil
	}
	return top, os.MkdirAll(dir, 0o755)
}

// removeCreated undoes mkdirParents: removes dir and its parents up to top, if they are empty.
func removeCreated(dir, top string) {
	if top == "" {
		return
	}
	for d := dir; ; d = filepath.Dir(d) {
		if os.Remove(d) != nil || d == top || filepath.Dir(d) == d {
			return
		}
	}
}
