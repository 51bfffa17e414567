import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run, sleep, stopProcess } from './child-process.js';

const MOTO_REQUIREMENT = 'moto[server]>=5.1,<6';
const LAUNCHER = join(PROJECT_ROOT, 'tools', 'local-stack', 'moto_kms_server.py');

/**
 * A Python that can import moto's server, installing `moto[server]` with pip when it is
 * missing, so `npm start` and `npm test` need nothing installed by hand.
 */
export async function ensureMoto(log: (message: string) => void): Promise<string> {
  const python = process.env['PYTHON'] ?? 'python3';
  try {
    await run(python, ['-c', 'import moto.server, moto.kms']);
    return python;
  } catch {
    log(`installing ${MOTO_REQUIREMENT} with pip (the local KMS)...`);
  }
  await run(python, [
    '-m',
    'pip',
    'install',
    '--quiet',
    '--disable-pip-version-check',
    MOTO_REQUIREMENT,
  ]);
  await run(python, ['-c', 'import moto.server, moto.kms']);
  return python;
}

export interface MotoKmsOptions {
  readonly python: string;
  readonly port: number;
  readonly logFile: string;
  /** Keeps KMS keys across restarts (local stack); omitted in tests. */
  readonly stateFile?: string;
}

/** moto's AWS API server on loopback, standing in for each region's KMS endpoint. */
export class MotoKmsServer {
  private constructor(
    readonly endpoint: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: MotoKmsOptions): Promise<MotoKmsServer> {
    const logFd = openSync(options.logFile, 'a');
    const args = [
      LAUNCHER,
      '--port',
      String(options.port),
      ...(options.stateFile === undefined ? [] : ['--state', options.stateFile]),
    ];
    const child = spawn(options.python, args, { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    const server = new MotoKmsServer(`http://127.0.0.1:${String(options.port)}`, child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`the moto KMS server exited during start-up; see ${options.logFile}`);
      try {
        const response = await fetch(`${server.endpoint}/moto-api/data.json`);
        if (response.ok) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`the moto KMS server did not answer within 30 s; see ${options.logFile}`);
      }
      await sleep(150);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM: the launcher saves its key state (if any) and exits. */
  async stop(): Promise<void> {
    await stopProcess(this.child, 'SIGTERM', 10_000);
  }
}
