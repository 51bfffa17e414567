import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { BenchStack } from '../../bench/bench-stack.js';
import { RUNTIME_ROLE } from '../../src/platform/database/runtime-role.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { isAlive } from '../local-stack/child-process.js';
import { BundleServer } from './bundle-server.js';
import {
  measure,
  report,
  succeeded,
  successRate,
  type Fault,
  type FaultResult,
} from './fault-measure.js';
import { checkConsistency } from './consistency-check.js';
import { runCellFaults } from './cell-faults.js';
import { SteadyLoad, type LoadTarget } from './load.js';
import { TcpFaultProxy } from './tcp-fault-proxy.js';

/**
 * `npm run faults`: the whole stack (a PostgreSQL per region, moto's KMS, the gateway as its
 * own process) under steady load over every region while one dependency at a time is broken —
 * eu-central-1's KMS or store through a TCP fault proxy on loopback, its log's INSERT grant,
 * the policy bundle server, or the gateway itself by SIGTERM and SIGKILL — held, healed and
 * measured (fault-measure.ts); then the same stores as one cell per region, with a peer cell
 * frozen and killed (cell-faults.ts); then every acknowledged write, refused write
 * and acknowledged access is checked against the stores. Prints one row per fault against the
 * targets, writes bench/results/faults-*.json, exits 1 if a target is missed.
 *
 * FAULT_HOLD_SECONDS (default 8; CI runs 3) is how long each fault is held.
 */
const HOLD_SECONDS = Number(process.env['FAULT_HOLD_SECONDS'] ?? 8);
/** `cells`: only the cell topology's faults (quicker, when working on them). */
const ONLY = process.env['FAULT_ONLY'];
const PER_REGION = Number(process.env['FAULT_CONCURRENCY_PER_REGION'] ?? 4);
const SUBJECTS_PER_REGION = 20;
const AFFECTED = 'eu-central-1';
const KMS_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 2000;
const CONNECT_TIMEOUT_MS = 1000;
/** Budget of one store call of a request (GATEWAY_DB_REQUEST_TIMEOUT_MS). */
const STORE_BUDGET_MS = 2000;
const RECOVERY_TARGET_MS = 5000;
const REGIONS = [
  { id: 'us-east-1', jurisdiction: 'US' },
  { id: 'us-west-2', jurisdiction: 'US' },
  { id: 'eu-central-1', jurisdiction: 'EU' },
];

/** Subjects homed in each region, each with a profile record, created through the gateway. */
async function seed(stack: BenchStack, url: string): Promise<LoadTarget[]> {
  const targets: LoadTarget[] = [];
  const homed = new Map<string, string[]>(REGIONS.map((r) => [r.id, []]));
  const tokens = new Map<string, string>();
  for (const region of REGIONS) tokens.set(region.id, await stack.token(region.id));
  for (const region of REGIONS) {
    const country = region.jurisdiction === 'EU' ? 'DE' : 'US';
    const token = tokens.get(region.id) ?? '';
    for (let attempt = 0; (homed.get(region.id)?.length ?? 0) < SUBJECTS_PER_REGION; attempt++) {
      if (attempt > SUBJECTS_PER_REGION * 20) throw new Error(`cannot seed ${region.id}`);
      const created = await fetch(`${url}/v1/subjects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ country }),
      });
      const { subjectId, homeRegion } = (await created.json()) as {
        subjectId: string;
        homeRegion: string;
      };
      const subjects = homed.get(homeRegion);
      if (subjects === undefined || subjects.length >= SUBJECTS_PER_REGION) continue;
      const put = await fetch(`${url}/v1/subjects/${subjectId}/records/profile/main`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${tokens.get(homeRegion) ?? ''}`,
          'content-type': 'application/json',
          'x-purpose': 'service-delivery',
        },
        body: JSON.stringify({ displayName: 'Seed', username: `seed-${subjectId.slice(-8)}` }),
      });
      if (put.status !== 201) throw new Error(`seeding failed: ${String(put.status)}`);
      subjects.push(subjectId);
    }
  }
  for (const region of REGIONS)
    targets.push({
      region: region.id,
      country: region.jurisdiction === 'EU' ? 'DE' : 'US',
      token: tokens.get(region.id) ?? '',
      subjects: homed.get(region.id) ?? [],
    });
  return targets;
}

async function ownerQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return false;
}

async function main(): Promise<void> {
  const stack = await BenchStack.start({ regions: REGIONS });
  const proxies: TcpFaultProxy[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    const eu = stack.config.regions.find((r) => r.id === AFFECTED);
    if (eu === undefined) throw new Error('no affected region');
    const storeUrl = new URL(eu.databaseUrl);
    const kmsUrl = new URL(eu.kmsEndpoint ?? '');
    const storeProxy = await TcpFaultProxy.start({
      host: storeUrl.hostname,
      port: Number(storeUrl.port),
    });
    const kmsProxy = await TcpFaultProxy.start({
      host: kmsUrl.hostname,
      port: Number(kmsUrl.port),
    });
    proxies.push(storeProxy, kmsProxy);
    const topology = stack.config.regions.map((region) => ({
      id: region.id,
      jurisdiction: region.jurisdiction,
      databaseUrl:
        region.id === AFFECTED ? storeProxy.route(region.databaseUrl) : region.databaseUrl,
      migrationDatabaseUrl: region.migrationDatabaseUrl,
      kmsKeyId: region.kmsKeyId,
      kmsEndpoint:
        region.id === AFFECTED ? kmsProxy.route(region.kmsEndpoint ?? '') : region.kmsEndpoint,
      poolSize: 10,
    }));
    const euOwnerUrl = eu.migrationDatabaseUrl ?? eu.databaseUrl;
    const bundles = await BundleServer.start(
      readFileSync(join(PROJECT_ROOT, 'policies', 'dist', 'bundle.tar.gz')),
    );
    closers.push(() => bundles.close());
    const gatewayEnv = {
      GATEWAY_POLICY_BUNDLE: bundles.url,
      GATEWAY_POLICY_ALLOW_HTTP: 'true',
      GATEWAY_POLICY_RELOAD_SECONDS: '1',
      GATEWAY_TOPOLOGY: JSON.stringify({ regions: topology }),
      GATEWAY_WORKERS: '1',
      GATEWAY_KMS_TIMEOUT_MS: String(KMS_TIMEOUT_MS),
      GATEWAY_DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      GATEWAY_DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      GATEWAY_DB_REQUEST_TIMEOUT_MS: String(STORE_BUDGET_MS),
      GATEWAY_BREAKER_OPEN_MS: '1000',
    };
    let gateway = await stack.startGateway(gatewayEnv);

    const targets = await seed(stack, gateway.url);
    const load = new SteadyLoad(gateway.url, targets, PER_REGION);
    load.start();
    const baselineFrom = performance.now();
    await sleep(HOLD_SECONDS * 1000);
    const goals = {
      affectedRegion: AFFECTED,
      baselineSuccess: successRate(
        load.samples.filter((s) => s.at - s.ms >= baselineFrom && s.region !== AFFECTED),
      ),
      recoveryTargetMs: RECOVERY_TARGET_MS,
    };

    const proxyFault = (
      name: string,
      proxy: TcpFaultProxy,
      mode: 'refuse' | 'hang' | 'slow',
      timeoutMs: number,
      delayMs = 0,
    ): Fault => ({
      name,
      affects: 'region',
      timeoutMs,
      inject: () => proxy.set(mode, delayMs),
      heal: () => proxy.set('pass'),
    });
    const storeTimeout = STORE_BUDGET_MS;
    const faults: Fault[] = [
      proxyFault('KMS refuses connections', kmsProxy, 'refuse', KMS_TIMEOUT_MS),
      proxyFault('KMS hangs', kmsProxy, 'hang', KMS_TIMEOUT_MS),
      proxyFault('KMS slow (2 s)', kmsProxy, 'slow', KMS_TIMEOUT_MS, 2000),
      proxyFault('store dies (refused, reset)', storeProxy, 'refuse', CONNECT_TIMEOUT_MS),
      proxyFault('store hangs', storeProxy, 'hang', storeTimeout),
      proxyFault('store slow (+150 ms a packet)', storeProxy, 'slow', storeTimeout, 150),
      {
        // The runtime role loses INSERT on the log: no access may happen without its entry.
        name: 'audit append refused',
        affects: 'region',
        timeoutMs: STORE_BUDGET_MS,
        inject: () => ownerQuery(euOwnerUrl, `REVOKE INSERT ON audit_entries FROM ${RUNTIME_ROLE}`),
        heal: () => ownerQuery(euOwnerUrl, `GRANT INSERT ON audit_entries TO ${RUNTIME_ROLE}`),
      },
      {
        name: 'bundle source hangs',
        affects: 'none',
        timeoutMs: 0,
        inject: () => bundles.set('hang'),
        heal: () => bundles.set('pass'),
      },
      {
        name: 'bundle source serves garbage',
        affects: 'none',
        timeoutMs: 0,
        inject: () => bundles.set('garbage'),
        heal: () => bundles.set('pass'),
        // The garbage was fetched and refused (not merely never looked at).
        check: async () => {
          const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
          return /gateway_policy_bundle_refusals_total\{[^}]*\} [1-9]/.test(metrics)
            ? undefined
            : 'no bundle refusal counted';
        },
      },
    ];
    const results: FaultResult[] = [];
    for (const fault of ONLY === 'cells' ? [] : faults) {
      process.stderr.write(`fault: ${fault.name} ...\n`);
      const from = performance.now();
      await fault.inject();
      await sleep(HOLD_SECONDS * 1000);
      await fault.heal();
      const healedAt = performance.now();
      await sleep(RECOVERY_TARGET_MS + 1000);
      const result = measure(fault, load.samples, { from, to: healedAt, healedAt }, goals);
      const problem = await fault.check?.();
      results.push(problem === undefined ? result : { ...result, ok: false, problem });
    }

    for (const signal of ONLY === 'cells' ? [] : (['SIGTERM', 'SIGKILL'] as const)) {
      process.stderr.write(`fault: gateway ${signal} ...\n`);
      await sleep(1000);
      const from = performance.now();
      process.kill(gateway.pid, signal);
      const exited = await waitForExit(gateway.pid, 30_000);
      const stoppedAt = performance.now();
      gateway = await stack.startGateway(gatewayEnv);
      load.retarget(gateway.url);
      const healedAt = performance.now();
      await sleep(3000);
      // In flight: started before the signal. SIGTERM must finish them all; after SIGKILL they
      // are lost by definition (never acknowledged), which the consistency check accounts for.
      const inFlight = load.samples.filter((s) => s.at - s.ms < from && s.at > from);
      const inFlight5xx = inFlight.filter((s) => !succeeded(s)).length;
      const result = measure(
        {
          name: `gateway ${signal}`,
          affects: 'region',
          timeoutMs: 0,
          inject: async () => {},
          heal: async () => {},
        },
        load.samples,
        { from, to: stoppedAt, healedAt },
        goals,
      );
      results.push({
        ...result,
        inFlight5xx,
        // The one process serves every region: no region is unaffected while it restarts.
        ok: exited && (signal === 'SIGKILL' || inFlight5xx === 0),
      });
    }
    await load.stop();

    // The same stores, now as one cell per region: a peer cell hung and killed.
    const cellPhase = await runCellFaults(stack, targets, {
      holdSeconds: HOLD_SECONDS,
      perRegion: PER_REGION,
      recoveryTargetMs: RECOVERY_TARGET_MS,
    });
    results.push(...cellPhase.results);

    const decisions = new Map(load.decisions);
    for (const [region, ids] of cellPhase.load.decisions)
      decisions.set(region, [...(decisions.get(region) ?? []), ...ids]);
    const consistency = await checkConsistency(
      new Map(stack.config.regions.map((r) => [r.id, r.migrationDatabaseUrl ?? r.databaseUrl])),
      [...load.acknowledged, ...cellPhase.load.acknowledged],
      [...load.refused, ...cellPhase.load.refused],
      decisions,
    );
    report(results, consistency, load.samples.length + cellPhase.load.samples.length, HOLD_SECONDS);
    const consistent =
      consistency.lostWrites === 0 &&
      consistency.refusedButStored === 0 &&
      consistency.missingAuditEntries === 0 &&
      consistency.partialWrites === 0;
    if (!consistent || results.some((r) => !r.ok)) process.exitCode = 1;
  } finally {
    await Promise.all([...proxies.map((p) => p.close()), ...closers.map((close) => close())]);
    await stack.stop();
  }
}

await main();
