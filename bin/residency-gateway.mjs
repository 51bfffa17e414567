#!/usr/bin/env node
// The CLI's entry point (`residency-gateway <command>`, and the `npm run` names). Installs the
// locked dependencies if missing, builds only what changed, then runs the compiled CLI.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const script of ['ensure-deps.mjs', 'build.mjs']) {
  const result = spawnSync(process.execPath, [join(root, 'scripts', script)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
const { runCli } = await import(pathToFileURL(join(root, 'dist', 'src', 'cli', 'main.js')).href);
process.exit(await runCli(process.argv.slice(2)));
