import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';

/**
 * The attack: make one region slow (an insider holds a lock on its blind index, or the store is
 * simply overloaded) and keep sending cross-border queries. The gateway answers that region
 * `unavailable` after GATEWAY_QUERY_REGION_TIMEOUT_MS, but its statements used to keep waiting
 * in PostgreSQL, each holding a pooled connection until the statement timeout: a few queries
 * exhausted the region's pool and every other request to that region failed. A timed-out
 * region's statement must now stop in PostgreSQL and give its connection back at once.
 */

const SLOW = 'us-east-1';
const TIMEOUT_MS = 1000;

interface QueryBody {
  items: { recordId: string; region: string }[];
  regions: Record<string, { status: string; reason?: string }>;
}

describe('attack: a slow region must not keep its cancelled queries running', () => {
  let gateway: TestGateway;
  let token: string;
  let subject: CreatedSubject;
  let insider: pg.Client | undefined;
  const decisionIds: string[] = [];

  before(async () => {
    gateway = await TestGateway.start({
      env: {
        GATEWAY_QUERY_REGION_TIMEOUT_MS: String(TIMEOUT_MS),
        // Far beyond the test: only the cancellation can stop the statements in time.
        GATEWAY_DB_STATEMENT_TIMEOUT_MS: '120000',
      },
    });
    token = await gateway.token({ service: 'svc:feed', region: 'us-east-1' });
    for (let i = 0; i < 40; i++) {
      subject = await createSubject(gateway, token, 'US');
      if (subject.homeRegion === SLOW) break;
    }
    assert.equal(subject.homeRegion, SLOW);
    const stored = await gateway.request(
      'PUT',
      recordPath(subject.subjectId, 'direct_message', 'm1'),
      { token, body: { senderId: 'u-slow', body: 'hello' } },
    );
    assert.equal(stored.status, 201, stored.text);
  });
  after(async () => {
    await insider?.end().catch(() => undefined);
    await gateway.close();
  });

  /** The gateway's statements in the slow region that are running (or waiting on a lock). */
  async function runningGatewayStatements(): Promise<number> {
    const rows = await gateway.regions.query<{ n: string }>(
      SLOW,
      `SELECT count(*)::text AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name LIKE $1 AND state <> 'idle'`,
      [`rg:${SLOW}:%`],
    );
    return Number(rows[0]?.n);
  }

  /** The gateway's connections to the slow region's store, idle in its pool. */
  async function idleGatewayConnections(): Promise<number> {
    const rows = await gateway.regions.query<{ n: string }>(
      SLOW,
      `SELECT count(*)::text AS n FROM pg_stat_activity
       WHERE datname = current_database() AND application_name LIKE $1 AND state = 'idle'`,
      [`rg:${SLOW}:%`],
    );
    return Number(rows[0]?.n);
  }

  async function waitUntil(check: () => Promise<boolean>, withinMs: number): Promise<number> {
    const started = performance.now();
    while (performance.now() - started < withinMs) {
      if (await check()) return performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail(`not within ${String(withinMs)} ms`);
  }

  const query = () =>
    gateway.request<QueryBody>('POST', '/v1/query', {
      token,
      body: { collection: 'direct_message', where: { senderId: 'u-slow' }, jurisdictions: ['US'] },
    });

  it('a locked region times out, its statements are cancelled in PostgreSQL and its pool is whole again', async (t) => {
    // An insider with the owner's credentials holds the blind index for as long as they like.
    const lock = new pg.Client({
      connectionString: gateway.regions.get(SLOW).migrationDatabaseUrl,
    });
    insider = lock;
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE blind_index IN ACCESS EXCLUSIVE MODE');
    try {
      // More queries at once than the region has connections (the test regions have 5).
      const pool = gateway.regions.get(SLOW).poolSize;
      const started = performance.now();
      const answers = await Promise.all(Array.from({ length: pool + 3 }, query));
      const answeredMs = performance.now() - started;
      for (const answer of answers) {
        assert.equal(answer.status, 200, answer.text);
        decisionIds.push(...(answer.headers.get('x-decision-id') ?? '').split(', '));
        assert.deepEqual(answer.body.regions[SLOW], {
          status: 'unavailable',
          count: 0,
          reason: 'timeout',
        });
        assert.equal(answer.body.regions['us-west-2']?.status, 'ok');
      }
      const freedMs = await waitUntil(async () => (await runningGatewayStatements()) === 0, 5000);
      t.diagnostic(
        `${String(answers.length)} queries answered in ${answeredMs.toFixed(0)} ms; no gateway statement left in ${SLOW} ${freedMs.toFixed(0)} ms after the answers`,
      );
      // The lock is still held: the connections came back because the statements were
      // cancelled, not because they finished. Another request to the region is served now.
      assert.ok((await idleGatewayConnections()) >= 1);
      const readStarted = performance.now();
      const read = await gateway.request(
        'GET',
        recordPath(subject.subjectId, 'direct_message', 'm1'),
        { token },
      );
      assert.equal(read.status, 200, read.text);
      t.diagnostic(
        `a read in ${SLOW} while the lock is held: ${(performance.now() - readStarted).toFixed(0)} ms`,
      );
    } finally {
      await lock.query('ROLLBACK');
    }
  });

  it('once the region is fast again, the same query finds its record', async () => {
    const answer = await query();
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.regions[SLOW]?.status, 'ok');
    assert.deepEqual(
      answer.body.items.map((item) => item.recordId),
      ['m1'],
    );
  });

  it('every decision of the timed-out queries was still logged, the slow region’s too', async () => {
    const named = new Set(decisionIds);
    assert.ok(named.size >= 2 * (gateway.regions.get(SLOW).poolSize + 3), String(named.size));
    await waitUntil(async () => {
      let logged = 0;
      for (const region of ['us-east-1', 'us-west-2']) {
        const rows = await gateway.regions.query<{ n: string }>(
          region,
          'SELECT count(*)::text AS n FROM audit_entries WHERE decision_id::text = ANY($1)',
          [[...named]],
        );
        logged += Number(rows[0]?.n);
      }
      return logged === named.size;
    }, 5000);
  });
});
