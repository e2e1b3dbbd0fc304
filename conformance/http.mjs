#!/usr/bin/env node
// Hosted mode against the official MCP TypeScript SDK's Streamable HTTP client transport.
//
//   node http.mjs <path-to-binary>
//
// Every check starts its own server process: sandbox, `--transport http` on a free loopback
// port, callers' keys in headers (the emulator's key pairs), a shared requestState key. It
// prints "ok   <name>" or "FAIL <name>: <why>" (with the server's stderr) and exits 1 if any
// check fails. The SDK (1.32.2, the newest on npm) speaks the protocol up to 2025-11-25, the
// era of sessions; the stateless 2026-07-28 era is checked with the Go SDK (conformance/gohttp).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema, ListRootsRequestSchema, ListToolsResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';

const CHECK_TIMEOUT_MS = 60_000;
// The emulator's two key pairs (internal/emulator: the demo pair, and the demo scenario's pair
// with a session token).
const DEMO = { id: 'AKIDemulatorDEMO0000000000000000000', key: 'emulator-demo-secret-key-0000000000' };
const TOKEN = { id: 'AKIDemulatorTOKEN00000000000000000', key: 'emulator-token-secret-key-000000000', token: 'emulator-session-token-0000' };
const ENV_ID = 'demo-env-1a2b3c';
const STATE_KEY = 'conformance-shared-state-key-0123456789';

const binArg = process.argv[2];
if (!binArg || process.argv.length > 3) {
  console.error('usage: node http.mjs <path-to-binary>');
  process.exit(2);
}
const BIN = path.resolve(binArg);

class CheckFailure extends Error {}

function assert(cond, why) {
  if (!cond) throw new CheckFailure(why);
}

function short(v, max = 400) {
  let s;
  try {
    s = typeof v === 'string' ? v : JSON.stringify(v);
  } catch {
    s = String(v);
  }
  if (s === undefined) s = String(v);
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

function errString(err) {
  if (err instanceof McpError) return `McpError ${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

function resultText(result) {
  return (result?.content ?? [])
    .filter((c) => c?.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

function expectOk(result, what) {
  assert(result && typeof result === 'object', `${what}: no result`);
  assert(result.isError !== true, `${what}: isError result: ${short(resultText(result) || result)}`);
  return result;
}

function expectToolError(result, what) {
  assert(result?.isError === true, `${what}: expected isError: true, got: ${short(result?.structuredContent ?? resultText(result))}`);
  return resultText(result);
}

function keyHeaders(k) {
  const h = { 'X-TencentCloud-SecretId': k.id, 'X-TencentCloud-SecretKey': k.key };
  if (k.token) h['X-TencentCloud-SessionToken'] = k.token;
  return h;
}

// ---------------------------------------------------------------------------------------------
// One server process per check, in hosted mode.

async function startServer(ctx, { speed = '60' } = {}) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cbmcp-http-'));
  ctx.tmpDirs.push(root);
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: root,
    CLOUDBASE_MCP_SANDBOX: 'true',
    CLOUDBASE_MCP_SANDBOX_SPEED: speed,
    CLOUDBASE_MCP_TRANSPORT: 'http',
    CLOUDBASE_MCP_HTTP_ADDR: '127.0.0.1:0',
    CLOUDBASE_MCP_HTTP_AUTH: 'headers',
    CLOUDBASE_MCP_STATE_KEY: STATE_KEY,
    CLOUDBASE_MCP_AUDIT_LOG: path.join(root, 'audit.log'),
    CLOUDBASE_MCP_WORKSPACE: root,
  };
  const proc = spawn(BIN, [], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  ctx.procs.push(proc);
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new CheckFailure(`the server did not say where it listens: ${buf}`)), 20_000);
    proc.stderr.on('data', (chunk) => {
      const s = chunk.toString('utf8');
      ctx.stderr.push(s);
      buf += s;
      const m = /msg="hosted mode: listening" url=(\S+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on('exit', (code) => reject(new CheckFailure(`the server exited (${code}) before listening: ${buf}`)));
  });
  return url;
}

/** Records the content type of every answer, to see SSE where it is used. */
function recordingFetch(log) {
  return async (input, init) => {
    const resp = await fetch(input, init);
    log.push({ method: init?.method ?? 'GET', status: resp.status, type: resp.headers.get('content-type') ?? '' });
    return resp;
  };
}

async function connect(ctx, url, { keys = DEMO, capabilities = {}, setup, protocolVersion } = {}) {
  const answers = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${url}?env_id=${ENV_ID}`), {
    requestInit: { headers: keyHeaders(keys) },
    fetch: recordingFetch(answers),
  });
  const sent = [];
  const wrapped = {
    get sessionId() {
      return transport.sessionId;
    },
    set onmessage(f) {
      transport.onmessage = f;
    },
    set onerror(f) {
      transport.onerror = f;
    },
    set onclose(f) {
      transport.onclose = f;
    },
    start: () => transport.start(),
    close: () => transport.close(),
    setProtocolVersion: (v) => transport.setProtocolVersion?.(v),
    async send(msg, opts) {
      if (protocolVersion && msg?.method === 'initialize') {
        msg = { ...msg, params: { ...msg.params, protocolVersion } };
      }
      sent.push(msg);
      return transport.send(msg, opts);
    },
  };
  const client = new Client({ name: 'cloudbase-mcp-http-conformance', version: '1.0.0' }, { capabilities });
  client.onerror = (err) => ctx.clientErrors.push(err);
  setup?.(client);
  try {
    await client.connect(wrapped, { timeout: CHECK_TIMEOUT_MS });
  } catch (err) {
    throw new CheckFailure(`initialize over HTTP failed: ${errString(err)}`);
  }
  ctx.clients.push(client);
  return { client, transport, answers, sent };
}

async function call(client, name, args, options = {}) {
  try {
    return await client.callTool({ name, arguments: args }, undefined, { timeout: CHECK_TIMEOUT_MS, ...options });
  } catch (err) {
    throw new CheckFailure(`${name} ${JSON.stringify(args)}: protocol error instead of a result: ${errString(err)}`);
  }
}

const IMAGE = 'ccr.ccs.tencentyun.com/conformance/app:v1';

// ---------------------------------------------------------------------------------------------
// The checks

const checks = [];
function check(name, fn) {
  checks.push({ name, fn });
}

for (const version of ['2025-03-26', '2025-06-18', '2025-11-25']) {
  check(`http-handshake-${version}`, async (ctx) => {
    const url = await startServer(ctx);
    const { client, transport } = await connect(ctx, url, { protocolVersion: version });
    assert(client.getServerVersion()?.name === 'cloudbase-mcp', `serverInfo is ${short(client.getServerVersion())}`);
    assert(transport.sessionId, 'the server gave no Mcp-Session-Id: older clients need one (for affinity)');
    const session = transport.sessionId;
    expectOk(await call(client, 'queryCloudRun', { action: 'list' }), 'list in the session');
    await transport.terminateSession();
    return `protocolVersion ${version}, Mcp-Session-Id ${session.slice(0, 20)}…, ended with DELETE`;
  });
}

check('http-tools-cloud-mode', async (ctx) => {
  const url = await startServer(ctx);
  const { client } = await connect(ctx, url);
  const raw = await client.request({ method: 'tools/list', params: {} }, ListToolsResultSchema, { timeout: CHECK_TIMEOUT_MS });
  const byName = Object.fromEntries(raw.tools.map((t) => [t.name, t]));
  assert(Object.keys(byName).sort().join() === 'manageCloudRun,queryCloudRun', `tools are ${Object.keys(byName)}`);
  const manage = byName.manageCloudRun.inputSchema.properties.action.enum;
  const query = byName.queryCloudRun.inputSchema.properties.action.enum;
  assert(manage.join() === 'deploy,delete,updateConfig,initEnv,traffic', `manageCloudRun actions over HTTP: ${manage}`);
  for (const local of ['localRuns', 'templates']) {
    assert(!query.includes(local), `queryCloudRun offers ${local} over HTTP`);
  }
  return `manage: ${manage.join(', ')}; query: ${query.length} actions`;
});

check('http-auth', async (ctx) => {
  const url = await startServer(ctx);
  const init = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const anon = await fetch(url, { method: 'POST', headers, body: init });
  const anonBody = await anon.text();
  assert(anon.status === 401, `without keys: HTTP ${anon.status} ${short(anonBody)}`);
  assert(anonBody.includes('X-TencentCloud-SecretId'), `the 401 does not say what to send: ${short(anonBody)}`);
  const evil = await fetch(url, { method: 'POST', headers: { ...headers, ...keyHeaders(DEMO), origin: 'https://evil.example' }, body: init });
  await evil.text();
  assert(evil.status === 403, `a foreign Origin: HTTP ${evil.status}`);
  const health = await fetch(url.replace(/\/mcp$/, '/healthz'));
  assert(health.status === 200, `/healthz: HTTP ${health.status}`);
  return 'no keys → 401, foreign Origin → 403, /healthz → 200';
});

check('http-progress-sse', async (ctx) => {
  // A slow sandbox clock: the deploy waits for its registration through several polls.
  const url = await startServer(ctx, { speed: '2' });
  const { client, answers } = await connect(ctx, url);
  const progress = [];
  const res = await call(client, 'manageCloudRun', { action: 'deploy', serverName: 'conf-img', imageUrl: IMAGE }, {
    onprogress: (p) => progress.push(p),
  });
  expectOk(res, 'deploy an image');
  assert(res.structuredContent?.deployType === 'image', `deployType ${short(res.structuredContent?.deployType)}`);
  assert(progress.length >= 1, "no progress notification");
  assert(progress.every((p) => typeof p.message === "string" && p.message !== ""), `a notification without message: ${short(progress)}`);
  for (let i = 1; i < progress.length; i++) {
    assert(progress[i].progress > progress[i - 1].progress, `progress not increasing: ${short(progress)}`);
  }
  const sse = answers.filter((a) => a.method === 'POST' && a.type.startsWith('text/event-stream'));
  assert(sse.length >= 1, `no answer came as an SSE stream: ${short(answers)}`);
  return `${progress.length} notifications over SSE, progress ${progress.map((p) => p.progress).join(' → ')}`;
});

async function elicitClient(ctx, url, answer) {
  const asked = [];
  const session = await connect(ctx, url, {
    capabilities: { elicitation: {} },
    setup: (c) =>
      c.setRequestHandler(ElicitRequestSchema, async (req) => {
        asked.push(req.params);
        return answer;
      }),
  });
  return { ...session, asked };
}

check('http-elicitation-accept', async (ctx) => {
  const url = await startServer(ctx);
  const { client, asked } = await elicitClient(ctx, url, { action: 'accept', content: { confirm: true } });
  const res = expectOk(await call(client, 'manageCloudRun', { action: 'delete', serverName: 'hello-api' }), 'delete after accept');
  assert(asked.length === 1 && asked[0].message.includes('hello-api'), `the user was asked: ${short(asked)}`);
  assert(res.structuredContent?.deleted === true, `deleted is ${short(res.structuredContent?.deleted)}`);
});

check('http-elicitation-decline', async (ctx) => {
  const url = await startServer(ctx);
  const { client, asked } = await elicitClient(ctx, url, { action: 'decline' });
  const text = expectToolError(await call(client, 'manageCloudRun', { action: 'delete', serverName: 'hello-api' }), 'delete after decline');
  assert(asked.length === 1, `asked ${asked.length} time(s)`);
  assert(/declined/i.test(text), `the error does not say declined: ${short(text)}`);
  expectOk(await call(client, 'queryCloudRun', { action: 'detail', detailServerName: 'hello-api', refresh: true }), 'hello-api is still there');
});

check('http-roots-absent', async (ctx) => {
  const url = await startServer(ctx);
  let rootsAsked = 0;
  const { client } = await connect(ctx, url, {
    capabilities: {},
    setup: (c) => {
      // A client without the roots capability; count any roots/list the server sends anyway.
      try {
        c.setRequestHandler(ListRootsRequestSchema, async () => {
          rootsAsked++;
          return { roots: [] };
        });
      } catch {
        // the SDK refuses the handler without the capability: then nothing can be counted
      }
    },
  });
  const text = expectToolError(
    await call(client, 'manageCloudRun', { action: 'deploy', serverName: 'from-dir', targetPath: '.' }),
    'deploy from a directory on a hosted server',
  );
  assert(text.includes('imageUrl'), `the refusal does not point to imageUrl: ${short(text)}`);
  expectOk(await call(client, 'manageCloudRun', { action: 'deploy', serverName: 'from-image', imageUrl: IMAGE }), 'deploy an image');
  assert(rootsAsked === 0, `the server asked for roots ${rootsAsked} time(s)`);
  return 'deploy from targetPath refused with imageUrl; an image deploys; no roots/list';
});

check('http-tenants', async (ctx) => {
  const url = await startServer(ctx);
  const a = await connect(ctx, url, { keys: DEMO });
  const b = await connect(ctx, url, { keys: TOKEN });
  const m = await connect(ctx, url, { keys: { id: DEMO.id, key: 'guessed-key-0000000000000000000000' } });
  const ra = expectOk(await call(a.client, 'queryCloudRun', { action: 'list' }), 'list with the demo keys');
  const ra2 = expectOk(await call(a.client, 'queryCloudRun', { action: 'list' }), 'again');
  assert(ra2.structuredContent?.fromCache === true, 'the second read of the same keys is cached');
  const rb = expectOk(await call(b.client, 'queryCloudRun', { action: 'list' }), 'list with the token keys');
  assert(rb.structuredContent?.fromCache === false, 'other keys are not served the first keys’ cache');
  const text = expectToolError(await call(m.client, 'queryCloudRun', { action: 'list' }), 'a SecretId with a guessed key');
  assert(text.includes('AuthFailure'), `the guessed key is not refused upstream: ${short(text)}`);
  assert(!text.includes('guessed-key'), 'the key is echoed');
  return `${ra.structuredContent.services.length} services each; a guessed key gets AuthFailure, not the cache`;
});

// ---------------------------------------------------------------------------------------------
// Runner

async function runCheck({ name, fn }) {
  const ctx = { name, procs: [], clients: [], stderr: [], clientErrors: [], tmpDirs: [] };
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailure(`timed out after ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
  });
  let failure;
  let note;
  const started = Date.now();
  try {
    note = await Promise.race([fn(ctx), timeout]);
  } catch (err) {
    failure = err instanceof CheckFailure ? err.message : `unexpected error: ${err?.stack ?? err}`;
  } finally {
    clearTimeout(timer);
    for (const c of ctx.clients) await c.close().catch(() => {});
    for (const p of ctx.procs) {
      const exited = new Promise((resolve) => (p.exitCode !== null ? resolve() : p.on('exit', resolve)));
      p.kill('SIGTERM');
      await exited;
      if (p.exitCode !== 0 && failure === undefined) failure = `the server exited with ${p.exitCode} after SIGTERM`;
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const stderr = ctx.stderr.join('');
  for (const secret of [DEMO.key, TOKEN.key, TOKEN.token, STATE_KEY]) {
    if (failure === undefined && stderr.includes(secret)) failure = 'a secret reached the server log';
  }
  if (failure === undefined) {
    console.log(`ok   ${name}${note ? ` (${note})` : ''} [${secs}s]`);
  } else {
    console.log(`FAIL ${name}: ${failure} [${secs}s]`);
    if (ctx.clientErrors.length) console.log(`     client errors: ${short(ctx.clientErrors.map(errString), 2000)}`);
    console.log(stderr.trim() ? stderr.trimEnd().split('\n').map((l) => `     | ${l}`).join('\n') : '     (server stderr was empty)');
  }
  for (const d of ctx.tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  return failure === undefined;
}

const only = process.env.CONFORMANCE_ONLY ? new Set(process.env.CONFORMANCE_ONLY.split(',')) : null;
console.log(`cloudbase-mcp hosted mode (Streamable HTTP), TypeScript SDK client: ${BIN}`);
let passed = 0;
let failed = 0;
for (const c of checks) {
  if (only && !only.has(c.name)) continue;
  if (await runCheck(c)) passed++;
  else failed++;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
