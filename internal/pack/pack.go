// Package pack builds the deploy zip of a project directory (ignore rules, symlink policy, size limits,
// byte-identical output for identical input) and extracts downloaded archives safely.
package pack

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/safefs"
)

const (
	// DefaultMaxBytes bounds the uncompressed size of a package when Options.MaxBytes is 0.
	DefaultMaxBytes int64 = 1 << 30
	// DefaultMaxFiles bounds the number of packaged files when Options.MaxFiles is 0.
	DefaultMaxFiles = 100_000

	maxExcludedSamples = 10
	progressEveryFiles = 64
	progressEveryBytes = 4 << 20
	copyBufferSize     = 256 << 10
	maxIgnoreFileSize  = 1 << 20
)

// Sentinel kinds, for errors.Is; the error text itself is meant for the user.
var (
	// ErrLimitExceeded: a size or file-count limit was hit (packaging or extraction).
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrOutsideRoot: a symlink in the project resolves outside it.
	ErrOutsideRoot = errors.New("path outside the project")
	// ErrUnsafeEntry: an archive entry would land outside the target or is a symlink.
	ErrUnsafeEntry = errors.New("unsafe archive entry")
)

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func kindErrorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// fixedModTime is stamped on every entry so the archive depends only on names, modes and contents.
var fixedModTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// alwaysSkipped directories are dropped at any depth, whatever the ignore files say (as the reference).
var alwaysSkipped = map[string]bool{".git": true, "logs": true, "node_modules": true}

// Options configures Zip.
type Options struct {
	Root string // project directory (must exist, be a directory)
	// Dir, when set, is Root already opened (through the workspace's root, so
	// that a directory swapped for a symlink cannot lead outside it); every
	// file is read through it. The caller closes it.
	Dir                *os.Root
	IncludeNodeModules bool  // node_modules is skipped unless true
	MaxBytes           int64 // limit on the total uncompressed size of packaged files; 0 = 1 GiB
	MaxFiles           int   // 0 = 100_000
	// Progress, when set, is called at most every ~64 files / 4 MiB and once at the end; it must be cheap.
	Progress func(files int, bytes int64)
}

// Result describes a finished package.
type Result struct {
	Files           int      `json:"files"`
	Bytes           int64    `json:"bytes"`    // uncompressed bytes of packaged files
	ZipBytes        int64    `json:"zipBytes"` // bytes written to w
	Excluded        int      `json:"excluded"` // files and directories skipped (a skipped directory counts once)
	ExcludedSamples []string `json:"excludedSamples"`
	HasDockerfile   bool     `json:"hasDockerfile"` // a file named Dockerfile exists at the root
}

// Zip streams a zip of opts.Root to w: regular files only, forward-slash names relative to the root, sorted,
// fixed times and modes; already-compressed files (by extension or content) stored, the rest deflated at
// level 1. Files are read and compressed on all cores, and the archive is the same bytes whatever the
// scheduling. Memory stays bounded whatever the project and file sizes. On error the bytes already written
// to w are not a valid archive.
func Zip(ctx context.Context, opts Options, w io.Writer) (*Result, error) {
	res, _, err := zipWith(ctx, opts, w, defaultTuning())
	return res, err
}

// zipWith is Zip with the pipeline's sizes; it also returns the peak bytes reserved in flight.
func zipWith(ctx context.Context, opts Options, w io.Writer, t tuning) (*Result, int64, error) {
	p, err := newPacker(ctx, opts)
	if err != nil {
		return nil, 0, err
	}
	if opts.Dir == nil {
		defer p.root.Close()
	}
	if err := p.loadRootRules(); err != nil {
		return nil, 0, err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.ctx = ctx
	p.pipe = newPipeline(ctx, t)
	var walkErr error
	walked := make(chan struct{})
	go func() {
		defer close(walked)
		defer p.pipe.close()
		walkErr = p.walkDir(nil, p.root)
	}()

	cw := &countingWriter{w: w}
	ew := &entryWriter{zw: zip.NewWriter(cw)}
	err = p.writeAll(ew)
	cancel() // stops the walker and the workers if the writer stopped early
	p.pipe.drain(walked)
	if err == nil {
		err = walkErr // an error of the walk comes after every chunk queued before it
	}
	if err == nil {
		if err = ew.zw.Close(); err != nil {
			err = fmt.Errorf("writing zip: %w", err)
		}
	}
	if err != nil {
		return nil, p.pipe.flight.peak, err
	}
	p.res.Files, p.res.Bytes = p.written.files, p.written.bytes
	p.res.ZipBytes = cw.n
	p.progress(true)
	return &p.res, p.pipe.flight.peak, nil
}

// writeAll appends the chunks to the archive in walk order, as they are ready. It returns at the first
// error in that order, which is the error a sequential packer would have met first.
func (p *packer) writeAll(ew *entryWriter) error {
	for c := range p.pipe.ordered {
		<-c.done
		if c.err != nil {
			return c.err
		}
		if err := ew.write(c); err != nil {
			return fmt.Errorf("writing zip: %w", err)
		}
		putBuf(c.data)
		p.pipe.flight.release(c.weight)
		p.written.bytes += c.raw
		if c.last {
			p.written.files++
		}
		p.progress(false)
		if err := p.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ZipToFile writes the package to a new temporary file in dir ("" = os.TempDir) and returns its path; the
// caller removes it. On error no file is left behind.
func ZipToFile(ctx context.Context, opts Options, dir string) (path string, res *Result, err error) {
	f, err := os.CreateTemp(dir, "cloudbase-pack-*.zip")
	if err != nil {
		return "", nil, fmt.Errorf("creating temporary zip: %w", err)
	}
	bw := bufio.NewWriterSize(f, copyBufferSize)
	res, err = Zip(ctx, opts, bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", f.Name(), cerr)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return "", nil, err
	}
	return f.Name(), res, nil
}

type packer struct {
	ctx      context.Context
	opts     Options
	rootAbs  string // as given, made absolute
	rootReal string // symlinks resolved; every path below is built on it
	root     *os.Root
	rules    ruleSet
	pipe     *pipeline
	res      Result // Excluded and ExcludedSamples: the walker's; the rest at the end

	queued  tally // by the walker (sizes at open time), for the limits
	written tally // by the writer, for progress and the result

	reportedFiles int
	reportedBytes int64
	reported      bool
}

type tally struct {
	files int
	bytes int64
}

func newPacker(ctx context.Context, opts Options) (*packer, error) {
	if opts.Root == "" {
		return nil, errors.New("project directory is not set")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	abs, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, fmt.Errorf("project directory %s: %w", opts.Root, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("project directory %s does not exist", abs)
	case err != nil:
		return nil, fmt.Errorf("project directory %s: %w", abs, pathErrCause(err))
	case !st.IsDir():
		return nil, fmt.Errorf("project directory %s is not a directory", abs)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("project directory %s: %w", abs, pathErrCause(err))
	}
	root := opts.Dir
	if root == nil {
		if root, err = os.OpenRoot(real); err != nil {
			return nil, fmt.Errorf("project directory %s: %w", abs, pathErrCause(err))
		}
	}
	p := &packer{
		ctx: ctx, opts: opts, rootAbs: abs, rootReal: real, root: root,
		res: Result{ExcludedSamples: []string{}},
	}
	if st, err := root.Stat("Dockerfile"); err == nil && !st.IsDir() {
		p.res.HasDockerfile = true
	}
	return p, nil
}

func (p *packer) loadRootRules() error {
	data, err := p.readIgnoreFile(cloudbaseignoreName)
	if err != nil {
		return err
	}
	p.rules.cloudbase = parseGitignore(data, nil, cloudbaseignoreName)
	if data, err = p.readIgnoreFile(dockerignoreName); err != nil {
		return err
	}
	p.rules.docker = parseDockerignore(data)
	return nil
}

// readIgnoreFile returns the content of an ignore file (nil when absent or not a regular file).
func (p *packer) readIgnoreFile(rel string) ([]byte, error) {
	st, err := p.root.Lstat(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", rel, pathErrCause(err))
	}
	open := rel
	if st.Mode()&fs.ModeSymlink != 0 {
		target, info, err := p.resolveLink(rel)
		if errors.Is(err, errBrokenLink) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if !info.Mode().IsRegular() {
			return nil, nil
		}
		open = target
	} else if !st.Mode().IsRegular() {
		return nil, nil
	}
	f, _, err := safefs.OpenRegular(p.root, open)
	if errors.Is(err, safefs.ErrNotRegular) { // replaced by a FIFO or device since the check
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", rel, pathErrCause(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxIgnoreFileSize))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", rel, pathErrCause(err))
	}
	return data, nil
}

// source is an open project file, read at offsets by the workers.
type source interface {
	io.ReaderAt
	io.Closer
}

// openInRoot opens the file at path (slash-separated, relative to root) through the Root.
func openInRoot(root *os.Root, path string) (source, int64, fs.FileMode, error) {
	f, err := root.OpenFile(path, openFlag, 0)
	if err != nil {
		return nil, 0, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, 0, err
	}
	return f, st.Size(), st.Mode(), nil
}

// addFile opens a file (open returns it with its size and mode) and queues it for the archive under name.
func (p *packer) addFile(name string, open func() (source, int64, fs.FileMode, error)) error {
	if p.queued.files >= p.opts.MaxFiles {
		return kindErrorf(ErrLimitExceeded,
			"project has more than %d files (the limit); add ignore rules (.cloudbaseignore) or deploy an image",
			p.opts.MaxFiles)
	}
	src, size, mode, err := open()
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", name, pathErrCause(err))
	}
	if !mode.IsRegular() { // replaced since the directory was listed
		_ = src.Close()
		p.exclude(name + " (not a regular file)")
		return nil
	}
	if p.queued.bytes+size > p.opts.MaxBytes { // fail before reading a huge file
		_ = src.Close()
		return p.tooLarge(p.queued.bytes + size)
	}
	p.queued.files++
	p.queued.bytes += size
	return p.pipe.enqueue(name, mode, src, size)
}

func (p *packer) tooLarge(soFar int64) error {
	return kindErrorf(ErrLimitExceeded,
		"project is larger than the %s limit (%s in %d files so far); add ignore rules (.cloudbaseignore) or deploy an image",
		formatBytes(p.opts.MaxBytes), formatBytes(soFar), p.queued.files+1)
}

// normalizedMode keeps only "executable or not", so umask and ownership do not change the archive.
func normalizedMode(m fs.FileMode) fs.FileMode {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

func (p *packer) exclude(sample string) {
	p.res.Excluded++
	if len(p.res.ExcludedSamples) < maxExcludedSamples {
		p.res.ExcludedSamples = append(p.res.ExcludedSamples, sample)
	}
}

func (p *packer) progress(final bool) {
	if p.opts.Progress == nil {
		return
	}
	files, bytes := p.written.files, p.written.bytes
	due := files-p.reportedFiles >= progressEveryFiles || bytes-p.reportedBytes >= progressEveryBytes
	if final {
		due = !p.reported || files != p.reportedFiles || bytes != p.reportedBytes
	}
	if !due {
		return
	}
	p.reportedFiles, p.reportedBytes, p.reported = files, bytes, true
	p.opts.Progress(files, bytes)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func joinRel(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func displayRel(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}

// within reports whether target is base or lies below it (both clean and absolute).
func within(base, target string) bool {
	rel, err := filepath.Rel(base, target)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// pathErrCause drops the *PathError / *LinkError wrapper, whose paths would repeat what the message names.
func pathErrCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

func formatBytes(n int64) string {
	const unit = 1024
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	v, i := float64(n), 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %s", int64(v), units[i])
	}
	return fmt.Sprintf("%.1f %s", v, units[i])
}
