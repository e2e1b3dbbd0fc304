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

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/safefs"
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
	f, size, err := openArchive(zipPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Extract(ctx, f, size, dest, overwrite, lim)
}

// ExtractFileAt is ExtractAt on a zip file on disk.
func ExtractFileAt(ctx context.Context, zipPath string, dir *os.Root, name string, overwrite bool, lim ExtractLimits) (*ExtractResult, error) {
	f, size, err := openArchive(zipPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ExtractAt(ctx, f, size, dir, name, overwrite, lim)
}

func openArchive(zipPath string) (*os.File, int64, error) {
	f, st, err := safefs.OpenRegularPath(zipPath)
	if err != nil {
		return nil, 0, fmt.Errorf("opening archive: %w", err)
	}
	return f, st.Size(), nil
}

// Extract is ExtractAt for an absolute or relative path dest, resolved from
// the file system root. Callers that confine dest to a workspace use
// ExtractAt with the workspace's root.
func Extract(ctx context.Context, r io.ReaderAt, size int64, dest string, overwrite bool, lim ExtractLimits) (*ExtractResult, error) {
	if dest == "" {
		return nil, errors.New("extraction target is not set")
	}
	dest, err := filepath.Abs(dest)
	if err != nil {
		return nil, fmt.Errorf("extraction target: %w", err)
	}
	top := filepath.VolumeName(dest) + string(filepath.Separator)
	rel, err := filepath.Rel(top, dest)
	if err != nil || rel == "." {
		return nil, fmt.Errorf("extraction target %s: not a directory below the file system root", dest)
	}
	dir, err := os.OpenRoot(top)
	if err != nil {
		return nil, fmt.Errorf("extraction target: %w", err)
	}
	defer dir.Close()
	return ExtractAt(ctx, r, size, dir, rel, overwrite, lim)
}

// ExtractAt unzips r into a new temporary directory next to name (a path
// under dir), then renames it to name atomically. Every file operation goes
// through dir, so no symlink, whenever it appears, leads outside it. name
// must not exist, or must be an empty directory (then it is replaced), or
// overwrite must be true (then the existing name is moved aside and removed
// only after the rename succeeded). On any error nothing is left behind: no
// temp dir, name untouched. name may not be dir itself.
//
// The whole archive is refused when any entry is unsafe: a `..` segment, an absolute path (also `C:\` and
// `\\server` forms; backslashes count as separators), or a symlink. `__MACOSX/`, `.DS_Store` and `._*`
// entries are skipped. Limits count the bytes actually written, not the sizes the headers claim, and every
// entry (directories too) counts toward the entry limit. A single top-level directory wrapping everything is
// kept as is.
func ExtractAt(ctx context.Context, r io.ReaderAt, size int64, dir *os.Root, name string, overwrite bool, lim ExtractLimits) (*ExtractResult, error) {
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = DefaultExtractMaxFiles
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = DefaultExtractMaxBytes
	}
	name = filepath.Clean(name)
	if name == "." || !filepath.IsLocal(name) {
		return nil, fmt.Errorf("extraction target %q must be a directory below %s, not it or outside it", name, dir.Name())
	}
	if err := checkDest(dir, name, overwrite); err != nil {
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

	parent, base := filepath.Dir(name), filepath.Base(name)
	createdFrom, err := mkdirParents(dir, parent)
	if err != nil {
		return nil, fmt.Errorf("creating %s: %w", parent, pathErrCause(err))
	}
	pdir, err := dir.OpenRoot(parent)
	if err != nil {
		removeCreated(dir, parent, createdFrom)
		return nil, fmt.Errorf("opening %s: %w", parent, pathErrCause(err))
	}
	defer pdir.Close()
	tmp, err := safefs.MkdirTemp(pdir, ".", "."+base+".extract-", 0o700)
	if err != nil {
		removeCreated(dir, parent, createdFrom)
		return nil, fmt.Errorf("creating a temporary directory next to %s: %w", name, pathErrCause(err))
	}
	fail := func(err error) (*ExtractResult, error) {
		_ = pdir.RemoveAll(tmp)
		removeCreated(dir, parent, createdFrom)
		return nil, err
	}
	if err := writeEntries(ctx, pdir, tmp, plan, lim, res); err != nil {
		return fail(err)
	}
	if err := pdir.Chmod(tmp, 0o755); err != nil {
		return fail(err)
	}
	if err := install(pdir, tmp, base, overwrite); err != nil {
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
	var nEntries int
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
		// Directories count too: an archive of a million empty directories
		// costs as much to create as a million files.
		nEntries++
		if nEntries > lim.MaxFiles {
			return nil, nil, kindErrorf(ErrLimitExceeded, "archive has more than %d entries (the limit)", lim.MaxFiles)
		}
		if !isDir {
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

func writeEntries(ctx context.Context, parent *os.Root, tmp string, plan []plannedEntry, lim ExtractLimits, res *ExtractResult) error {
	root, err := parent.OpenRoot(tmp) // nothing can resolve outside tmp
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

// checkDest fails early when name exists, is not an empty directory and overwrite is false.
func checkDest(dir *os.Root, name string, overwrite bool) error {
	_, err := dir.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) || overwrite {
		return nil
	}
	if err != nil {
		return fmt.Errorf("extraction target %s: %w", name, pathErrCause(err))
	}
	if safefs.IsEmptyDir(dir, name) {
		return nil
	}
	return fmt.Errorf("%s already exists and is not empty; allow overwriting to replace it", filepath.Join(dir.Name(), name))
}

// install moves the finished tmp directory to dest (both names under parent).
func install(parent *os.Root, tmp, dest string, overwrite bool) error {
	st, err := parent.Lstat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return renameInto(parent, tmp, dest)
	}
	if err != nil {
		return fmt.Errorf("extraction target %s: %w", dest, pathErrCause(err))
	}
	if safefs.IsEmptyDir(parent, dest) && parent.Remove(dest) == nil {
		if err := renameInto(parent, tmp, dest); err != nil {
			_ = parent.Mkdir(dest, st.Mode().Perm()) // put the empty directory back
			return err
		}
		return nil
	}
	if !overwrite {
		return fmt.Errorf("%s already exists and is not empty; allow overwriting to replace it", filepath.Join(parent.Name(), dest))
	}
	// Move the old entry (a symlink is moved as itself) into a fresh sibling
	// directory so its name cannot collide, swap, then delete.
	aside, err := safefs.MkdirTemp(parent, ".", "."+dest+".old-", 0o700)
	if err != nil {
		return fmt.Errorf("moving %s aside: %w", dest, pathErrCause(err))
	}
	old := filepath.Join(aside, "old")
	if err := parent.Rename(dest, old); err != nil {
		_ = parent.Remove(aside)
		return fmt.Errorf("moving %s aside: %w", dest, pathErrCause(err))
	}
	if err := renameInto(parent, tmp, dest); err != nil {
		if rerr := parent.Rename(old, dest); rerr == nil {
			_ = parent.Remove(aside)
		}
		return err
	}
	if err := parent.RemoveAll(aside); err != nil {
		return fmt.Errorf("extracted into %s, but could not remove the previous content at %s: %w", dest, aside, pathErrCause(err))
	}
	return nil
}

func renameInto(parent *os.Root, tmp, dest string) error {
	if err := parent.Rename(tmp, dest); err != nil {
		return fmt.Errorf("moving the extracted files to %s: %w", dest, pathErrCause(err))
	}
	return nil
}

// mkdirParents creates dir (under root) and missing parents; it returns the
// topmost directory it created ("" if none).
func mkdirParents(root *os.Root, dir string) (string, error) {
	top := ""
	for d := dir; d != "."; d = filepath.Dir(d) {
		if _, err := root.Lstat(d); err == nil {
			break
		}
		top = d
	}
	if top == "" {
		return "", nil
	}
	return top, root.MkdirAll(dir, 0o755)
}

// removeCreated undoes mkdirParents: removes dir and its parents up to top, if they are empty.
func removeCreated(root *os.Root, dir, top string) {
	if top == "" {
		return
	}
	for d := dir; d != "."; d = filepath.Dir(d) {
		if root.Remove(d) != nil || d == top {
			return
		}
	}
}
