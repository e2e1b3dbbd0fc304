package cloudrun

import (
	"encoding/json"
	"fmt"
	pathpkg "path"
	"strings"
)

// What a project is, as far as deploying it goes: deploy checks what run
// checks, so a deploy the platform would accept and then fail to start is
// refused up front, and the hint offers what fits the project.

type projectFacts struct {
	packageJSON bool
	framework   bool // depends on the functions (or agent) framework
	startScript bool
	main        string // package.json main, else index.js when present
	mainExists  bool
	python      string // app.py, main.py or server.py
	goModule    bool
}

func readFacts(pr *projectRoot) projectFacts {
	var f projectFacts
	if b, err := pr.read("package.json"); err == nil {
		var pkg struct {
			Main            string            `json:"main"`
			Scripts         map[string]string `json:"scripts"`
			Dependencies    map[string]any    `json:"dependencies"`
			DevDependencies map[string]any    `json:"devDependencies"`
		}
		if json.Unmarshal(b, &pkg) == nil {
			f.packageJSON = true
			for _, dep := range []string{"@cloudbase/functions-framework", "@cloudbase/aiagent-framework"} {
				_, d := pkg.Dependencies[dep]
				_, dd := pkg.DevDependencies[dep]
				f.framework = f.framework || d || dd
			}
			f.startScript = strings.TrimSpace(pkg.Scripts["start"]) != ""
			f.main = pkg.Main
		}
	}
	if f.main == "" {
		f.main = "index.js"
	}
	f.mainExists = pr.hasFile(pathpkg.Clean(f.main))
	for _, p := range []string{"app.py", "main.py", "server.py"} {
		if pr.hasFile(p) {
			f.python = p
			break
		}
	}
	f.goModule = pr.hasFile("go.mod")
	return f
}

// checkFunctionProject refuses a function deploy of a project that is not
// one: CloudRun would start the functions framework and find nothing.
func checkFunctionProject(pr *projectRoot, dir string) error {
	f := readFacts(pr)
	switch {
	case !f.packageJSON:
		return invalid("a function service needs package.json in "+dir, "Create the project with manageCloudRun init (template helloworld), or deploy it as a container. "+dockerfileHint(f))
	case !f.framework:
		return invalid(fmt.Sprintf("%s does not depend on @cloudbase/functions-framework, so it is not a function project: CloudRun would find no function to run", dir),
			"Deploy it as a container instead (leave serverType out). "+dockerfileHint(f))
	case !f.mainExists:
		return invalid(fmt.Sprintf("the function's entry %s is not in %s", f.main, dir),
			"Add "+f.main+" exporting main (exports.main = async (event, context) => ...), or set package.json main to the file that does.")
	}
	return nil
}

// missingDockerfileHint says what fits a container project without a
// Dockerfile: function mode only for a function project.
func missingDockerfileHint(pr *projectRoot) string {
	f := readFacts(pr)
	if f.framework {
		return "This project depends on @cloudbase/functions-framework: deploy it with serverType: function (no Dockerfile needed)."
	}
	return dockerfileHint(f)
}

// dockerfileHint proposes a Dockerfile for what the project looks like.
func dockerfileHint(f projectFacts) string {
	var df string
	switch {
	case f.packageJSON && (f.startScript || f.mainExists):
		cmd := `["npm", "start"]`
		if !f.startScript {
			cmd = fmt.Sprintf(`["node", %q]`, f.main)
		}
		df = "FROM node:20-alpine\nWORKDIR /app\nCOPY package*.json ./\nRUN npm install --omit=dev\nCOPY . .\nENV PORT=8080\nEXPOSE 8080\nCMD " + cmd
	case f.python != "":
		df = fmt.Sprintf("FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt || true\nENV PORT=8080\nEXPOSE 8080\nCMD [\"python\", %q]", f.python)
	case f.goModule:
		df = "FROM golang:1.22-alpine AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /app .\nFROM alpine:3.20\nCOPY --from=build /app /app\nENV PORT=8080\nEXPOSE 8080\nENTRYPOINT [\"/app\"]"
	default:
		return "Add a Dockerfile that builds the service and starts it listening on $PORT, or deploy an existing image with imageUrl."
	}
	return "Add a Dockerfile (the server must listen on $PORT), for example:\n" + df
}
