import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { PROJECT_ROOT } from '../src/platform/paths.js';
import { BenchStack } from './bench-stack.js';
import { seed, type SeededRegion } from './bulk-seeder.js';
import { lineChart } from './chart.js';
import { cpuSeconds, processTree, rssMiB } from './process-stats.js';

/**
 * `npm run bench:e2e`: the gateway end to end over HTTP (autocannon on loopback, 16
 * connections, fixed duration) against raw PostgreSQL doing the same durable work on the same
 * store in the same run:
 *   (a) select one row + insert one audit row + commit,
 *   (b) insert one record row + insert one audit row + commit.
 * Scenarios: warm same-jurisdiction read, cold read (key not cached), 1 KiB create/replace,
 * cross-border masked read, cross-border query over three regions, mixed 90/10 read/write —
 * each with req/s, p50/p99/p99.9, errors, gateway RSS and CPU, KMS calls per 1,000 requests and
 * its ratio to its baseline; for each gateway worker count in BENCH_WORKERS (default "1,2") and
 * each data size in BENCH_SIZES (records per region, default "10000"; e.g. "10000,100000,1000000"
 * shows cost as the data grows, charted under bench/results/). Results: bench/results/e2e-*.json.
 */
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const WORKERS = (process.env['BENCH_WORKERS'] ?? '1,2').split(',').map(Number);
const SIZES = (process.env['BENCH_SIZES'] ?? '10000').split(',').map(Number);
const REGIONS = [
  { id: 'us-east-1', jurisdiction: 'US' },
  { id: 'us-west-2', jurisdiction: 'US' },
  { id: 'eu-central-1', jurisdiction: 'EU' },
];
const MESSAGE = JSON.stringify({
  conversationId: 'c-bench',
  senderId: 'u-1',
  recipientId: 'u-2',
  body: 'm'.repeat(1024),
  sentAt: '2026-11-27T00:00:00Z',
});

interface Measured {
  readonly scenario: string;
  readonly workers: number;
  readonly size: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly errors: number;
  readonly rssMiB: number;
  readonly cpuPercent: number;
  readonly kmsCallsPer1000: number;
  readonly baseline?: string;
  readonly ratio?: number;
}

async function kmsCalls(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith('gateway_kms_calls_total{')) total += Number(line.split(' ').pop());
  return total;
}

/** Raw PostgreSQL doing an audited access's durable minimum, 16 clients, SECONDS. */
async function rawBaseline(
  url: string,
  work: (client: pg.PoolClient) => Promise<void>,
): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  try {
    let done = 0;
    const deadline = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        const client = await pool.connect();
        try {
          while (performance.now() < deadline) {
            await client.query('BEGIN');
            await work(client);
            await client.query('COMMIT');
            done++;
          }
        } finally {
          client.release();
        }
      }),
    );
    return done / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

async function main(): Promise<void> {
  const stack = await BenchStack.start({ regions: REGIONS });
  const results: Measured[] = [];
  const baselines: Record<string, number> = {};
  const seeding: Record<string, number> = {};
  try {
    const eu = stack.config.regions.find((r) => r.id === 'eu-central-1');
    if (eu?.migrationDatabaseUrl === undefined) throw new Error('no EU store');
    const owner = new pg.Pool({ connectionString: eu.migrationDatabaseUrl, max: 2 });
    await owner.query(
      `CREATE TABLE IF NOT EXISTS bench_audit (id bigserial PRIMARY KEY, logged_at timestamptz NOT NULL, leaf bytea NOT NULL);
       CREATE TABLE IF NOT EXISTS bench_records (id bigserial PRIMARY KEY, envelope bytea NOT NULL)`,
    );
    await owner.end();
    const leaf = randomBytes(900);
    const envelope = randomBytes(1024 + 29);

    let seededSoFar = 0;
    let seeded: SeededRegion[] = [];
    for (const size of SIZES) {
      process.stderr.write(`seeding to ${String(size)} records per region...\n`);
      const more = await seed(
        stack.config,
        REGIONS.map((r) => ({
          region: r.id,
          jurisdiction: r.jurisdiction,
          records: size - seededSoFar,
          popular: seededSoFar === 0 ? 10 : 0,
        })),
      );
      seeded =
        seeded.length === 0
          ? more
          : seeded.map((s, i) => ({
              ...s,
              subjects: [...s.subjects, ...(more[i]?.subjects ?? [])],
            }));
      seeding[String(size)] = Math.max(...more.map((m) => m.seconds));
      seededSoFar = size;
      const euSubjects = seeded.find((s) => s.region === 'eu-central-1')?.subjects ?? [];
      const warmSubject = euSubjects[0] ?? '';

      baselines[`a@${String(size)}`] = await rawBaseline(
        eu.migrationDatabaseUrl,
        async (client) => {
          await client.query(
            'SELECT envelope FROM records WHERE subject_id = $1 AND collection = $2 AND record_id = $3',
            [warmSubject, 'profile', 'main'],
          );
          await client.query('INSERT INTO bench_audit (logged_at, leaf) VALUES (now(), $1)', [
            leaf,
          ]);
        },
      );
      baselines[`b@${String(size)}`] = await rawBaseline(
        eu.migrationDatabaseUrl,
        async (client) => {
          await client.query('INSERT INTO bench_records (envelope) VALUES ($1)', [envelope]);
          await client.query('INSERT INTO bench_audit (logged_at, leaf) VALUES (now(), $1)', [
            leaf,
          ]);
        },
      );

      for (const workers of WORKERS) {
        for (const cold of [false, true]) {
          const gateway = await stack.startGateway({
            GATEWAY_WORKERS: String(workers),
            // Cold: a key cache too small to hold the subjects read, so each read unwraps.
            ...(cold ? { GATEWAY_KEY_CACHE_MAX_ENTRIES: '16' } : {}),
          });
          const pids = processTree(gateway.pid);
          const euToken = await stack.token('eu-central-1');
          const usToken = await stack.token('us-east-1');
          const headers = (token: string) => ({
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'x-purpose': 'service-delivery',
          });
          const recordUrl = (subject: string, collection: string, id: string) =>
            `/v1/subjects/${subject}/records/${collection}/${id}`;
          const run = async (
            scenario: string,
            options: autocannon.Options,
            baseline?: string,
            baselineValue?: number,
          ) => {
            await autocannon({ ...options, connections: CONNECTIONS, duration: 1 }); // warm-up
            const kmsBefore = await kmsCalls(gateway.url);
            const cpuBefore = cpuSeconds(pids);
            let peakRss = 0;
            const sampler = setInterval(() => {
              peakRss = Math.max(peakRss, ...rssMiB(processTree(gateway.pid)));
            }, 250);
            const started = performance.now();
            const result = await autocannon({
              ...options,
              connections: CONNECTIONS,
              duration: SECONDS,
            });
            clearInterval(sampler);
            const wall = (performance.now() - started) / 1000;
            const cpu = cpuSeconds(processTree(gateway.pid)) - cpuBefore;
            const kms = (await kmsCalls(gateway.url)) - kmsBefore;
            const rps = result.requests.average;
            const measured: Measured = {
              scenario,
              workers,
              size,
              requestsPerSecond: rps,
              p50: result.latency.p50,
              p99: result.latency.p99,
              p999: result.latency.p99_9,
              errors: result.errors + result.non2xx + result.timeouts,
              rssMiB: Math.round(peakRss),
              cpuPercent: Math.round((cpu / wall) * 100),
              kmsCallsPer1000:
                result.requests.total > 0
                  ? Math.round((kms / result.requests.total) * 1000 * 10) / 10
                  : 0,
              ...(baseline === undefined || baselineValue === undefined
                ? {}
                : { baseline, ratio: rps / baselineValue }),
            };
            results.push(measured);
            process.stderr.write(
              `  ${scenario} (workers ${String(workers)}, ${String(size)}): ${rps.toFixed(0)} req/s p99 ${String(measured.p99)} ms errors ${String(measured.errors)}\n`,
            );
          };

          if (!cold) {
            const warm = `${gateway.url}${recordUrl(warmSubject, 'profile', 'main')}`;
            await run(
              'read, same jurisdiction, warm',
              { url: warm, headers: headers(euToken) },
              'a',
              baselines[`a@${String(size)}`],
            );
            let n = 0;
            await run(
              'write 1 KiB (create/replace)',
              {
                url: gateway.url,
                requests: [
                  {
                    method: 'PUT',
                    headers: headers(euToken),
                    body: MESSAGE,
                    setupRequest: (req) => ({
                      ...req,
                      path: recordUrl(
                        euSubjects[n % euSubjects.length] ?? warmSubject,
                        'direct_message',
                        `m${String(n++ % 5000)}`,
                      ),
                    }),
                  },
                ],
              },
              'b',
              baselines[`b@${String(size)}`],
            );
            const readRate = results.at(-2)?.requestsPerSecond;
            await run(
              'read, cross-border masked (US caller, EU subject)',
              { url: warm, headers: headers(usToken) },
              'same-jurisdiction read',
              readRate,
            );
            await run('query, three regions', {
              url: `${gateway.url}/v1/query`,
              method: 'POST',
              headers: headers(euToken),
              body: JSON.stringify({
                collection: 'watch_event',
                where: { videoId: 'v-popular' },
                limit: 100,
              }),
            });
            let m = 0;
            await run(
              'mixed 90 % read / 10 % write',
              {
                url: gateway.url,
                requests: [
                  {
                    setupRequest: (req) =>
                      m++ % 10 === 9
                        ? {
                            ...req,
                            method: 'PUT',
                            headers: headers(euToken),
                            body: MESSAGE,
                            path: recordUrl(
                              euSubjects[m % euSubjects.length] ?? warmSubject,
                              'direct_message',
                              `x${String(m % 5000)}`,
                            ),
                          }
                        : {
                            ...req,
                            method: 'GET',
                            headers: headers(euToken),
                            body: undefined,
                            path: recordUrl(warmSubject, 'profile', 'main'),
                          },
                  },
                ],
              },
              '0.9 a + 0.1 b',
              0.9 * (baselines[`a@${String(size)}`] ?? 0) +
                0.1 * (baselines[`b@${String(size)}`] ?? 0),
            );
          } else {
            let k = 0;
            await run(
              'read, cold (key not cached)',
              {
                url: gateway.url,
                requests: [
                  {
                    method: 'GET',
                    headers: headers(euToken),
                    setupRequest: (req) => ({
                      ...req,
                      path: recordUrl(
                        euSubjects[k++ % euSubjects.length] ?? warmSubject,
                        'profile',
                        'main',
                      ),
                    }),
                  },
                ],
              },
              'a',
              baselines[`a@${String(size)}`],
            );
          }
          await stack.stopGateways();
        }
      }
    }

    const rate = (n: number) => `${n.toFixed(0)}/s`;
    process.stdout.write(
      `\ne2e benchmark: 3 regions, PostgreSQL 17 durable, ${String(CONNECTIONS)} connections, ${String(SECONDS)} s per run, gateway and PostgreSQL and load generator on the same 2 cores\n`,
    );
    for (const size of SIZES) {
      process.stdout.write(
        `\n${String(size)} records per region (seeded in ${(seeding[String(size)] ?? 0).toFixed(0)} s per region in parallel); raw PG: (a) ${rate(baselines[`a@${String(size)}`] ?? 0)}, (b) ${rate(baselines[`b@${String(size)}`] ?? 0)}\n`,
      );
      const rows = results.filter((r) => r.size === size);
      const widths = [48, 8, 10, 20, 7, 9, 7, 9, 22];
      const line = (cells: string[]) =>
        `${cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join(' ')}\n`;
      process.stdout.write(
        line([
          'scenario',
          'workers',
          'req/s',
          'p50/p99/p99.9 ms',
          'errors',
          'RSS MiB',
          'CPU %',
          'KMS/1k',
          'vs baseline',
        ]),
      );
      for (const r of rows) {
        process.stdout.write(
          line([
            r.scenario,
            String(r.workers),
            r.requestsPerSecond.toFixed(0),
            `${String(r.p50)}/${String(r.p99)}/${String(r.p999)}`,
            String(r.errors),
            String(r.rssMiB),
            String(r.cpuPercent),
            String(r.kmsCallsPer1000),
            r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(0)} % of ${r.baseline ?? ''}`,
          ]),
        );
      }
    }
    const dir = join(PROJECT_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const document = {
      at: new Date().toISOString(),
      seconds: SECONDS,
      connections: CONNECTIONS,
      baselines,
      seeding,
      results,
    };
    writeFileSync(join(dir, `e2e-${stamp}.json`), `${JSON.stringify(document, null, 2)}\n`);
    writeFileSync(join(dir, 'e2e-latest.json'), `${JSON.stringify(document, null, 2)}\n`);
    if (SIZES.length > 1) {
      for (const metric of ['requestsPerSecond', 'p99'] as const) {
        const series = [
          'read, same jurisdiction, warm',
          'write 1 KiB (create/replace)',
          'query, three regions',
        ].map((scenario) => ({
          name: scenario,
          points: SIZES.map((size) => ({
            x: size,
            y:
              results.find(
                (r) => r.scenario === scenario && r.size === size && r.workers === WORKERS[0],
              )?.[metric] ?? 0,
          })),
        }));
        writeFileSync(
          join(dir, `e2e-${metric === 'p99' ? 'p99' : 'throughput'}-by-size.svg`),
          lineChart({
            title:
              metric === 'p99'
                ? 'p99 latency (ms) by records per region'
                : 'requests per second by records per region',
            series,
            logX: true,
          }),
        );
      }
    }
    process.stdout.write(`\nresults: bench/results/e2e-${stamp}.json (and e2e-latest.json)\n`);
  } finally {
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
