import { readFileSync } from 'node:fs';

/** What `npm test`'s runner tells the test processes: one PostgreSQL server per test region. */
export interface HarnessState {
  readonly servers: readonly { readonly name: string; readonly adminUrl: string }[];
  /** moto's KMS API, shared by all test files (each creates keys of its own). */
  readonly kmsEndpoint: string;
  /** Password of the runtime login role on every test server. */
  readonly runtimePassword: string;
}

export const HARNESS_ENV = 'RESIDENCY_TEST_HARNESS';

export function readHarnessState(): HarnessState {
  const file = process.env[HARNESS_ENV];
  if (file === undefined) {
    throw new Error(
      `${HARNESS_ENV} is not set: run the integration tests through \`npm test\`, which starts PostgreSQL.`,
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as HarnessState;
}

/** Folder where a test may put servers of its own (inside the harness's throw-away folder). */
export function harnessWorkDir(): string {
  const file = process.env[HARNESS_ENV];
  if (file === undefined)
    throw new Error(`${HARNESS_ENV} is not set: run the tests through \`npm test\`.`);
  return file.slice(0, file.lastIndexOf('/'));
}

/** The pinned OPA CLI the harness installed (see tools/policy/opa-cli.ts). */
export function opaBinary(): string {
  return process.env['OPA_BIN'] ?? '.tools/bin/opa';
}

/** The independent Go checker of the transparency log (tools/tlog-check), built by the harness. */
export function tlogCheckBinary(): string {
  return process.env['TLOG_CHECK_BIN'] ?? '.tools/bin/tlog-check';
}

/** The environment for a child process a test starts (the CLI, a gateway), plus `extra`. */
export function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
