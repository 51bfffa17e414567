import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway, type TestResponse } from '../harness/test-gateway.js';
import { TokenForge } from '../harness/token-forge.js';

/**
 * The attack: one service (compromised, or just broken) floods a route. Past its budget it gets
 * 429 `rate_limited` with Retry-After, before anything is decided, logged or stored, while
 * other services — and its own other routes — are served as usual. An outsider who forges a
 * token naming a service spends the budget of its own address, never the named service's.
 */

const LIMIT = 5;
const ANONYMOUS_LIMIT = 3;
const WINDOW_SECONDS = 60;

interface Problem {
  type: string;
  status: number;
  code: string;
  retryAfterSeconds?: number;
}

function assertRateLimited(response: TestResponse<Problem>): void {
  assert.equal(response.status, 429, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(response.body.code, 'rate_limited');
  assert.equal(response.body.type, 'urn:residency-gateway:problem:rate_limited');
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_SECONDS,
    `Retry-After: ${String(response.headers.get('retry-after'))}`,
  );
  assert.equal(response.body.retryAfterSeconds, retryAfter);
  assert.equal(response.headers.get('x-decision-id'), null, 'nothing was decided');
}

describe('attack: flooding a route', () => {
  let gateway: TestGateway;
  let flooder: string;
  let neighbour: string;

  before(async () => {
    gateway = await TestGateway.start({
      env: {
        GATEWAY_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
        GATEWAY_RATE_LIMIT_ROLES: `service=${String(LIMIT)}`,
        GATEWAY_RATE_LIMIT_ANONYMOUS: String(ANONYMOUS_LIMIT),
      },
    });
    flooder = await gateway.token({ service: 'svc:flooder', region: 'eu-central-1' });
    neighbour = await gateway.token({ service: 'svc:neighbour', region: 'eu-central-1' });
  });
  after(async () => {
    await gateway.close();
  });

  async function stored(): Promise<{ subjects: number; decisions: number }> {
    const [subjects, decisions] = await Promise.all(
      ['subjects', 'audit_entries'].map(async (table) => {
        const rows = await gateway.regions.query<{ n: string }>(
          'eu-central-1',
          `SELECT count(*)::text AS n FROM ${table}`,
        );
        return Number(rows[0]?.n);
      }),
    );
    return { subjects: subjects ?? -1, decisions: decisions ?? -1 };
  }

  const createSubject = (token: string) =>
    gateway.request<Problem & { subjectId?: string }>('POST', '/v1/subjects', {
      token,
      body: { country: 'DE' },
    });

  it('past its budget a service gets 429 with Retry-After, and nothing is decided or stored', async () => {
    const limitedBefore = await gateway.metric(
      'gateway_rate_limited_total{route="/v1/subjects",caller="service"}',
    );
    const before = await stored();
    for (let i = 0; i < LIMIT; i++) {
      const response = await createSubject(flooder);
      assert.equal(response.status, 201, response.text);
      assert.equal(response.headers.get('x-ratelimit-remaining'), String(LIMIT - 1 - i));
    }
    for (let i = 0; i < 3; i++) assertRateLimited(await createSubject(flooder));
    const after = await stored();
    assert.equal(after.subjects, before.subjects + LIMIT, 'only the requests within budget stored');
    assert.equal(after.decisions, before.decisions + LIMIT, 'only those were decided and logged');
    assert.equal(
      await gateway.metric('gateway_rate_limited_total{route="/v1/subjects",caller="service"}'),
      limitedBefore + 3,
    );
  });

  it('another service on the same route is not affected', async () => {
    const response = await createSubject(neighbour);
    assert.equal(response.status, 201, response.text);
  });

  it('the same service on another route has a budget of its own', async () => {
    const response = await gateway.request('GET', '/v1/policy', { token: flooder });
    assert.equal(response.status, 200, response.text);
  });

  it('a forged token naming a service spends its sender’s budget, not the service’s', async () => {
    const forge = new TokenForge(gateway.keys);
    // Signed by an attacker's key: refused (401), counted against the sending address.
    const forged = await forge.wrongKey();
    for (let i = 0; i < ANONYMOUS_LIMIT; i++) {
      const response = await gateway.request<Problem>('GET', '/v1/policy', { token: forged });
      assert.equal(response.status, 401, response.text);
    }
    assertRateLimited(await gateway.request<Problem>('GET', '/v1/policy', { token: forged }));
    // Without a token at all: the same address, the same route, the same budget.
    assertRateLimited(await gateway.request<Problem>('GET', '/v1/policy'));
    // The service it named (svc:forged) is a real caller elsewhere: unaffected.
    const named = await gateway.token({ service: 'svc:forged', region: 'eu-central-1' });
    assert.equal((await gateway.request('GET', '/v1/policy', { token: named })).status, 200);
  });

  it('health and readiness probes are limited per address too, route by route', async () => {
    for (let i = 0; i < ANONYMOUS_LIMIT; i++) {
      assert.equal((await gateway.request('GET', '/healthz')).status, 200);
    }
    assertRateLimited(await gateway.request<Problem>('GET', '/healthz'));
    assert.equal((await gateway.request('GET', '/readyz')).status, 200);
  });
});
