package cloudrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/cloudbase-mcp/cloudbase-mcp/internal/cache"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/config"
	"github.com/cloudbase-mcp/cloudbase-mcp/internal/templates"
)

// templateSource is the template list: the remote one (cached), else the
// templates built into this binary.
type templateSource struct {
	cfg   *config.Config // TemplatesURL, CacheTTL
	http  *http.Client
	cache *cache.Cache[[]template]
}

// template is one CloudRun template as the agent sees it.
type template struct {
	Identifier     string `json:"identifier"`
	Title          string `json:"title"`
	Description    string `json:"description"`
	Language       string `json:"language"`
	RuntimeVersion string `json:"runtimeVersion,omitempty"`
	ServerType     string `json:"serverType"`
	ZipURL         string `json:"-"`
}

// maxTemplateListBytes bounds the template list we are willing to read.
const maxTemplateListBytes = 4 << 20

type templatesResult struct {
	Templates []template `json:"templates"`
	Source    string     `json:"source"` // remote or embedded
	FromCache bool       `json:"fromCache"`
	Notice    string     `json:"notice,omitempty"`
}

func (ts *templateSource) query(ctx context.Context, _ string, a *QueryArgs) (any, error) {
	list, outcome, err := ts.remote(ctx, a.Refresh)
	if err != nil {
		// Offline or the list is down: the templates built into this binary
		// still let the agent start a project.
		return &templatesResult{Templates: embeddedTemplates(), Source: "embedded",
			Notice: "The remote template list is unreachable (" + err.Error() + "); these templates are built into the server. " +
				"Check the network and CLOUDBASE_TEMPLATES_URL for the full list."}, nil
	}
	return &templatesResult{Templates: list, Source: "remote", FromCache: outcome == cache.Hit}, nil
}

// remote is the cached remote template list.
func (ts *templateSource) remote(ctx context.Context, refresh bool) ([]template, cache.Outcome, error) {
	url := ts.cfg.TemplatesURL
	return ts.cache.GetOrLoad(ctx, "templates|"+url, ts.cfg.CacheTTL.Templates, refresh,
		func(ctx context.Context) ([]template, bool, error) {
			l, err := ts.fetch(ctx, url)
			return l, true, err
		})
}

func embeddedTemplates() []template {
	out := []template{}
	for _, t := range templates.List() {
		out = append(out, template{Identifier: t.Identifier, Title: t.Title, Description: t.Description,
			Language: t.Language, RuntimeVersion: t.RuntimeVersion, ServerType: t.ServerType})
	}
	return out
}

// fetch POSTs to the list endpoint (no body, no auth, as the
// reference does) and keeps the CloudRun items.
func (ts *templateSource) fetch(ctx context.Context, url string) ([]template, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return nil, fmt.Errorf("bad template list URL %q: %w", url, err)
	}
	resp, err := ts.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("template list unreachable: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("template list answered HTTP %d", resp.StatusCode)
	}
	var body struct {
		Data []templates.ListItem `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxTemplateListBytes)).Decode(&body); err != nil {
		return nil, fmt.Errorf("template list is not valid JSON: %w", err)
	}
	out := []template{}
	for _, t := range body.Data {
		var typ string
		switch {
		case slices.Contains(t.FuncTypes, templates.FuncTypeFunction):
			typ = "function"
		case slices.Contains(t.FuncTypes, templates.FuncTypeContainer):
			typ = "container"
		default:
			continue // not a CloudRun template (e.g. scfFunc)
		}
		out = append(out, template{
			Identifier: t.Identifier, Title: t.Title, Description: t.Description, Language: t.Language,
			RuntimeVersion: t.RuntimeVersion, ServerType: typ, ZipURL: t.ZipFileStore,
		})
	}
	return out, nil
}
