// Package release reads what GoReleaser wrote into dist/ (for the npm
// packaging and the checks that follow it) and copies files.
package release

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Artifact is one entry of dist/artifacts.json.
type Artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Goos   string `json:"goos"`
	Goarch string `json:"goarch"`
	Type   string `json:"type"` // "Binary", "Archive", "Checksum", ...
}

// Read returns the snapshot's version (dist/metadata.json) and its artifacts.
func Read(dist string) (version string, arts []Artifact, err error) {
	var meta struct {
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(dist, "metadata.json"), &meta); err != nil {
		return "", nil, err
	}
	if err := readJSON(filepath.Join(dist, "artifacts.json"), &arts); err != nil {
		return "", nil, err
	}
	return meta.Version, arts, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// CopyFile copies from to to (creating its directory) with mode.
func CopyFile(from, to string, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
