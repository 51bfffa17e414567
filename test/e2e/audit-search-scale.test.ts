import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';

/**
 * The auditors' search (the console's decisions view) stays fast on a log of 100,000 entries:
 * each filter an auditor narrows by is answered from an index, not by walking the log.
 */

const REGION = 'eu-central-1';
const ENTRIES = 100_000;

/** What the search runs (audit-log.reader.ts), for EXPLAIN. */
const SEARCH = (where: string) =>
  `SELECT e.id, e.leaf, l.leaf_index FROM audit_entries e LEFT JOIN audit_leaves l ON l.entry_id = e.id
   WHERE e.id > 0 AND ${where} ORDER BY e.id LIMIT 51`;

describe('audit search on 100,000 entries', () => {
  let gateway: TestGateway;
  let auditor: string;

  before(async () => {
    gateway = await TestGateway.start();
    auditor = await gateway.token({ service: 'svc:audit', region: REGION, roles: ['auditor'] });
    // An insider-free shortcut to a big log: rows as the gateway's filter columns would hold
    // them (these leaves are never integrated; only the search is measured here).
    await gateway.regions.query(
      REGION,
      `WITH g AS (
         SELECT i, gen_random_uuid() AS id, now() - (i || ' seconds')::interval AS at,
                CASE WHEN i % 5 = 0 THEN 'US' ELSE 'EU' END AS cj,
                CASE WHEN i % 10000 = 1 THEN 'case.approve' WHEN i % 3 = 0 THEN 'write' ELSE 'read' END AS act,
                i % 20 <> 0 AS ok, i % 5000 = 0 AS bg
         FROM generate_series(1, ${String(ENTRIES)}) AS i)
       INSERT INTO audit_entries (decision_id, leaf, logged_at, caller_service, caller_jurisdiction,
                                  subject_ids, action, purpose, allowed, break_glass, bundle_revision)
       SELECT id,
              convert_to(json_build_object(
                'decision_id', id, 'timestamp', at, 'region', '${REGION}',
                'input', json_build_object('caller', json_build_object('service', 'svc:s' || (i % 50), 'jurisdiction', cj),
                                           'action', act, 'purpose', 'service-delivery'),
                'result', json_build_object('allow', ok, 'reasons', '[]'::json, 'break_glass', bg),
                'bundles', json_build_object('residency', json_build_object('revision', 'r1')))::text, 'UTF8'),
              at, 'svc:s' || (i % 50), cj, ARRAY['s1.${REGION}.' || lpad(i::text, 26, '0')], act,
              'service-delivery', ok, bg, 'r1'
       FROM g`,
    );
    await gateway.regions.query(REGION, 'ANALYZE audit_entries');
  });

  after(async () => {
    await gateway.close();
  });

  const subject = `s1.${REGION}.${'77777'.padStart(26, '0')}`;
  /** [name, query string, the search's WHERE (audit-log.reader.ts), the index that answers it] */
  const filters: [string, string, string, string][] = [
    ['first page, no filter', '', 'e.id > 0', 'audit_entries_pkey'],
    ['break-glass only', 'breakGlass=true', 'e.break_glass = true', 'audit_entries_break_glass'],
    [
      'one action (rare)',
      'action=case.approve',
      "e.action = 'case.approve'",
      'audit_entries_action',
    ],
    [
      'denied from the US',
      'allowed=false&callerJurisdiction=US',
      "e.allowed = false AND e.caller_jurisdiction = 'US'",
      'audit_entries_denied',
    ],
    [
      'one subject',
      `subject=${subject}`,
      `e.id = ANY(ARRAY(SELECT s.id FROM audit_entries s WHERE s.subject_ids @> ARRAY['${subject}']::text[]))`,
      'audit_entries_subjects',
    ],
    [
      'one caller service',
      'service=svc:s7',
      "e.caller_service = 'svc:s7'",
      'audit_entries_service',
    ],
  ];

  for (const [name, query, where, index] of filters) {
    it(`${name}: answered within 500 ms from an index`, async () => {
      const started = performance.now();
      const page = await gateway.request<{ items: unknown[] }>(
        'GET',
        `/v1/audit/decisions?region=${REGION}&limit=50${query === '' ? '' : `&${query}`}`,
        { token: auditor },
      );
      const ms = performance.now() - started;
      assert.equal(page.status, 200, page.text);
      assert.ok(page.body.items.length > 0, 'the filter matches something');
      process.stdout.write(`search ${name}: ${ms.toFixed(0)} ms\n`);
      assert.ok(ms < 500, `${name} took ${ms.toFixed(0)} ms`);
      const plan = await gateway.regions.query<{ 'QUERY PLAN': string }>(
        REGION,
        `EXPLAIN ${SEARCH(where)}`,
      );
      const text = plan.map((row) => row['QUERY PLAN']).join('\n');
      assert.doesNotMatch(text, /Seq Scan on audit_entries/, text);
      assert.match(
        text,
        new RegExp(`Index Scan using ${index} |Bitmap Index Scan on ${index}\\b`),
        text,
      );
    });
  }

  it('newest first: the last page of the log is answered from the end of the index', async () => {
    const started = performance.now();
    const page = await gateway.request<{ items: { decision_id: string }[]; nextCursor: string }>(
      'GET',
      `/v1/audit/decisions?region=${REGION}&limit=50&order=newest&breakGlass=true`,
      { token: auditor },
    );
    const ms = performance.now() - started;
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.items.length, 20);
    assert.ok(ms < 500, `newest first took ${ms.toFixed(0)} ms`);
    const plan = await gateway.regions.query<{ 'QUERY PLAN': string }>(
      REGION,
      `EXPLAIN SELECT e.id FROM audit_entries e WHERE e.id < 9007199254740991 ORDER BY e.id DESC LIMIT 51`,
    );
    assert.match(
      plan.map((row) => row['QUERY PLAN']).join('\n'),
      /Index Scan Backward using audit_entries_pkey|Index Only Scan Backward using audit_entries_pkey/,
    );
  });
});
