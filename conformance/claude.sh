#!/usr/bin/env bash
# Registers cloudbase-mcp with Claude Code exactly as the README says, then asks
# Claude Code whether it connects: `claude mcp list` starts every configured
# server, completes the MCP handshake and prints ✔ Connected or ✗ Failed.
# No model, account or network is needed for that.
#
#   ./claude.sh <path-to-binary>
#
# Needs `npm ci` in this directory first (Claude Code comes from
# conformance/node_modules). Claude Code runs with a throwaway HOME and config
# dir, so the user's own configuration is neither read nor touched.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <path-to-binary>" >&2
  exit 2
fi
bin=$(realpath -- "$1")
if [[ ! -x "$bin" || "$(basename -- "$bin")" != cloudbase-mcp ]]; then
  echo "claude.sh: $bin is not an executable named cloudbase-mcp (the README's command runs cloudbase-mcp from PATH)" >&2
  exit 2
fi

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
claude="$here/node_modules/.bin/claude"
if ! "$claude" --version >/dev/null 2>&1; then
  echo "claude.sh: Claude Code is not installed; run 'npm ci' in $here first" >&2
  exit 1
fi

# The README's sandbox command for a cloudbase-mcp on PATH, verbatim.
cmd=$(grep -m1 -E '^claude mcp add cloudbase-sandbox .*-- cloudbase-mcp$' "$here/../README.md" || true)
if [[ -z "$cmd" ]]; then
  echo "FAIL claude: the README has no 'claude mcp add cloudbase-sandbox ... -- cloudbase-mcp' line"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cbmcp-claude-XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT
mkdir -p "$tmp/home" "$tmp/project"
export HOME="$tmp/home" CLAUDE_CONFIG_DIR="$tmp/home/.claude" XDG_CONFIG_HOME="$tmp/home/.config"
export DISABLE_TELEMETRY=1 DISABLE_AUTOUPDATER=1 DISABLE_ERROR_REPORTING=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
export PATH="$(dirname -- "$bin"):$here/node_modules/.bin:$PATH"
cd "$tmp/project"

failures=0
fail() {
  echo "FAIL $1"
  failures=$((failures + 1))
}

echo "claude.sh: Claude Code $("$claude" --version | head -n1), server $bin"
if ! bash -c "$cmd" >"$tmp/add.out" 2>&1; then
  fail "claude mcp add (README: $cmd)"
  sed 's/^/     | /' "$tmp/add.out"
fi
# A control the health check must fail, so that "Connected" is known to mean it.
claude mcp add broken-control -- cloudbase-mcp --no-such-flag >/dev/null 2>&1 || true

rc=0
timeout 120 claude mcp list >"$tmp/list.out" 2>&1 || rc=$?
line=$(grep -E '^cloudbase-sandbox: ' "$tmp/list.out" || true)
control=$(grep -E '^broken-control: ' "$tmp/list.out" || true)
if [[ $rc -ne 0 ]]; then
  fail "claude mcp list exited with $rc"
  sed 's/^/     | /' "$tmp/list.out"
elif [[ "$line" != *"Connected"* || "$line" == *"Failed"* ]]; then
  fail "claude mcp list does not report cloudbase-sandbox connected: ${line:-<not listed>}"
  sed 's/^/     | /' "$tmp/list.out"
elif [[ -z "$control" || "$control" == *"Connected"* ]]; then
  fail "claude mcp list reports the broken control as '${control:-<not listed>}': its health check proves nothing"
  sed 's/^/     | /' "$tmp/list.out"
else
  echo "ok   claude mcp add (README: $cmd)"
  echo "ok   claude mcp list: $line"
  echo "ok   claude mcp list control: $control"
fi

# The server's prompts as slash commands. A print-mode session writes its
# "system init" message (tools, MCP servers, slash commands) before it asks
# any model; without an account it then stops at once, offline.
timeout 120 claude -p --output-format stream-json --verbose "list the CloudRun services" >"$tmp/init.jsonl" 2>&1 || true
prompts=$(node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
  const init = lines.map((l) => { try { return JSON.parse(l); } catch { return null; } })
    .find((m) => m && m.type === "system" && m.subtype === "init");
  if (!init) process.exit(1);
  console.log((init.slash_commands || []).filter((c) => c.startsWith("mcp__cloudbase-sandbox__")).sort().join(" "));
' "$tmp/init.jsonl" || true)
want="mcp__cloudbase-sandbox__deploy-project mcp__cloudbase-sandbox__diagnose-service mcp__cloudbase-sandbox__release-safely mcp__cloudbase-sandbox__start-service"
if [[ "$prompts" == "$want" ]]; then
  echo "ok   claude slash commands from the server's prompts: $prompts"
else
  fail "claude does not list the server's prompts as slash commands: got '${prompts:-<no init message>}', want '$want'"
  head -c 2000 "$tmp/init.jsonl" | sed 's/^/     | /'
fi

if [[ $failures -ne 0 ]]; then
  echo "claude.sh: $failures check(s) failed against $bin" >&2
  exit 1
fi
echo "claude.sh: Claude Code connects to cloudbase-mcp and lists its prompts"
