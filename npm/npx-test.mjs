#!/usr/bin/env node
// Installs the npm packages `make dist` packed (dist/npm/*.tgz) into an empty
// directory and runs the server the way an MCP host configured with
// `npx -y @cloudbase-mcp/cloudbase-mcp` does: a child process speaking
// JSON-RPC over its stdin and stdout.
//
//   node npm/npx-test.mjs [dist/npm]
//
// No registry is used: npm and npx are pointed at a closed port on loopback,
// so anything that tried to fetch would fail. Prints "ok   <name>" or
// "FAIL <name>: <why>" per check and exits 1 if any failed.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const MAIN = '@cloudbase-mcp/cloudbase-mcp';
const target = `${process.platform}-${process.arch}`;
const dir = path.resolve(process.argv[2] ?? 'dist/npm');
const timeoutMs = 60_000;

const tarballs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.tgz')) : [];
const mainTgz = tarballs.find((f) => /^cloudbase-mcp-cloudbase-mcp-\d/.test(f));
const platformTgz = tarballs.find((f) => f.startsWith(`cloudbase-mcp-cloudbase-mcp-${target}-`));
if (!mainTgz || !platformTgz) {
  console.error(`npx-test: ${dir} lacks the main package or the ${target} one (run make dist): ${tarballs.join(', ')}`);
  process.exit(2);
}
const version = mainTgz.replace(/^cloudbase-mcp-cloudbase-mcp-/, '').replace(/\.tgz$/, '');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cbmcp-npx-'));
const home = path.join(tmp, 'home');
fs.mkdirSync(home);
// A closed port: a fetch fails at once instead of reaching a registry.
const offlineEnv = {
  ...process.env,
  HOME: home,
  npm_config_registry: 'http://127.0.0.1:1/',
  npm_config_fetch_retries: '0',
  npm_config_cache: path.join(tmp, 'npm-cache'),
  npm_config_update_notifier: 'false',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
};

let failed = 0;
let passed = 0;
function ok(name, note) {
  passed++;
  console.log(`ok   ${name}${note ? ` (${note})` : ''}`);
}
function fail(name, why) {
  failed++;
  console.log(`FAIL ${name}: ${why}`);
}

function npm(args, cwd) {
  return spawnSync('npm', args, { cwd, env: offlineEnv, encoding: 'utf8', timeout: timeoutMs });
}

function install(name, files, extra = []) {
  const where = path.join(tmp, name);
  fs.mkdirSync(where);
  const r = npm(['install', ...extra, ...files.map((f) => path.join(dir, f))], where);
  if (r.status !== 0) {
    fail(`install (${name})`, `npm install exited ${r.status}: ${(r.stderr || '').slice(-1500)}`);
    return null;
  }
  return where;
}

/** Runs `npx -y <MAIN> ...args` in cwd as a host would; resolves {code, stdout, stderr}. */
function npx(cwd, args, env = {}, input) {
  return spawnSync('npx', ['-y', MAIN, ...args], {
    cwd,
    env: { ...offlineEnv, ...env },
    encoding: 'utf8',
    input,
    timeout: timeoutMs,
  });
}

/** An MCP session with `npx -y <MAIN>` over stdio. */
async function mcpSession(cwd) {
  const child = spawn('npx', ['-y', MAIN], {
    cwd,
    env: { ...offlineEnv, CLOUDBASE_MCP_SANDBOX: 'true', CLOUDBASE_MCP_WORKSPACE: cwd, CLOUDBASE_MCP_LOG_LEVEL: 'warn' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b) => (stderr += b));
  const nonJSON = [];
  const waiting = new Map();
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      nonJSON.push(line);
      return;
    }
    waiting.get(msg.id)?.(msg);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let nextId = 1;
  const request = (method, params) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`no answer to ${method} within ${timeoutMs / 1000} s; stderr: ${stderr}`)), timeoutMs);
      waiting.set(id, (msg) => {
        clearTimeout(timer);
        resolve(msg);
      });
      child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  const notify = (method, params) => child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method, params }) + '\n');
  return { child, request, notify, exited, nonJSON, stderr: () => stderr };
}

async function main() {
  console.log(`npx-test: ${MAIN} ${version} for ${target}, from ${dir}`);

  // 1. The main package and this platform's, into an empty directory.
  const where = install('app', [mainTgz, platformTgz]);
  if (!where) return;
  const installed = JSON.parse(fs.readFileSync(path.join(where, 'node_modules', MAIN, 'package.json'), 'utf8'));
  const optional = Object.keys(installed.optionalDependencies ?? {});
  if (installed.version !== version || !optional.includes(`${MAIN}-${target}`) || optional.length !== 6) {
    fail('install', `installed ${installed.version} with optionalDependencies ${optional.join(', ')}`);
  } else {
    ok('install', `${MAIN}@${installed.version} + ${MAIN}-${target}; ${optional.length} platforms listed`);
  }

  // 2. The binary reports the version it was built as, which is the package's.
  const v = npx(where, ['version']);
  if (v.status !== 0 || !v.stdout.startsWith(`cloudbase-mcp ${version} `)) {
    fail('npx version', `exit ${v.status}, stdout ${JSON.stringify(v.stdout)}, stderr ${JSON.stringify(v.stderr)}`);
  } else {
    ok('npx version', v.stdout.trim());
  }

  // 3. An MCP host's session: initialize, tools/list, a call, then stdin closes.
  const s = await mcpSession(where);
  try {
    const init = await s.request('initialize', {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'npx-test', version: '1' },
    });
    if (init.result?.serverInfo?.name !== 'cloudbase-mcp' || init.result?.serverInfo?.version !== version) {
      throw new Error(`initialize answered ${JSON.stringify(init).slice(0, 300)}`);
    }
    s.notify('notifications/initialized', {});
    ok('npx initialize', `${init.result.protocolVersion}, ${init.result.serverInfo.name} ${init.result.serverInfo.version}`);
    const list = await s.request('tools/list', {});
    const names = (list.result?.tools ?? []).map((t) => t.name).sort();
    if (names.join(',') !== 'manageCloudRun,queryCloudRun') throw new Error(`tools/list gave ${names.join(', ') || JSON.stringify(list)}`);
    ok('npx tools/list', names.join(', '));
    const call = await s.request('tools/call', { name: 'queryCloudRun', arguments: { action: 'list' } });
    if (call.result?.isError || !Array.isArray(call.result?.structuredContent?.services)) {
      throw new Error(`queryCloudRun list gave ${JSON.stringify(call).slice(0, 300)}`);
    }
    ok('npx tools/call', `queryCloudRun list: ${call.result.structuredContent.services.length} sandbox services`);
  } catch (err) {
    fail('npx session', `${err.message}; stderr: ${s.stderr().slice(-1500)}`);
  }
  s.child.stdin.end();
  const exit = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r(null), 10_000))]);
  if (exit === null) {
    s.child.kill('SIGKILL');
    fail('npx exit on stdin EOF', 'still running 10 s after stdin closed');
  } else if (exit.code !== 0) {
    fail('npx exit on stdin EOF', `exit ${JSON.stringify(exit)}; stderr: ${s.stderr().slice(-800)}`);
  } else if (s.nonJSON.length) {
    fail('npx stdout', `lines that are not JSON-RPC: ${JSON.stringify(s.nonJSON.slice(0, 3))}`);
  } else {
    ok('npx exit on stdin EOF', 'exit 0, stdout all JSON-RPC');
  }

  // 4. A host that stops the server with SIGTERM to npx stops the binary too.
  if (process.platform === 'linux') await sigterm(where);

  // 5. Without the platform package the wrapper says what to do, on stderr.
  const bare = install('no-platform', [mainTgz], ['--omit=optional']);
  if (bare) {
    const r = npx(bare, ['version']);
    if (r.status !== 1 || r.stdout !== '' || !r.stderr.includes(`${MAIN}-${target} is not installed`)) {
      fail('missing platform package', `exit ${r.status}, stdout ${JSON.stringify(r.stdout)}, stderr ${JSON.stringify(r.stderr)}`);
    } else {
      ok('missing platform package', r.stderr.trim().split('\n').pop());
    }
  }
}

/** Processes running the installed binary (Linux: /proc/<pid>/exe). */
function binaryProcesses(binary) {
  const pids = [];
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/exe`) === binary) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function sigterm(where) {
  const binary = fs.realpathSync(path.join(where, 'node_modules', `${MAIN}-${target}`, 'bin', 'cloudbase-mcp'));
  const s = await mcpSession(where);
  try {
    await s.request('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'npx-test', version: '1' } });
  } catch (err) {
    fail('npx SIGTERM', err.message);
    s.child.kill('SIGKILL');
    return;
  }
  const running = binaryProcesses(binary).length;
  s.child.kill('SIGTERM');
  const exit = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r(null), 10_000))]);
  let left = binaryProcesses(binary);
  for (let i = 0; i < 50 && left.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    left = binaryProcesses(binary);
  }
  if (running !== 1) {
    fail('npx SIGTERM', `${running} processes ran ${binary} during the session, want 1`);
  } else if (exit === null) {
    s.child.kill('SIGKILL');
    fail('npx SIGTERM', 'npx still running 10 s after SIGTERM');
  } else if (left.length) {
    fail('npx SIGTERM', `the binary outlived npx: pids ${left.join(', ')}`);
  } else {
    ok('npx SIGTERM', `npx ended (${exit.signal ?? exit.code}) and the binary with it`);
  }
}

try {
  await main();
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
