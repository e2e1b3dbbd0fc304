// Reference packer driver for bench/compare (written next to the reference's
// node_modules and run with node). It times one call of @cloudbase/manager-node's
// zip step on a directory and prints one JSON line.
//
//   node refzip.cjs codeToZip     <dir> <out.zip>
//       cloudrun deploy path (manageCloudRun deploy → CloudRunService.deploy →
//       codeToZip(dir, {installDependency: true})): archiver zip level 1, the
//       whole archive buffered in memory; skips directories named logs, .git
//       and node_modules at any depth; no ignore-file support.
//   node refzip.cjs compressToZip <dir> <out.zip> '<json globs>'
//       functions / CloudApp path (utils.compressToZip): archiver zip (default
//       zlib level) streamed to a file, files from a glob with ignore patterns.
//
// The timed span is the call alone (modules are loaded before it). For
// codeToZip the buffer it returns is then written to <out.zip>, untimed, so the
// bench can read its central directory.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const [mode, dir, out, globs] = process.argv.slice(2);
  const lib = path.join(__dirname, 'node_modules', '@cloudbase', 'manager-node', 'lib');
  let fn;
  if (mode === 'codeToZip') {
    fn = require(path.join(lib, 'cloudrun')).codeToZip;
  } else if (mode === 'compressToZip') {
    fn = require(path.join(lib, 'utils')).compressToZip;
  } else {
    throw new Error('unknown mode ' + mode);
  }
  if (typeof fn !== 'function') throw new Error(mode + ' is not exported by this @cloudbase/manager-node');
  const t0 = process.hrtime.bigint();
  let zipBytes;
  if (mode === 'codeToZip') {
    const buf = await fn(dir, { installDependency: true });
    const ns = process.hrtime.bigint() - t0;
    zipBytes = buf.length;
    const hwm = selfHWM();
    fs.writeFileSync(out, buf);
    print(ns, zipBytes, hwm);
  } else {
    await fn({ dirPath: dir, outputPath: out, ignore: JSON.parse(globs || '[]') });
    const ns = process.hrtime.bigint() - t0;
    print(ns, fs.statSync(out).size, selfHWM());
  }
}

// VmHWM of this process in KiB (process.resourceUsage().maxRSS would include
// the parent's high-water mark on Linux; see bench/internal/proctree).
function selfHWM() {
  const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : 0;
}

function print(ns, zipBytes, hwmKB) {
  process.stdout.write(JSON.stringify({ seconds: Number(ns) / 1e9, zipBytes, hwmKB }) + '\n');
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});
