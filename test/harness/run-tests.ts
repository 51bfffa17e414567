import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { freePort } from '../../tools/local-stack/free-port.js';
import { LOCAL_AWS_CREDENTIALS } from '../../tools/local-stack/kms-keys.js';
import { MotoKmsServer, ensureMoto } from '../../tools/local-stack/moto-kms-server.js';
import { PostgresServer } from '../../tools/local-stack/postgres-server.js';
import { ensureOpa } from '../../tools/policy/opa-cli.js';
import { ensureTlogCheck } from '../../tools/tlog-check/ensure.js';
import { HARNESS_ENV, type HarnessState } from './harness-state.js';
import { ensureRuntimeLogin } from './runtime-login.js';

/**
 * `npm test`: starts one throw-away PostgreSQL server per test region, runs every unit
 * (`*.spec.js`) and integration/end-to-end (`*.test.js`) file with node's test runner, and
 * tears the servers down whatever happens. Each test file creates its own databases on them.
 */
const SERVER_NAMES = ['pg-a', 'pg-b', 'pg-c'];

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(spec|test)\.js$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function main(): Promise<number> {
  const started = performance.now();
  const filter = process.argv.slice(2);
  const files = [
    ...testFiles(join(PROJECT_ROOT, 'dist', 'src')),
    ...testFiles(join(PROJECT_ROOT, 'dist', 'test')),
  ].filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)));
  if (files.length === 0) {
    process.stderr.write('no test files found; run `npm run build` first\n');
    return 1;
  }

  const workDir = mkdtempSync(join(tmpdir(), 'residency-test-'));
  chmodSync(workDir, 0o755); // the unprivileged PostgreSQL user must reach its folder
  const servers: PostgresServer[] = [];
  let kms: MotoKmsServer | undefined;
  const cleanup = async (): Promise<void> => {
    await Promise.allSettled([...servers.map((server) => server.stop()), kms?.stop()]);
    rmSync(workDir, { recursive: true, force: true });
  };
  const onSignal = (): void => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const python = await ensureMoto((message) => process.stdout.write(`harness: ${message}\n`));
    const motoStarting = MotoKmsServer.start({
      python,
      port: await freePort(),
      logFile: join(workDir, 'moto.log'),
    }).then((server) => (kms = server));
    await Promise.all(
      SERVER_NAMES.map(async (name) => {
        const server = await PostgresServer.start({
          name,
          dataDir: join(workDir, name),
          port: await freePort(),
          ephemeral: true,
        });
        servers.push(server);
      }),
    );
    const runtimePassword = randomBytes(18).toString('base64url');
    await Promise.all(
      servers.map((server) => ensureRuntimeLogin(server.url('postgres'), runtimePassword)),
    );
    const opa = await ensureOpa((message) => process.stdout.write(`harness: ${message}\n`));
    const tlogCheck = await ensureTlogCheck((message) =>
      process.stdout.write(`harness: ${message}\n`),
    );
    const motoServer = await motoStarting;
    const state: HarnessState = {
      kmsEndpoint: motoServer.endpoint,
      runtimePassword,
      servers: SERVER_NAMES.map((name) => {
        const server = servers.find((s) => s.name === name);
        if (server === undefined) throw new Error(`server ${name} did not start`);
        return { name, adminUrl: server.url('postgres') };
      }),
    };
    const stateFile = join(workDir, 'harness.json');
    writeFileSync(stateFile, JSON.stringify(state));
    process.stdout.write(
      `harness: ${String(servers.length)} PostgreSQL servers and a KMS up in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `${String(files.length)} test files\n`,
    );

    const code = await new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [
          '--enable-source-maps',
          '--test',
          '--test-reporter=spec',
          '--test-concurrency=2',
          ...files.map((file) => relative(PROJECT_ROOT, file)),
        ],
        {
          cwd: PROJECT_ROOT,
          env: {
            ...process.env,
            [HARNESS_ENV]: stateFile,
            OPA_BIN: opa,
            TLOG_CHECK_BIN: tlogCheck,
            AWS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
            AWS_EC2_METADATA_DISABLED: 'true',
          },
          stdio: 'inherit',
        },
      );
      child.once('exit', (exitCode, signal) => {
        resolve(exitCode ?? (signal === null ? 1 : 128));
      });
    });
    process.stdout.write(
      `harness: suite finished in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return code;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `test harness failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
