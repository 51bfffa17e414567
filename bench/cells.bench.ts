import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { PROJECT_ROOT } from '../src/platform/paths.js';
import { sleep, stopProcess } from '../tools/local-stack/child-process.js';
import { baseProcessEnv, cellEnvironments, type CellPorts } from '../tools/local-stack/cells.js';
import { ensureDevCellPki, type CellTlsFiles } from '../tools/local-stack/dev-cell-pki.js';
import { freePort } from '../tools/local-stack/free-port.js';
import { BenchStack, percentile } from './bench-stack.js';
import { seed } from './bulk-seeder.js';
import { cpuSeconds, processTree } from './process-stats.js';

/**
 * `npm run bench:cells`: what running as cells (DESIGN §4: one gateway process per region, a
 * request about another region's subject forwarded to that region's cell over mutual TLS)
 * costs, over HTTP with autocannon, in one run against one durable stack (three PostgreSQL
 * servers, moto's KMS, BENCH_SIZE watch events per region seeded with the bulk seeder):
 *   1. read, direct: a US service token reading us-east-1 subjects' profiles from the
 *      us-east-1 cell (keys warm);
 *   2. read, forwarded: the same token and records sent to the us-west-2 cell, which forwards
 *      each request to the us-east-1 cell — ratio to (1), target ≤ 1.3× latency, ≥ 1/1.3 req/s;
 *   3. query through the cells: `POST /v1/query` from the EU cell with an EU token over the
 *      three regions (videoId, a public — excepted — indexed field matching a few records per
 *      region) against each region's part alone: the EU part on the EU cell (jurisdictions
 *      [EU]), each US part sent to its cell's peer port as the EU cell sends it (EU cell
 *      certificate, the caller's token) — target ≈ the slowest part, not the sum;
 *   4. (BENCH_SINGLE_PROCESS, default on) one gateway holding every region, same reads and
 *      query, for context.
 * Every process runs GATEWAY_WORKERS=1; reads at BENCH_CONNECTIONS (16), queries at
 * BENCH_QUERY_CONNECTIONS (4), BENCH_SECONDS (8) each after a 1 s warm-up; then each scenario
 * again unloaded (one request at a time, timed to the microsecond here), which shows what the
 * hop itself costs where the loaded runs, all processes sharing a few cores, show mostly the
 * CPU it adds (closed-loop latency ≈ connections ÷ throughput). Any non-2xx answer,
 * connection error, timeout or degraded query answer (a region not `ok`) fails the run
 * (exit 1) after the table is printed. Results: bench/results/cells-*.json.
 */
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const QUERY_CONNECTIONS = Number(process.env['BENCH_QUERY_CONNECTIONS'] ?? 4);
const SIZE = Number(process.env['BENCH_SIZE'] ?? 10_000);
const SINGLE_PROCESS = process.env['BENCH_SINGLE_PROCESS'] !== '0';
const REGIONS = [
  { id: 'us-east-1', jurisdiction: 'US' },
  { id: 'us-west-2', jurisdiction: 'US' },
  { id: 'eu-central-1', jurisdiction: 'EU' },
] as const;
/** Watch events per region with videoId `v-popular`: what the query finds. */
const POPULAR = Math.min(10, SIZE);
/** The bound: a forwarded read costs at most 1.3× a direct one. */
const TARGET = 1.3;
const PURPOSE = 'service-delivery';
/** Every process measured: one worker, and a rate limit that stays out of the measurement. */
const PROCESS_ENV = { GATEWAY_WORKERS: '1', GATEWAY_RATE_LIMIT_ROLES: 'service=100000000' };
const QUERY = { collection: 'watch_event', where: { videoId: 'v-popular' }, limit: 100 };

interface Measured {
  readonly key: string;
  readonly scenario: string;
  /** Which process the load generator talks to. */
  readonly target: string;
  readonly connections: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  /** Connection errors, timeouts, non-2xx answers and degraded query answers. */
  readonly errors: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly degraded: number;
  /** CPU of every gateway process (all cells, or the single process) per request. */
  readonly gatewayCpuMsPerRequest: number;
}

interface Comparison {
  readonly name: string;
  readonly scenario: string;
  readonly baseline: string;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly target?: string;
  readonly met?: boolean;
}

interface Load {
  /** Origin (http://… or https://…). */
  readonly origin: string;
  readonly connections: number;
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Paths sent in turn. */
  readonly paths: readonly string[];
  /** Client certificate for a peer port. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer };
  /** Whether a 2xx answer is the whole answer (a query with a region unavailable is not). */
  readonly check?: (body: string) => boolean;
}

interface Cell {
  readonly region: string;
  readonly url: string;
  readonly peerUrl: string;
  readonly tls: CellTlsFiles;
  readonly child: ChildProcess;
  output: string;
}

const failures: string[] = [];
const children: ChildProcess[] = [];
let stack: BenchStack | undefined;
let stopping: Promise<void> | undefined;

/** Stops every cell and the stack (PostgreSQL, moto, the single gateway); once. */
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    await Promise.all(children.splice(0).map((child) => stopProcess(child, 'SIGTERM', 10_000)));
    await stack?.stop();
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping every process...\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

/** Three cells on the stack's stores: each its own region only, its peers over mTLS. */
async function startCells(on: BenchStack): Promise<Cell[]> {
  const tls = await ensureDevCellPki(
    join(on.dir, 'cells-pki'),
    REGIONS.map((r) => r.id),
  );
  const ports = new Map<string, CellPorts>();
  for (const region of REGIONS)
    ports.set(region.id, { port: await freePort(), peerPort: await freePort() });
  // Everything a gateway process of the stack gets, except the topology naming every region.
  const shared = Object.fromEntries(
    Object.entries(on.env).filter(([name]) => name !== 'GATEWAY_TOPOLOGY'),
  );
  const environments = cellEnvironments(on.config.regions, ports, tls, {
    ...baseProcessEnv(),
    ...shared,
    ...PROCESS_ENV,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const cells: Cell[] = [];
  for (const [region, env] of environments) {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    const files = tls.get(region);
    if (files === undefined) throw new Error(`no certificate for ${region}`);
    const cell: Cell = {
      region,
      url: `http://127.0.0.1:${env['PORT'] ?? ''}`,
      peerUrl: `https://127.0.0.1:${env['GATEWAY_PEER_PORT'] ?? ''}`,
      tls: files,
      child,
      output: '',
    };
    const keep = (chunk: Buffer): void => {
      cell.output = (cell.output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    cells.push(cell);
  }
  await Promise.all(
    cells.map(async (cell) => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (cell.child.exitCode !== null)
          throw new Error(
            `cell ${cell.region} exited (${String(cell.child.exitCode)}):\n${cell.output}`,
          );
        try {
          if ((await fetch(`${cell.url}/readyz`)).ok) return;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      throw new Error(`cell ${cell.region} not ready within 60 s:\n${cell.output}`);
    }),
  );
  return cells;
}

/**
 * Sends the requests of `load` one at a time on one keep-alive connection (over mutual TLS to a
 * peer port when `load.tls` is set, as a cell would send them).
 */
function sender(load: Load): {
  send(path: string): Promise<{ status: number; text: string }>;
  close(): void;
} {
  const origin = new URL(load.origin);
  const secure = origin.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ...load.tls, servername: 'localhost' })
    : new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const body = load.body;
  const headers = {
    ...load.headers,
    ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
  };
  const send = (path: string): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const outgoing = (secure ? httpsRequest : httpRequest)(
        {
          hostname: origin.hostname,
          port: Number(origin.port),
          path,
          method: load.method,
          headers,
          agent,
        },
        (incoming) => {
          let text = '';
          incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
          incoming.on('end', () => {
            resolve({ status: incoming.statusCode ?? 0, text });
          });
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  return {
    send,
    close: () => {
      agent.destroy();
    },
  };
}

/** One request of `load` (its first path); throws with the answer unless it is whole. */
async function preflight(name: string, load: Load): Promise<string> {
  const client = sender(load);
  try {
    const answer = await client.send(load.paths[0] ?? '/');
    if (answer.status < 200 || answer.status >= 300 || load.check?.(answer.text) === false)
      throw new Error(`preflight ${name}: ${String(answer.status)} ${answer.text}`);
    return answer.text;
  } finally {
    client.close();
  }
}

async function cannon(
  load: Load,
  duration: number,
): Promise<{ result: autocannon.Result; degraded: number }> {
  let n = 0;
  let degraded = 0;
  const check = load.check;
  const result = await autocannon({
    url: load.origin,
    connections: load.connections,
    duration,
    ...(load.tls === undefined ? {} : { tlsOptions: load.tls, servername: 'localhost' }),
    requests: [
      {
        method: load.method,
        headers: load.headers,
        ...(load.body === undefined ? {} : { body: load.body }),
        setupRequest: (request) => ({
          ...request,
          path: load.paths[n++ % load.paths.length] ?? '/',
        }),
        ...(check === undefined
          ? {}
          : {
              onResponse: (status: number, body: string) => {
                if (status >= 200 && status < 300 && !check(body)) degraded++;
              },
            }),
      },
    ],
  });
  return { result, degraded };
}

function problems(result: autocannon.Result, degraded: number): number {
  return result.errors + result.timeouts + result.non2xx + degraded;
}

function statusCodes(result: autocannon.Result): Record<string, number> {
  return Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
  );
}

/** A 1 s warm-up, then BENCH_SECONDS measured; a failure is recorded, never hidden. */
async function measure(
  key: string,
  scenario: string,
  target: string,
  load: Load,
  gatewayPids: readonly number[],
): Promise<Measured> {
  const warm = await cannon(load, 1);
  if (problems(warm.result, warm.degraded) > 0)
    failures.push(
      `${scenario} (warm-up): ${String(problems(warm.result, warm.degraded))} errors, status ${JSON.stringify(statusCodes(warm.result))}, ${String(warm.degraded)} degraded`,
    );
  const pids = gatewayPids.flatMap((pid) => processTree(pid));
  const cpuBefore = cpuSeconds(pids);
  const { result, degraded } = await cannon(load, SECONDS);
  const cpu = cpuSeconds(pids) - cpuBefore;
  const requests = result.requests.total;
  const measured: Measured = {
    key,
    scenario,
    target,
    connections: load.connections,
    requests,
    requestsPerSecond: result.requests.average,
    mean: result.latency.mean,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    errors: problems(result, degraded),
    statusCodes: statusCodes(result),
    degraded,
    gatewayCpuMsPerRequest: requests > 0 ? Math.round((cpu / requests) * 1000 * 100) / 100 : 0,
  };
  if (measured.errors > 0 || requests === 0)
    failures.push(
      `${scenario}: ${String(measured.errors)} errors of ${String(requests)} (connection ${String(result.errors)}, timeouts ${String(result.timeouts)}, non-2xx ${String(result.non2xx)}, degraded ${String(degraded)}), status ${JSON.stringify(measured.statusCodes)}`,
    );
  process.stderr.write(
    `  ${scenario}: ${measured.requestsPerSecond.toFixed(0)} req/s p50 ${String(measured.p50)} ms p99 ${String(measured.p99)} ms errors ${String(measured.errors)}\n`,
  );
  return measured;
}

/**
 * One request at a time for BENCH_SECONDS after a 1 s warm-up, timed here to the microsecond:
 * what the path itself costs, not the queue in front of a saturated CPU (with 16 connections
 * on 2 shared cores, latency is mostly connections ÷ throughput).
 */
async function measureUnloaded(
  key: string,
  scenario: string,
  target: string,
  load: Load,
  gatewayPids: readonly number[],
): Promise<Measured> {
  const client = sender(load);
  try {
    const loop = async (seconds: number) => {
      const latencies: number[] = [];
      const codes: Record<string, number> = {};
      let failed = 0;
      let degraded = 0;
      let n = 0;
      const deadline = performance.now() + seconds * 1000;
      while (performance.now() < deadline) {
        const started = performance.now();
        try {
          const answer = await client.send(load.paths[n++ % load.paths.length] ?? '/');
          const ok = answer.status >= 200 && answer.status < 300;
          codes[String(answer.status)] = (codes[String(answer.status)] ?? 0) + 1;
          if (!ok) failed++;
          else if (load.check?.(answer.text) === false) degraded++;
          else latencies.push(performance.now() - started);
        } catch {
          failed++;
        }
      }
      return { latencies, codes, failed, degraded };
    };
    const warm = await loop(1);
    if (warm.failed + warm.degraded > 0)
      failures.push(
        `${scenario} (warm-up): ${String(warm.failed)} failed, status ${JSON.stringify(warm.codes)}, ${String(warm.degraded)} degraded`,
      );
    const pids = gatewayPids.flatMap((pid) => processTree(pid));
    const cpuBefore = cpuSeconds(pids);
    const started = performance.now();
    const { latencies, codes, failed, degraded } = await loop(SECONDS);
    const wall = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(pids) - cpuBefore;
    const requests = latencies.length + failed + degraded;
    const round = (value: number): number => Math.round(value * 100) / 100;
    const measured: Measured = {
      key,
      scenario,
      target,
      connections: 1,
      requests,
      requestsPerSecond: requests / wall,
      mean: round(latencies.reduce((total, l) => total + l, 0) / Math.max(1, latencies.length)),
      p50: round(percentile(latencies, 50)),
      p99: round(percentile(latencies, 99)),
      p999: round(percentile(latencies, 99.9)),
      errors: failed + degraded,
      statusCodes: codes,
      degraded,
      gatewayCpuMsPerRequest: requests > 0 ? round((cpu / requests) * 1000) : 0,
    };
    if (measured.errors > 0 || requests === 0)
      failures.push(
        `${scenario}: ${String(measured.errors)} errors of ${String(requests)} (failed ${String(failed)}, degraded ${String(degraded)}), status ${JSON.stringify(codes)}`,
      );
    process.stderr.write(
      `  ${scenario}: p50 ${measured.p50.toFixed(2)} ms p99 ${measured.p99.toFixed(2)} ms errors ${String(measured.errors)}\n`,
    );
    return measured;
  } finally {
    client.close();
  }
}

/** The fields of `collection` in the catalog, as the fanning-out cell sends them to a peer. */
function catalogFields(collection: string): string[] {
  const catalog = JSON.parse(
    readFileSync(
      join(PROJECT_ROOT, 'policies', 'bundle', 'residency', 'catalog', 'data.json'),
      'utf8',
    ),
  ) as { collections: Record<string, { fields: Record<string, unknown> } | undefined> };
  const spec = catalog.collections[collection];
  if (spec === undefined) throw new Error(`no collection ${collection} in the catalog`);
  return Object.keys(spec.fields);
}

/** A query answer in which each of `regions` answered ok with the records expected. */
function queryAnswered(regions: readonly string[]): (body: string) => boolean {
  return (body) => {
    try {
      const answer = JSON.parse(body) as {
        regions?: Record<string, { status?: string; count?: number } | undefined>;
      };
      return regions.every(
        (region) =>
          answer.regions?.[region]?.status === 'ok' && answer.regions[region].count === POPULAR,
      );
    } catch {
      return false;
    }
  };
}

/** A peer's answer to one region's part: ok, with the records expected. */
function partAnswered(body: string): boolean {
  try {
    const answer = JSON.parse(body) as { status?: string; items?: unknown[] };
    return answer.status === 'ok' && answer.items?.length === POPULAR;
  } catch {
    return false;
  }
}

function ratio(value: number, baseline: number): number {
  return baseline > 0 ? Math.round((value / baseline) * 1000) / 1000 : Number.NaN;
}

/** `measured` against `baseline` (a scenario, or latencies such as the slowest part's). */
function compare(
  name: string,
  measured: Measured | undefined,
  baseline: Measured | { p50: number; p99: number; label: string } | undefined,
  target?: { text: string; met: (c: Comparison) => boolean },
): Comparison | undefined {
  if (measured === undefined || baseline === undefined) return undefined;
  const comparison: Comparison = {
    name,
    scenario: measured.scenario,
    baseline: 'label' in baseline ? baseline.label : baseline.scenario,
    requestsPerSecond:
      'label' in baseline
        ? Number.NaN
        : ratio(measured.requestsPerSecond, baseline.requestsPerSecond),
    p50: ratio(measured.p50, baseline.p50),
    p99: ratio(measured.p99, baseline.p99),
  };
  return target === undefined
    ? comparison
    : { ...comparison, target: target.text, met: target.met(comparison) };
}

interface Scenario {
  readonly key: string;
  readonly scenario: string;
  readonly target: string;
  readonly load: Load;
}

/** Each scenario under load (autocannon), then each one request at a time. */
async function measureAll(
  scenarios: readonly Scenario[],
  gatewayPids: readonly number[],
  alive: () => void,
): Promise<Measured[]> {
  const measured: Measured[] = [];
  for (const s of scenarios) {
    measured.push(await measure(s.key, s.scenario, s.target, s.load, gatewayPids));
    alive();
  }
  for (const s of scenarios) {
    measured.push(
      await measureUnloaded(
        `${s.key}.unloaded`,
        `${s.scenario}, unloaded`,
        s.target,
        s.load,
        gatewayPids,
      ),
    );
    alive();
  }
  return measured;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadAtStart = loadavg();
  stack = await BenchStack.start({ regions: REGIONS, durable: true });
  const results: Measured[] = [];
  process.stderr.write(`seeding ${String(SIZE)} records per region...\n`);
  const seeded = await seed(
    stack.config,
    REGIONS.map((r) => ({
      region: r.id,
      jurisdiction: r.jurisdiction,
      records: SIZE,
      popular: POPULAR,
    })),
  );
  const seedingSeconds = Math.max(...seeded.map((s) => s.seconds));
  const eastSubjects = seeded.find((s) => s.region === 'us-east-1')?.subjects ?? [];
  if (eastSubjects.length === 0) throw new Error('no us-east-1 subjects seeded');
  const usToken = await stack.token('us-east-1');
  const euToken = await stack.token('eu-central-1');
  const headers = (token: string): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    'x-purpose': PURPOSE,
  });
  const allRegions = REGIONS.map((r) => r.id);
  /** US caller, us-east-1 subjects' profiles in turn (all of them: BENCH_SIZE / 100). */
  const readLoad = (origin: string): Load => ({
    origin,
    connections: CONNECTIONS,
    method: 'GET',
    headers: headers(usToken),
    paths: eastSubjects.map((subject) => `/v1/subjects/${subject}/records/profile/main`),
  });
  /** EU caller, `POST /v1/query` over `jurisdictions` (default: all three regions). */
  const queryLoad = (origin: string, jurisdictions?: readonly string[]): Load => ({
    origin,
    connections: QUERY_CONNECTIONS,
    method: 'POST',
    headers: headers(euToken),
    body: JSON.stringify(jurisdictions === undefined ? QUERY : { ...QUERY, jurisdictions }),
    paths: ['/v1/query'],
    check: queryAnswered(
      jurisdictions === undefined
        ? allRegions
        : REGIONS.filter((r) => jurisdictions.includes(r.jurisdiction)).map((r) => r.id),
    ),
  });
  /** Every read path once, sequentially: the subject keys cached where the records live. */
  const warmReads = async (origin: string): Promise<void> => {
    const load = readLoad(origin);
    const client = sender(load);
    try {
      for (const path of load.paths) {
        const answer = await client.send(path);
        if (answer.status !== 200)
          throw new Error(`warm-up read ${path} on ${origin}: ${String(answer.status)}`);
      }
    } finally {
      client.close();
    }
  };

  process.stderr.write('starting three cells (one process per region, mTLS between them)...\n');
  const cells = await startCells(stack);
  const cell = (region: string): Cell => {
    const found = cells.find((c) => c.region === region);
    if (found === undefined) throw new Error(`no cell ${region}`);
    return found;
  };
  const east = cell('us-east-1');
  const west = cell('us-west-2');
  const eu = cell('eu-central-1');
  const cellPids = cells.map((c) => c.child.pid ?? 0);
  const alive = (): void => {
    for (const c of cells)
      if (c.child.exitCode !== null || c.child.signalCode !== null)
        throw new Error(`cell ${c.region} died during the run:\n${c.output}`);
  };

  // A US caller reading through a US cell gets the full view: the forwarded answer is the direct one.
  const view = (text: string): string => {
    const parsed = JSON.parse(text) as { data?: unknown; masked?: unknown };
    return JSON.stringify([parsed.data, parsed.masked]);
  };
  const directView = await preflight('direct read', readLoad(east.url));
  const forwardedView = await preflight('forwarded read', readLoad(west.url));
  if (view(directView) !== view(forwardedView))
    throw new Error(
      `the forwarded read differs from the direct one:\n${directView}\n${forwardedView}`,
    );
  await warmReads(east.url);
  process.stderr.write('reads through the cells...\n');
  results.push(
    ...(await measureAll(
      [
        {
          key: 'read.direct',
          scenario: 'read, direct (us-east-1 cell, us-east-1 subject)',
          target: 'us-east-1 cell',
          load: readLoad(east.url),
        },
        {
          key: 'read.forwarded',
          scenario: 'read, forwarded (us-west-2 cell → us-east-1 cell)',
          target: 'us-west-2 cell',
          load: readLoad(west.url),
        },
      ],
      cellPids,
      alive,
    )),
  );

  // What the EU cell sends the cell of each US region for its part: the caller's own token and
  // who it names, over mTLS with the EU cell's certificate.
  const euTls = {
    cert: readFileSync(eu.tls.certFile),
    key: readFileSync(eu.tls.keyFile),
    ca: readFileSync(eu.tls.caFile),
  };
  const fields = catalogFields(QUERY.collection);
  const partLoad = (region: string): Load => ({
    origin: cell(region).peerUrl,
    connections: QUERY_CONNECTIONS,
    method: 'POST',
    headers: { ...headers(euToken), 'x-forwarded-caller': 'svc:bench' },
    body: JSON.stringify({
      region,
      collection: QUERY.collection,
      where: QUERY.where,
      fields,
      limit: QUERY.limit,
    }),
    paths: ['/v1/query/parts'],
    tls: euTls,
    check: partAnswered,
  });
  const queries: Scenario[] = [
    {
      key: 'query.part.eu-central-1',
      scenario: 'query part eu-central-1 alone (EU cell, jurisdictions [EU])',
      target: 'eu-central-1 cell',
      load: queryLoad(eu.url, ['EU']),
    },
    ...['us-east-1', 'us-west-2'].map((region) => ({
      key: `query.part.${region}`,
      scenario: `query part ${region} alone (its peer port, as the EU cell asks)`,
      target: `${region} cell, mTLS`,
      load: partLoad(region),
    })),
    {
      key: 'query.cells',
      scenario: 'query, three regions through the EU cell',
      target: 'eu-central-1 cell',
      load: queryLoad(eu.url),
    },
  ];
  for (const q of queries) await preflight(q.scenario, q.load);
  process.stderr.write('queries through the cells...\n');
  results.push(...(await measureAll(queries, cellPids, alive)));
  // The cells stop before the single process starts: one gateway measured at a time.
  await Promise.all(children.splice(0).map((child) => stopProcess(child, 'SIGTERM', 10_000)));

  if (SINGLE_PROCESS) {
    process.stderr.write('one gateway holding every region, for context...\n');
    const single = await stack.startGateway(PROCESS_ENV);
    await warmReads(single.url);
    results.push(
      ...(await measureAll(
        [
          {
            key: 'read.single',
            scenario: 'read, single process (every region local)',
            target: 'single gateway',
            load: readLoad(single.url),
          },
          {
            key: 'query.single',
            scenario: 'query, three regions, single process',
            target: 'single gateway',
            load: queryLoad(single.url),
          },
        ],
        [single.pid],
        () => undefined,
      )),
    );
    await stack.stopGateways();
  }

  const byKey = (key: string): Measured | undefined => results.find((r) => r.key === key);
  const partsOf = (suffix: string): Measured[] =>
    allRegions
      .map((region) => byKey(`query.part.${region}${suffix}`))
      .filter((m): m is Measured => m !== undefined);
  const slowest = (suffix: string) => ({
    p50: Math.max(...partsOf(suffix).map((p) => p.p50)),
    p99: Math.max(...partsOf(suffix).map((p) => p.p99)),
    label: 'slowest region part alone (max p50, max p99)',
  });
  const sum = (suffix: string) => ({
    p50: partsOf(suffix).reduce((total, p) => total + p.p50, 0),
    p99: partsOf(suffix).reduce((total, p) => total + p.p99, 0),
    label: 'sum of the three parts (p50s, p99s)',
  });
  const forwardTarget = {
    text: `latency ≤ ${String(TARGET)}×, req/s ≥ ${(1 / TARGET).toFixed(2)}×`,
    met: (c: Comparison) => c.p50 <= TARGET && c.p99 <= TARGET && c.requestsPerSecond >= 1 / TARGET,
  };
  const slowestTarget = {
    text: `≈ the slowest part (≤ ${String(TARGET)}×), not the sum`,
    met: (c: Comparison) => c.p50 <= TARGET && c.p99 <= TARGET,
  };
  const comparisons = [
    compare(
      `forwarded / direct, ${String(CONNECTIONS)} conns`,
      byKey('read.forwarded'),
      byKey('read.direct'),
      forwardTarget,
    ),
    compare(
      'forwarded / direct, unloaded',
      byKey('read.forwarded.unloaded'),
      byKey('read.direct.unloaded'),
      forwardTarget,
    ),
    compare(
      `query via cells / slowest part, ${String(QUERY_CONNECTIONS)} conns`,
      byKey('query.cells'),
      slowest(''),
      slowestTarget,
    ),
    compare(
      'query via cells / slowest part, unloaded',
      byKey('query.cells.unloaded'),
      slowest('.unloaded'),
      slowestTarget,
    ),
    compare(
      `query via cells / sum of parts, ${String(QUERY_CONNECTIONS)} conns`,
      byKey('query.cells'),
      sum(''),
    ),
    compare(
      'query via cells / sum of parts, unloaded',
      byKey('query.cells.unloaded'),
      sum('.unloaded'),
    ),
    compare('forwarded / single process', byKey('read.forwarded'), byKey('read.single')),
    compare('direct cell / single process', byKey('read.direct'), byKey('read.single')),
    compare('query via cells / single process', byKey('query.cells'), byKey('query.single')),
    compare(
      'query via cells / single, unloaded',
      byKey('query.cells.unloaded'),
      byKey('query.single.unloaded'),
    ),
  ].filter((c): c is Comparison => c !== undefined);

  process.stdout.write(
    `\ncells benchmark: 3 regions (us-east-1, us-west-2 US; eu-central-1 EU), PostgreSQL 17 durable, ${String(SIZE)} records per region (seeded in ${seedingSeconds.toFixed(0)} s), GATEWAY_WORKERS=1 per process, ${String(SECONDS)} s per run; cells, PostgreSQL and the load generator share ${String(availableParallelism())} cores (load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}); "unloaded" = one request at a time\n`,
  );
  const widths = [72, 20, 6, 8, 22, 7, 11];
  const line = (columns: string[]): string =>
    `${columns.map((c, i) => c.padEnd(widths[i] ?? 10)).join(' ')}\n`;
  const ms = (value: number): string =>
    Number.isInteger(value) ? String(value) : value.toFixed(2);
  process.stdout.write(
    line(['scenario', 'target', 'conns', 'req/s', 'p50/p99/p99.9 ms', 'errors', 'CPU ms/req']),
  );
  for (const r of results)
    process.stdout.write(
      line([
        r.scenario,
        r.target,
        String(r.connections),
        r.requestsPerSecond.toFixed(0),
        `${ms(r.p50)}/${ms(r.p99)}/${ms(r.p999)}`,
        String(r.errors),
        r.gatewayCpuMsPerRequest.toFixed(2),
      ]),
    );
  const times = (value: number): string => (Number.isNaN(value) ? 'n/a' : `${value.toFixed(2)}×`);
  process.stdout.write('\nratios\n');
  for (const c of comparisons) {
    const throughput = Number.isNaN(c.requestsPerSecond)
      ? ''
      : `req/s ${times(c.requestsPerSecond)}, `;
    const verdict =
      c.target === undefined ? '' : ` — target ${c.target}: ${c.met === true ? 'met' : 'NOT met'}`;
    process.stdout.write(
      `  ${c.name.padEnd(42)} ${throughput}p50 ${times(c.p50)}, p99 ${times(c.p99)}  (vs ${c.baseline})${verdict}\n`,
    );
  }

  const dir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const document = {
    at: startedAt.toISOString(),
    seconds: SECONDS,
    connections: CONNECTIONS,
    queryConnections: QUERY_CONNECTIONS,
    recordsPerRegion: SIZE,
    popularPerRegion: POPULAR,
    workersPerProcess: 1,
    cores: availableParallelism(),
    loadAverageAtStart: loadAtStart,
    seedingSeconds,
    results,
    comparisons,
    failures,
  };
  const text = `${JSON.stringify(document, null, 2)}\n`;
  writeFileSync(join(dir, `cells-${stamp}.json`), text);
  // A failed run is kept under its time, never as the latest figures.
  if (failures.length === 0) writeFileSync(join(dir, 'cells-latest.json'), text);
  process.stdout.write(
    `\nresults: bench/results/cells-${stamp}.json${failures.length === 0 ? ' (and cells-latest.json)' : ''}\n`,
  );
}

/** Runs the benchmark, always stops every process, and exits non-zero on any failure. */
async function run(): Promise<void> {
  try {
    await main();
  } catch (error) {
    failures.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  try {
    await stopAll();
  } catch (error) {
    failures.push(`stopping: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (failures.length > 0) {
    process.stderr.write(`\nFAILED (${String(failures.length)}):\n`);
    for (const failure of failures) process.stderr.write(`  - ${failure}\n`);
  }
  process.exit(failures.length > 0 ? 1 : 0);
}

void run();
