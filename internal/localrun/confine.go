package localrun

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrOutsideProject: a symlink in the project leads outside it.
var ErrOutsideProject = errors.New("a symlink leads outside the project")

// maxTreeEntries bounds the symlink scan of a project (node_modules
// included): far above real projects, low enough to answer in about a second.
const maxTreeEntries = 500_000

// checkTree applies the packer's symlink policy to everything a run may
// load, node_modules included: a symlink whose target (even a missing one)
// lies outside the project refuses the run, so `npm link`ed packages, a
// symlinked node_modules or a planted link cannot make node execute code
// from elsewhere. Links inside the project are fine (npm's .bin links).
func checkTree(ctx context.Context, dir string) error {
	entries := 0
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			return nil // unreadable entries cannot be loaded either
		}
		if entries++; entries > maxTreeEntries {
			return fmt.Errorf("%w: %s has more than %d files and directories; run refuses to scan further", ErrInvalidOptions, dir, maxTreeEntries)
		}
		if entries%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if d.Name() == ".git" && d.IsDir() {
			return filepath.SkipDir
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		target, err := linkTarget(path)
		if err != nil {
			return nil
		}
		if !inside(dir, target) {
			rel, _ := filepath.Rel(dir, path)
			return fmt.Errorf("%w: %s points to %s. Local runs, like deploys, only load files inside the project: replace the link with a copy (npm install instead of npm link), or remove it",
				ErrOutsideProject, filepath.ToSlash(rel), target)
		}
		return nil
	})
}

// linkTarget resolves a symlink fully, or, when it is broken, where its
// first hop points.
func linkTarget(path string) (string, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real, nil
	}
	dest, err := os.Readlink(path)
	if err != nil {
		return "", err
	}
	if !filepath.IsAbs(dest) {
		dest = filepath.Join(filepath.Dir(path), dest)
	}
	return filepath.Clean(dest), nil
}

func inside(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
