import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { jcs } from '../../src/platform/encoding/jcs.js';
import { canonicalJson } from '../../src/platform/encoding/canonical-json.js';
import { MIGRATIONS } from '../../src/platform/database/schema.js';
import { migrateRegion } from '../../src/platform/database/region-migrator.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { freePort } from '../../tools/local-stack/free-port.js';
import { childEnv, harnessWorkDir } from '../harness/harness-state.js';
import { residencyCli } from '../harness/processes.js';
import { TestGateway } from '../harness/test-gateway.js';
import { TestKeys } from '../harness/test-keys.js';
import { TestRegions } from '../harness/test-regions.js';

const REGION = 'eu-central-1';

/** Who holds this store's integrator lock (advisory locks of this database only). */
const LOCK_HOLDER = `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`;

const children: ChildProcess[] = [];

/** A real gateway process (dist/src/main.js) over the given stores. */
async function startProcess(
  regions: TestRegions,
  keys: TestKeys,
  instance: string,
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const config = TestGateway.config(regions, keys);
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
    cwd: PROJECT_ROOT,
    env: childEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      GATEWAY_INSTANCE_ID: instance,
      GATEWAY_LOG_LEVEL: 'warn',
      GATEWAY_TOPOLOGY: JSON.stringify({ regions: regions.regions }),
      GATEWAY_JWKS_FILE: keys.jwksFile,
      GATEWAY_DEVELOPMENT: 'true',
      GATEWAY_POLICY_PUBLIC_KEY_FILE: 'policies/keys/dev-bundle-signing.pub.pem',
      GATEWAY_AUDIT_SIGNING_KEY_FILE: config.audit.signingKeyFile,
      GATEWAY_AUDIT_INTEGRATION_MS: '100',
      // One process, so killing it kills its integrator (and not just a cluster primary).
      GATEWAY_WORKERS: '1',
    }),
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  children.push(child);
  const url = `http://127.0.0.1:${String(port)}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { child, url };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`gateway ${instance} did not start`);
}

async function count(regions: TestRegions, sql: string): Promise<number> {
  const rows = await regions.query<{ n: string }>(REGION, sql);
  return Number(rows[0]?.n ?? -1);
}

describe('audit: integration across gateway instances', () => {
  let regions: TestRegions;
  let keys: TestKeys;

  before(async () => {
    regions = await TestRegions.create([{ id: REGION, jurisdiction: 'EU' }]);
    keys = await TestKeys.create(harnessWorkDir());
    const config = TestGateway.config(regions, keys);
    const migrated = await migrateRegion(regions.get(REGION), config.database);
    assert.ok(migrated.ok);
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await regions.drop();
  });

  it('two instances under load, the integrating one killed mid-run: every acknowledged access ends up in the tree exactly once, and the log verifies', async () => {
    const a = await startProcess(regions, keys, 'gw-a');
    const b = await startProcess(regions, keys, 'gw-b');
    const token = await keys.token({ service: 'svc:feed', region: REGION, roles: ['service'] });
    const subject = (await (
      await fetch(`${a.url}/v1/subjects`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ country: 'DE' }),
      })
    ).json()) as { subjectId: string };

    const acknowledged: string[] = [];
    let stop = false;
    let written = 0;
    const worker = async (url: string): Promise<void> => {
      while (!stop) {
        const id = `r${String(written++)}`;
        try {
          const response = await fetch(
            `${url}/v1/subjects/${subject.subjectId}/records/profile/${id}`,
            {
              method: 'PUT',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ displayName: id }),
            },
          );
          await response.arrayBuffer();
          const decision = response.headers.get('x-decision-id');
          if (response.status < 300 && decision !== null) acknowledged.push(decision);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 20)); // a killed gateway
        }
      }
    };
    const workers = [a.url, a.url, b.url, b.url].map((url) => worker(url));
    await new Promise((resolve) => setTimeout(resolve, 1500));

    // Kill whichever instance holds the region's integrator lock, in the middle of the load.
    const holders = await regions.query<{ application_name: string }>(REGION, LOCK_HOLDER);
    assert.equal(holders.length, 1, 'exactly one instance integrates the region');
    const leader = holders[0]?.application_name.endsWith(':gw-a') === true ? a : b;
    const survivor = leader === a ? b : a;
    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await once(leader.child, 'exit');

    await new Promise((resolve) => setTimeout(resolve, 1500));
    stop = true;
    await Promise.all(workers);

    // The survivor takes over and integrates everything committed, including what the killed
    // instance's accesses committed.
    let tookOverMs = -1;
    for (let i = 0; i < 200 && tookOverMs < 0; i++) {
      const holder = await regions.query<{ application_name: string }>(REGION, LOCK_HOLDER);
      if (holder.length === 1) tookOverMs = Date.now() - killedAt;
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(tookOverMs >= 0 && tookOverMs < 10_000, `took over in ${String(tookOverMs)} ms`);
    for (let i = 0; i < 200; i++) {
      if ((await count(regions, 'SELECT count(*)::text AS n FROM audit_pending')) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(acknowledged.length > 50, `load ran (${String(acknowledged.length)} acknowledged)`);

    const entries = await count(regions, 'SELECT count(*)::text AS n FROM audit_entries');
    const leaves = await count(regions, 'SELECT count(*)::text AS n FROM audit_leaves');
    const top = await count(regions, 'SELECT (max(leaf_index) + 1)::text AS n FROM audit_leaves');
    assert.equal(leaves, entries, 'every committed entry is in the tree');
    assert.equal(top, leaves, 'leaf indices are 0..n-1 without gaps');
    const missing = await regions.query<{ decision_id: string }>(
      REGION,
      `SELECT d AS decision_id FROM unnest($1::uuid[]) AS d
       WHERE NOT EXISTS (SELECT 1 FROM audit_entries e JOIN audit_leaves l ON l.entry_id = e.id WHERE e.decision_id = d)`,
      [acknowledged],
    );
    assert.deepEqual(missing, [], 'no acknowledged access is missing from the tree');

    const verified = await residencyCli({ regions, config: TestGateway.config(regions, keys) }, [
      'audit',
      'verify',
      '--region',
      REGION,
      '--no-sink',
    ]);
    assert.equal(verified.code, 0, verified.stderr);
    survivor.child.kill('SIGTERM');
    await once(survivor.child, 'exit');
  });
});

describe('audit: the hash chain of earlier releases is carried into the transparency log', () => {
  const oldChain = async (regions: TestRegions, breakAt?: number): Promise<string[]> => {
    const region = regions.get(REGION);
    const ds = new DataSource({
      type: 'postgres',
      url: region.migrationDatabaseUrl,
      migrations: MIGRATIONS.slice(0, 4),
      migrationsTableName: 'schema_migrations',
    });
    await ds.initialize();
    try {
      await ds.runMigrations({ transaction: 'each' });
      await ds.query("INSERT INTO store_identity (region, jurisdiction) VALUES ($1, 'EU')", [
        REGION,
      ]);
      let previous = Buffer.alloc(32);
      const ids: string[] = [];
      for (let seq = 1; seq <= 12; seq++) {
        const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
        ids.push(id);
        const entry = {
          decision_id: id,
          timestamp: new Date(Date.UTC(2026, 10, 1, 0, 0, seq)).toISOString(),
          path: 'residency/decision',
          input: {
            caller: { service: 'svc:old', region: REGION, jurisdiction: 'EU', roles: ['service'] },
            action: 'read',
            purpose: 'service-delivery',
            case: null,
            resource: { subject: `s1.${REGION}.0000000000000000000000000${String(seq % 10)}` },
            now: '2026-11-01T00:00:00.000Z',
          },
          result: { allow: true, reasons: ['read_full'], fields: {}, break_glass: false },
          bundles: { residency: { revision: 'old' } },
          labels: { id: 'old-gateway', region: REGION },
        };
        let hash = createHash('sha256')
          .update(previous)
          .update(canonicalJson({ region: REGION, seq, entry }))
          .digest();
        if (seq === breakAt) hash = Buffer.alloc(32, 1);
        await ds.query(
          `INSERT INTO audit_log (region, seq, decision_id, logged_at, entry, prev_hash, hash, caller_service, subject_id, action, allowed, break_glass)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'svc:old', $8, 'read', true, false)`,
          [
            REGION,
            seq,
            id,
            entry.timestamp,
            JSON.stringify(entry),
            previous,
            hash,
            entry.input.resource.subject,
          ],
        );
        previous = hash;
      }
      await ds.query('INSERT INTO audit_head (region, seq, hash) VALUES ($1, 12, $2)', [
        REGION,
        previous,
      ]);
      return ids;
    } finally {
      await ds.destroy();
    }
  };

  it('verifies the old chain, queues its entries in chain order as the first leaves, and archives it read-only', async () => {
    const regions = await TestRegions.create([{ id: REGION, jurisdiction: 'EU' }]);
    const ids = await oldChain(regions);
    const gateway = await TestGateway.start({ regions }); // migrates the rest, then integrates
    try {
      await gateway.integrate();
      const leaves = await regions.query<{ decision_id: string; leaf: Buffer }>(
        REGION,
        `SELECT e.decision_id::text AS decision_id, e.leaf FROM audit_leaves l JOIN audit_entries e ON e.id = l.entry_id
         WHERE l.leaf_index < 12 ORDER BY l.leaf_index`,
      );
      assert.deepEqual(
        leaves.map((row) => row.decision_id),
        ids,
      );
      for (const row of leaves) {
        const entry = JSON.parse(row.leaf.toString('utf8')) as { region: string };
        assert.equal(entry.region, REGION);
        assert.equal(jcs(entry), row.leaf.toString('utf8'));
      }
      const verified = await residencyCli(gateway, ['audit', 'verify', '--region', REGION]);
      assert.equal(verified.code, 0, verified.stderr);
      await assert.rejects(regions.query(REGION, 'DELETE FROM audit_chain_archive'), /append-only/);
      assert.equal(await count(regions, 'SELECT count(*)::text AS n FROM audit_chain_archive'), 12);
    } finally {
      await gateway.close();
      await regions.drop();
    }
  });

  it('refuses to migrate a chain that does not verify, naming where it breaks', async () => {
    const regions = await TestRegions.create([{ id: REGION, jurisdiction: 'EU' }]);
    try {
      await oldChain(regions, 7);
      const config = TestGateway.config(regions, await TestKeys.create(harnessWorkDir()));
      const result = await migrateRegion(regions.get(REGION), config.database);
      assert.ok(!result.ok && /broken at seq 7/.test(result.error), JSON.stringify(result));
    } finally {
      await regions.drop();
    }
  });
});
