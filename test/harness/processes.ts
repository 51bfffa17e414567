import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { childEnv, tlogCheckBinary } from './harness-state.js';
import type { TestGateway } from './test-gateway.js';

export interface Finished {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a process to completion, capturing its output. */
export async function runProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Finished> {
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}

/** The environment a CLI needs to reach a test gateway's stores, keys and checkpoint sink. */
export function cliEnv(gateway: Pick<TestGateway, 'regions' | 'config'>): NodeJS.ProcessEnv {
  return childEnv({
    GATEWAY_TOPOLOGY: JSON.stringify({
      regions: gateway.regions.regions.map(
        ({ id, jurisdiction, databaseUrl, migrationDatabaseUrl, kmsKeyId, kmsEndpoint }) => ({
          id,
          jurisdiction,
          databaseUrl,
          migrationDatabaseUrl,
          kmsKeyId,
          kmsEndpoint,
        }),
      ),
    }),
    GATEWAY_AUDIT_SIGNING_KEY_FILE: gateway.config.audit.signingKeyFile,
    ...(gateway.config.audit.sink === undefined
      ? {}
      : { GATEWAY_AUDIT_CHECKPOINT_SINK: gateway.config.audit.sink }),
  });
}

/** `residency-gateway <args>` (the real CLI entry point) against a test gateway's stores. */
export async function residencyCli(
  gateway: Pick<TestGateway, 'regions' | 'config'>,
  args: readonly string[],
): Promise<Finished> {
  return runProcess(
    process.execPath,
    [join(PROJECT_ROOT, 'bin', 'residency-gateway.mjs'), ...args],
    cliEnv(gateway),
  );
}

/** The independent Go checker (tools/tlog-check). */
export async function tlogCheck(args: readonly string[]): Promise<Finished> {
  return runProcess(tlogCheckBinary(), args);
}
