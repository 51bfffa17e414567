import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { join } from 'node:path';
import { createGatewayApp } from '../../src/app.factory.js';
import { ensureDevCheckpointKey } from '../../src/audit-log/checkpoint-signer.js';
import { TransparencyLog } from '../../src/audit-log/transparency-log.js';
import { loadGatewayConfig } from '../../src/platform/config/config.loader.js';
import type { GatewayConfig } from '../../src/platform/config/gateway-config.js';
import { migrateAllRegions } from '../../src/platform/database/region-migrator.js';
import { CapturingLogger } from './capturing-logger.js';
import { harnessWorkDir } from './harness-state.js';
import { TestKeys } from './test-keys.js';
import { TestRegions } from './test-regions.js';
import { sendJson } from './http-client.js';

export interface TestResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  /** Bearer token; omitted for anonymous requests. */
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** X-Purpose; `service-delivery` by default on authenticated requests, `null` to omit it. */
  readonly purpose?: string | null;
}

export interface TestGatewayOptions {
  readonly regions?: TestRegions;
  /** Token keys to trust; pass another gateway's so its tokens work here too. */
  readonly keys?: TestKeys;
  /** Extra environment for the config loader. */
  readonly env?: Readonly<Record<string, string>>;
  /** Listen on this loopback port (default: any free one). */
  readonly port?: number;
}

/** A real gateway on a loopback port, over real regional PostgreSQL stores, for one test file. */
export class TestGateway {
  private constructor(
    readonly app: NestFastifyApplication,
    readonly url: string,
    readonly config: GatewayConfig,
    readonly regions: TestRegions,
    readonly keys: TestKeys,
    readonly logs: CapturingLogger,
    private readonly ownsRegions: boolean,
  ) {}

  static async start(options: TestGatewayOptions = {}): Promise<TestGateway> {
    const regions = options.regions ?? (await TestRegions.create());
    const keys = options.keys ?? (await TestKeys.create(harnessWorkDir()));
    const config = TestGateway.config(regions, keys, options.env);
    const migrations = await migrateAllRegions(config);
    const failed = migrations.filter((m) => !m.ok);
    if (failed.length > 0) throw new Error(`test migrations failed: ${JSON.stringify(failed)}`);
    const logs = new CapturingLogger();
    const app = await createGatewayApp(config, { logDestination: logs });
    await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
    return new TestGateway(
      app,
      await app.getUrl(),
      config,
      regions,
      keys,
      logs,
      options.regions === undefined,
    );
  }

  /** The config a gateway over `regions` would load from its environment. */
  static config(
    regions: TestRegions,
    keys: TestKeys,
    env: Readonly<Record<string, string>> = {},
  ): GatewayConfig {
    return loadGatewayConfig({
      GATEWAY_TOPOLOGY: JSON.stringify({
        regions: regions.regions.map(
          ({
            id,
            jurisdiction,
            databaseUrl,
            migrationDatabaseUrl,
            kmsKeyId,
            kmsEndpoint,
            poolSize,
          }) => ({
            id,
            jurisdiction,
            databaseUrl,
            migrationDatabaseUrl,
            kmsKeyId,
            kmsEndpoint,
            poolSize,
          }),
        ),
      }),
      GATEWAY_JWKS_FILE: keys.jwksFile,
      GATEWAY_JWT_ISSUER: keys.issuer,
      GATEWAY_INSTANCE_ID: 'test-gateway',
      GATEWAY_DEVELOPMENT: 'true',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: 'policies/keys/dev-bundle-signing.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: TestGateway.checkpointKeyFile(),
      GATEWAY_AUDIT_INTEGRATION_MS: '50',
      GATEWAY_AUDIT_CHECKPOINT_SINK: `dir:${join(harnessWorkDir(), `sink-${regions.regions[0]?.databaseUrl.split('/').pop() ?? 'x'}`)}`,
      ...env,
    });
  }

  /** One checkpoint signing key per test process. */
  static checkpointKeyFile(): string {
    const file = join(harnessWorkDir(), `audit-checkpoint-${String(process.pid)}.pem`);
    ensureDevCheckpointKey(file);
    return file;
  }

  async token(...args: Parameters<TestKeys['token']>): Promise<string> {
    return this.keys.token(...args);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<TestResponse<T>> {
    return sendJson<T>(`${this.url}${path}`, method, options);
  }

  /** Stops the gateway; drops the stores too unless they were handed in (shared by gateways). */
  async close(): Promise<void> {
    await this.app.close();
    if (this.ownsRegions) await this.regions.drop();
  }

  /** Runs integration rounds of every region until nothing is queued (deterministic waits). */
  async integrate(): Promise<void> {
    const log = this.app.get(TransparencyLog);
    for (const region of this.regions.regions) {
      for (let round = 0; round < 100; round++) {
        const result = await log.integrateNow(region.id);
        const backlog = await this.regions.query<{ n: string }>(
          region.id,
          'SELECT count(*)::text AS n FROM audit_pending',
        );
        if (result.integrated === 0 && backlog[0]?.n === '0') break;
        if (result.integrated === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /** Current value of a Prometheus counter line, e.g. `gateway_kms_calls_total{region="x",operation="Decrypt"}`. */
  async metric(series: string): Promise<number> {
    const text = (await this.request<string>('GET', '/metrics')).text;
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? 0 : Number(line.slice(series.length + 1));
  }
}
