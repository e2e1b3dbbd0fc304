#!/usr/bin/env node
// Starts the cloudbase-mcp binary for this platform. The binary ships in a
// per-platform package listed in optionalDependencies; npm installs only the
// one whose "os" and "cpu" match (the esbuild pattern). stdin, stdout and
// stderr are the binary's own (inherited), so MCP over stdio passes through
// untouched and this wrapper never writes to stdout.
'use strict';

const { spawn } = require('node:child_process');
const os = require('node:os');

const SCOPE = '@cloudbase-mcp';
const NAME = 'cloudbase-mcp';
const target = `${process.platform}-${process.arch}`;
const pkg = `${SCOPE}/${NAME}-${target}`;
const exe = process.platform === 'win32' ? `${NAME}.exe` : NAME;

function fail(message) {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(1);
}

let bin;
try {
  bin = require.resolve(`${pkg}/bin/${exe}`);
} catch {
  const supported = require('../package.json').optionalDependencies || {};
  const targets = Object.keys(supported).map((name) => name.slice(`${SCOPE}/${NAME}-`.length));
  fail(
    supported[pkg] === undefined
      ? `no build for ${target} (builds exist for ${targets.join(', ')}). ` +
          'Build from source instead: go install github.com/cloudbase-mcp/cloudbase-mcp/cmd/cloudbase-mcp@latest'
      : `${pkg} is not installed (was npm run with --omit=optional or --no-optional?). ` +
          `Reinstall without that flag, or install ${pkg} yourself.`,
  );
}

const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });

// A host stops the server by closing stdin or with a signal: pass signals on
// and let the binary's own shutdown (within 2 s) decide when we exit.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    try {
      child.kill(signal);
    } catch {
      // the child is already gone, or the platform cannot send this signal
    }
  });
}

child.on('error', (err) => fail(`could not start ${bin}: ${err.message}`));
child.on('exit', (code, signal) => {
  if (signal) {
    process.exit(128 + (os.constants.signals[signal] || 1));
  }
  process.exit(code === null ? 1 : code);
});
