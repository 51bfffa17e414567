#!/usr/bin/env node
// Installs the locked npm dependencies when node_modules is missing or older than
// package-lock.json, so `npm start` and `npm test` work on a fresh clone with nothing run by
// hand. Plain JavaScript on purpose: it runs before any dependency exists.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lockFile = join(root, 'package-lock.json');
const stampFile = join(root, 'node_modules', '.residency-gateway-deps');

const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
const installed = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (installed === lockHash) process.exit(0);

process.stderr.write('Installing npm dependencies from package-lock.json (npm ci)...\n');
const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=warn'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (result.status !== 0) {
  process.stderr.write('npm ci failed; see the output above.\n');
  process.exit(result.status ?? 1);
}
writeFileSync(stampFile, lockHash + '\n');
