import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway, type TestResponse } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';

/**
 * The attack: a caller (any service with a token) sends bodies built to be expensive to parse
 * and walk — a `where` nested 200,000 levels deep in 400 KB, a flat array of 100,000 items, one
 * enormous string. Before the input limits this blocked the event loop for ~0.4–0.7 s per
 * request and answered 500 (the DTO layer recursed until the stack overflowed), for everyone
 * served by that process. Each must now be refused from the raw bytes, before parsing, with a
 * problem+json answer, nothing decided or written, and the gateway keeps serving others.
 */

interface Problem {
  type: string;
  status: number;
  code: string;
  requestId: string;
}

const DEPTH = 200_000;
/** The reported payload: 400 KB, a `where` value nested 200,000 arrays deep. */
const NESTED_WHERE = `{"collection":"direct_message","where":{"senderId":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}}`;

function assertRefused(response: TestResponse<Problem>, status: number, code: string): void {
  assert.equal(response.status, status, response.text.slice(0, 300));
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(response.body.code, code);
  assert.equal(response.body.type, `urn:residency-gateway:problem:${code}`);
  assert.equal(response.headers.get('x-decision-id'), null, 'nothing was decided');
}

describe('attack: JSON bodies built to be expensive to parse', () => {
  let gateway: TestGateway;
  let attacker: string;
  let victim: string;
  let subject: CreatedSubject;

  before(async () => {
    gateway = await TestGateway.start();
    attacker = await gateway.token({ service: 'svc:attacker', region: 'us-east-1' });
    victim = await gateway.token({ service: 'svc:feed', region: 'eu-central-1' });
    subject = await createSubject(gateway, victim, 'DE');
    const stored = await gateway.request(
      'PUT',
      recordPath(subject.subjectId, 'direct_message', 'm1'),
      { token: victim, body: { senderId: 'u-1', body: 'hello' } },
    );
    assert.equal(stored.status, 201, stored.text);
  });
  after(async () => {
    await gateway.close();
  });

  async function decisionsLogged(): Promise<number> {
    let total = 0;
    for (const region of gateway.regions.regions) {
      const rows = await gateway.regions.query<{ n: string }>(
        region.id,
        'SELECT count(*)::text AS n FROM audit_entries',
      );
      total += Number(rows[0]?.n);
    }
    return total;
  }

  /** Sends a hostile body; measures the round trip and the longest stall of the event loop. */
  async function attack(
    method: string,
    path: string,
    rawBody: string,
  ): Promise<{ response: TestResponse<Problem>; ms: number; stallMs: number }> {
    // The gateway runs in this process: a stall of its event loop is a gap between ticks here.
    let last = performance.now();
    let stallMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      stallMs = Math.max(stallMs, now - last);
      last = now;
    }, 1);
    const started = performance.now();
    const response = await gateway.request<Problem>(method, path, { token: attacker, rawBody });
    const ms = performance.now() - started;
    clearInterval(ticker);
    stallMs = Math.max(stallMs, performance.now() - last);
    return { response, ms, stallMs };
  }

  it('the reported 400 KB nested `where` gets 413 from the query route’s small budget, before parsing', async (t) => {
    const logged = await decisionsLogged();
    const { response, ms, stallMs } = await attack('POST', '/v1/query', NESTED_WHERE);
    assertRefused(response, 413, 'payload_too_large');
    assert.equal(await decisionsLogged(), logged, 'no decision was logged');
    t.diagnostic(
      `${String(NESTED_WHERE.length)} bytes: ${response.status} in ${ms.toFixed(1)} ms, event loop stalled ≤ ${stallMs.toFixed(1)} ms`,
    );
  });

  it('nesting within the query route’s byte budget gets 400 json_too_deep', async () => {
    const depth = 7_000;
    const body = `{"collection":"direct_message","where":{"senderId":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
    assert.ok(body.length < 16 * 1024);
    const { response } = await attack('POST', '/v1/query', body);
    assertRefused(response, 400, 'json_too_deep');
  });

  it('the same 400 KB nesting on a route with the full 1 MiB budget gets 400 json_too_deep', async (t) => {
    const body = `{"senderId":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`;
    const path = recordPath(subject.subjectId, 'direct_message', 'm2');
    const logged = await decisionsLogged();
    const { response, ms, stallMs } = await attack('PUT', path, body);
    assertRefused(response, 400, 'json_too_deep');
    const objects = `{"senderId":${'{"a":'.repeat(80_000)}1${'}'.repeat(80_000)}}`;
    assertRefused((await attack('PUT', path, objects)).response, 400, 'json_too_deep');
    assert.equal(await decisionsLogged(), logged, 'no decision was logged');
    assert.equal(
      (await gateway.request('GET', path, { token: victim })).status,
      404,
      'nothing was written',
    );
    t.diagnostic(
      `${String(body.length)} bytes: ${response.status} in ${ms.toFixed(1)} ms, event loop stalled ≤ ${stallMs.toFixed(1)} ms`,
    );
  });

  it('100,000 flat items get 400 json_too_complex; a 300 KB string gets 400 json_string_too_long', async () => {
    const path = recordPath(subject.subjectId, 'direct_message', 'm3');
    const items = `{"senderId":"u","body":[${Array.from({ length: 100_000 }, () => '0').join(',')}]}`;
    assertRefused((await attack('PUT', path, items)).response, 400, 'json_too_complex');
    const keys = `{${Array.from({ length: 20_000 }, (_, i) => `"k${String(i)}":0`).join(',')}}`;
    assertRefused((await attack('PUT', path, keys)).response, 400, 'json_too_complex');
    const long = JSON.stringify({ senderId: 'u', body: 'x'.repeat(300 * 1024) });
    assertRefused((await attack('PUT', path, long)).response, 400, 'json_string_too_long');
  });

  it('a `where` with more fields than a query allows is a semantic limit: 422', async () => {
    const where = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`f${String(i)}`, 'x']));
    const response = await gateway.request<Problem>('POST', '/v1/query', {
      token: attacker,
      body: { collection: 'direct_message', where },
    });
    assertRefused(response, 422, 'invalid_query');
  });

  it('while the attack runs, other callers are served', async () => {
    const hostile = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? gateway.request<Problem>('POST', '/v1/query', { token: attacker, rawBody: NESTED_WHERE })
        : gateway.request<Problem>('PUT', recordPath(subject.subjectId, 'direct_message', 'm4'), {
            token: attacker,
            rawBody: `{"senderId":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`,
          }),
    );
    const served = gateway.request<{ items: { recordId: string }[] }>('POST', '/v1/query', {
      token: victim,
      body: { collection: 'direct_message', where: { senderId: 'u-1' } },
    });
    const [answer, ...refused] = await Promise.all([served, ...hostile]);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(
      answer.body.items.map((item) => item.recordId),
      ['m1'],
    );
    for (const response of refused) assert.ok([400, 413].includes(response.status), response.text);
  });
});
