// Package skill is the CloudRun know-how the server carries itself: the
// rules an agent must never break (the server's instructions), the
// development guide (a resource), and the workflows (prompts).
package skill

import (
	_ "embed"
	"fmt"
	"strings"
)

// Guide is the CloudRun development guide, in markdown.
//
//go:embed guide.md
var Guide string

// Instructions are the rules an agent must never break with CloudRun, for
// the initialize result; the tool descriptions are not repeated.
const Instructions = "CloudRun rules: a service listens on the PORT env var (function mode: 3000), keeps no state " +
	"between requests (data goes to a database or storage), and does no work outside requests. Mem is 2 x Cpu. Open " +
	"PUBLIC access only for web front ends; mini programs use MINIAPP (internal direct connection). Secrets go in " +
	"EnvParams; a VPC database needs VpcConf from the user, never guessed. Workflow: envStatus (initEnv on a new env), " +
	"init, run locally, deploy (dryRun first), follow nextStep to the logs, verify with detail. Destructive actions need " +
	"the user's consent. The resource cloudrun://guide has the details."

// HostedInstructions replace Instructions on a hosted (HTTP) server, which
// reaches no local files: it deploys images, it does not build projects.
const HostedInstructions = "CloudRun rules: a service listens on the PORT env var, keeps no state between requests " +
	"(data goes to a database or storage), and does no work outside requests. Mem is 2 x Cpu. Open PUBLIC access only " +
	"for web front ends; mini programs use MINIAPP. Secrets go in EnvParams; a VPC database needs VpcConf from the " +
	"user, never guessed. This server is hosted: it deploys existing images (imageUrl) and cannot read local " +
	"projects. Workflow: envStatus (initEnv on a new env), deploy with imageUrl (dryRun first), follow nextStep to the " +
	"logs, verify with detail. Destructive actions need the user's consent. The resource cloudrun://guide has the details."

// Workflow is a prompt: a short, parameterised workflow over the tools.
type Workflow struct {
	Name        string
	Title       string
	Description string
	Writes      bool       // drives write tools
	Local       bool       // needs the local actions (init, run): not offered by a hosted server
	Args        []Argument // in order
	render      func(a map[string]string) string
}

// Argument is one argument of a workflow.
type Argument struct {
	Name, Description string
	Required          bool
}

// Render fills the workflow with its arguments.
func (w Workflow) Render(args map[string]string) string { return strings.TrimSpace(w.render(args)) }

// Workflows are the prompts, in the order they are listed.
var Workflows = []Workflow{
	{
		Name: "start-service", Title: "Start a new CloudRun service", Writes: true, Local: true,
		Description: "Create a service from a template, run it locally, deploy it and check it answers.",
		Args: []Argument{
			{"serverName", "Name of the new service.", true},
			{"needs", "What the service must do, in the user's words.", false},
			{"mode", "function or container; chosen from the needs when left out.", false},
		},
		render: startService,
	},
	{
		Name: "deploy-project", Title: "Deploy an existing project", Writes: true,
		Description: "Deploy a local project (or an image) to CloudRun and follow the build until it serves.",
		Args: []Argument{
			{"targetPath", "The project directory (or leave out and give imageUrl).", false},
			{"serverName", "The service to create or update.", true},
			{"imageUrl", "An existing image to deploy instead of building the project.", false},
		},
		render: deployProject,
	},
	{
		Name: "diagnose-service", Title: "Diagnose a failing service",
		Description: "Find out why a service does not build, start or answer, and what to change.",
		Args:        []Argument{{"serverName", "The failing service.", true}},
		render:      diagnose,
	},
	{
		Name: "release-safely", Title: "Release a new version safely", Writes: true,
		Description: "Deploy as a canary, shift part of the traffic, then promote or roll back.",
		Args: []Argument{
			{"serverName", "The service to release.", true},
			{"targetPath", "The project of the new version (or give imageUrl).", false},
			{"imageUrl", "The image of the new version.", false},
			{"canaryPercent", "The canary's share of traffic at first (default 10).", false},
		},
		render: releaseSafely,
	},
}

// Find returns the workflow named name.
func Find(name string) (Workflow, bool) {
	for _, w := range Workflows {
		if w.Name == name {
			return w, true
		}
	}
	return Workflow{}, false
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

func startService(a map[string]string) string {
	svc := a["serverName"]
	var b strings.Builder
	fmt.Fprintf(&b, "Create the CloudRun service %q", svc)
	if a["needs"] != "" {
		fmt.Fprintf(&b, " that must: %s", a["needs"])
	}
	b.WriteString(".\n\n")
	switch a["mode"] {
	case "function", "container":
		fmt.Fprintf(&b, "1. Use %s mode.\n", a["mode"])
	default:
		b.WriteString("1. Choose the mode: function (Node.js on @cloudbase/functions-framework, port 3000: APIs, SSE, WebSocket, agents) unless the needs call for another language, system packages or an existing Dockerfile: then container.\n")
	}
	fmt.Fprintf(&b, `2. queryCloudRun {"action":"envStatus"}; if CloudRun is not opened, manageCloudRun {"action":"initEnv"}.
3. queryCloudRun {"action":"templates"}, then manageCloudRun {"action":"init","serverName":%[1]q,"template":"<helloworld for function mode; nodejs, python, golang or java for a container>","targetPath":"<the parent directory>"}: it creates <targetPath>/%[1]s.
4. Write the code there: listen on the PORT env var, keep no state between requests.
5. manageCloudRun {"action":"run","serverName":%[1]q,"targetPath":"<the project>"}; request the URL it returns, then {"action":"stop","serverName":%[1]q}.
6. manageCloudRun {"action":"deploy","serverName":%[1]q,"targetPath":"<the project>","dryRun":true}; then deploy without dryRun and follow nextStep through the build and process logs until the version is normal.
7. queryCloudRun {"action":"detail","detailServerName":%[1]q}: tell the user the access URL.`, svc)
	return b.String()
}

func deployProject(a map[string]string) string {
	svc := a["serverName"]
	src := fmt.Sprintf(`"targetPath":%q`, or(a["targetPath"], "<the project directory>"))
	first := "1. Look at the project: with a Dockerfile it deploys as a container; a package.json that depends on @cloudbase/functions-framework deploys as a function; anything else needs a Dockerfile first (the server must listen on the PORT env var).\n"
	if a["imageUrl"] != "" {
		src = fmt.Sprintf(`"imageUrl":%q`, a["imageUrl"])
		first = "1. The image is deployed as it is, as a container service: nothing is built.\n"
	}
	return fmt.Sprintf(`Deploy to the CloudRun service %[1]q.

%[3]s2. manageCloudRun {"action":"deploy","serverName":%[1]q,%[2]s,"dryRun":true}: check the type, the config it would send and the warnings (a database in EnvParams needs VpcConf from the user).
3. Deploy without dryRun. It returns before the build ends: follow nextStep (build log, then process log) until the version is normal; if it fails, read the log's end, fix the cause and deploy again.
4. queryCloudRun {"action":"detail","detailServerName":%[1]q}: request the access URL and tell the user.`, svc, src, first)
}

func diagnose(a map[string]string) string {
	return fmt.Sprintf(`Find out why the CloudRun service %[1]q fails, and what to change.

1. queryCloudRun {"action":"detail","detailServerName":%[1]q,"refresh":true}: status, config, latest deploy.
2. If the latest deploy failed to build: queryCloudRun {"action":"getDeployLog","detailServerName":%[1]q}; the end of the log says why.
3. If it built but did not start, or it runs but errors: queryCloudRun {"action":"getProcessLog","detailServerName":%[1]q}. Look for the port (it must be the PORT env var), crashes at start, missing env vars, database connections (a VPC database needs VpcConf).
4. queryCloudRun {"action":"getManageTask","detailServerName":%[1]q}: a task still running, or its failReason.
5. If it runs but cannot be reached: OpenAccessTypes in the config, the domain, MinNum 0 (cold start).
Then say what failed, the evidence, and the change to make (code, Dockerfile, or serverConfig via manageCloudRun updateConfig).`, a["serverName"])
}

func releaseSafely(a map[string]string) string {
	svc := a["serverName"]
	src := fmt.Sprintf(`"targetPath":%q`, or(a["targetPath"], "<the project directory>"))
	if a["imageUrl"] != "" {
		src = fmt.Sprintf(`"imageUrl":%q`, a["imageUrl"])
	}
	canary := or(a["canaryPercent"], "10")
	return fmt.Sprintf(`Release a new version of the CloudRun service %[1]q safely.

1. manageCloudRun {"action":"deploy","serverName":%[1]q,%[2]s,"releaseType":"GRAY"}: the new version starts at 0 %% of traffic. Follow nextStep until it is normal.
2. queryCloudRun {"action":"getManageTask","detailServerName":%[1]q}: the gray release is open and its version is normal.
3. manageCloudRun {"action":"traffic","serverName":%[1]q,"trafficOp":"set","canaryPercent":%[3]s,"stablePercent":<100 minus the canary share>}.
4. Watch the canary: queryCloudRun {"action":"getProcessLog","detailServerName":%[1]q}.
5. Healthy: manageCloudRun {"action":"traffic","serverName":%[1]q,"trafficOp":"promote"}. Not healthy: {"action":"traffic","serverName":%[1]q,"trafficOp":"rollback"}. Ask the user before either.`, svc, src, canary)
}
