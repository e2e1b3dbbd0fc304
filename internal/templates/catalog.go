package templates

import "slices"

// Server types, as the tools and the API name them.
const (
	ServerTypeFunction  = "function"
	ServerTypeContainer = "container"
)

// Template describes one project template.
type Template struct {
	Identifier     string `json:"identifier"`
	Title          string `json:"title"`
	Description    string `json:"description"`
	Language       string `json:"language"`
	RuntimeVersion string `json:"runtimeVersion"`
	ServerType     string `json:"serverType"`
}

// catalog is the list order: helloworld (the default of init) first.
var catalog = []Template{
	{Identifier: "helloworld", Title: "Hello World (function)",
		Description:    "A Node.js function service whose exports.main answers every request with a JSON greeting, run by @cloudbase/functions-framework.",
		Language:       "Node.js",
		RuntimeVersion: "20",
		ServerType:     ServerTypeFunction},
	{Identifier: "nodejs", Title: "Node.js (container)",
		Description:    "A dependency-free Node.js HTTP server on PORT, built with a node:20-alpine Dockerfile.",
		Language:       "Node.js",
		RuntimeVersion: "20",
		ServerType:     ServerTypeContainer},
	{Identifier: "python", Title: "Python (container)",
		Description:    "A standard-library http.server app on PORT, built with a python:3.12-slim Dockerfile.",
		Language:       "Python",
		RuntimeVersion: "3.12",
		ServerType:     ServerTypeContainer},
	{Identifier: "golang", Title: "Go (container)",
		Description:    "A net/http server on PORT with a /healthz endpoint, built by a multi-stage Dockerfile into a small Alpine image.",
		Language:       "Go",
		RuntimeVersion: "1.22",
		ServerType:     ServerTypeContainer},
	{Identifier: "java", Title: "Java (container)",
		Description:    "A single-file JDK HttpServer app on PORT, compiled with javac in a multi-stage Eclipse Temurin 17 Dockerfile.",
		Language:       "Java",
		RuntimeVersion: "17",
		ServerType:     ServerTypeContainer},
}

// List returns every template, helloworld first, in a stable order.
func List() []Template {
	return slices.Clone(catalog)
}

// Get returns the template with this identifier.
func Get(id string) (Template, bool) {
	i := slices.IndexFunc(catalog, func(t Template) bool { return t.Identifier == id })
	if i < 0 {
		return Template{}, false
	}
	return catalog[i], true
}
