package cloudrun

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDeployChecksWhatRunChecks: a deploy the platform would accept and then
// fail to start is refused before anything is uploaded, with a hint that
// fits the project.
func TestDeployChecksWhatRunChecks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	express := filepath.Join(h.cfg.Workspace, "express-app")
	writeFile(t, filepath.Join(express, "package.json"), `{"name":"e","scripts":{"start":"node server.js"},"dependencies":{"express":"^4"}}`)
	writeFile(t, filepath.Join(express, "server.js"), "require('express')().listen(process.env.PORT)\n")

	// The trap of the review: a server app deployed as a function.
	res, _ := h.manage(t, map[string]any{"action": "deploy", "serverName": "express-fn", "targetPath": "express-app", "serverType": "function"})
	require.True(t, res.IsError)
	text := resultText(res)
	assert.Contains(t, text, "not a function project")
	assert.Contains(t, text, `CMD ["npm", "start"]`, "the hint offers a Dockerfile for this Node.js app")
	assert.NotContains(t, text, "serverType: function")

	// As a container without a Dockerfile: the same Dockerfile is offered, not function mode.
	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "express-ctr", "targetPath": "express-app"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "FROM node:20-alpine")
	assert.NotContains(t, resultText(res), "serverType: function")

	// A function project without its entry file.
	fn := filepath.Join(h.cfg.Workspace, "fn-no-entry")
	writeFile(t, filepath.Join(fn, "package.json"), `{"name":"f","main":"app.js","dependencies":{"@cloudbase/functions-framework":"^1"}}`)
	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "fn-noentry", "targetPath": "fn-no-entry", "serverType": "function"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "the function's entry app.js")

	// A function project forced into container mode: function mode is what fits.
	writeFile(t, filepath.Join(fn, "app.js"), "exports.main = async () => 'hi'\n")
	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "fn-ctr", "targetPath": "fn-no-entry", "serverType": "container"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), "serverType: function")

	// A Python app: a Python Dockerfile.
	py := filepath.Join(h.cfg.Workspace, "py-app")
	writeFile(t, filepath.Join(py, "app.py"), "print('hi')\n")
	res, _ = h.manage(t, map[string]any{"action": "deploy", "serverName": "py-app", "targetPath": "py-app"})
	require.True(t, res.IsError)
	assert.Contains(t, resultText(res), `CMD ["python", "app.py"]`)

	assert.Empty(t, h.requestsOf(t, "DescribeCloudBaseBuildService"), "nothing was uploaded")
	assert.Empty(t, h.requestsOf(t, "CreateCloudRunServer"))
}
