package templates

import (
	"encoding/json"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeAgentName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"support-bot", "support-bot"},
		{"myBot", "mybot"}, // the reference's documented example, which its own regex rejected
		{"My Agent", "my-agent"},
		{"  my_agent  ", "my-agent"},
		{"My  __ Agent", "my-agent"},
		{"agent_", "agent"},
		{"-agent-", "agent"},
		{"a", "a"},
		{"a1-b2", "a1-b2"},
		{strings.Repeat("a", 32), strings.Repeat("a", 32)},
	} {
		got, err := NormalizeAgentName(tc.in)
		if assert.NoError(t, err, tc.in) {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}
	for _, in := range []string{"", "   ", "_", "1bot", "9", strings.Repeat("a", 33), "bot!", "机器人", "bot.v2", "bot/x"} {
		_, err := NormalizeAgentName(in)
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), "1-32 characters of a-z, 0-9 and '-', starting with a letter", in)
		}
	}
}

func TestNormalizeBotTag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"v1", "v1"},
		{"Oela0VRdv0", "oela0vrdv0"},
		{" ABC ", "abc"},
		{"0", "0"},
		{strings.Repeat("z", 16), strings.Repeat("z", 16)},
	} {
		got, err := NormalizeBotTag(tc.in)
		if assert.NoError(t, err, tc.in) {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}
	for _, in := range []string{"", "a-b", "a_b", "a b", strings.Repeat("z", 17), "tag!"} {
		_, err := NormalizeBotTag(in)
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), "1-16 characters of a-z and 0-9", in)
		}
	}
}

func TestBotID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, tag, want, err string }{
		{name: "myBot", tag: "botTag", want: "ibot-mybot-bottag"},
		{name: "Support Bot", tag: "V2", want: "ibot-support-bot-v2"},
		{name: "weather_agent", tag: "abc123", want: "ibot-weather-agent-abc123"},
		{name: "1bot", tag: "x", err: "agentName"},
		{name: "bot", tag: "a-b", err: "botTag"},
		{name: "bot", tag: "", err: "botTag"},
	} {
		got, err := BotID(tc.name, tc.tag)
		if tc.err != "" {
			if assert.Error(t, err, tc.name) {
				assert.Contains(t, err.Error(), tc.err)
			}
			continue
		}
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got)
		assert.Regexp(t, `^ibot-[a-z][a-z0-9-]*-[a-z0-9]+$`, got)
	}
}

func TestNewBotTag(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		tag := NewBotTag()
		assert.Regexp(t, `^[a-z0-9]{6}$`, tag)
		norm, err := NormalizeBotTag(tag)
		require.NoError(t, err)
		assert.Equal(t, tag, norm, "a new tag is already normal")
		seen[tag] = true
	}
	assert.Greater(t, len(seen), 190, "tags are random")
}

func TestAgentTemplates(t *testing.T) {
	t.Parallel()
	got := AgentTemplates()
	require.NotEmpty(t, got)
	assert.Equal(t, "blank", got[0])
	got[0] = "changed"
	assert.Equal(t, "blank", AgentTemplates()[0], "a copy")
}

func TestAgentFilesBlank(t *testing.T) {
	t.Parallel()
	files, err := AgentFiles(AgentOptions{AgentName: "Support Bot", BotTag: "V1", Description: "Answers support questions."})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{".gitignore", "README.md", "agent.json", "index.js", "package.json"}, keys(files))
	for name, b := range files {
		assert.LessOrEqual(t, len(b), maxTemplateFile, name)
	}

	var agent map[string]string
	require.NoError(t, json.Unmarshal(files["agent.json"], &agent))
	assert.Equal(t, map[string]string{"botId": "ibot-support-bot-v1", "agentName": "support-bot", "botTag": "v1",
		"description": "Answers support questions.", "template": "blank", "framework": "@cloudbase/functions-framework"}, agent)

	readme := string(files["README.md"])
	assert.True(t, strings.HasPrefix(readme, "# support-bot\n\nAnswers support questions.\n"))
	assert.Contains(t, readme, "`ibot-support-bot-v1`")
	assert.Contains(t, readme, "/v1/aibot/bots/ibot-support-bot-v1/send-message")
	assert.Contains(t, readme, `"runMode": "agent"`)
	assert.Contains(t, readme, "@cloudbase/aiagent-framework", "the README explains why the scaffold does without it")
	assert.NotContains(t, readme, "{{")

	var pj struct {
		Name         string            `json:"name"`
		Description  string            `json:"description"`
		Main         string            `json:"main"`
		Scripts      map[string]string `json:"scripts"`
		Dependencies map[string]string `json:"dependencies"`
	}
	require.NoError(t, json.Unmarshal(files["package.json"], &pj))
	assert.Equal(t, "support-bot", pj.Name)
	assert.Equal(t, "Answers support questions.", pj.Description)
	assert.Equal(t, "index.js", pj.Main)
	assert.Equal(t, "tcb-ff", pj.Scripts["start"])
	assert.Equal(t, map[string]string{"@cloudbase/functions-framework": FunctionsFrameworkVersion}, pj.Dependencies,
		"only the public framework: @cloudbase/aiagent-framework is not on npm")

	index := string(files["index.js"])
	assert.Contains(t, index, `require("./agent.json")`)
	assert.Contains(t, index, "exports.main = async function main(event, context)")
	assert.NotContains(t, index, "aiagent-framework")
}

func TestAgentFilesDefaults(t *testing.T) {
	t.Parallel()
	files, err := AgentFiles(AgentOptions{AgentName: "helper"})
	require.NoError(t, err)
	var agent map[string]string
	require.NoError(t, json.Unmarshal(files["agent.json"], &agent))
	assert.Regexp(t, `^[a-z0-9]{6}$`, agent["botTag"], "a random tag when none is given")
	assert.Equal(t, "ibot-helper-"+agent["botTag"], agent["botId"])
	assert.Equal(t, "blank", agent["template"])
	assert.NotEmpty(t, agent["description"])
	assert.Contains(t, string(files["README.md"]), agent["botId"])

	for _, tpl := range []string{"", "blank", " Blank "} {
		_, err := AgentFiles(AgentOptions{AgentName: "helper", BotTag: "t", Template: tpl})
		assert.NoError(t, err, "template %q", tpl)
	}
}

func TestAgentFilesErrors(t *testing.T) {
	t.Parallel()
	_, err := AgentFiles(AgentOptions{AgentName: "helper", Template: "rag"})
	require.Error(t, err)
	assert.Equal(t, `unknown agent template "rag": choose one of blank`, err.Error())

	_, err = AgentFiles(AgentOptions{AgentName: "", BotTag: "x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "agentName")

	_, err = AgentFiles(AgentOptions{AgentName: "helper", BotTag: "a-b"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "botTag")
}

func TestAgentDirNames(t *testing.T) {
	t.Parallel()
	files, err := AgentFiles(AgentOptions{AgentName: "x"})
	require.NoError(t, err)
	for name := range files {
		assert.Equal(t, name, path.Clean(name))
		assert.False(t, strings.HasPrefix(name, "/") || strings.HasPrefix(name, ".."), name)
		assert.False(t, strings.HasSuffix(name, ".tmpl"), "%s: templates are rendered", name)
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
