package templates

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const maxTemplateFile = 64 << 10

func TestCatalog(t *testing.T) {
	t.Parallel()
	list := List()
	require.NotEmpty(t, list)
	assert.Equal(t, "helloworld", list[0].Identifier, "init's default comes first")
	var ids []string
	for _, tpl := range list {
		ids = append(ids, tpl.Identifier)
		assert.Regexp(t, `^[a-z][a-z0-9-]*$`, tpl.Identifier)
		assert.NotEmpty(t, tpl.Title, tpl.Identifier)
		assert.Contains(t, []string{"Node.js", "Python", "Go", "Java"}, tpl.Language, tpl.Identifier)
		assert.NotEmpty(t, tpl.RuntimeVersion, tpl.Identifier)
		assert.Contains(t, []string{ServerTypeFunction, ServerTypeContainer}, tpl.ServerType, tpl.Identifier)
		assert.Regexp(t, `^[A-Z][^.]*(\.[^ .][^.]*)*\.$`, tpl.Description, "%s: one English sentence", tpl.Identifier)

		got, ok := Get(tpl.Identifier)
		assert.True(t, ok)
		assert.Equal(t, tpl, got)
	}
	assert.Equal(t, []string{"helloworld", "nodejs", "python", "golang", "java"}, ids)

	_, ok := Get("nodejs-express")
	assert.False(t, ok, "the old identifier is gone")
	_, ok = Get("HelloWorld")
	assert.False(t, ok, "identifiers match exactly")

	list[0].Identifier = "changed"
	assert.Equal(t, "helloworld", List()[0].Identifier, "List returns a copy")
}

func TestUnknownTemplate(t *testing.T) {
	t.Parallel()
	_, err := Files("nope")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown template "nope"`)
	assert.Contains(t, err.Error(), "helloworld, nodejs, python, golang, java")

	fsys, ok := FS("nope")
	assert.False(t, ok)
	assert.Nil(t, fsys)

	var buf bytes.Buffer
	assert.Error(t, WriteZip("nope", &buf))
	assert.Zero(t, buf.Len(), "nothing written for an unknown template")
}

func TestTemplateFiles(t *testing.T) {
	t.Parallel()
	for _, tpl := range List() {
		t.Run(tpl.Identifier, func(t *testing.T) {
			files, err := Files(tpl.Identifier)
			require.NoError(t, err)
			assert.IsNonDecreasing(t, files)
			assert.Contains(t, files, "README.md")

			fsys, ok := FS(tpl.Identifier)
			require.True(t, ok)
			require.NoError(t, fstest.TestFS(fsys, files...), "FS behaves as an fs.FS and holds exactly Files")
			var walked []string
			require.NoError(t, fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					walked = append(walked, p)
				}
				return err
			}))
			assert.Equal(t, files, walked)

			for _, name := range files {
				b, err := fs.ReadFile(fsys, name)
				require.NoError(t, err)
				assert.LessOrEqual(t, len(b), maxTemplateFile, "%s is over 64 KB", name)
				assert.NotEmpty(t, b, name)
				assert.True(t, strings.HasSuffix(string(b), "\n"), "%s ends with a newline", name)
				assert.NotContains(t, string(b), "\r", "%s has Unix line endings", name)
			}

			readme := read(t, fsys, "README.md")
			assert.Contains(t, readme, "## Run locally")
			assert.Contains(t, readme, "## Deploy")

			dockerfile, hasDockerfile := readMaybe(t, fsys, "Dockerfile")
			switch tpl.ServerType {
			case ServerTypeContainer:
				require.True(t, hasDockerfile, "a container template has a Dockerfile")
				assert.Regexp(t, `(?m)^EXPOSE 8080$`, dockerfile)
				assert.Len(t, regexp.MustCompile(`(?m)^EXPOSE `).FindAllString(dockerfile, -1), 1,
					"one EXPOSE: deploy reads the port from it")
				assert.Regexp(t, `^(#.*\n)*FROM `, dockerfile, "the first instruction is FROM")
				assert.Contains(t, files, ".dockerignore")
			case ServerTypeFunction:
				assert.False(t, hasDockerfile, "function services build with buildpacks")
				var pj struct {
					Dependencies map[string]string `json:"dependencies"`
				}
				require.NoError(t, json.Unmarshal([]byte(read(t, fsys, "package.json")), &pj))
				assert.Equal(t, FunctionsFrameworkVersion, pj.Dependencies["@cloudbase/functions-framework"])
				assert.Contains(t, read(t, fsys, "index.js"), "exports.main = async function (event, context)")
			}
		})
	}
}

func TestTemplateSpecifics(t *testing.T) {
	t.Parallel()
	fsys, _ := FS("golang")
	assert.Equal(t, "module app\n\ngo 1.22\n", read(t, fsys, "go.mod"), "go.mod is served under its real name")
	_, stored := readMaybe(t, fsys, "go.mod_")
	assert.False(t, stored)
	assert.Contains(t, read(t, fsys, "main.go"), `"GET /healthz"`)
	assert.Contains(t, read(t, fsys, "Dockerfile"), "FROM golang:1.22-alpine AS build")

	fsys, _ = FS("nodejs")
	assert.Contains(t, read(t, fsys, "Dockerfile"), "FROM node:20-alpine")
	var pj map[string]any
	require.NoError(t, json.Unmarshal([]byte(read(t, fsys, "package.json")), &pj))
	assert.NotContains(t, pj, "dependencies", "plain http, no dependencies")

	fsys, _ = FS("python")
	assert.Contains(t, read(t, fsys, "Dockerfile"), "FROM python:3.12-slim")

	fsys, _ = FS("java")
	dockerfile := read(t, fsys, "Dockerfile")
	assert.Contains(t, dockerfile, "FROM eclipse-temurin:17-jdk AS build")
	assert.Contains(t, dockerfile, "FROM eclipse-temurin:17-jre")
}

func TestWriteZip(t *testing.T) {
	t.Parallel()
	for _, tpl := range List() {
		t.Run(tpl.Identifier, func(t *testing.T) {
			var a, b bytes.Buffer
			require.NoError(t, WriteZip(tpl.Identifier, &a))
			require.NoError(t, WriteZip(tpl.Identifier, &b))
			assert.Equal(t, a.Bytes(), b.Bytes(), "deterministic")

			zr, err := zip.NewReader(bytes.NewReader(a.Bytes()), int64(a.Len()))
			require.NoError(t, err)
			files, err := Files(tpl.Identifier)
			require.NoError(t, err)
			fsys, _ := FS(tpl.Identifier)
			var names []string
			for _, f := range zr.File {
				names = append(names, f.Name)
				assert.Equal(t, fs.FileMode(0o644), f.Mode(), f.Name)
				assert.True(t, f.Modified.Equal(modTime), f.Name)
				rc, err := f.Open()
				require.NoError(t, err)
				got, err := io.ReadAll(rc)
				require.NoError(t, err)
				require.NoError(t, rc.Close())
				assert.Equal(t, read(t, fsys, f.Name), string(got), "%s round-trips", f.Name)
			}
			assert.Equal(t, files, names, "entries at the project root, sorted")
		})
	}
}

func TestMemFSDirectories(t *testing.T) {
	t.Parallel()
	fsys := newMemFS(map[string][]byte{"a/b/c.txt": []byte("c\n"), "a/d.txt": []byte("d\n"), "e.txt": []byte("e\n")})
	require.NoError(t, fstest.TestFS(fsys, "a/b/c.txt", "a/d.txt", "e.txt", "a", "a/b"))
	entries, err := fs.ReadDir(fsys, "a")
	require.NoError(t, err)
	require.Len(t, entries, 2)
	assert.Equal(t, "b", entries[0].Name())
	assert.True(t, entries[0].IsDir())
	assert.Equal(t, "d.txt", entries[1].Name())
	_, err = fsys.Open("../e.txt")
	assert.ErrorIs(t, err, fs.ErrInvalid)
	_, err = fsys.Open("missing")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func read(t *testing.T, fsys fs.FS, name string) string {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	require.NoError(t, err, name)
	return string(b)
}

func readMaybe(t *testing.T, fsys fs.FS, name string) (string, bool) {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		require.ErrorIs(t, err, fs.ErrNotExist, name)
		return "", false
	}
	return string(b), true
}
