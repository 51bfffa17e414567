import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chmodSync } from 'node:fs';
import { AuditLogWriter } from '../src/audit-log/audit-log.writer.js';
import type { RegionConfig } from '../src/platform/config/gateway-config.js';
import { createRegionDataSource } from '../src/platform/database/region-data-source.factory.js';
import { migrateRegion } from '../src/platform/database/region-migrator.js';
import type { Decision } from '../src/policy/decision.js';
import { RecordsRepository } from '../src/records/records.repository.js';
import { freePort } from '../tools/local-stack/free-port.js';
import { PostgresServer } from '../tools/local-stack/postgres-server.js';
import { printTable } from './bench-runner.js';

/**
 * `npm run bench:audit`: what the audit append costs a write. The same record writes (1 KiB
 * envelope, one transaction each, 16 in flight) against a real PostgreSQL, with and without
 * the decision-log append (chain head lock + entry insert) in the write's transaction.
 */
const SECONDS = 4;
const CONCURRENCY = 16;
const REGION = 'us-east-1';
const SUBJECT = 's1.us-east-1.0123456789abcdefghjkmnpqrs';

function decisionFor(): Decision {
  return {
    allow: true,
    reasons: ['permitted'],
    fields: {},
    break_glass: false,
    decisionId: randomUUID(),
    revision: 'bench',
    input: {
      caller: { service: 'svc:bench', region: REGION, jurisdiction: 'US', roles: ['service'] },
      action: 'write',
      purpose: 'service-delivery',
      case: null,
      resource: {
        subject: SUBJECT,
        homeRegion: REGION,
        jurisdiction: 'US',
        collection: 'watch_event',
        fields: ['videoId'],
      },
      now: new Date().toISOString(),
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  chmodSync(dir, 0o755);
  const server = await PostgresServer.start({
    name: 'bench',
    dataDir: join(dir, 'pg'),
    port: await freePort(),
    ephemeral: true,
  });
  try {
    await server.ensureDatabase('bench');
    const region: RegionConfig = {
      id: REGION,
      jurisdiction: 'US',
      databaseUrl: server.url('bench'),
      kmsKeyId: 'unused',
      kmsEndpoint: undefined,
      poolSize: CONCURRENCY,
      placementWeight: 1,
    };
    const database = { connectTimeoutMs: 3000, statementTimeoutMs: 10_000 };
    const migrated = await migrateRegion(region, database);
    if (!migrated.ok) throw new Error(migrated.error);
    const ds = createRegionDataSource(region, database);
    await ds.initialize();
    await ds.query(
      "INSERT INTO subjects (id, home_region, jurisdiction, country) VALUES ($1, $2, 'US', 'US')",
      [SUBJECT, REGION],
    );
    const records = new RecordsRepository();
    const audit = new AuditLogWriter('bench', {
      transaction: (_region, work) => ds.transaction(work),
    });
    const envelope = randomBytes(1024 + 29);

    const run = async (
      label: string,
      audited: boolean,
    ): Promise<{ label: string; writes: number; perSecond: number }> => {
      let counter = 0;
      const deadline = performance.now() + SECONDS * 1000;
      const started = performance.now();
      const worker = async (): Promise<void> => {
        while (performance.now() < deadline) {
          const recordId = `${label}-${String(counter++)}`;
          await ds.transaction(async (manager) => {
            await records.write(
              manager,
              { subjectId: SUBJECT, collection: 'watch_event', recordId },
              { version: 1, keyVersion: 1, envelope },
            );
            if (audited) await audit.appendWithin(manager, REGION, [decisionFor()]);
          });
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      const seconds = (performance.now() - started) / 1000;
      return { label, writes: counter, perSecond: counter / seconds };
    };

    await run('warmup', true);
    const plain = await run('plain', false);
    const audited = await run('audited', true);
    const plainAgain = await run('plain2', false);
    const baseline = (plain.perSecond + plainAgain.perSecond) / 2;
    process.stdout.write(
      `\naudit benchmark: ${String(CONCURRENCY)} concurrent writers, ${String(SECONDS)} s each, one PostgreSQL 15 on loopback\n\n`,
    );
    printTable([
      ['', 'writes', 'writes/s'],
      [
        'record write (baseline, mean of two runs)',
        String(plain.writes + plainAgain.writes),
        baseline.toFixed(0),
      ],
      ['record write + audit append', String(audited.writes), audited.perSecond.toFixed(0)],
      [
        'cost of auditing',
        '',
        `${((1 - audited.perSecond / baseline) * 100).toFixed(0)}% fewer writes/s (${(audited.perSecond / baseline).toFixed(2)}×)`,
      ],
    ]);
    await ds.destroy();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
