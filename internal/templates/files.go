package templates

import (
	"archive/zip"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed all:_files
var embedded embed.FS

// storedNames maps names that cannot be embedded as they are to the names
// they are stored under.
var storedNames = map[string]string{"go.mod": "go.mod_"}

// modTime is the time every file reports, in FS and in zips, so that the
// bytes of a template never depend on when or where the binary was built.
var modTime = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// tree is one template's files: sorted relative paths and their contents.
type tree struct {
	paths []string
	data  map[string][]byte
}

var trees = sync.OnceValue(func() map[string]*tree {
	servedNames := map[string]string{}
	for served, stored := range storedNames {
		servedNames[stored] = served
	}
	out := map[string]*tree{}
	for _, t := range catalog {
		root := "_files/" + t.Identifier
		tr := &tree{data: map[string][]byte{}}
		err := fs.WalkDir(embedded, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := embedded.ReadFile(p)
			if err != nil {
				return err
			}
			rel := strings.TrimPrefix(p, root+"/")
			if served, ok := servedNames[path.Base(rel)]; ok {
				rel = path.Join(path.Dir(rel), served)
			}
			tr.paths = append(tr.paths, rel)
			tr.data[rel] = b
			return nil
		})
		if err != nil || len(tr.paths) == 0 {
			// The embedded files are fixed at build time; the tests walk every template.
			panic(fmt.Sprintf("templates: embedded template %q is missing or unreadable: %v", t.Identifier, err))
		}
		slices.Sort(tr.paths)
		out[t.Identifier] = tr
	}
	return out
})

func lookup(id string) (*tree, error) {
	if tr, ok := trees()[id]; ok {
		return tr, nil
	}
	ids := make([]string, len(catalog))
	for i, t := range catalog {
		ids[i] = t.Identifier
	}
	return nil, fmt.Errorf("unknown template %q: choose one of %s", id, strings.Join(ids, ", "))
}

// Files returns the template's relative file paths, sorted, with forward
// slashes.
func Files(id string) ([]string, error) {
	tr, err := lookup(id)
	if err != nil {
		return nil, err
	}
	return slices.Clone(tr.paths), nil
}

// FS returns the template's files, rooted at the project root (read only).
func FS(id string) (fs.FS, bool) {
	tr, err := lookup(id)
	if err != nil {
		return nil, false
	}
	return newMemFS(tr.data), true
}

// WriteZip writes a zip of the template's files to w, entries at the
// project root (as the remote template list serves them). The bytes depend
// only on the files: entries sorted, fixed times and modes.
func WriteZip(id string, w io.Writer) error {
	tr, err := lookup(id)
	if err != nil {
		return err
	}
	return writeZip(w, tr.paths, tr.data)
}

func writeZip(w io.Writer, paths []string, data map[string][]byte) error {
	zw := zip.NewWriter(w)
	for _, p := range paths {
		h := &zip.FileHeader{Name: p, Method: zip.Deflate, Modified: modTime}
		h.SetMode(0o644)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := fw.Write(data[p]); err != nil {
			return err
		}
	}
	return zw.Close()
}
