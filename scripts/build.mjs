#!/usr/bin/env node
// Builds dist/ only when a source changed, incrementally, and never deletes dist/ (a running
// gateway is served from it). Compiled files whose source is gone are removed, so a deleted
// test never runs again. Plain JavaScript: it runs before anything is compiled.
//
//   node scripts/build.mjs            build if stale (what npm start, npm test and the CLI do)
//   node scripts/build.mjs --force    build even if nothing changed
//
// The console (console/, Preact + TypeScript) is bundled with esbuild into dist/console, with
// gzipped copies the gateway serves; it has its own fingerprint, so a gateway-only change does
// not rebundle it (its type check is `npm run typecheck`).
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const stampFile = join(dist, '.build-stamp');
const lockDir = join(dist, '.build-lock');
const SOURCE_ROOTS = ['src', 'test', 'tools', 'bench'];
const INPUTS = ['tsconfig.json', 'package-lock.json'];

function sources() {
  const files = [];
  for (const top of SOURCE_ROOTS) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && entry.name.endsWith('.ts'))
        files.push(join(entry.parentPath, entry.name));
    }
  }
  return files.sort();
}

/** A hash of every compiled input's path and content: unchanged tree, unchanged hash. */
function fingerprint(files) {
  const hash = createHash('sha256');
  for (const file of [...files, ...INPUTS.map((f) => join(root, f))]) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

/** Removes dist/<root>/**.js(.map) whose .ts source no longer exists. */
function prune(files) {
  const expected = new Set(files.map((file) => relative(root, file).replace(/\.ts$/, '')));
  let removed = 0;
  for (const top of SOURCE_ROOTS) {
    const dir = join(dist, top);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const match = /^(.*)\.js(\.map)?$/.exec(entry.name);
      if (match === null) continue;
      const source = relative(dist, join(entry.parentPath, match[1]));
      if (!expected.has(source)) {
        rmSync(join(entry.parentPath, entry.name));
        removed++;
      }
    }
  }
  return removed;
}

/** One build at a time: a second caller waits for the first (a stale lock is taken over). */
function lock() {
  mkdirSync(dist, { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return;
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(lockDir, 'pid'), 'utf8'));
      } catch {
        // being created or removed right now
      }
      const alive = Number.isInteger(holder) && holder > 0 && isAlive(holder);
      const age = existsSync(lockDir) ? Date.now() - statSync(lockDir).mtimeMs : 0;
      if ((!alive && age > 2000) || Date.now() > deadline)
        rmSync(lockDir, { recursive: true, force: true });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

const CONSOLE_DIR = join(root, 'console');
const CONSOLE_DIST = join(dist, 'console');
const CONSOLE_STAMP = join(CONSOLE_DIST, '.build-stamp');

function consoleFiles() {
  return readdirSync(CONSOLE_DIR, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(tsx?|html|css|json)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Bundles the console when its sources (or the lock file) changed. */
async function buildConsole(force) {
  if (!existsSync(CONSOLE_DIR)) return;
  const files = consoleFiles();
  const hash = createHash('sha256');
  for (const file of [...files, join(root, 'package-lock.json')]) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const wanted = hash.digest('hex');
  const current = existsSync(CONSOLE_STAMP) ? readFileSync(CONSOLE_STAMP, 'utf8').trim() : '';
  if (!force && current === wanted) return;
  const started = Date.now();
  const { build } = await import('esbuild');
  mkdirSync(CONSOLE_DIST, { recursive: true });
  const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' };
  await build({
    ...common,
    entryPoints: [join(CONSOLE_DIR, 'src', 'main.tsx')],
    outfile: join(CONSOLE_DIST, 'app.js'),
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
  });
  await build({
    ...common,
    entryPoints: [join(CONSOLE_DIR, 'console.css')],
    outfile: join(CONSOLE_DIST, 'console.css'),
  });
  writeFileSync(join(CONSOLE_DIST, 'index.html'), readFileSync(join(CONSOLE_DIR, 'index.html')));
  let gzipped = 0;
  for (const name of ['index.html', 'app.js', 'console.css']) {
    const gz = gzipSync(readFileSync(join(CONSOLE_DIST, name)), { level: 9 });
    writeFileSync(join(CONSOLE_DIST, `${name}.gz`), gz);
    gzipped += gz.length;
  }
  writeFileSync(CONSOLE_STAMP, `${wanted}\n`);
  process.stderr.write(
    `console bundled in ${((Date.now() - started) / 1000).toFixed(1)} s (${gzipped} bytes gzipped)\n`,
  );
}

const force = process.argv.includes('--force');
await buildConsole(force);
let files = sources();
let wanted = fingerprint(files);
const current = () => (existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '');
if (!force && current() === wanted) process.exit(0);

lock();
try {
  files = sources();
  wanted = fingerprint(files);
  if (force || current() !== wanted) {
    const started = Date.now();
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = spawnSync(
      process.execPath,
      [
        tsc,
        '-p',
        'tsconfig.json',
        '--incremental',
        '--tsBuildInfoFile',
        join(dist, '.tsbuildinfo'),
      ],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (result.status !== 0) {
      process.stderr.write('build failed: see the TypeScript errors above.\n');
      process.exit(result.status ?? 1);
    }
    const removed = prune(files);
    writeFileSync(stampFile, `${wanted}\n`);
    process.stderr.write(
      `built in ${((Date.now() - started) / 1000).toFixed(1)} s` +
        (removed > 0 ? ` (removed ${removed} files of deleted sources)` : '') +
        '\n',
    );
  }
} finally {
  rmSync(lockDir, { recursive: true, force: true });
}
