package pack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// walkDir packages the directory at segs (nil = root), opened as dir, in sorted order. Files are opened
// relative to their directory: one openat each instead of one per path component.
func (p *packer) walkDir(segs []string, dir *os.Root) error {
	rel := strings.Join(segs, "/")
	entries, dirFile, err := readDir(dir, rel)
	if err != nil {
		return err
	}
	defer dirFile.Close()
	gi, err := p.dirGitignore(segs, rel, entries)
	if err != nil {
		return err
	}
	p.rules.push(gi)
	defer p.rules.pop()

	d := walkingDir{segs: segs, rel: rel, root: dir, file: dirFile}
	for _, e := range entries {
		if err := p.ctx.Err(); err != nil {
			return err
		}
		if err := p.walkEntry(d, e); err != nil {
			return err
		}
	}
	return nil
}

// walkingDir is the directory walkDir lists: where it is in the project, and the Root and open
// directory its entries are opened through.
type walkingDir struct {
	segs []string
	rel  string
	root *os.Root
	file *os.File
}

// dirGitignore parses the directory's .gitignore, if it lists one, into rules anchored at segs.
func (p *packer) dirGitignore(segs []string, rel string, entries []fs.DirEntry) ([]*rule, error) {
	for _, e := range entries {
		if e.Name() == gitignoreName {
			data, err := p.readIgnoreFile(joinRel(rel, gitignoreName))
			if err != nil {
				return nil, err
			}
			return parseGitignore(data, segs, joinRel(rel, gitignoreName)), nil
		}
	}
	return nil, nil
}

// walkEntry packages, descends into or excludes one entry of d.
func (p *packer) walkEntry(d walkingDir, e fs.DirEntry) error {
	name := e.Name()
	child := append(d.segs[:len(d.segs):len(d.segs)], name) // never aliases a sibling's slice
	childRel := joinRel(d.rel, name)
	typ := e.Type()

	if typ.IsDir() {
		return p.walkSubdir(d, name, child, childRel)
	}

	// Git matches symlinks as files, whatever they point to, and so do we: an ignored link is never
	// resolved, so an ignored link leaving the project is not an error.
	forced := len(d.segs) == 0 && name == "Dockerfile"
	if excluded, r := p.rules.match(child, false); excluded && !forced {
		p.exclude(childRel + " (" + r.String() + ")")
		return nil
	}
	switch {
	case typ.IsRegular():
		return p.addFile(childRel, func() (source, int64, fs.FileMode, error) {
			return openEntry(d.file, d.root, name)
		})
	case typ&fs.ModeSymlink != 0:
		return p.addLink(childRel)
	default:
		p.exclude(childRel + " (not a regular file)")
		return nil
	}
}

// walkSubdir descends into the directory name of d unless it is always skipped or ignored (and no
// .dockerignore exception may bring back something inside it).
func (p *packer) walkSubdir(d walkingDir, name string, child []string, childRel string) error {
	if alwaysSkipped[name] && (name != "node_modules" || !p.opts.IncludeNodeModules) {
		p.exclude(childRel + "/ (always skipped)")
		return nil
	}
	if excluded, r := p.rules.match(child, true); excluded && !p.rules.dockerMayReinclude(child) {
		p.exclude(childRel + "/ (" + r.String() + ")")
		return nil
	}
	sub, err := d.root.OpenRoot(name)
	if err != nil {
		return fmt.Errorf("cannot read directory %s: %w", childRel, pathErrCause(err))
	}
	err = p.walkDir(child, sub)
	sub.Close()
	return err
}

// addLink packages the file a symlink points to, under the link's name. Links that are broken or lead
// to a directory or a non-regular file are excluded; one leading out of the project fails the package.
func (p *packer) addLink(childRel string) error {
	target, info, err := p.resolveLink(childRel)
	switch {
	case errors.Is(err, errBrokenLink):
		p.exclude(childRel + " (broken symlink)")
	case err != nil:
		return err
	case info.IsDir():
		p.exclude(childRel + " (symlink to a directory, not followed)")
	case !info.Mode().IsRegular():
		p.exclude(childRel + " (not a regular file)")
	default:
		return p.addFile(childRel, func() (source, int64, fs.FileMode, error) {
			return openInRoot(p.root, target)
		})
	}
	return nil
}

// readDir lists dir sorted by name; the directory stays open (the caller closes it) for opening its files.
func readDir(dir *os.Root, rel string) ([]fs.DirEntry, *os.File, error) {
	f, err := dir.Open(".")
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read directory %s: %w", displayRel(rel), pathErrCause(err))
	}
	entries, err := readDirTypes(f)
	if err != nil {
		_ = f.Close()
		return nil, nil, fmt.Errorf("cannot read directory %s: %w", displayRel(rel), pathErrCause(err))
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, f, nil
}

var errBrokenLink = errors.New("broken symlink")

// resolveLink resolves the symlink at rel. It returns the target relative to the real root, or
// ErrOutsideRoot when the target (even a missing one) lies outside the project, or errBrokenLink.
func (p *packer) resolveLink(rel string) (string, fs.FileInfo, error) {
	abs := filepath.Join(p.rootReal, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if dest, rerr := os.Readlink(abs); rerr == nil {
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(abs), dest)
			}
			dest = filepath.Clean(dest)
			if !within(p.rootReal, dest) && !within(p.rootAbs, dest) {
				return "", nil, kindErrorf(ErrOutsideRoot, "symlink %s points outside the project: %s", rel, dest)
			}
		}
		return "", nil, errBrokenLink
	}
	if !within(p.rootReal, real) {
		return "", nil, kindErrorf(ErrOutsideRoot, "symlink %s points outside the project: %s", rel, real)
	}
	target, err := filepath.Rel(p.rootReal, real)
	if err != nil {
		return "", nil, fmt.Errorf("symlink %s: %w", rel, err)
	}
	target = filepath.ToSlash(target)
	info, err := p.root.Stat(target)
	if err != nil {
		return "", nil, fmt.Errorf("cannot read %s: %w", rel, pathErrCause(err))
	}
	return target, info, nil
}
