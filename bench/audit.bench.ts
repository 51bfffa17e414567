import { randomBytes, randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { AuditLogWriter } from '../src/audit-log/audit-log.writer.js';
import { CheckpointSigner } from '../src/audit-log/checkpoint-signer.js';
import { LogStore } from '../src/audit-log/log-store.js';
import { verifyLog } from '../src/audit-log/log-verifier.js';
import { regionDataSourceOptions } from '../src/platform/database/region-data-source.factory.js';
import type { Decision } from '../src/policy/decision.js';
import { RecordsRepository } from '../src/records/records.repository.js';
import { BenchStack, percentile } from './bench-stack.js';
import { printTable } from './bench-runner.js';

/**
 * `npm run bench:audit`: what the decision log costs, against baselines measured in the same
 * run on the same PostgreSQL (durable: fsync and synchronous commit on).
 *
 * 1. Writes: the same record writes (1 KiB envelope, one transaction each, 16 in flight) with
 *    and without the log append in the write's transaction. Target ≥ 90 %.
 * 2. Reads through the gateway over HTTP (16 connections, warm record) against raw PostgreSQL
 *    doing the durable work an audited read needs: select one row + insert one audit row +
 *    commit, 16 clients. Target ≥ 50 %.
 * 3. Integration delay (commit → in a signed checkpoint), p50 and p99, under that load.
 * 4. Full verification of the log, entries per second (target ≥ 100,000/s).
 */
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 6);
const CONCURRENCY = 16;
const VERIFY_ENTRIES = Number(process.env['BENCH_VERIFY_ENTRIES'] ?? 100_000);
const REGION = 'eu-central-1';

function decisionFor(subject: string): Decision {
  return {
    allow: true,
    reasons: ['read_full'],
    fields: { displayName: 'allow', email: 'allow', phone: 'allow', birthDate: 'allow' },
    break_glass: false,
    decisionId: randomUUID(),
    revision: 'bench',
    build: 1,
    input: {
      caller: { service: 'svc:bench', region: REGION, jurisdiction: 'EU', roles: ['service'] },
      action: 'read',
      purpose: 'service-delivery',
      case: null,
      resource: {
        subject,
        homeRegion: REGION,
        jurisdiction: 'EU',
        collection: 'profile',
        fields: ['displayName', 'email', 'phone', 'birthDate'],
      },
      now: new Date().toISOString(),
    },
  };
}

async function timed(seconds: number, worker: () => Promise<void>): Promise<number> {
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        await worker();
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const stack = await BenchStack.start({
    regions: [{ id: REGION, jurisdiction: 'EU' }],
    env: { GATEWAY_AUDIT_INTEGRATION_MS: '250' },
  });
  const region = stack.config.regions[0];
  if (region === undefined) throw new Error('no region');
  const runtime = new DataSource(
    regionDataSourceOptions({ ...region, poolSize: CONCURRENCY }, stack.config.database),
  );
  await runtime.initialize();
  const owner = new pg.Pool({ connectionString: region.migrationDatabaseUrl, max: CONCURRENCY });
  try {
    const gateway = await stack.startGateway();
    const token = await stack.token(REGION);
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'x-purpose': 'service-delivery',
    };
    const created = (await (
      await fetch(`${gateway.url}/v1/subjects`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ country: 'DE' }),
      })
    ).json()) as { subjectId: string };
    const recordUrl = `${gateway.url}/v1/subjects/${created.subjectId}/records/profile/main`;
    const put = await fetch(recordUrl, {
      method: 'PUT',
      headers,
      body: JSON.stringify({
        displayName: 'Bench',
        email: 'bench@example.org',
        phone: '+49 30 1234',
        birthDate: '1990-01-01',
      }),
    });
    if (put.status !== 201) throw new Error(`seed write: ${String(put.status)}`);

    // 1. Writes with and without the log append (store level, no HTTP).
    const records = new RecordsRepository();
    const writer = new AuditLogWriter('bench', {
      transaction: (_r, work) => runtime.transaction(work),
      read: (_r, work) => work(runtime.manager),
    });
    const envelope = randomBytes(1024 + 29);
    let counter = 0;
    const write = (audited: boolean) => async () => {
      const recordId = `w${String(counter++)}`;
      await runtime.transaction(async (manager) => {
        await records.write(
          manager,
          { subjectId: created.subjectId, collection: 'watch_event', recordId },
          { version: 1, keyVersion: 1, envelope },
        );
        if (audited) await writer.appendWithin(manager, REGION, [decisionFor(created.subjectId)]);
      });
    };
    await timed(1, write(true));
    const plain1 = await timed(SECONDS / 2, write(false));
    const audited = await timed(SECONDS, write(true));
    const plain2 = await timed(SECONDS / 2, write(false));
    const plainWrites = (plain1 + plain2) / 2;

    // 2. Raw PostgreSQL: select one row + insert one audit row + commit (the durable minimum).
    await owner.query(
      'CREATE TABLE IF NOT EXISTS bench_audit (id bigserial PRIMARY KEY, logged_at timestamptz NOT NULL, leaf bytea NOT NULL)',
    );
    const leaf = randomBytes(900);
    const raw = await timed(SECONDS, async () => {
      const client = await owner.connect();
      try {
        await client.query('BEGIN');
        await client.query(
          'SELECT envelope FROM records WHERE subject_id = $1 AND collection = $2 AND record_id = $3',
          [created.subjectId, 'profile', 'main'],
        );
        await client.query('INSERT INTO bench_audit (logged_at, leaf) VALUES (now(), $1)', [leaf]);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });

    // 2'. The same read through the gateway, audited.
    await autocannon({ url: recordUrl, connections: CONCURRENCY, duration: 1, headers });
    const startedAt = new Date();
    const http = await autocannon({
      url: recordUrl,
      connections: CONCURRENCY,
      duration: SECONDS,
      headers,
    });
    const httpOk = http.non2xx === 0 && http.errors === 0;

    // 3. Integration delay of the entries logged during the HTTP run.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const delays = (
      await owner.query<{ ms: string }>(
        `SELECT extract(epoch FROM (c.signed_at - e.logged_at)) * 1000 AS ms
         FROM audit_entries e JOIN audit_leaves l ON l.entry_id = e.id
         JOIN LATERAL (SELECT signed_at FROM audit_checkpoints WHERE tree_size > l.leaf_index ORDER BY audit_checkpoints.tree_size LIMIT 1) c ON true
         WHERE e.logged_at >= $1`,
        [startedAt],
      )
    ).rows.map((row) => Number(row.ms));

    // 4. Verification speed over a log of VERIFY_ENTRIES entries (bulk-appended, integrated by
    // the gateway's integrator).
    const store = new LogStore();
    const have = await runtime.query<{ n: string }[]>(
      'SELECT count(*)::text AS n FROM audit_entries',
    );
    for (let missing = VERIFY_ENTRIES - Number(have[0]?.n ?? 0); missing > 0; missing -= 500) {
      const batch = Array.from({ length: Math.min(500, missing) }, () =>
        decisionFor(created.subjectId),
      );
      await runtime.transaction((manager) => writer.appendWithin(manager, REGION, batch));
    }
    for (;;) {
      const pending = await runtime.query<{ n: string }[]>(
        'SELECT count(*)::text AS n FROM audit_pending',
      );
      if (pending[0]?.n === '0') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const key = CheckpointSigner.fromFile(stack.config.audit.signingKeyFile).keyFor(REGION);
    const verifyStarted = performance.now();
    const verified = await verifyLog((work) => work(runtime.manager), REGION, key);
    const verifySeconds = (performance.now() - verifyStarted) / 1000;
    const size = await store.treeSize(runtime.manager);

    const rate = (n: number) => `${n.toFixed(0)}/s`;
    const ratio = (a: number, b: number) => `${((a / b) * 100).toFixed(0)} %`;
    process.stdout.write(
      `\naudit benchmark: one region, PostgreSQL 17 durable (fsync on), ${String(CONCURRENCY)} concurrent, ${String(SECONDS)} s per run, 2 cores shared by everything\n\n`,
    );
    printTable([
      ['', 'rate', 'vs baseline', 'target'],
      ['record write (baseline)', rate(plainWrites), '', ''],
      ['record write + log append', rate(audited), ratio(audited, plainWrites), '≥ 90 %'],
      ['raw PG: select + insert audit row + commit', rate(raw), '', ''],
      [
        `gateway GET over HTTP (audited)${httpOk ? '' : ' — ERRORS'}`,
        rate(http.requests.average),
        ratio(http.requests.average, raw),
        '≥ 50 %',
      ],
      [
        '  latency p50 / p99',
        `${String(http.latency.p50)} / ${String(http.latency.p99)} ms`,
        '',
        '',
      ],
      [
        'integration delay p50 / p99',
        `${percentile(delays, 50).toFixed(0)} / ${percentile(delays, 99).toFixed(0)} ms`,
        `${String(delays.length)} entries`,
        'p99 ≤ 1000 ms',
      ],
      [
        'full verification',
        rate(verified.treeSize / verifySeconds),
        `${String(verified.treeSize)} leaves, ${verified.ok ? 'ok' : 'FAILED'} (tree ${String(size)})`,
        '≥ 100,000/s',
      ],
    ]);
  } finally {
    await runtime.destroy();
    await owner.end();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
