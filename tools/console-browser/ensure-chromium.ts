import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome'];

function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

function find(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv !== undefined && existsSync(fromEnv)) return fromEnv;
  for (const name of CANDIDATES) {
    const path = onPath(name);
    if (path !== undefined) return path;
  }
  return undefined;
}

export type ChromiumLookup =
  { readonly found: true; readonly path: string } | { readonly found: false; readonly why: string };

/**
 * Debian's Chromium for the console's browser tests: on PATH (or CHROMIUM_PATH), else
 * installed with `apt-get install -y chromium` when this process may (root with apt-get).
 * When it cannot be had, says why, so the caller skips loudly, never silently.
 */
export function ensureChromium(say: (message: string) => void): ChromiumLookup {
  const present = find();
  if (present !== undefined) return { found: true, path: present };
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || onPath('apt-get') === undefined) {
    return {
      found: false,
      why: root
        ? 'no chromium on PATH and no apt-get to install it (set CHROMIUM_PATH)'
        : 'no chromium on PATH and not root to apt-get install it: run `sudo apt-get install -y chromium` (or set CHROMIUM_PATH)',
    };
  }
  say('installing Debian chromium for the console browser tests (apt-get, once)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  if (install.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'ignore', env });
    install = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
    });
  }
  const installed = find();
  if (installed !== undefined) return { found: true, path: installed };
  return {
    found: false,
    why: `apt-get install chromium failed: ${install.stderr.toString().trim().split('\n').slice(-3).join(' | ')}`,
  };
}
