import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevCheckpointKey } from '../../src/audit-log/checkpoint-signer.js';
import { DEV_WITNESS_NAME, ensureDevWitnessKey } from './dev-witness.js';
import { ensureDevKeys, mintDevToken } from '../../src/auth/dev-tokens.js';
import { LOCAL_STACK_ENV_FILE } from '../../src/cli/cli-config.js';
import { DEVELOPMENT_ISSUER, loadGatewayConfig } from '../../src/platform/config/config.loader.js';
import {
  formatMigrationResult,
  migrateAllRegions,
} from '../../src/platform/database/region-migrator.js';
import { LOCAL_STATE_DIR, PROJECT_ROOT } from '../../src/platform/paths.js';
import { isPortFree, portNear } from './free-port.js';
import { baseProcessEnv, cellEnvironments, type CellPorts } from './cells.js';
import { ensureDevCellPki } from './dev-cell-pki.js';
import { EntryProxy } from './entry-proxy.js';
import { sleep, stopProcess } from './child-process.js';
import { DevOidcProvider, GATEWAY_SCOPE } from '../dev-oidc/dev-oidc-provider.js';
import { DEV_USERS } from '../dev-oidc/dev-users.js';
import {
  LOCAL_GATEWAY_PORT,
  LOCAL_MOTO_PORT,
  LOCAL_OIDC_PORT,
  LOCAL_PEER_PORT,
  LOCAL_REGIONS,
  localDatabaseName,
  localKmsAlias,
} from './default-topology.js';
import { LOCAL_AWS_CREDENTIALS, provisionRegionKey } from './kms-keys.js';
import { MotoKmsServer, ensureMoto } from './moto-kms-server.js';
import { PostgresServer, serverUserCanReach } from './postgres-server.js';
import { StackLock } from './stack-lock.js';

/**
 * `npm start`: the whole gateway on one machine. A PostgreSQL server per region (data kept in
 * .local/ across restarts), moto's KMS where installed, migrations, dev keys, then the gateway
 * in its production shape: one cell (gateway process) per region holding only its own store
 * and key, peers over mutual TLS with a dev CA made on first start, and an entry proxy on PORT
 * that sends each caller to the cell of its region. LOCAL_STACK_TOPOLOGY=single runs one
 * gateway holding every region instead. Ctrl-C or SIGTERM stops every process it started.
 */
/** The console's client at the development OpenID provider, and the gateway's resource there. */
const LOCAL_CONSOLE_CLIENT_ID = 'residency-console';
const LOCAL_CONSOLE_RESOURCE = 'urn:residency-gateway';

function say(message: string): void {
  process.stdout.write(`[local-stack] ${message}\n`);
}

async function main(): Promise<number> {
  const started = performance.now();
  const port = Number(process.env['PORT'] ?? LOCAL_GATEWAY_PORT);
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(LOCAL_STATE_DIR, { recursive: true });
  const lock = StackLock.acquire(join(LOCAL_STATE_DIR, 'stack.lock'), url);
  if (!(lock instanceof StackLock)) {
    process.stderr.write(
      `residency-gateway is already running (pid ${lock.pid}) at ${lock.url}.\n` +
        `Stop it with Ctrl-C in its terminal or \`kill ${lock.pid}\`, then start again.\n`,
    );
    return 1;
  }
  if (!(await isPortFree(port))) {
    lock.release();
    process.stderr.write(`port ${port} is in use; set PORT to another port.\n`);
    return 1;
  }

  const servers: { stop(): Promise<void> }[] = [];
  const gateways: ChildProcess[] = [];
  let entry: EntryProxy | undefined;
  let oidc: DevOidcProvider | undefined;
  let stopping = false;
  const shutdown = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say('stopping...');
      await entry?.stop();
      await Promise.all(gateways.map((gateway) => stopProcess(gateway, 'SIGTERM', 10_000)));
      await Promise.all(servers.map((server) => server.stop()));
      await oidc?.close();
      lock.release();
      say('stopped.');
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  // If whatever started us (npm, a terminal) dies without signalling, we are re-parented:
  // stop too rather than leave servers running with nobody to stop them.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(0);
  }, 1000).unref();

  try {
    const keys = await ensureDevKeys(join(LOCAL_STATE_DIR, 'keys'));
    const checkpointKey = join(LOCAL_STATE_DIR, 'keys', 'audit-checkpoint.key.pem');
    ensureDevCheckpointKey(checkpointKey);
    // A dev witness the gateway accepts cosignatures from (see `audit witness` in the README).
    const witnessKey = join(LOCAL_STATE_DIR, 'keys', 'dev-witness.key.pem');
    const witnessVkey = ensureDevWitnessKey(witnessKey, DEV_WITNESS_NAME);

    const postgresRoot = await localPostgresRoot();
    say(`starting PostgreSQL for ${LOCAL_REGIONS.map((r) => r.id).join(', ')}...`);
    const postgres = await Promise.all(
      LOCAL_REGIONS.map(async (region) => {
        const server = await PostgresServer.start({
          name: region.id,
          dataDir: join(postgresRoot, region.id),
          port: await portNear(region.preferredPort),
        });
        servers.push(server);
        await server.ensureDatabase(localDatabaseName(region.id));
        const runtime = await server.ensureRuntimeLogin(
          join(postgresRoot, region.id),
          'residency_app',
        );
        return { region, server, runtime };
      }),
    );

    const python = await ensureMoto(say);
    const kms = await MotoKmsServer.start({
      python,
      port: await portNear(LOCAL_MOTO_PORT),
      logFile: join(LOCAL_STATE_DIR, 'moto.log'),
      stateFile: join(LOCAL_STATE_DIR, 'kms-state.json'),
    });
    servers.push(kms);
    const kmsKeys = new Map(
      await Promise.all(
        LOCAL_REGIONS.map(
          async (region) =>
            [
              region.id,
              await provisionRegionKey(kms.endpoint, region.id, localKmsAlias(region.id)),
            ] as const,
        ),
      ),
    );
    say(`KMS (moto) at ${kms.endpoint}, one key per region`);

    const single = process.env['LOCAL_STACK_TOPOLOGY'] === 'single';
    const cellPorts = new Map<string, CellPorts>();
    if (!single) {
      for (const [index, region] of LOCAL_REGIONS.entries()) {
        cellPorts.set(region.id, {
          port: await portNear(port + 1 + index),
          peerPort: await portNear(LOCAL_PEER_PORT + index),
        });
      }
    }
    // People sign in to the console with a development OpenID provider (DEV USERS, no password).
    oidc = await DevOidcProvider.start({
      host: '127.0.0.1',
      port: await portNear(LOCAL_OIDC_PORT),
      consoleOrigins: [
        url,
        `http://localhost:${String(port)}`,
        ...[...cellPorts.values()].map((cell) => `http://127.0.0.1:${String(cell.port)}`),
      ],
      clientId: LOCAL_CONSOLE_CLIENT_ID,
      audience: 'residency-gateway',
      resource: LOCAL_CONSOLE_RESOURCE,
    });
    say(`development OpenID provider at ${oidc.issuer}`);
    const topologyFile = join(LOCAL_STATE_DIR, 'topology.json');
    const topology = {
      regions: postgres.map(({ region, server, runtime }) => ({
        id: region.id,
        jurisdiction: region.jurisdiction,
        // The gateway connects as the runtime role (it may append to the audit log, never
        // change it); migrations run as the owner.
        databaseUrl: server.url(localDatabaseName(region.id), runtime),
        migrationDatabaseUrl: server.url(localDatabaseName(region.id)),
        kmsKeyId: kmsKeys.get(region.id) ?? '',
        kmsEndpoint: kms.endpoint,
        // Where the region's own gateway answers (for tools; each cell is told its peers).
        gatewayUrl: single
          ? url
          : `http://127.0.0.1:${String(cellPorts.get(region.id)?.port ?? port)}`,
      })),
    };
    writeFileSync(topologyFile, JSON.stringify(topology, null, 2) + '\n', { mode: 0o600 });

    // What the gateway is configured with, kept in .local/ so every CLI command works
    // against this stack with nothing exported by hand (the CLI sees every region's store).
    const shared = {
      GATEWAY_JWKS_FILE: keys.jwksFile,
      // The issuer of the dev tokens this stack (and `npm run token`) signs.
      GATEWAY_JWT_ISSUER: DEVELOPMENT_ISSUER,
      GATEWAY_AUDIT_SIGNING_KEY_FILE: checkpointKey,
      GATEWAY_AUDIT_CHECKPOINT_SINK: `dir:${join(LOCAL_STATE_DIR, 'audit-sink')}`,
      GATEWAY_AUDIT_WITNESSES: witnessVkey,
      // The committed dev bundle is signed with the DEV ONLY key in policies/keys.
      GATEWAY_DEVELOPMENT: 'true',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: join(
        PROJECT_ROOT,
        'policies',
        'keys',
        'dev-bundle-signing.pub.pem',
      ),
      GATEWAY_KMS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
      GATEWAY_KMS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      GATEWAY_OIDC_ISSUER: oidc.issuer,
      GATEWAY_OIDC_JWKS_URL: oidc.jwksUrl,
      GATEWAY_OIDC_CLIENT_ID: LOCAL_CONSOLE_CLIENT_ID,
      GATEWAY_OIDC_SCOPE: `openid profile ${GATEWAY_SCOPE}`,
      GATEWAY_OIDC_RESOURCE: LOCAL_CONSOLE_RESOURCE,
    };
    const stackEnv = { GATEWAY_TOPOLOGY_FILE: topologyFile, ...shared };
    writeFileSync(LOCAL_STACK_ENV_FILE, JSON.stringify(stackEnv, null, 2) + '\n', { mode: 0o600 });
    const passed = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined &&
          /^(GATEWAY_|AWS_)/.test(entry[0]) &&
          // What makes a cell a cell is the stack's to set, not the shell's.
          !/^GATEWAY_(TOPOLOGY|PEERS|PEER_PORT|CELL_)/.test(entry[0]),
      ),
    );
    const common = {
      ...shared,
      GATEWAY_LOG_FORMAT: 'pretty',
      AWS_EC2_METADATA_DISABLED: 'true',
      ...passed,
    };
    const config = loadGatewayConfig({ ...process.env, ...stackEnv });
    for (const result of await migrateAllRegions(config))
      say(`migrate ${formatMigrationResult(result)}`);

    const launch = (name: string, env: Record<string, string>): void => {
      const gateway = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
        env,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      gateways.push(gateway);
      gateway.once('exit', (code) => {
        if (!stopping) {
          say(`${name} exited (${String(code)}); stopping the stack`);
          void shutdown(code === 0 ? 1 : (code ?? 1));
        }
      });
    };
    const cellUrls = new Map<string, string>();
    if (single) {
      launch('the gateway', {
        ...process.env,
        ...stackEnv,
        ...common,
        HOST: '127.0.0.1',
        PORT: String(port),
      });
      await waitForReady(url);
    } else {
      const tls = await ensureDevCellPki(
        join(LOCAL_STATE_DIR, 'cells'),
        LOCAL_REGIONS.map((region) => region.id),
      );
      // Each cell process gets its own region's store and key, and its peers' peer-port URLs.
      const environments = cellEnvironments(topology.regions, cellPorts, tls, {
        ...baseProcessEnv(),
        GATEWAY_WORKERS: '1',
        ...common,
      });
      for (const [region, env] of environments) {
        launch(`the ${region} cell`, env);
        cellUrls.set(region, `http://127.0.0.1:${env['PORT'] ?? ''}`);
      }
      await Promise.all([...cellUrls.values()].map((cellUrl) => waitForReady(cellUrl)));
      entry = await EntryProxy.start(
        '127.0.0.1',
        port,
        cellUrls,
        cellUrls.values().next().value ?? url,
      );
    }

    // As long as the gateway lets a token live (GATEWAY_JWT_MAX_LIFETIME_SECONDS).
    const ttlSeconds = config.auth.maxLifetimeSeconds;
    const token = await mintDevToken(join(LOCAL_STATE_DIR, 'keys'), {
      service: 'svc:feed',
      region: 'us-east-1',
      roles: ['service'],
      audience: config.auth.audience,
      issuer: config.auth.issuer,
      ttlSeconds,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      [
        '',
        `residency-gateway is running at ${url} (ready in ${seconds} s)`,
        single
          ? `  regions:   ${topology.regions.map((r) => `${r.id} (${r.jurisdiction})`).join(', ')} in one process`
          : `  cells:     ${[...cellUrls].map(([id, cellUrl]) => `${id} ${cellUrl}`).join(', ')}\n` +
            `             (${url} sends each caller to the cell of its token's region)`,
        `  topology:  ${topologyFile}`,
        `  API docs:  ${url}/docs`,
        `  console:   ${url}/console  (sign in as a dev user: ${DEV_USERS.map((u) => u.id).join(', ')})`,
        '',
        `A dev token for svc:feed in us-east-1 (role service, valid ${String(Math.round(ttlSeconds / 60))} min):`,
        `  export TOKEN=${token}`,
        'Create a subject:',
        `  curl -s -X POST ${url}/v1/subjects -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"country":"US"}'`,
        'More tokens: npm run token -- --service svc:feed --region eu-central-1 --roles service',
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
    await new Promise(() => undefined);
    return 0;
  } catch (error) {
    process.stderr.write(
      `[local-stack] failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return shutdown(1);
  }
}

/**
 * Where the regions' PostgreSQL data lives: .local/postgres, unless the unprivileged server
 * user cannot reach the checkout (a private folder while running as root). Then the data goes
 * to a folder of its own under the system temp dir, and .local/postgres links to it.
 */
async function localPostgresRoot(): Promise<string> {
  const preferred = join(LOCAL_STATE_DIR, 'postgres');
  if (lstatSync(preferred, { throwIfNoEntry: false })?.isSymbolicLink() === true) {
    const target = readlinkSync(preferred);
    mkdirSync(target, { recursive: true, mode: 0o755 }); // the temp dir may have been cleaned
    return target;
  }
  if (await serverUserCanReach(LOCAL_STATE_DIR)) return preferred;
  const key = createHash('sha256').update(PROJECT_ROOT).digest('hex').slice(0, 12);
  const fallback = join(tmpdir(), `residency-gateway-${key}`);
  mkdirSync(fallback, { recursive: true, mode: 0o755 });
  chmodSync(fallback, 0o755);
  if (!existsSync(preferred)) symlinkSync(fallback, preferred);
  say(`the checkout is not reachable by the PostgreSQL user; keeping data in ${fallback}`);
  return fallback;
}

async function waitForReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`the gateway did not become ready at ${url}/readyz within 60 s`);
}

void main().then((code) => process.exit(code));
