// Package templates holds the CloudRun project templates and the AI agent
// scaffold that are built into the binary, so init and createAgent work
// offline and the emulator can serve the same bytes as its template list.
//
// # Project templates
//
// Each template lives under _files/<identifier>/ and is listed in catalog.go.
// The directory name starts with an underscore so the go tool ignores it: the
// golang template's main.go is not a package of this module. go.mod cannot be
// embedded at all (the go tool treats its directory as another module), so it
// is stored as go.mod_ and served as go.mod.
//
// # Agent scaffold
//
// The reference server scaffolds agents for @cloudbase/aiagent-framework, but
// that package is not on the public npm registry (npm view answers 404), so a
// project depending on it cannot be installed, run or built. AgentFiles
// writes an agent that needs only @cloudbase/functions-framework (public,
// 1.18.0): index.js answers the CloudBase agent endpoint POST
// .../send-message itself, in both message shapes ({msg, history} answered
// with data: {"content"} events and a final [DONE]; {messages} answered with
// AG-UI style RUN_STARTED ... RUN_FINISHED events), or as JSON when the
// client does not ask for text/event-stream. The identity (BotId
// ibot-<agentName>-<botTag>) is recorded in agent.json, which index.js reads.
package templates
