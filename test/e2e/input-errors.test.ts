import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway, type TestResponse } from '../harness/test-gateway.js';

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  requestId: string;
  errors?: { field: string; problems: string[] }[];
}

function assertProblem(response: TestResponse<Problem>, status: number, code: string): void {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.equal(response.body.status, status);
  assert.equal(response.body.code, code);
  assert.equal(response.body.type, `urn:residency-gateway:problem:${code}`);
  assert.equal(response.body.requestId, response.headers.get('x-request-id'));
  // Nothing from inside the gateway leaks: no stack frames, no driver or framework text.
  assert.doesNotMatch(
    response.text,
    /\bat [\w.<>]+ \(|node_modules|QueryFailedError|FST_ERR|pg_|SQL/,
  );
}

describe('bad input gets a clear problem+json answer and writes nothing', () => {
  let gateway: TestGateway;
  let token: string;

  before(async () => {
    gateway = await TestGateway.start({ env: { GATEWAY_BODY_LIMIT_BYTES: '4096' } });
    token = await gateway.token({ region: 'us-east-1' });
  });
  after(async () => {
    await gateway.close();
  });

  async function subjectCount(): Promise<number> {
    let total = 0;
    for (const region of gateway.regions.regions) {
      const rows = await gateway.regions.query(
        region.id,
        'SELECT count(*)::int AS n FROM subjects',
      );
      total += Number(rows[0]?.['n']);
    }
    return total;
  }

  it('malformed JSON → 400 malformed_body', async () => {
    assertProblem(
      await gateway.request('POST', '/v1/subjects', { token, rawBody: '{"country": "US"' }),
      400,
      'malformed_body',
    );
  });

  it('a body of the wrong shape → 400 invalid_request naming the field', async () => {
    const missing = await gateway.request<Problem>('POST', '/v1/subjects', { token, body: {} });
    assertProblem(missing, 400, 'invalid_request');
    assert.equal(missing.body.errors?.[0]?.field, 'country');
    const wrongType = await gateway.request<Problem>('POST', '/v1/subjects', {
      token,
      body: { country: 840 },
    });
    assertProblem(wrongType, 400, 'invalid_request');
    const extra = await gateway.request<Problem>('POST', '/v1/subjects', {
      token,
      body: { country: 'US', homeRegion: 'eu-central-1' },
    });
    assertProblem(extra, 400, 'invalid_request');
    assert.equal(extra.body.errors?.[0]?.field, 'homeRegion');
    assertProblem(
      await gateway.request('POST', '/v1/subjects', { token, rawBody: '[]' }),
      400,
      'invalid_request',
    );
  });

  it('a body that is not JSON → 415 unsupported_media_type', async () => {
    assertProblem(
      await gateway.request('POST', '/v1/subjects', {
        token,
        rawBody: 'country=US',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'unsupported_media_type',
    );
  });

  it('an oversized body → 413 payload_too_large', async () => {
    const huge = JSON.stringify({ country: 'US', padding: 'x'.repeat(10_000) });
    assertProblem(
      await gateway.request('POST', '/v1/subjects', { token, rawBody: huge }),
      413,
      'payload_too_large',
    );
  });

  it('an unknown or invalid country → 422 unknown_country', async () => {
    for (const country of ['ZZ', 'USA', '', 'U', '🇺🇸']) {
      const response = await gateway.request<Problem>('POST', '/v1/subjects', {
        token,
        body: { country },
      });
      if (country === '') assertProblem(response, 400, 'invalid_request');
      else assertProblem(response, 422, 'unknown_country');
    }
  });

  it('a country whose jurisdiction has no region here → 422 jurisdiction_not_served', async () => {
    assertProblem(
      await gateway.request('POST', '/v1/subjects', { token, body: { country: 'SG' } }),
      422,
      'jurisdiction_not_served',
    );
  });

  it('a malformed subject id → 400 malformed_subject_id', async () => {
    for (const id of [
      'abc',
      's1.us-east-1.short',
      's1.US-EAST-1.0123456789abcdefghjkmnpqrs',
      's1.us-east-1.0123456789abcdefghjkmnpqr%00',
    ]) {
      assertProblem(
        await gateway.request('GET', `/v1/subjects/${id}`, { token }),
        400,
        'malformed_subject_id',
      );
    }
  });

  it('a well-formed id for a region this gateway does not know → 404 unknown_region', async () => {
    const response = await gateway.request<Problem & { region: string }>(
      'GET',
      '/v1/subjects/s1.ap-south-1.0123456789abcdefghjkmnpqrs',
      { token },
    );
    assertProblem(response, 404, 'unknown_region');
    assert.equal(response.body.region, 'ap-south-1');
  });

  it('found by fuzzing: a repeated query parameter and a null body member → 400, not 500', async () => {
    const repeated = await gateway.request<Problem>(
      'GET',
      '/v1/subjects/s1.us-east-1.0123456789abcdefghjkmnpqrs/records/profile/main?fields=email&fields=phone',
      { token },
    );
    assertProblem(repeated, 400, 'invalid_request');
    assert.match(repeated.body.detail ?? '', /fields parameter once/);
    for (const body of [
      { collection: 'profile', where: { username: 'x' }, cursor: null },
      { collection: 'profile', where: { username: 'x' }, fields: null },
    ]) {
      const nulled = await gateway.request<Problem>('POST', '/v1/query', { token, body });
      assertProblem(nulled, 400, 'invalid_request');
      assert.match(nulled.body.errors?.[0]?.problems[0] ?? '', /must not be null/);
    }
  });

  it('found by fuzzing: a path segment over the router limit → 414 uri_too_long as problem+json', async () => {
    const long = await gateway.request<Problem>(
      'GET',
      `/v1/subjects/s1.us-east-1.0123456789abcdefghjkmnpqrs/records/profile/${'x'.repeat(600)}`,
      { token },
    );
    assertProblem(long, 414, 'uri_too_long');
  });

  it('an unknown route → 404 route_not_found', async () => {
    assertProblem(
      await gateway.request('GET', '/v1/nothing-here', { token }),
      404,
      'route_not_found',
    );
  });

  it('none of the refused requests above wrote anything', async () => {
    assert.equal(await subjectCount(), 0);
  });

  it('echoes a caller’s X-Request-Id and mints one otherwise', async () => {
    const echoed = await gateway.request('GET', '/healthz', {
      headers: { 'x-request-id': 'trace-42.abc' },
    });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-42.abc');
    const minted = await gateway.request('GET', '/healthz');
    assert.match(minted.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const unsafe = await gateway.request('GET', '/healthz', {
      headers: { 'x-request-id': 'a b<script>' },
    });
    assert.match(unsafe.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const created = await gateway.request<{ subjectId: string }>('POST', '/v1/subjects', {
      token,
      body: { country: 'US' },
      headers: { 'x-request-id': 'trace-43' },
    });
    assert.equal(created.headers.get('x-request-id'), 'trace-43');
  });
});
