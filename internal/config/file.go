package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/safefs"
)

// readConfigFile loads the JSON config file: --config, else
// CLOUDBASE_MCP_CONFIG, else <UserConfigDir>/cloudbase-mcp/config.json when
// it exists. Keys are the variable names of EnvVars.
//
// Credentials are never read from it: config files get copied around and
// committed, so secrets stay in the environment or the credentials file
// whose only job is to hold them.
func (l *loader) readConfigFile() error {
	path, where := l.configFilePath()
	if path == "" {
		return nil
	}
	explicit := where != ""
	data, err := safefs.ReadFilePath(path, safefs.MaxSmallFile)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if explicit {
			return fmt.Errorf("%s: cannot read config file: %w", where, err)
		}
		return fmt.Errorf("config file %s: %w", path, err)
	}
	file, err := parseConfigJSON(data)
	if err != nil {
		return fmt.Errorf("config file %s: %w (expected a JSON object such as {\"CLOUDBASE_ENV_ID\": \"env-x\", \"CLOUDBASE_MCP_READ_ONLY\": true})", path, err)
	}
	l.file = file
	l.cfg.ConfigFile = path
	l.warnFileKeys(path, file)
	return nil
}

// configFilePath is the config file to read, absolute, and the setting that
// named it (--config or CLOUDBASE_MCP_CONFIG); where is "" for the default
// file, which need not exist. path is "" when there is no file to look for.
func (l *loader) configFilePath() (path, where string) {
	if p := strings.TrimSpace(l.flags[flagConfig]); p != "" {
		return l.absPath(p), "--" + flagConfig
	}
	if p := strings.TrimSpace(l.src.Getenv(envConfig)); p != "" {
		return l.absPath(p), envConfig
	}
	if l.src.UserConfigDir == "" {
		return "", ""
	}
	return filepath.Join(l.src.UserConfigDir, "cloudbase-mcp", "config.json"), ""
}

// warnFileKeys warns, in key order, of the file's keys that are ignored:
// unknown ones, and those never read from a file (credentials, the config
// path itself).
func (l *loader) warnFileKeys(path string, file map[string]string) {
	known := map[string]setting{}
	for _, s := range settings {
		for _, n := range append([]string{s.Name}, s.Aliases...) {
			known[n] = s
		}
	}
	keys := make([]string, 0, len(file))
	for k := range file {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, ok := known[k]
		switch {
		case !ok:
			l.warnf("config file %s: unknown key %q ignored (keys are the variable names, e.g. %s)", path, k, envEnvID)
		case s.noFile:
			l.warnf("config file %s: %s ignored: credentials and the config path are not read from config files "+
				"(set the environment or ~/.tencentcloud/credentials)", path, k)
		}
	}
}

// parseConfigJSON reads a flat JSON object whose values are strings,
// booleans, numbers (kept as written) or lists of strings (joined by commas,
// for plugin lists). null counts as unset.
func parseConfigJSON(data []byte) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, errors.New("not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON object")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case nil:
		case string:
			out[k] = x
		case bool:
			out[k] = fmt.Sprint(x)
		case json.Number:
			out[k] = x.String()
		case []any:
			items := make([]string, 0, len(x))
			for _, it := range x {
				s, ok := it.(string)
				if !ok {
					return nil, fmt.Errorf("key %s: list items must be strings", k)
				}
				items = append(items, s)
			}
			out[k] = strings.Join(items, ",")
		default:
			return nil, fmt.Errorf("key %s: unsupported value (use a string, boolean, number or list of strings)", k)
		}
	}
	return out, nil
}

// workspaceEnvFiles are read in order for envId when none is configured.
var workspaceEnvFiles = []string{"cloudbaserc.json", filepath.Join(".cloudbase", "project.json")}

// envIDFromWorkspace fills EnvID from the workspace's project files. An
// unreadable or malformed file is skipped with a warning: it belongs to the
// user's project, not to this server's configuration.
func (l *loader) envIDFromWorkspace() {
	if l.cfg.EnvID != "" || l.cfg.Workspace == "" {
		return
	}
	// The workspace is the user's project: read through its root, so a link
	// out of it, a FIFO or a huge file cannot leak, block or bloat the start.
	root, err := os.OpenRoot(l.cfg.Workspace)
	if err != nil {
		return
	}
	defer root.Close()
	for _, name := range workspaceEnvFiles {
		path := filepath.Join(l.cfg.Workspace, name)
		data, err := safefs.ReadFile(root, name, safefs.MaxSmallFile)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				l.warnf("reading envId: %v", err)
			}
			continue
		}
		var doc struct {
			EnvID any `json:"envId"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			l.warnf("reading envId: %s is not valid JSON (%v); ignored", path, err)
			continue
		}
		id, ok := doc.EnvID.(string)
		id = strings.TrimSpace(id)
		switch {
		case doc.EnvID == nil:
			continue
		case !ok:
			l.warnf("reading envId: %s: envId is not a string; ignored", path)
			continue
		case id == "":
			continue
		case strings.Contains(id, "{{"):
			// CloudBase Framework projects write "{{env.ENV_ID}}" and fill
			// it from .env at deploy time; it is not an env id.
			l.warnf("reading envId: %s: envId %q is a template placeholder; set CLOUDBASE_ENV_ID", path, id)
			continue
		}
		l.cfg.EnvID = id
		l.cfg.EnvIDSource = filepath.ToSlash(name)
		return
	}
}
