import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { ensureDevCheckpointKey } from '../src/audit-log/checkpoint-signer.js';
import { signServiceToken } from '../src/auth/dev-tokens.js';
import { loadGatewayConfig } from '../src/platform/config/config.loader.js';
import type { GatewayConfig } from '../src/platform/config/gateway-config.js';
import { migrateAllRegions } from '../src/platform/database/region-migrator.js';
import { PROJECT_ROOT } from '../src/platform/paths.js';
import { stopProcess } from '../tools/local-stack/child-process.js';
import { freePort } from '../tools/local-stack/free-port.js';
import { LOCAL_AWS_CREDENTIALS, provisionRegionKey } from '../tools/local-stack/kms-keys.js';
import { MotoKmsServer, ensureMoto } from '../tools/local-stack/moto-kms-server.js';
import { PostgresServer } from '../tools/local-stack/postgres-server.js';

export interface BenchRegion {
  readonly id: string;
  readonly jurisdiction: string;
}

export interface BenchStackOptions {
  readonly regions: readonly BenchRegion[];
  /** fsync and synchronous commit on (durable), as production runs; off only if asked. */
  readonly durable?: boolean;
  readonly poolSize?: number;
  /** Extra gateway environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The whole stack for a benchmark, as `npm start` builds it: a PostgreSQL server per region
 * (the gateway connecting as the runtime role), moto's KMS, dev keys, migrations. The gateway
 * itself runs as a separate process (`startGateway`), so the load generator in this process does
 * not share its event loop.
 */
export class BenchStack {
  private readonly stoppables: { stop(): Promise<void> }[] = [];
  private readonly gateways: ChildProcess[] = [];

  private constructor(
    readonly dir: string,
    readonly env: Readonly<Record<string, string>>,
    readonly config: GatewayConfig,
    readonly servers: ReadonlyMap<string, PostgresServer>,
    private readonly signingKey: JWK,
  ) {}

  static async start(options: BenchStackOptions): Promise<BenchStack> {
    const dir = mkdtempSync(join(tmpdir(), 'bench-'));
    chmodSync(dir, 0o755);
    const stoppables: { stop(): Promise<void> }[] = [];
    try {
      const kms = await MotoKmsServer.start({
        python: await ensureMoto(() => undefined),
        port: await freePort(),
        logFile: join(dir, 'moto.log'),
      });
      stoppables.push(kms);
      const servers = new Map<string, PostgresServer>();
      const topology = await Promise.all(
        options.regions.map(async (region) => {
          const server = await PostgresServer.start({
            name: region.id,
            dataDir: join(dir, region.id),
            port: await freePort(),
            ephemeral: options.durable === false,
          });
          stoppables.push(server);
          servers.set(region.id, server);
          await server.ensureDatabase('bench');
          const runtime = await server.ensureRuntimeLogin(join(dir, region.id), 'residency_app');
          return {
            id: region.id,
            jurisdiction: region.jurisdiction,
            databaseUrl: server.url('bench', runtime),
            migrationDatabaseUrl: server.url('bench'),
            kmsKeyId: await provisionRegionKey(kms.endpoint, region.id, `alias/bench-${region.id}`),
            kmsEndpoint: kms.endpoint,
            poolSize: options.poolSize ?? 20,
          };
        }),
      );
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
        crv: 'Ed25519',
        extractable: true,
      });
      const jwksFile = join(dir, 'jwks.json');
      writeFileSync(
        jwksFile,
        JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA' }] }),
      );
      const checkpointKey = join(dir, 'checkpoint.pem');
      ensureDevCheckpointKey(checkpointKey);
      const env = {
        GATEWAY_TOPOLOGY: JSON.stringify({ regions: topology }),
        GATEWAY_JWKS_FILE: jwksFile,
        GATEWAY_DEVELOPMENT: 'true',
        GATEWAY_POLICY_PUBLIC_KEY_FILE: join(
          PROJECT_ROOT,
          'policies',
          'keys',
          'dev-bundle-signing.pub.pem',
        ),
        GATEWAY_AUDIT_SIGNING_KEY_FILE: checkpointKey,
        GATEWAY_KMS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
        GATEWAY_KMS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
        GATEWAY_LOG_LEVEL: 'error',
        // Its tokens live as long as a run (4 h); the gateway's default maximum is 1 h.
        GATEWAY_JWT_MAX_LIFETIME_SECONDS: String(4 * 3600),
        ...options.env,
      };
      const config = loadGatewayConfig(env);
      for (const result of await migrateAllRegions(config))
        if (!result.ok) throw new Error(result.error);
      const stack = new BenchStack(dir, env, config, servers, {
        ...(await exportJWK(privateKey)),
        kid: 'bench',
        alg: 'EdDSA',
      });
      stack.stoppables.push(...stoppables);
      return stack;
    } catch (error) {
      await Promise.all(stoppables.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** A service token for the bench caller. */
  async token(
    region: string,
    roles: readonly string[] = ['service'],
    service = 'svc:bench',
  ): Promise<string> {
    return signServiceToken(this.signingKey, {
      service,
      region,
      roles,
      audience: 'residency-gateway',
      ttlSeconds: 4 * 3600,
    });
  }

  /** Starts a gateway process (dist/src/main.js) on a free port; resolves once it is ready. */
  async startGateway(
    extraEnv: Readonly<Record<string, string>> = {},
  ): Promise<{ url: string; pid: number }> {
    const port = await freePort();
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ...this.env,
        ...extraEnv,
        HOST: '127.0.0.1',
        PORT: String(port),
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    this.gateways.push(child);
    const url = `http://127.0.0.1:${String(port)}`;
    for (let i = 0; i < 400; i++) {
      if (child.exitCode !== null) throw new Error('the gateway exited during start-up');
      try {
        if ((await fetch(`${url}/readyz`)).ok) return { url, pid: child.pid ?? 0 };
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the gateway did not become ready');
  }

  /** Stops every gateway process started so far (the stores stay). */
  async stopGateways(): Promise<void> {
    const running = this.gateways.splice(0);
    await Promise.all(running.map((child) => stopProcess(child, 'SIGTERM', 10_000)));
  }

  async stop(): Promise<void> {
    await this.stopGateways();
    await Promise.all(this.stoppables.map((s) => s.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
