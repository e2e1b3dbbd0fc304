// Package workspace confines file paths to the workspace roots: a path is
// cleaned and its symlinks resolved before it is compared with the roots, so
// neither ".." nor a link can lead outside.
package workspace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrOutside is returned for a path that resolves outside every root.
var ErrOutside = errors.New("path is outside the workspace")

// Resolve returns the absolute, cleaned, symlink-resolved form of p. A
// relative p is taken against the first root. The result must lie inside
// one of the roots (or be one); the path itself need not exist yet.
func Resolve(roots []string, p string) (string, error) {
	if len(roots) == 0 {
		return "", errors.New("no workspace root is configured")
	}
	if strings.TrimSpace(p) == "" {
		return "", errors.New("the path is empty")
	}
	resolvedRoots := make([]string, 0, len(roots))
	for _, r := range roots {
		rr, err := realPath(r)
		if err != nil {
			return "", fmt.Errorf("workspace root %s: %w", r, err)
		}
		resolvedRoots = append(resolvedRoots, rr)
	}
	abs := p
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(resolvedRoots[0], p)
	}
	real, err := realPath(abs)
	if err != nil {
		return "", err
	}
	for _, r := range resolvedRoots {
		if within(r, real) {
			return real, nil
		}
	}
	return "", fmt.Errorf("%w: %s resolves to %s, which is not under %s", ErrOutside, p, real, strings.Join(resolvedRoots, " or "))
}

// within reports whether p is root or below it.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel))
}

// realPath makes p absolute and resolves the symlinks of its longest
// existing prefix; the rest (not created yet) is appended as is.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	abs = filepath.Clean(abs)
	existing, rest := abs, ""
	for {
		if _, err := os.Lstat(existing); err == nil {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(existing), rest)
		existing = parent
	}
	resolved, err := filepath.EvalSymlinks(existing)
	if err != nil {
		return "", err
	}
	return filepath.Join(resolved, rest), nil
}

// Path is a location confined to one workspace root.
type Path struct {
	Root string // the resolved workspace root it lies in
	Rel  string // relative to Root, cleaned; "." is the root itself
}

// Abs is the path's absolute form.
func (p Path) Abs() string { return filepath.Join(p.Root, p.Rel) }

// IsRoot reports whether the path is the workspace root itself.
func (p Path) IsRoot() bool { return p.Rel == "." }

// OpenWorkspace opens the workspace root the path lies in. Every name under
// the returned *os.Root is resolved by the kernel one component at a time: a
// directory swapped for a symlink after Locate cannot lead outside it.
func (p Path) OpenWorkspace() (*os.Root, error) {
	return os.OpenRoot(p.Root)
}

// OpenDir opens the path itself (it must be an existing directory) as a root,
// through the workspace root.
func (p Path) OpenDir() (*os.Root, error) {
	ws, err := p.OpenWorkspace()
	if err != nil {
		return nil, err
	}
	defer ws.Close()
	return ws.OpenRoot(p.Rel)
}

// Child is the path of the entry name directly below p; name must be a single
// local path element.
func (p Path) Child(name string) (Path, error) {
	if !filepath.IsLocal(name) || filepath.Base(name) != name {
		return Path{}, fmt.Errorf("%q is not a plain file name", name)
	}
	return Path{Root: p.Root, Rel: filepath.Join(p.Rel, name)}, nil
}

// Locate is Resolve returning which root the path lies in and where below it.
func Locate(roots []string, p string) (Path, error) {
	real, err := Resolve(roots, p)
	if err != nil {
		return Path{}, err
	}
	for _, r := range roots {
		rr, err := realPath(r)
		if err != nil || !within(rr, real) {
			continue
		}
		rel, err := filepath.Rel(rr, real)
		if err != nil {
			continue
		}
		return Path{Root: rr, Rel: rel}, nil
	}
	return Path{}, fmt.Errorf("%w: %s", ErrOutside, p)
}
