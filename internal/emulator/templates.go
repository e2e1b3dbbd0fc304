package emulator

import (
	"archive/zip"
	"bytes"
	"io/fs"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/templates"
)

// scfTemplate stands for the cloud-function (SCF) items the real list mixes
// in: clients must drop it by its funcTypes.
var scfTemplate = templates.ListItem{Identifier: "scf-helloworld", Title: "SCF Hello World",
	Description: "A cloud function (SCF) sample; not a CloudRun template.", RuntimeVersion: "Nodejs16.13",
	Language: "Node.js", FuncTypes: []string{"scfFunc"}}

var scfFiles = map[string]string{"index.js": "exports.main_handler = async (event, context) => event;\n"}

// templateList is every embedded template, as the remote list describes
// it, then the SCF item.
func templateList(base string) []templates.ListItem {
	out := []templates.ListItem{}
	for _, t := range templates.List() {
		funcType := templates.FuncTypeContainer
		if t.ServerType == templates.ServerTypeFunction {
			funcType = templates.FuncTypeFunction
		}
		out = append(out, templates.ListItem{Identifier: t.Identifier, Title: t.Title, Description: t.Description,
			RuntimeVersion: t.RuntimeVersion, Language: t.Language, FuncTypes: []string{funcType}})
	}
	out = append(out, scfTemplate)
	for i := range out {
		out[i].ZipFileStore = base + "/__templates/" + out[i].Identifier + ".zip"
		out[i].FuncTypes = slices.Clone(out[i].FuncTypes)
	}
	return out
}

// packageName is the "name" line of a template's package.json.
var packageName = regexp.MustCompile(`(?m)^(\s*"name":\s*)"[^"]*"`)

// templateFiles are the files of a template (seeded versions' packages are
// built from them); name, when set, replaces the package.json name, as the
// service's own project would have it.
func templateFiles(id, name string) (map[string]string, bool) {
	if id == scfTemplate.Identifier {
		return maps.Clone(scfFiles), true
	}
	fsys, ok := templates.FS(id)
	if !ok {
		return nil, false
	}
	out := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		return nil, false
	}
	if pj := out["package.json"]; name != "" {
		if loc := packageName.FindStringSubmatchIndex(pj); loc != nil {
			out["package.json"] = pj[:loc[3]] + strconv.Quote(name) + pj[loc[1]:]
		}
	}
	return out, true
}

// buildZip makes a deterministic zip of files (sorted names, fixed times).
func buildZip(files map[string]string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Deflate,
			Modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			panic(err)
		}
		_, _ = w.Write([]byte(files[n]))
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// serveTemplateList is POST /func_tpl/v1.0/function_list/find?skip=&limit=.
func (e *Emulator) serveTemplateList(w http.ResponseWriter, r *http.Request) {
	items := templateList(e.baseURL(r))
	q := r.URL.Query()
	if skip, err := strconv.Atoi(q.Get("skip")); err == nil && skip > 0 {
		items = items[min(skip, len(items)):]
	}
	if limit, err := strconv.Atoi(q.Get("limit")); err == nil && limit >= 0 && limit < len(items) {
		items = items[:limit]
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": items})
}

// serveTemplateZip is GET /__templates/<identifier>.zip: the bytes of
// templates.WriteZip, which init extracts.
func (e *Emulator) serveTemplateZip(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/__templates/"), ".zip")
	if !ok {
		http.Error(w, "template not found", http.StatusNotFound)
		return
	}
	if id == scfTemplate.Identifier {
		writeZip(w, buildZip(scfFiles))
		return
	}
	var buf bytes.Buffer
	if err := templates.WriteZip(id, &buf); err != nil {
		http.Error(w, "template not found", http.StatusNotFound)
		return
	}
	writeZip(w, buf.Bytes())
}

func writeZip(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
