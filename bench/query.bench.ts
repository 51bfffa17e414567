import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGatewayApp } from '../src/app.factory.js';
import { ensureDevCheckpointKey } from '../src/audit-log/checkpoint-signer.js';
import { signServiceToken } from '../src/auth/dev-tokens.js';
import { loadGatewayConfig } from '../src/platform/config/config.loader.js';
import { migrateAllRegions } from '../src/platform/database/region-migrator.js';
import { PROJECT_ROOT } from '../src/platform/paths.js';
import { freePort } from '../tools/local-stack/free-port.js';
import { LOCAL_AWS_CREDENTIALS, provisionRegionKey } from '../tools/local-stack/kms-keys.js';
import { MotoKmsServer, ensureMoto } from '../tools/local-stack/moto-kms-server.js';
import { PostgresServer } from '../tools/local-stack/postgres-server.js';
import { printTable } from './bench-runner.js';

/**
 * `npm run bench:query`: cross-border query latency with three regions of 10k records each
 * (the whole stack: a PostgreSQL per region, moto's KMS, the gateway in process), against the
 * same query sent to one region only, in the same run. Target: the fan-out costs about the
 * slowest region (regions run in parallel), not the sum of the three.
 */
const RECORDS_PER_REGION = 10_000;
const MATCHES_PER_REGION = 10;
const ITERATIONS = 300;
const REGIONS = [
  { id: 'us-east-1', jurisdiction: 'US', country: 'US' },
  { id: 'us-west-2', jurisdiction: 'US', country: 'US' },
  { id: 'eu-central-1', jurisdiction: 'EU', country: 'DE' },
];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  process.env['AWS_ACCESS_KEY_ID'] = LOCAL_AWS_CREDENTIALS.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = LOCAL_AWS_CREDENTIALS.secretAccessKey;
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  const dir = mkdtempSync(join(tmpdir(), 'bench-query-'));
  chmodSync(dir, 0o755);
  const servers: { stop(): Promise<void> }[] = [];
  let app: NestFastifyApplication | undefined;
  try {
    const kms = await MotoKmsServer.start({
      python: await ensureMoto(() => undefined),
      port: await freePort(),
      logFile: join(dir, 'moto.log'),
    });
    servers.push(kms);
    const topology = await Promise.all(
      REGIONS.map(async (region) => {
        const server = await PostgresServer.start({
          name: region.id,
          dataDir: join(dir, region.id),
          port: await freePort(),
          ephemeral: true,
        });
        servers.push(server);
        await server.ensureDatabase('bench');
        return {
          id: region.id,
          jurisdiction: region.jurisdiction,
          databaseUrl: server.url('bench'),
          kmsKeyId: await provisionRegionKey(kms.endpoint, region.id, `alias/bench-${region.id}`),
          kmsEndpoint: kms.endpoint,
          poolSize: 20,
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
    const config = loadGatewayConfig({
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
      GATEWAY_LOG_LEVEL: 'error',
    });
    for (const result of await migrateAllRegions(config))
      if (!result.ok) throw new Error(result.error);
    app = await createGatewayApp(config, { logDestination: { write: () => undefined } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = await app.getUrl();
    const token = await signServiceToken(
      { ...(await exportJWK(privateKey)), kid: 'bench', alg: 'EdDSA' },
      {
        service: 'svc:bench',
        region: 'us-east-1',
        roles: ['service'],
        audience: 'residency-gateway',
      },
    );
    const call = async (
      method: string,
      path: string,
      body: unknown,
    ): Promise<Record<string, unknown>> => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-purpose': 'service-delivery',
        },
        body: JSON.stringify(body),
      });
      if (response.status >= 300)
        throw new Error(`${method} ${path}: ${String(response.status)} ${await response.text()}`);
      return (await response.json()) as Record<string, unknown>;
    };

    process.stderr.write(
      `seeding ${String(RECORDS_PER_REGION)} records in each of ${String(REGIONS.length)} regions...\n`,
    );
    const seedStarted = performance.now();
    const homes = new Map<string, string>();
    for (let i = 0; homes.size < REGIONS.length && i < 200; i++) {
      const region = REGIONS.find((r) => !homes.has(r.id)) ?? REGIONS[0];
      const created = await call('POST', '/v1/subjects', { country: region?.country });
      if (!homes.has(String(created['homeRegion'])))
        homes.set(String(created['homeRegion']), String(created['subjectId']));
    }
    await Promise.all(
      [...homes.values()].map(async (subjectId) => {
        let next = 0;
        const worker = async (): Promise<void> => {
          for (let i = next++; i < RECORDS_PER_REGION; i = next++) {
            const videoId = i < MATCHES_PER_REGION ? 'v-popular' : `v-${String(i)}`;
            await call('PUT', `/v1/subjects/${subjectId}/records/watch_event/e${String(i)}`, {
              videoId,
              watchedMs: i,
            });
          }
        };
        await Promise.all(Array.from({ length: 12 }, worker));
      }),
    );
    process.stderr.write(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s\n`);

    const measure = async (jurisdictions: string[] | undefined): Promise<number[]> => {
      const body = {
        collection: 'watch_event',
        where: { videoId: 'v-popular' },
        limit: 100,
        ...(jurisdictions === undefined ? {} : { jurisdictions }),
      };
      for (let i = 0; i < 20; i++) await call('POST', '/v1/query', body);
      const latencies: number[] = [];
      for (let i = 0; i < ITERATIONS; i++) {
        const started = performance.now();
        const result = await call('POST', '/v1/query', body);
        latencies.push(performance.now() - started);
        if (!Array.isArray(result['items'])) throw new Error('no items');
      }
      return latencies;
    };
    const single = await measure(['EU']);
    const fanOut = await measure(undefined);
    const ms = (v: number): string => `${v.toFixed(1)} ms`;
    process.stdout.write(
      `\nquery benchmark: ${String(REGIONS.length)} regions × ${String(RECORDS_PER_REGION)} records, ${String(MATCHES_PER_REGION)} matches per region, ${String(ITERATIONS)} queries each\n\n`,
    );
    printTable([
      ['', 'p50', 'p99', 'mean'],
      [
        'one region (EU)',
        ms(percentile(single, 50)),
        ms(percentile(single, 99)),
        ms(single.reduce((a, b) => a + b, 0) / single.length),
      ],
      [
        'fan-out (3 regions)',
        ms(percentile(fanOut, 50)),
        ms(percentile(fanOut, 99)),
        ms(fanOut.reduce((a, b) => a + b, 0) / fanOut.length),
      ],
      [
        'ratio',
        `${(percentile(fanOut, 50) / percentile(single, 50)).toFixed(2)}×`,
        `${(percentile(fanOut, 99) / percentile(single, 99)).toFixed(2)}×`,
        '',
      ],
    ]);
    process.stdout.write(
      '\n(a sequential fan-out would be about 3× one region; close to 1× means the regions ran in parallel)\n',
    );
  } finally {
    await app?.close();
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
