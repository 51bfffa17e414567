import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { isAlive, run, sleep, stopProcess } from './child-process.js';
import { findPostgresBinaries } from './postgres-binaries.js';
import { runtimeLoginRoleSql } from '../../src/platform/database/runtime-role.js';

const SUPERUSER = 'gateway';

export interface PostgresServerOptions {
  /** Cluster folder; created and initialised on first use, reused afterwards. */
  readonly dataDir: string;
  readonly port: number;
  /** Label for messages, e.g. the region id. */
  readonly name: string;
  /** Trade durability for speed (tests). */
  readonly ephemeral?: boolean;
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` (or `nobody`) user. */
async function unprivilegedUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number((await run('id', ['-u', user])).trim());
      const gid = Number((await run('id', ['-g', user])).trim());
      return { uid, gid };
    } catch {
      // try the next candidate
    }
  }
  throw new Error(
    'running as root, but neither a postgres nor a nobody user exists to run PostgreSQL',
  );
}

/**
 * Whether the user PostgreSQL will run as can reach `dir` (every ancestor searchable). A
 * checkout under a private folder (mode 0700, owned by root) is not reachable.
 */
export async function serverUserCanReach(dir: string): Promise<boolean> {
  const runAs = await unprivilegedUser();
  if (runAs === undefined) return true;
  try {
    await run('test', ['-x', dir], runAs);
    return true;
  } catch {
    return false;
  }
}

/**
 * One real PostgreSQL server on loopback, owned by this process. Used by `npm start` (one per
 * region, data kept under .local/) and by the test harness (throw-away clusters).
 */
export class PostgresServer {
  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly password: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: PostgresServerOptions): Promise<PostgresServer> {
    const { binDir } = await findPostgresBinaries(serverUserCanReach);
    const runAs = await unprivilegedUser();
    const { dataDir } = options;
    const passwordFile = `${dataDir}.password`;
    // The parent must stay traversable for the unprivileged server user; the cluster is private.
    mkdirSync(dirname(dataDir), { recursive: true, mode: 0o755 });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (!existsSync(passwordFile))
      writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
    const password = readFileSync(passwordFile, 'utf8').trim();
    if (runAs !== undefined) {
      chownSync(dataDir, runAs.uid, runAs.gid);
      chownSync(passwordFile, runAs.uid, runAs.gid);
    }
    chmodSync(dataDir, 0o700);

    await stopLeftoverServer(dataDir);
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await run(
        join(binDir, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          SUPERUSER,
          '-A',
          'scram-sha-256',
          `--pwfile=${passwordFile}`,
          '-E',
          'UTF8',
          '--locale=C',
        ],
        runAs ?? {},
      );
    }

    const settings = [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dataDir}`,
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=32MB',
      ...(options.ephemeral === true
        ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
        : []),
    ];
    const logFd = openSync(`${dataDir}.log`, 'a');
    const child = spawn(
      join(binDir, 'postgres'),
      ['-D', dataDir, '-p', String(options.port), ...settings],
      {
        ...(runAs ?? {}),
        stdio: ['ignore', logFd, logFd],
      },
    );
    closeSync(logFd);
    const server = new PostgresServer(options.name, options.port, password, child);
    await server.waitUntilReady(`${dataDir}.log`);
    return server;
  }

  /** Connection URL for a database on this server, as the superuser (or another role). */
  url(database: string, role?: { readonly name: string; readonly password: string }): string {
    const user = role?.name ?? SUPERUSER;
    const password = role?.password ?? this.password;
    return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${String(this.port)}/${database}`;
  }

  /**
   * The gateway's login role (a member of the runtime group role the migrations grant to),
   * with a password kept beside the cluster; created or refreshed on every start.
   */
  async ensureRuntimeLogin(
    dataDir: string,
    name: string,
  ): Promise<{ name: string; password: string }> {
    const passwordFile = `${dataDir}.${name}.password`;
    if (!existsSync(passwordFile))
      writeFileSync(passwordFile, randomBytes(18).toString('base64url'), { mode: 0o600 });
    const password = readFileSync(passwordFile, 'utf8').trim();
    await this.withAdmin(async (client) => {
      for (const sql of runtimeLoginRoleSql(name, password)) await client.query(sql);
    });
    return { name, password };
  }

  /** Creates `database` unless it exists. */
  async ensureDatabase(database: string): Promise<void> {
    await this.withAdmin(async (client) => {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (found.rowCount === 0)
        await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
    });
  }

  /** Runs `work` with a superuser connection to the `postgres` database. */
  async withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.url('postgres') });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Fast shutdown (SIGINT): rolls back open transactions and exits; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    await stopProcess(this.child, 'SIGINT', 10_000);
  }

  private async waitUntilReady(logFile: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (this.child.exitCode !== null) {
        throw new Error(
          `PostgreSQL for ${this.name} exited during start-up; see ${logFile}:\n${tail(logFile)}`,
        );
      }
      try {
        await this.withAdmin(async (client) => client.query('SELECT 1'));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          await this.stop();
          throw new Error(`PostgreSQL for ${this.name} did not accept connections within 30 s`, {
            cause: error,
          });
        }
        await sleep(100);
      }
    }
  }
}

/** A server left running by a stack that was killed (no chance to clean up) is stopped first. */
async function stopLeftoverServer(dataDir: string): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
