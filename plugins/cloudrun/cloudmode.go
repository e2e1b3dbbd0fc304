package cloudrun

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// Cloud mode: a server that remote callers reach over HTTP offers no action
// that uses its own files or processes (they are not the caller's). The
// action tables say which those are: a manage action whose paths predicate
// holds for every call, or one marked host (its processes); a query action
// marked local (it serves local development: templates for init, the local
// runs). deploy stays, for an imageUrl: its paths predicate holds only when
// it packages a directory, and such a call is refused with what to do
// instead. The published schema lists only the actions offered.

// imageOnly is a call that needs no file: the probe of "some call of this
// action stays off the disk".
var imageOnly = &ManageArgs{ImageURL: "image"}

// offered reports whether a server in cloudMode (or not) offers the action.
func (a *queryAction) offered(cloudMode bool) bool { return !cloudMode || !a.local }

// offered reports whether a server in cloudMode (or not) offers the action.
func (a *manageAction) offered(cloudMode bool) bool {
	if !cloudMode {
		return true
	}
	return !a.host && (a.paths == nil || !a.paths(imageOnly))
}

// OfferedQueryActions lists the queryCloudRun actions this server offers.
func (p *Plugin) OfferedQueryActions() []string {
	var out []string
	for i := range queryActions {
		if queryActions[i].offered(p.cloudMode) {
			out = append(out, queryActions[i].name)
		}
	}
	return out
}

// OfferedManageActions lists the manageCloudRun actions this server offers.
func (p *Plugin) OfferedManageActions() []string {
	var out []string
	for i := range manageActions {
		if manageActions[i].offered(p.cloudMode) {
			out = append(out, manageActions[i].name)
		}
	}
	return out
}

// notOffered refuses an action this server does not offer (the schema
// check refuses it first; this is the boundary's own guard).
func notOffered(action string, offered []string) error {
	return &failure{
		Kind: kindInvalid,
		What: "Not available on a hosted server: " + action,
		Why:  "this server runs for remote callers (cloud mode): it has no access to your files or local processes",
		Hint: "Available actions: " + strings.Join(offered, ", ") + ". For local development, run cloudbase-mcp on your machine over stdio.",
	}
}

// localFiles refuses a call that would read or write this server's disk.
func (p *Plugin) localFiles(a *ManageArgs) error {
	if a.Action == "deploy" {
		return &failure{
			Kind: kindInvalid,
			What: "Deploy from a directory is not available on a hosted server",
			Why:  "this server runs for remote callers (cloud mode): targetPath would be a directory of the server, not yours",
			Hint: "Build and push an image, then deploy it with imageUrl (and no targetPath); or run cloudbase-mcp on your machine over stdio to deploy a directory.",
		}
	}
	return notOffered(a.Action, p.OfferedManageActions())
}

// cloudDeployNote ends manageCloudRun's action description in cloud mode.
const cloudDeployNote = "This hosted server has no access to your files: deploy takes imageUrl."

// publish restricts a tool's action enum, and the action descriptions, to
// the actions offered, then adds note. Over stdio everything is offered and
// t is unchanged.
func publish(t mcp.Tool, all, offered []string, note string) mcp.Tool {
	if len(offered) == len(all) {
		return t
	}
	var schema map[string]any
	if err := json.Unmarshal(t.RawInputSchema, &schema); err != nil {
		panic("cloudrun: the tool schema does not decode: " + err.Error())
	}
	action := schema["properties"].(map[string]any)["action"].(map[string]any)
	action["enum"] = offered
	action["description"] = strings.TrimSpace(describeOffered(action["description"].(string), all, offered) + " " + note)
	b, err := json.Marshal(schema)
	if err != nil {
		panic("cloudrun: the tool schema does not encode: " + err.Error())
	}
	t.RawInputSchema = b
	return t
}

// describeOffered keeps the sentences of an actions description ("name:
// what it does. other: ...") that describe offered actions.
func describeOffered(desc string, all, offered []string) string {
	type span struct {
		name  string
		start int
	}
	var spans []span
	for _, name := range all {
		if i := strings.Index(desc, name+": "); i >= 0 && (i == 0 || desc[i-1] == ' ') {
			spans = append(spans, span{name: name, start: i})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var kept []string
	for i, s := range spans {
		end := len(desc)
		if i+1 < len(spans) {
			end = spans[i+1].start
		}
		if slices.Contains(offered, s.name) {
			kept = append(kept, strings.TrimSpace(desc[s.start:end]))
		}
	}
	return strings.Join(kept, " ")
}
