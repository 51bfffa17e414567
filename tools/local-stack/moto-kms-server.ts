import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, stopProcess } from './child-process.js';

/** `moto_server` on PATH, or undefined. */
export function findMotoServer(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'moto_server'))) return join(dir, 'moto_server');
  }
  return undefined;
}

/** moto's AWS API server on loopback, standing in for each region's KMS endpoint locally. */
export class MotoKmsServer {
  private constructor(
    readonly endpoint: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(executable: string, port: number, logFile: string): Promise<MotoKmsServer> {
    const logFd = openSync(logFile, 'a');
    const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', logFd, logFd],
    });
    closeSync(logFd);
    const server = new MotoKmsServer(`http://127.0.0.1:${port}`, child);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`moto_server exited during start-up; see ${logFile}`);
      try {
        const response = await fetch(`${server.endpoint}/moto-api/data.json`);
        if (response.ok) return server;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await server.stop();
        throw new Error(`moto_server did not answer within 30 s; see ${logFile}`);
      }
      await sleep(150);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  async stop(): Promise<void> {
    await stopProcess(this.child, 'SIGTERM', 5000);
  }
}
