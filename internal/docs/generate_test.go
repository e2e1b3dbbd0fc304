// Package docs holds the generator of the README's configuration table and tools section
// from the code, so the two cannot drift: a test compares them with README.md
// (UPDATE_DOCS=1 rewrites the generated blocks).
package docs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/mark3labs/mcp-go/mcp"
)

// ConfigTable renders config.EnvVars() as a Markdown table.
func ConfigTable() string {
	var b strings.Builder
	b.WriteString("| variable | flag | default | meaning |\n|---|---|---|---|\n")
	for _, v := range config.EnvVars() {
		name := "`" + v.Name + "`"
		for _, a := range v.Aliases {
			name += " (or `" + a + "`)"
		}
		flag := ""
		if v.Flag != "" {
			flag = "`--" + v.Flag + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", name, flag, cell(v.Default), cell(v.Description))
	}
	return b.String()
}

func cell(s string) string {
	if s == "" {
		return ""
	}
	return strings.ReplaceAll(s, "|", "\\|")
}

// ToolsSection renders each tool's description and parameters.
func ToolsSection(tools []mcp.Tool) (string, error) {
	var b strings.Builder
	for _, t := range tools {
		var schema struct {
			Required   []string                   `json:"required"`
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(t.RawInputSchema, &schema); err != nil {
			return "", fmt.Errorf("%s: %w", t.Name, err)
		}
		fmt.Fprintf(&b, "### `%s`\n\n%s\n\n| parameter | type | description |\n|---|---|---|\n", t.Name, t.Description)
		names := make([]string, 0, len(schema.Properties))
		for n := range schema.Properties {
			names = append(names, n)
		}
		// action first, then the schema's own order is lost in a map: sort.
		slices.SortFunc(names, func(a, c string) int {
			if a == "action" {
				return -1
			}
			if c == "action" {
				return 1
			}
			return strings.Compare(a, c)
		})
		for _, n := range names {
			var p struct {
				Type        any      `json:"type"`
				Enum        []any    `json:"enum"`
				Description string   `json:"description"`
				Default     any      `json:"default"`
				Minimum     *float64 `json:"minimum"`
				Maximum     *float64 `json:"maximum"`
			}
			if err := json.Unmarshal(schema.Properties[n], &p); err != nil {
				return "", err
			}
			typ := fmt.Sprint(p.Type)
			if ts, ok := p.Type.([]any); ok {
				parts := make([]string, len(ts))
				for i, x := range ts {
					parts[i] = fmt.Sprint(x)
				}
				typ = strings.Join(parts, " or ")
			}
			desc := p.Description
			if len(p.Enum) > 0 {
				vals := make([]string, len(p.Enum))
				for i, e := range p.Enum {
					vals[i] = fmt.Sprintf("`%v`", e)
				}
				desc = strings.TrimSpace(desc + " One of " + strings.Join(vals, ", ") + ".")
			}
			if p.Minimum != nil || p.Maximum != nil {
				desc += fmt.Sprintf(" Range %s..%s.", bound(p.Minimum), bound(p.Maximum))
			}
			if p.Default != nil {
				desc += fmt.Sprintf(" Default `%v`.", p.Default)
			}
			if slices.Contains(schema.Required, n) {
				desc = "**Required.** " + desc
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", n, typ, cell(strings.TrimSpace(desc)))
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n", nil
}

func bound(f *float64) string {
	if f == nil {
		return ""
	}
	return fmt.Sprint(*f)
}

// Replace swaps the text between <!-- name:begin --> and <!-- name:end -->.
func Replace(doc, name, content string) (string, error) {
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("README has no %q block", name)
	}
	return doc[:i+len(begin)] + content + doc[j:], nil
}
