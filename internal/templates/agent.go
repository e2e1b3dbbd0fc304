package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"text/template"
)

//go:embed all:agent
var agentFS embed.FS

// AgentOptions describe the agent createAgent scaffolds.
type AgentOptions struct {
	AgentName   string
	BotTag      string // "" = a new random tag
	Description string
	Template    string // "" = "blank"
}

// agentTemplates are the agent scaffolds, the default first.
var agentTemplates = []string{"blank"}

// FunctionsFrameworkVersion is the npm range the scaffolds depend on.
const FunctionsFrameworkVersion = "^1.18.0"

const (
	maxAgentName = 32
	maxBotTag    = 16
	botTagChars  = "abcdefghijklmnopqrstuvwxyz0123456789"
)

var (
	agentNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	botTagRE    = regexp.MustCompile(`^[a-z0-9]+$`)
	separators  = regexp.MustCompile(`[\s_-]+`)
)

// AgentTemplates lists the agent scaffold names, "blank" (the default) first.
func AgentTemplates() []string {
	return slices.Clone(agentTemplates)
}

// NormalizeAgentName lower-cases name and turns runs of spaces, underscores
// and hyphens into one hyphen (trimmed at the ends). The result must be 1-32
// characters of a-z, 0-9 and '-', starting with a letter.
func NormalizeAgentName(name string) (string, error) {
	n := strings.Trim(separators.ReplaceAllString(strings.ToLower(strings.TrimSpace(name)), "-"), "-")
	if n == "" || len(n) > maxAgentName || !agentNameRE.MatchString(n) {
		return "", fmt.Errorf("agentName %q is not valid: after lower-casing and turning spaces and underscores into '-' "+
			"it must be 1-%d characters of a-z, 0-9 and '-', starting with a letter (for example \"support-bot\")", name, maxAgentName)
	}
	return n, nil
}

// NormalizeBotTag lower-cases tag, which must then be 1-16 characters of a-z
// and 0-9. It has no '-' because it is the last '-'-separated part of the
// BotId.
func NormalizeBotTag(tag string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(tag))
	if t == "" || len(t) > maxBotTag || !botTagRE.MatchString(t) {
		return "", fmt.Errorf("botTag %q is not valid: it must be 1-%d characters of a-z and 0-9 (no '-', it ends the BotId; "+
			"for example \"v1\"), or omitted for a random one", tag, maxBotTag)
	}
	return t, nil
}

// BotID returns "ibot-{agentName}-{botTag}" with both parts normalised.
func BotID(agentName, botTag string) (string, error) {
	name, err := NormalizeAgentName(agentName)
	if err != nil {
		return "", err
	}
	tag, err := NormalizeBotTag(botTag)
	if err != nil {
		return "", err
	}
	return "ibot-" + name + "-" + tag, nil
}

// NewBotTag returns a random tag of 6 characters from [a-z0-9]. It names an
// agent, it is not a secret.
func NewBotTag() string {
	b := make([]byte, 6)
	for i := range b {
		b[i] = botTagChars[rand.IntN(len(botTagChars))]
	}
	return string(b)
}

// agentIdentity is agent.json, which index.js reads.
type agentIdentity struct {
	BotID       string `json:"botId"`
	AgentName   string `json:"agentName"`
	BotTag      string `json:"botTag"`
	Description string `json:"description"`
	Template    string `json:"template"`
	Framework   string `json:"framework"`
}

// AgentFiles returns the project of a function-mode AI agent: relative path
// → content. Names and tag are validated and normalised first.
func AgentFiles(o AgentOptions) (map[string][]byte, error) {
	tpl := strings.ToLower(strings.TrimSpace(o.Template))
	if tpl == "" {
		tpl = agentTemplates[0]
	}
	if !slices.Contains(agentTemplates, tpl) {
		return nil, fmt.Errorf("unknown agent template %q: choose one of %s", o.Template, strings.Join(agentTemplates, ", "))
	}
	name, err := NormalizeAgentName(o.AgentName)
	if err != nil {
		return nil, err
	}
	tag := o.BotTag
	if strings.TrimSpace(tag) == "" {
		tag = NewBotTag()
	}
	if tag, err = NormalizeBotTag(tag); err != nil {
		return nil, err
	}
	desc := strings.TrimSpace(o.Description)
	if desc == "" {
		desc = "An AI agent on CloudBase Run."
	}
	id := agentIdentity{BotID: "ibot-" + name + "-" + tag, AgentName: name, BotTag: tag, Description: desc,
		Template: tpl, Framework: "@cloudbase/functions-framework"}

	files := map[string][]byte{}
	root := "agent/" + tpl + "/"
	entries, err := agentFS.ReadDir(strings.TrimSuffix(root, "/"))
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		b, err := agentFS.ReadFile(root + e.Name())
		if err != nil {
			return nil, err
		}
		if out, ok := strings.CutSuffix(e.Name(), ".tmpl"); ok {
			if b, err = render(e.Name(), b, id); err != nil {
				return nil, err
			}
			files[out] = b
			continue
		}
		files[e.Name()] = b
	}
	if files["package.json"], err = marshalFile(packageJSON(id)); err != nil {
		return nil, err
	}
	if files["agent.json"], err = marshalFile(id); err != nil {
		return nil, err
	}
	return files, nil
}

// packageJSON keeps the key order of a hand-written package.json.
func packageJSON(id agentIdentity) any {
	return struct {
		Name         string            `json:"name"`
		Version      string            `json:"version"`
		Private      bool              `json:"private"`
		Description  string            `json:"description"`
		Main         string            `json:"main"`
		Scripts      map[string]string `json:"scripts"`
		Dependencies map[string]string `json:"dependencies"`
		Engines      map[string]string `json:"engines"`
	}{
		Name: id.AgentName, Version: "1.0.0", Private: true, Description: id.Description, Main: "index.js",
		Scripts:      map[string]string{"start": "tcb-ff", "dev": "tcb-ff -w"},
		Dependencies: map[string]string{"@cloudbase/functions-framework": FunctionsFrameworkVersion},
		Engines:      map[string]string{"node": ">=18"},
	}
}

func marshalFile(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func render(name string, src []byte, id agentIdentity) ([]byte, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, id); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
