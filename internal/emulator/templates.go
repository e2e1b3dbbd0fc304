package emulator

import (
	"archive/zip"
	"bytes"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// template is one item of the template list (spec §8.6).
type template struct {
	Identifier     string   `json:"identifier"`
	Title          string   `json:"title"`
	Description    string   `json:"description"`
	RuntimeVersion string   `json:"runtimeVersion"`
	Language       string   `json:"language"`
	ZipFileStore   string   `json:"zipFileStore"`
	FuncTypes      []string `json:"funcTypes"`
}

var templates = []template{
	{Identifier: "helloworld", Title: "Hello World", Description: "云托管函数型服务示例：导出 main 的 Node.js 函数（@cloudbase/functions-framework）",
		RuntimeVersion: "20.18", Language: "Node.js", FuncTypes: []string{"tcbrFunc"}},
	{Identifier: "nodejs-express", Title: "Express", Description: "容器型服务示例：Express Web 服务与 Dockerfile",
		RuntimeVersion: "20", Language: "Node.js", FuncTypes: []string{"tcbrContainer"}},
	{Identifier: "scf-helloworld", Title: "SCF Hello World", Description: "云函数（SCF）示例，不适用于云托管",
		RuntimeVersion: "Nodejs16.13", Language: "Node.js", FuncTypes: []string{"scfFunc"}},
}

// templateFiles are the files of a template; name is the package name.
func templateFiles(id, name string) (map[string]string, bool) {
	switch id {
	case "helloworld":
		return map[string]string{
			"package.json": fmt.Sprintf(`{
  "name": %q,
  "version": "1.0.0",
  "main": "index.js",
  "scripts": {
    "start": "tcb-ff"
  },
  "dependencies": {
    "@cloudbase/functions-framework": "^1.14.0"
  }
}
`, name),
			"index.js": `exports.main = async function (event, context) {
  return { message: "Hello from CloudBase Run!", event };
};
`,
		}, true
	case "nodejs-express":
		return map[string]string{
			"package.json": fmt.Sprintf(`{
  "name": %q,
  "version": "1.0.0",
  "main": "index.js",
  "scripts": {
    "start": "node index.js"
  },
  "dependencies": {
    "express": "^4.21.2"
  }
}
`, name),
			"index.js": `const express = require("express");

const app = express();
const port = process.env.PORT || 80;

app.get("/", (req, res) => {
  res.json({ message: "Hello from CloudBase Run!" });
});

app.listen(port, () => {
  console.log(` + "`server listening on 0.0.0.0:${port}`" + `);
});
`,
			"Dockerfile": `FROM node:20-alpine
WORKDIR /app
COPY package*.json ./
RUN npm install --production
COPY . .
EXPOSE 80
CMD ["node", "index.js"]
`,
		}, true
	case "scf-helloworld":
		return map[string]string{
			"index.js": "exports.main_handler = async (event, context) => event;\n",
		}, true
	}
	return nil, false
}

// buildZip makes a deterministic zip of files (sorted names, fixed times).
func buildZip(files map[string]string) []byte {
	names := slices.Sorted(maps.Keys(files))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
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
	base := e.baseURL(r)
	items := []template{}
	for _, t := range templates {
		t.ZipFileStore = base + "/__templates/" + t.Identifier + ".zip"
		t.FuncTypes = append([]string{}, t.FuncTypes...)
		items = append(items, t)
	}
	q := r.URL.Query()
	if skip, err := strconv.Atoi(q.Get("skip")); err == nil && skip > 0 {
		items = items[min(skip, len(items)):]
	}
	if limit, err := strconv.Atoi(q.Get("limit")); err == nil && limit >= 0 && limit < len(items) {
		items = items[:limit]
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": items})
}

// serveTemplateZip is GET /__templates/<identifier>.zip.
func (e *Emulator) serveTemplateZip(w http.ResponseWriter, r *http.Request) {
	id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/__templates/"), ".zip")
	files, found := templateFiles(id, id)
	if !ok || !found {
		http.Error(w, "template not found", http.StatusNotFound)
		return
	}
	writeZip(w, buildZip(files))
}

func writeZip(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
