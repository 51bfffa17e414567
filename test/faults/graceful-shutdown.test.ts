import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ShutdownState } from '../../src/health/shutdown-state.js';
import { createSubject, recordPath } from '../harness/subjects.js';
import { TestGateway } from '../harness/test-gateway.js';
import { TestRegions } from '../harness/test-regions.js';

/**
 * Shutdown (what SIGTERM runs): readiness turns 503 `draining` at once while requests are still
 * served for GATEWAY_SHUTDOWN_DRAIN_MS, so a load balancer stops sending before anything is
 * refused; requests in flight when the server stops accepting still finish with their answer.
 */
const DRAIN_MS = 1500;

describe('graceful shutdown', () => {
  let regions: TestRegions;
  let gateway: TestGateway;
  let token: string;
  let subjectId: string;

  before(async () => {
    regions = await TestRegions.create();
    gateway = await TestGateway.start({
      regions,
      env: { GATEWAY_SHUTDOWN_DRAIN_MS: String(DRAIN_MS) },
    });
    token = await gateway.token({ region: 'us-east-1' });
    subjectId = (await createSubject(gateway, token, 'US')).subjectId;
    const put = await gateway.request('PUT', recordPath(subjectId, 'profile', 'main'), {
      token,
      body: { displayName: 'Still here', username: 'still' },
    });
    assert.equal(put.status, 201, put.text);
  });
  after(async () => {
    await regions.drop();
  });

  it('drains: readiness 503 draining, requests still served, in-flight writes finish, then closed', async () => {
    assert.equal((await gateway.request('GET', '/readyz')).status, 200);
    const started = performance.now();
    const closing = gateway.app.close();
    await sleep(50);

    const ready = await gateway.request<{ status: string }>('GET', '/readyz');
    assert.equal(ready.status, 503);
    assert.equal(ready.body.status, 'draining');
    const read = await gateway.request<{ data: { displayName: string } }>(
      'GET',
      recordPath(subjectId, 'profile', 'main'),
      { token },
    );
    assert.equal(read.status, 200, 'still served while draining');
    assert.equal(read.body.data.displayName, 'Still here');

    // Writes sent during the drain all get their answer, none a 5xx.
    const writes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        gateway.request('PUT', recordPath(subjectId, 'profile', `drain-${String(i)}`), {
          token,
          body: { displayName: `Drain ${String(i)}`, username: `drain${String(i)}` },
        }),
      ),
    );
    assert.deepEqual(
      writes.map((w) => w.status),
      Array<number>(10).fill(201),
    );

    await closing;
    assert.ok(performance.now() - started >= DRAIN_MS, 'closed before the drain period ended');
    await assert.rejects(fetch(`${gateway.url}/healthz`), 'the port no longer accepts');
    const stored = await regions.query<{ n: string }>(
      'us-east-1',
      "SELECT count(*)::text AS n FROM records WHERE record_id LIKE 'drain-%'",
    );
    const elsewhere = await regions.query<{ n: string }>(
      'us-west-2',
      "SELECT count(*)::text AS n FROM records WHERE record_id LIKE 'drain-%'",
    );
    assert.equal(Number(stored[0]?.n) + Number(elsewhere[0]?.n), 10);
  });

  it('after the drain, a new request on an open connection is 503 shutting_down as problem+json, and nothing is decided', async () => {
    const other = await TestGateway.start({ regions });
    try {
      const otherToken = await other.token({ region: 'us-east-1' });
      other.app.get(ShutdownState).closing = true;
      const refused = await other.request<{ code: string; type: string; status: number }>(
        'GET',
        recordPath(subjectId, 'profile', 'main'),
        { token: otherToken },
      );
      assert.equal(refused.status, 503);
      assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(refused.body.code, 'shutting_down');
      assert.equal(refused.body.type, 'urn:residency-gateway:problem:shutting_down');
      assert.equal(refused.headers.get('retry-after'), '1');
      assert.equal(refused.headers.get('connection'), 'close');
      assert.equal(refused.headers.get('x-decision-id'), null, 'nothing was decided');
      assert.notEqual(refused.headers.get('x-request-id'), null);
    } finally {
      other.app.get(ShutdownState).closing = false;
      await other.close();
    }
  });
});
