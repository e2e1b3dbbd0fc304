#!/usr/bin/env node
// Conformance checks of cloudbase-mcp against the official MCP TypeScript SDK client.
//
//   node run.mjs <path-to-binary>
//
// Every check starts its own server process in sandbox mode (fresh workspace, fresh state),
// prints "ok   <name>" or "FAIL <name>: <why>", and the server's stderr is printed only for a
// failing check. Exits 1 if any check fails. See README.md for what each check asserts.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { pathToFileURL } from 'node:url';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import {
  CompleteResultSchema,
  ElicitRequestSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema,
  ListResourceTemplatesResultSchema,
  ReadResourceResultSchema,
  ListRootsRequestSchema,
  ListToolsResultSchema,
  LoggingMessageNotificationSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';

const CHECK_TIMEOUT_MS = 60_000;
const EXPECTED_TOOLS = ['manageCloudRun', 'queryCloudRun'];

const binArg = process.argv[2];
if (!binArg || process.argv.length > 3) {
  console.error('usage: node run.mjs <path-to-binary>');
  process.exit(2);
}
const BIN = path.resolve(binArg);
try {
  fs.accessSync(BIN, fs.constants.X_OK);
} catch {
  console.error(`run.mjs: ${BIN} is not an executable file`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Helpers

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

function tmpDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `cbmcp-conf-${label}-`));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** All text of a tool result's text content blocks, joined. */
function resultText(result) {
  return (result?.content ?? [])
    .filter((c) => c?.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** A tool result that must be a success: returns it, or fails with what the server sent. */
function expectOk(result, what) {
  assert(result && typeof result === 'object', `${what}: no result`);
  assert(result.isError !== true, `${what}: isError result: ${short(resultText(result) || result)}`);
  return result;
}

/** A tool result that must be a tool error (isError true, not a protocol error). */
function expectToolError(result, what) {
  assert(result && typeof result === 'object', `${what}: no result`);
  assert(
    result.isError === true,
    `${what}: expected isError: true, got a success: ${short(result.structuredContent ?? resultText(result))}`,
  );
  return resultText(result);
}

/** Calls a tool; a protocol error (McpError) becomes a check failure naming the call. */
async function call(client, name, args, options = {}) {
  try {
    return await client.callTool({ name, arguments: args }, undefined, {
      timeout: CHECK_TIMEOUT_MS,
      ...options,
    });
  } catch (err) {
    if (err instanceof CheckFailure) throw err;
    throw new CheckFailure(`${name} ${JSON.stringify(args)}: protocol error instead of a result: ${errString(err)}`);
  }
}

function errString(err) {
  if (err instanceof McpError) return `McpError ${err.code}: ${err.message}${err.data !== undefined ? ` data=${short(err.data)}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// A transport wrapper around the SDK's StdioClientTransport: it records every JSON-RPC message
// in both directions (so checks can look at raw results and at requests the SDK answered by
// itself), records transport errors (a line on stdout that is not JSON-RPC raises one), and can
// force the protocolVersion the client asks for in `initialize`.

class TapTransport {
  constructor(inner, { forceProtocolVersion } = {}) {
    this.inner = inner;
    this.forceProtocolVersion = forceProtocolVersion;
    this.sent = [];
    this.received = [];
    this.transportErrors = [];
    this.closing = false;
    this.onmessage = undefined;
    this.onerror = undefined;
    this.onclose = undefined;
  }

  get sessionId() {
    return this.inner.sessionId;
  }

  async start() {
    this.inner.onmessage = (msg, extra) => {
      this.received.push(msg);
      this.onmessage?.(msg, extra);
    };
    this.inner.onerror = (err) => {
      if (!this.closing) this.transportErrors.push(err);
      this.onerror?.(err);
    };
    this.inner.onclose = () => this.onclose?.();
    await this.inner.start();
  }

  async send(msg, options) {
    if (this.forceProtocolVersion && msg?.method === 'initialize') {
      msg = { ...msg, params: { ...msg.params, protocolVersion: this.forceProtocolVersion } };
    }
    this.sent.push(msg);
    return this.inner.send(msg, options);
  }

  async close() {
    this.closing = true;
    await this.inner.close();
  }

  /** The raw JSON-RPC response (result or error) to the first request sent with this method. */
  responseTo(method) {
    const req = this.sent.find((m) => m.method === method && m.id !== undefined);
    if (!req) return undefined;
    return this.received.find((m) => m.id === req.id && (m.result !== undefined || m.error !== undefined));
  }

  /** The raw JSON-RPC response to the last request sent with this method. */
  lastResponseTo(method) {
    const reqs = this.sent.filter((m) => m.method === method && m.id !== undefined);
    const req = reqs[reqs.length - 1];
    if (!req) return undefined;
    return this.received.find((m) => m.id === req.id && (m.result !== undefined || m.error !== undefined));
  }

  requestsFromServer(method) {
    return this.received.filter((m) => m.method === method && m.id !== undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// One session = one fresh server process with its own workspace.

const allSessions = []; // {check, tap} for the stdout-clean check

async function openSession(ctx, { capabilities = {}, setup, forceProtocolVersion } = {}) {
  const root = tmpDir('run');
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(workspace);
  ctx.tmpDirs.push(root);
  const env = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    CLOUDBASE_MCP_SANDBOX: 'true',
    CLOUDBASE_MCP_SANDBOX_SPEED: '60',
    CLOUDBASE_MCP_WORKSPACE: workspace,
    CLOUDBASE_MCP_AUDIT_LOG: path.join(root, 'audit.log'),
    CLOUDBASE_MCP_LOG_LEVEL: 'warn',
  };
  const inner = new StdioClientTransport({ command: BIN, args: [], env, cwd: root, stderr: 'pipe' });
  const sessionNo = ctx.sessions.length + 1;
  inner.stderr?.on('data', (chunk) => {
    ctx.stderr.push(`[session ${sessionNo}] ${chunk.toString('utf8')}`);
  });
  const tap = new TapTransport(inner, { forceProtocolVersion });
  const client = new Client({ name: 'cloudbase-mcp-conformance', version: '1.0.0' }, { capabilities });
  client.onerror = (err) => ctx.clientErrors.push(err);
  setup?.(client);
  const session = { client, tap, workspace, root };
  ctx.sessions.push(session);
  allSessions.push({ check: ctx.name, tap });
  try {
    await client.connect(tap, { timeout: CHECK_TIMEOUT_MS });
  } catch (err) {
    throw new CheckFailure(`initialize failed: ${errString(err)}`);
  }
  return session;
}

// ---------------------------------------------------------------------------------------------
// The checks

const checks = [];
function check(name, fn) {
  checks.push({ name, fn });
}

function handshake(version) {
  return async (ctx) => {
    const { client, tap } = await openSession(ctx, { forceProtocolVersion: version });
    const sentInit = tap.sent.find((m) => m.method === 'initialize');
    assert(sentInit?.params?.protocolVersion === version, `the client did not send protocolVersion ${version}`);
    const resp = tap.responseTo('initialize');
    assert(resp?.result, `no initialize result: ${short(resp)}`);
    const r = resp.result;
    assert(
      r.protocolVersion === version,
      `asked for protocolVersion ${version}, the server answered ${JSON.stringify(r.protocolVersion)}`,
    );
    assert(r.serverInfo?.name === 'cloudbase-mcp', `serverInfo.name is ${JSON.stringify(r.serverInfo?.name)}, want "cloudbase-mcp"`);
    const caps = client.getServerCapabilities() ?? {};
    const missing = ['tools', 'logging'].filter((c) => caps[c] === undefined || caps[c] === null);
    assert(missing.length === 0, `capabilities lack ${missing.join(' and ')}: ${short(caps)}`);
    return `protocolVersion ${r.protocolVersion}, ${r.serverInfo.name} ${r.serverInfo.version ?? ''}`.trim();
  };
}

check('handshake-2025-06-18', handshake('2025-06-18'));
check('handshake-2025-11-25', handshake('2025-11-25'));

check('tools-list-schema', async (ctx) => {
  const { client, tap } = await openSession(ctx);
  let listed;
  try {
    listed = await client.listTools(undefined, { timeout: CHECK_TIMEOUT_MS });
  } catch (err) {
    throw new CheckFailure(`client.listTools() failed: ${errString(err)}`);
  }
  const resp = tap.lastResponseTo('tools/list');
  assert(resp?.result, `no raw tools/list result: ${short(resp)}`);
  const parsed = ListToolsResultSchema.safeParse(resp.result);
  assert(parsed.success, `ListToolsResultSchema.parse of the raw result failed: ${short(parsed.error?.message ?? parsed.error, 1500)}`);
  const bytes = Buffer.byteLength(JSON.stringify(resp.result), 'utf8');

  const names = listed.tools.map((t) => t.name).sort();
  assert(isDeepStrictEqual(names, EXPECTED_TOOLS), `tools are ${JSON.stringify(names)}, want exactly ${JSON.stringify(EXPECTED_TOOLS)}`);
  assert(!listed.nextCursor, `tools/list returned a nextCursor (${JSON.stringify(listed.nextCursor)}) for two tools`);
  for (const raw of resp.result.tools) {
    assert(raw.inputSchema?.type === 'object', `${raw.name}: inputSchema.type is ${JSON.stringify(raw.inputSchema?.type)}`);
    const action = raw.inputSchema?.properties?.action;
    assert(action && typeof action === 'object', `${raw.name}: inputSchema has no "action" property`);
    assert(Array.isArray(action.enum) && action.enum.length > 0, `${raw.name}: "action" has no enum: ${short(action)}`);
    assert(typeof raw.description === 'string' && raw.description.trim() !== '', `${raw.name}: no description`);
  }
  return `tools/list result is ${bytes} bytes of JSON`;
});

check('structured-content', async (ctx) => {
  const { client } = await openSession(ctx);
  const res = expectOk(await call(client, 'queryCloudRun', { action: 'list' }), 'queryCloudRun list');
  const sc = res.structuredContent;
  assert(sc && typeof sc === 'object' && !Array.isArray(sc), `structuredContent is not an object: ${short(sc)}`);
  assert(Array.isArray(sc.services), `structuredContent.services is not an array: ${short(sc.services)}`);
  const first = (res.content ?? []).find((c) => c?.type === 'text');
  assert(first, `no text content: ${short(res.content)}`);
  let fromText;
  try {
    fromText = JSON.parse(first.text);
  } catch (err) {
    throw new CheckFailure(`the first text content is not JSON (${err.message}): ${short(first.text)}`);
  }
  assert(isDeepStrictEqual(fromText, sc), `the first text content differs from structuredContent: text=${short(fromText)} structured=${short(sc)}`);
  return `${sc.services.length} services`;
});

/** init a nodejs project conf-app, then deploy it; returns {result, progress}. */
async function initAndDeploy(client, { withProgress }) {
  expectOk(
    await call(client, 'manageCloudRun', { action: 'init', serverName: 'conf-app', template: 'nodejs' }),
    'manageCloudRun init conf-app',
  );
  const progress = [];
  const options = withProgress ? { onprogress: (p) => progress.push(p) } : {};
  const result = await call(client, 'manageCloudRun', { action: 'deploy', serverName: 'conf-app', targetPath: 'conf-app' }, options);
  return { result, progress };
}

check('progress', async (ctx) => {
  const { client, tap } = await openSession(ctx);
  const { result, progress } = await initAndDeploy(client, { withProgress: true });
  const deployReq = tap.sent.filter((m) => m.method === 'tools/call').pop();
  assert(deployReq?.params?._meta?.progressToken !== undefined, 'the SDK did not send a progressToken (script bug)');
  expectOk(result, 'manageCloudRun deploy conf-app');
  assert(progress.length >= 2, `${progress.length} progress notification(s), want ≥ 2: ${short(progress)}`);
  for (let i = 0; i < progress.length; i++) {
    const p = progress[i];
    assert(typeof p.progress === 'number', `notification ${i + 1}: progress is not a number: ${short(p)}`);
    assert(typeof p.message === 'string' && p.message !== '', `notification ${i + 1}: no string message: ${short(p)}`);
    if (i > 0) {
      assert(
        p.progress > progress[i - 1].progress,
        `progress not strictly increasing: notification ${i} has ${progress[i - 1].progress}, notification ${i + 1} has ${p.progress}; all: ${short(progress, 2000)}`,
      );
    }
  }
  return `${progress.length} notifications, progress ${progress.map((p) => p.progress).join(' → ')}`;
});

check('logging', async (ctx) => {
  const collect = (sink) => (client) => {
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      sink.push(n.params);
    });
  };

  // 1. setLevel info → at least one info message during a deploy.
  const withLevel = [];
  {
    const { client } = await openSession(ctx, { setup: collect(withLevel) });
    try {
      await client.setLoggingLevel('info', { timeout: CHECK_TIMEOUT_MS });
    } catch (err) {
      throw new CheckFailure(`logging/setLevel info failed: ${errString(err)}`);
    }
    const { result } = await initAndDeploy(client, { withProgress: false });
    expectOk(result, 'manageCloudRun deploy conf-app (level info)');
    await sleep(100); // let notifications sent just before the result arrive
    await client.close();
  }
  const infos = withLevel.filter((m) => m.level === 'info');
  assert(infos.length >= 1, `after setLevel info, no info message during deploy; got ${withLevel.length} message(s): ${short(withLevel)}`);

  // 2. fresh session, no setLevel → no info messages (the default level is error).
  const withoutLevel = [];
  {
    const { client } = await openSession(ctx, { setup: collect(withoutLevel) });
    const { result } = await initAndDeploy(client, { withProgress: false });
    expectOk(result, 'manageCloudRun deploy conf-app (no setLevel)');
    await sleep(100);
    await client.close();
  }
  const defaultInfos = withoutLevel.filter((m) => m.level === 'info');
  assert(defaultInfos.length === 0, `without setLevel the server sent ${defaultInfos.length} info message(s): ${short(defaultInfos)}`);
  return `${infos.length} info message(s) with setLevel info (${withLevel.length} in all); ${withoutLevel.length} message(s) without setLevel`;
});

/** Session with the elicitation capability whose handler answers with `answer`. */
async function elicitSession(ctx, answer) {
  const elicitations = [];
  const session = await openSession(ctx, {
    capabilities: { elicitation: {} },
    setup: (client) => {
      client.setRequestHandler(ElicitRequestSchema, async (req) => {
        elicitations.push(req.params);
        return answer;
      });
    },
  });
  return { ...session, elicitations };
}

function checkElicitation(elicitations, res) {
  assert(
    elicitations.length >= 1,
    `the server sent no elicitation/create for delete without force; the tool result was${res?.isError ? ' (isError)' : ''}: ${short(resultText(res) || res)}`,
  );
  const e = elicitations[0];
  assert(typeof e.message === 'string' && e.message.includes('hello-api'), `elicitation message does not mention hello-api: ${short(e.message)}`);
  const rs = e.requestedSchema;
  assert(rs && rs.type === 'object', `requestedSchema is not an object schema: ${short(rs)}`);
  assert(rs.properties?.confirm?.type === 'boolean', `requestedSchema has no boolean "confirm" property: ${short(rs)}`);
  return e;
}

check('elicitation-decline', async (ctx) => {
  const { client, elicitations } = await elicitSession(ctx, { action: 'decline' });
  const res = await call(client, 'manageCloudRun', { action: 'delete', serverName: 'hello-api' });
  checkElicitation(elicitations, res);
  const text = expectToolError(res, 'delete hello-api after decline');
  assert(/declined/i.test(text), `the isError text does not say "declined": ${short(text)}`);
  const detail = await call(client, 'queryCloudRun', { action: 'detail', detailServerName: 'hello-api', refresh: true });
  expectOk(detail, 'queryCloudRun detail hello-api after the declined delete');
  return `message: ${short(elicitations[0].message, 120)}`;
});

check('elicitation-accept', async (ctx) => {
  const { client, elicitations } = await elicitSession(ctx, { action: 'accept', content: { confirm: true } });
  const res = await call(client, 'manageCloudRun', { action: 'delete', serverName: 'hello-api' });
  checkElicitation(elicitations, res);
  expectOk(res, 'delete hello-api after accept');
  assert(res.structuredContent?.deleted === true, `structuredContent.deleted is ${short(res.structuredContent?.deleted)}: ${short(res.structuredContent)}`);
});

check('no-elicitation-needs-force', async (ctx) => {
  // No elicitation capability and no handler: the tap records any elicitation/create the server
  // sends anyway (the SDK would answer it with an error by itself).
  const { client, tap } = await openSession(ctx, { capabilities: {} });
  const res = await call(client, 'manageCloudRun', { action: 'delete', serverName: 'hello-api' });
  const asked = tap.requestsFromServer('elicitation/create');
  assert(asked.length === 0, `the server sent elicitation/create to a client without the capability: ${short(asked[0])}`);
  const text = expectToolError(res, 'delete hello-api without force');
  assert(text.includes('force: true'), `the isError text does not contain "force: true": ${short(text)}`);
});

check('roots', async (ctx) => {
  const dirA = tmpDir('rootA');
  const dirB = tmpDir('rootB');
  ctx.tmpDirs.push(dirA, dirB);
  let roots = [{ uri: pathToFileURL(dirA).href, name: 'a' }];
  let rootsAsked = 0;
  const { client, workspace } = await openSession(ctx, {
    capabilities: { roots: { listChanged: true } },
    setup: (c) => {
      c.setRequestHandler(ListRootsRequestSchema, async () => {
        rootsAsked++;
        return { roots };
      });
    },
  });

  // 1. init without targetPath lands in the client's root, not in CLOUDBASE_MCP_WORKSPACE.
  const r1 = expectOk(
    await call(client, 'manageCloudRun', { action: 'init', serverName: 'rooted', template: 'helloworld' }),
    'init rooted (root dirA)',
  );
  const wantDir = path.join(fs.realpathSync(dirA), 'rooted');
  assert(
    r1.structuredContent?.projectDir === wantDir,
    `projectDir is ${JSON.stringify(r1.structuredContent?.projectDir)}, want ${JSON.stringify(wantDir)} (roots/list asked ${rootsAsked} time(s); workspace env was ${workspace})`,
  );
  assert(fs.existsSync(wantDir) && fs.statSync(wantDir).isDirectory(), `${wantDir} does not exist`);
  const files = Array.isArray(r1.structuredContent?.files) ? r1.structuredContent.files : [];
  assert(fs.readdirSync(wantDir).length > 0, `${wantDir} is empty`);
  for (const f of files) {
    assert(fs.existsSync(path.join(wantDir, f)), `${path.join(wantDir, f)} is listed in files but does not exist`);
  }

  // 2. targetPath outside the roots is refused, and nothing is written there.
  const r2 = await call(client, 'manageCloudRun', { action: 'init', serverName: 'outside', template: 'helloworld', targetPath: dirB });
  const text2 = expectToolError(r2, `init with targetPath ${dirB} outside the root`);
  assert(text2.includes('outside the workspace'), `the isError text does not contain "outside the workspace": ${short(text2)}`);
  const inB = fs.readdirSync(dirB);
  assert(inB.length === 0, `the refused init wrote into ${dirB}: ${JSON.stringify(inB)}`);

  // 3. the client moves its root to dirB and says so; init into dirB now works.
  roots = [{ uri: pathToFileURL(dirB).href, name: 'b' }];
  await client.sendRootsListChanged();
  await sleep(200);
  const r3 = await call(client, 'manageCloudRun', { action: 'init', serverName: 'moved', template: 'helloworld', targetPath: dirB });
  expectOk(r3, `init moved with targetPath ${dirB} after roots changed to it`);
  const moved = path.join(dirB, 'moved');
  assert(fs.existsSync(moved), `${moved} does not exist after init (projectDir ${JSON.stringify(r3.structuredContent?.projectDir)})`);
  return `roots/list asked ${rootsAsked} time(s)`;
});

// The skill inside the server: instructions, prompts, completions and resources.

const EXPECTED_PROMPTS = ['deploy-project', 'diagnose-service', 'release-safely', 'start-service'];

check('instructions-and-prompts', async (ctx) => {
  const { client, tap } = await openSession(ctx);
  const instructions = client.getInstructions() ?? '';
  for (const rule of ['PORT', 'Mem is 2 x Cpu', 'VpcConf', 'cloudrun://guide']) {
    assert(instructions.includes(rule), `the initialize instructions lack ${JSON.stringify(rule)}: ${short(instructions)}`);
  }
  const caps = client.getServerCapabilities() ?? {};
  assert(caps.prompts && caps.resources && caps.completions, `capabilities lack prompts, resources or completions: ${short(caps)}`);
  const listed = await client.listPrompts(undefined, { timeout: CHECK_TIMEOUT_MS });
  const raw = tap.lastResponseTo('prompts/list');
  assert(ListPromptsResultSchema.safeParse(raw?.result).success, `prompts/list does not parse: ${short(raw)}`);
  const names = listed.prompts.map((p) => p.name).sort();
  assert(isDeepStrictEqual(names, EXPECTED_PROMPTS), `prompts are ${JSON.stringify(names)}, want ${JSON.stringify(EXPECTED_PROMPTS)}`);
  const sizes = [];
  for (const p of listed.prompts) {
    assert(p.description, `prompt ${p.name} has no description`);
    const serverName = p.arguments?.find((a) => a.name === 'serverName');
    assert(serverName?.required === true, `prompt ${p.name}: serverName is not a required argument: ${short(p.arguments)}`);
    const got = await client.getPrompt({ name: p.name, arguments: { serverName: 'hello-api' } }, { timeout: CHECK_TIMEOUT_MS });
    const rawGet = tap.lastResponseTo('prompts/get');
    assert(GetPromptResultSchema.safeParse(rawGet?.result).success, `prompts/get ${p.name} does not parse: ${short(rawGet)}`);
    const text = got.messages?.[0]?.content?.text ?? '';
    assert(text.includes('"hello-api"'), `prompt ${p.name} does not name the service it was given: ${short(text)}`);
    assert(text.includes('CloudRun'), `prompt ${p.name} is not a CloudRun workflow: ${short(text)}`);
    sizes.push(`${p.name} ${text.length} chars`);
  }
  let refused = false;
  try {
    await client.getPrompt({ name: 'diagnose-service', arguments: {} }, { timeout: CHECK_TIMEOUT_MS });
  } catch (err) {
    refused = errString(err).includes('serverName');
  }
  assert(refused, 'prompts/get without a required argument was not refused naming it');
  return `instructions ${instructions.length} chars; ${sizes.join(', ')}`;
});

check('completions', async (ctx) => {
  const { client, tap } = await openSession(ctx);
  const svc = await client.complete(
    { ref: { type: 'ref/prompt', name: 'diagnose-service' }, argument: { name: 'serverName', value: 'hel' } },
    { timeout: CHECK_TIMEOUT_MS },
  );
  assert(CompleteResultSchema.safeParse(tap.lastResponseTo('completion/complete')?.result).success, 'completion/complete does not parse');
  const values = svc.completion?.values ?? [];
  assert(values.includes('hello-api'), `serverName completion for "hel" is ${short(values)}, want hello-api among them`);
  assert(values.every((v) => v.startsWith('hel')), `serverName completion has values not starting with "hel": ${short(values)}`);
  const tpl = await client.complete(
    { ref: { type: 'ref/prompt', name: 'start-service' }, argument: { name: 'mode', value: '' } },
    { timeout: CHECK_TIMEOUT_MS },
  );
  assert(isDeepStrictEqual([...(tpl.completion?.values ?? [])].sort(), ['container', 'function']), `mode completion is ${short(tpl.completion)}`);
  const byUri = await client.complete(
    { ref: { type: 'ref/resource', uri: 'cloudrun://services/{name}' }, argument: { name: 'name', value: 'hello' } },
    { timeout: CHECK_TIMEOUT_MS },
  );
  assert((byUri.completion?.values ?? []).includes('hello-api'), `the resource template's name completion is ${short(byUri.completion)}`);
  return `serverName "hel" → ${JSON.stringify(values)}`;
});

check('resources', async (ctx) => {
  const { client, tap } = await openSession(ctx);
  const listed = await client.listResources(undefined, { timeout: CHECK_TIMEOUT_MS });
  assert(listed.resources.some((r) => r.uri === 'cloudrun://guide'), `resources/list lacks cloudrun://guide: ${short(listed)}`);
  const guide = await client.readResource({ uri: 'cloudrun://guide' }, { timeout: CHECK_TIMEOUT_MS });
  assert(ReadResourceResultSchema.safeParse(tap.lastResponseTo('resources/read')?.result).success, 'resources/read does not parse');
  const md = guide.contents?.[0];
  assert(md?.mimeType === 'text/markdown' && md.text.includes('PORT'), `the guide is not the markdown guide: ${short(md)}`);
  const templates = await client.listResourceTemplates(undefined, { timeout: CHECK_TIMEOUT_MS });
  assert(ListResourceTemplatesResultSchema.safeParse(tap.lastResponseTo('resources/templates/list')?.result).success, 'resources/templates/list does not parse');
  const uris = templates.resourceTemplates.map((t) => t.uriTemplate).sort();
  assert(isDeepStrictEqual(uris, ['cloudrun://services/{name}', 'cloudrun://services/{name}/deploy-log']), `resource templates are ${short(uris)}`);
  const detail = await client.readResource({ uri: 'cloudrun://services/hello-api' }, { timeout: CHECK_TIMEOUT_MS });
  const body = JSON.parse(detail.contents?.[0]?.text ?? 'null');
  const viaTool = expectOk(await call(client, 'queryCloudRun', { action: 'detail', detailServerName: 'hello-api' }), 'detail hello-api');
  assert(body?.service?.name === 'hello-api' || JSON.stringify(body).includes('"hello-api"'), `the service resource is not hello-api's detail: ${short(body)}`);
  assert(isDeepStrictEqual(Object.keys(body).sort(), Object.keys(viaTool.structuredContent).sort()), `the resource's keys ${short(Object.keys(body))} differ from detail's ${short(Object.keys(viaTool.structuredContent))}`);
  let missing = '';
  try {
    await client.readResource({ uri: 'cloudrun://services/no-such-svc' }, { timeout: CHECK_TIMEOUT_MS });
  } catch (err) {
    missing = errString(err);
  }
  assert(missing !== '', 'reading a missing service resource did not fail');
  return `guide ${md.text.length} chars; hello-api detail ${detail.contents[0].text.length} bytes`;
});

check('unknown-tool', async (ctx) => {
  const { client } = await openSession(ctx);
  let result;
  try {
    result = await client.callTool({ name: 'noSuchTool', arguments: {} }, undefined, { timeout: CHECK_TIMEOUT_MS });
  } catch (err) {
    assert(err instanceof McpError, `expected an McpError, got: ${errString(err)}`);
    assert(err.code === -32602, `error code is ${err.code}, want -32602 (${err.message})`);
    assert(err.message.includes('noSuchTool'), `error message does not name noSuchTool: ${err.message}`);
    return `${err.code}: ${err.message}`;
  }
  throw new CheckFailure(`expected a JSON-RPC error, got a result: ${short(result)}`);
});

check('bad-argument', async (ctx) => {
  const { client } = await openSession(ctx);
  const t1 = expectToolError(await call(client, 'queryCloudRun', { action: 'list', pageSize: 500 }), 'queryCloudRun list pageSize 500');
  assert(t1.includes('pageSize'), `the isError text does not name pageSize: ${short(t1)}`);
  const t2 = expectToolError(await call(client, 'queryCloudRun', { action: 'nope' }), 'queryCloudRun action "nope"');
  assert(t2.includes('action'), `the isError text does not name action: ${short(t2)}`);
  assert(t2.includes('detail'), `the isError text does not list the valid actions (no "detail"): ${short(t2)}`);
});

check('stdout-clean', async (ctx) => {
  // A session that exercises many paths (lists, results, errors, progress, logging), then: the
  // transport raised no error, i.e. every line the server wrote to stdout parsed as JSON-RPC.
  // Sessions of the earlier checks are included too.
  const { client, tap } = await openSession(ctx, {
    setup: (c) => c.setNotificationHandler(LoggingMessageNotificationSchema, () => {}),
  });
  // Only what reaches stdout matters here: the outcome of each call is judged by the other checks.
  const steps = [
    () => client.listTools(undefined, { timeout: CHECK_TIMEOUT_MS }),
    () => client.setLoggingLevel('debug', { timeout: CHECK_TIMEOUT_MS }),
    () => call(client, 'queryCloudRun', { action: 'list' }),
    () => call(client, 'queryCloudRun', { action: 'templates' }),
    () => call(client, 'queryCloudRun', { action: 'detail', detailServerName: 'broken-build' }),
    () => call(client, 'queryCloudRun', { action: 'getDeployLog', detailServerName: 'broken-build' }),
    () => call(client, 'queryCloudRun', { action: 'list', pageSize: 500 }),
    () => call(client, 'manageCloudRun', { action: 'delete', serverName: 'todo-func' }),
    () => client.callTool({ name: 'noSuchTool', arguments: {} }),
    () => initAndDeploy(client, { withProgress: true }),
    () => client.ping({ timeout: CHECK_TIMEOUT_MS }),
  ];
  for (const step of steps) {
    await step().catch(() => {});
  }
  await sleep(100);
  const problems = [];
  for (const s of allSessions) {
    for (const err of s.tap.transportErrors) {
      problems.push(`${s.check}${s.tap === tap ? ' (this session)' : ''}: ${errString(err)}`);
    }
  }
  assert(problems.length === 0, `the transport raised ${problems.length} error(s) (stdout not pure JSON-RPC?): ${short(problems, 2000)}`);
  return `${allSessions.length} sessions, ${allSessions.reduce((n, s) => n + s.tap.received.length, 0)} messages from the server, all JSON-RPC`;
});

// ---------------------------------------------------------------------------------------------
// Runner

async function runCheck({ name, fn }) {
  const ctx = { name, sessions: [], stderr: [], clientErrors: [], tmpDirs: [] };
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
    for (const s of ctx.sessions) {
      await s.client.close().catch(() => {});
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (failure === undefined) {
    console.log(`ok   ${name}${note ? ` (${note})` : ''} [${secs}s]`);
  } else {
    console.log(`FAIL ${name}: ${failure} [${secs}s]`);
    const stderr = ctx.stderr.join('');
    if (ctx.clientErrors.length) {
      console.log(`     client errors: ${short(ctx.clientErrors.map(errString), 2000)}`);
    }
    console.log(stderr.trim() ? indent(`server stderr:\n${stderr.trimEnd()}`) : '     (server stderr was empty)');
  }
  for (const d of ctx.tmpDirs) {
    fs.rmSync(d, { recursive: true, force: true });
  }
  return failure === undefined;
}

function indent(s) {
  return s
    .split('\n')
    .map((l) => `     | ${l}`)
    .join('\n');
}

const only = process.env.CONFORMANCE_ONLY ? new Set(process.env.CONFORMANCE_ONLY.split(',')) : null;
console.log(`cloudbase-mcp conformance: ${BIN}`);
let passed = 0;
let failed = 0;
for (const c of checks) {
  if (only && !only.has(c.name)) continue;
  if (await runCheck(c)) passed++;
  else failed++;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
