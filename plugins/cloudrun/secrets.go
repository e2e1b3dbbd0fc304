package cloudrun

import (
	"encoding/json"

	"context"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/cloudbase-mcp/cloudbase-mcp/plugins/cloudrun/serverconfig"

	"github.com/mark3labs/mcp-go/mcp"
)

// EnvParams values are secrets (database passwords, API keys). A platform
// error may quote the request it refused; before a failure reaches the
// model, every EnvParams value the call sent or read is cut out of it.

// callSecrets collects the secret values one call handles.
type callSecrets struct {
	mu     sync.Mutex
	values map[string]bool
}

type secretsKey struct{}

func withSecrets(ctx context.Context) (context.Context, *callSecrets) {
	s := &callSecrets{values: map[string]bool{}}
	return context.WithValue(ctx, secretsKey{}, s), s
}

// rememberSecrets records the values of env for redaction.
func rememberSecrets(ctx context.Context, env map[string]string) {
	s, _ := ctx.Value(secretsKey{}).(*callSecrets)
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range env {
		if v = strings.TrimSpace(v); v != "" {
			s.values[v] = true
		}
	}
}

const redacted = "***"

// redact replaces every recorded value in text. Values of four characters or
// more are cut wherever they appear; shorter ones only as whole words, so
// that "1" or "on" do not garble the message.
func (s *callSecrets) redact(text string) string {
	s.mu.Lock()
	values := make([]string, 0, len(s.values))
	for v := range s.values {
		values = append(values, v)
	}
	s.mu.Unlock()
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) }) // longest first
	for _, v := range values {
		if len(v) >= 4 {
			text = strings.ReplaceAll(text, v, redacted)
			continue
		}
		re := regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(v) + `($|[^A-Za-z0-9_])`)
		text = re.ReplaceAllString(text, "${1}"+redacted+"${2}")
	}
	return text
}

// redactFailure cleans an error result in place: its text and its failure.
func (s *callSecrets) redactFailure(res *mcp.CallToolResult) {
	if res == nil || !res.IsError || len(s.values) == 0 {
		return
	}
	for i, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			t.Text = s.redact(t.Text)
			res.Content[i] = t
		}
	}
	if body, ok := res.StructuredContent.(errorBody); ok && body.Error != nil {
		f := body.Error
		f.What, f.Why, f.Hint, f.PlatformMessage = s.redact(f.What), s.redact(f.Why), s.redact(f.Hint), s.redact(f.PlatformMessage)
	}
}

// rememberArgSecrets records the EnvParams values a call sends.
func rememberArgSecrets(ctx context.Context, a *ManageArgs) {
	if a.RunOptions != nil {
		rememberSecrets(ctx, a.RunOptions.EnvParams)
	}
	if raw, ok := a.ServerConfig["EnvParams"]; ok {
		if b, err := json.Marshal(raw); err == nil {
			if env, err := serverconfig.ParseEnv(b); err == nil {
				rememberSecrets(ctx, env)
			}
		}
	}
}
