#!/usr/bin/env bash
# Drives cloudbase-mcp (sandbox mode) with the MCP Inspector CLI, a client the team did not write.
#
#   ./inspector.sh <path-to-binary>
#
# Needs `npm ci` in this directory first (the Inspector comes from conformance/node_modules).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 <path-to-binary>" >&2
  exit 2
fi
bin=$(realpath -- "$1")
if [[ ! -x "$bin" ]]; then
  echo "inspector.sh: $bin is not an executable file" >&2
  exit 2
fi

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
cd "$here"
if [[ ! -d node_modules/@modelcontextprotocol/inspector ]]; then
  echo "inspector.sh: the MCP Inspector is not installed; run 'npm ci' in $here first" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cbmcp-inspector-XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

failures=0
fail() {
  echo "FAIL $1"
  failures=$((failures + 1))
}

# inspector_run NAME ARGS... : runs the Inspector CLI against a fresh sandbox server (its own
# workspace), stdout to $tmp/NAME.out, stderr to $tmp/NAME.err; returns the CLI's exit code.
inspector_run() {
  local name=$1
  shift
  local ws="$tmp/$name-workspace"
  mkdir -p "$ws"
  local rc=0
  # The target goes first: --tool-arg takes every following key=value word.
  timeout 60 npx --no-install inspector --cli "$bin" \
    -e "CLOUDBASE_MCP_SANDBOX=true" \
    -e "CLOUDBASE_MCP_SANDBOX_SPEED=60" \
    -e "CLOUDBASE_MCP_WORKSPACE=$ws" \
    -e "CLOUDBASE_MCP_AUDIT_LOG=$tmp/$name-audit.log" \
    -e "CLOUDBASE_MCP_LOG_LEVEL=warn" \
    -e "PATH=$PATH" \
    -e "HOME=$HOME" \
    --cwd "$tmp" \
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
  return "$rc"
}

show() {
  local name=$1
  echo "     --- inspector stdout (first 40 lines):"
  head -n 40 "$tmp/$name.out" | sed 's/^/     | /'
  echo "     --- inspector stderr (first 40 lines):"
  head -n 40 "$tmp/$name.err" | sed 's/^/     | /'
}

# 1. tools/list lists queryCloudRun and manageCloudRun.
rc=0
inspector_run tools-list --method tools/list || rc=$?
if [[ $rc -ne 0 ]]; then
  fail "inspector tools/list: the Inspector CLI exited with $rc"
  show tools-list
elif ! names=$(node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (!Array.isArray(r.tools)) throw new Error("no tools array");
    console.log(r.tools.map((t) => t.name).sort().join(" "));
  ' "$tmp/tools-list.out" 2>"$tmp/tools-list.parse"); then
  fail "inspector tools/list: the output is not a JSON tools/list result: $(head -c 300 "$tmp/tools-list.parse")"
  show tools-list
else
  missing=()
  for want in queryCloudRun manageCloudRun; do
    [[ " $names " == *" $want "* ]] || missing+=("$want")
  done
  if [[ ${#missing[@]} -ne 0 ]]; then
    fail "inspector tools/list: ${missing[*]} not listed (tools: $names)"
    show tools-list
  else
    echo "ok   inspector tools/list ($names)"
  fi
fi

# 2. tools/call queryCloudRun action=list returns the services and is not an error.
rc=0
inspector_run tools-call --method tools/call --tool-name queryCloudRun --tool-arg action=list || rc=$?
if [[ $rc -ne 0 ]]; then
  fail "inspector tools/call queryCloudRun action=list: the Inspector CLI exited with $rc"
  show tools-call
elif grep -Eq '"isError"[[:space:]]*:[[:space:]]*true' "$tmp/tools-call.out"; then
  fail "inspector tools/call queryCloudRun action=list: the result has \"isError\": true"
  show tools-call
elif ! grep -Fq '"services"' "$tmp/tools-call.out"; then
  fail "inspector tools/call queryCloudRun action=list: the result contains no \"services\""
  show tools-call
else
  echo "ok   inspector tools/call queryCloudRun action=list"
fi

if [[ $failures -ne 0 ]]; then
  echo "inspector.sh: $failures check(s) failed against $bin" >&2
  exit 1
fi
echo "inspector.sh: all checks passed against $bin"
