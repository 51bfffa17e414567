import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../tools/local-stack/free-port.js';
import { PostgresServer } from '../../tools/local-stack/postgres-server.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { TestGateway } from '../harness/test-gateway.js';
import { TEST_REGIONS, TestRegions } from '../harness/test-regions.js';

interface Readiness {
  status: string;
  regions: Record<
    string,
    { jurisdiction: string; store: string; state: string; dependency?: string; latencyMs: number }
  >;
}

describe('health, readiness and metrics', () => {
  let euServer: PostgresServer;
  let regions: TestRegions;
  let gateway: TestGateway;
  let token: string;
  const subjectIds: string[] = [];

  before(async () => {
    // eu-central-1 gets a server of its own, so this test can stop it.
    euServer = await PostgresServer.start({
      name: 'eu-central-1-outage',
      dataDir: join(harnessWorkDir(), `outage-${String(process.pid)}`),
      port: await freePort(),
      ephemeral: true,
    });
    regions = await TestRegions.create(TEST_REGIONS, {
      'eu-central-1': { adminUrl: euServer.url('postgres') },
    });
    gateway = await TestGateway.start({ regions });
    token = await gateway.token({ region: 'us-east-1' });
  });
  after(async () => {
    await gateway.close();
    await regions.drop();
    await euServer.stop();
  });

  it('is live and ready with every region’s store up', async () => {
    assert.deepEqual((await gateway.request('GET', '/healthz')).body, { status: 'ok' });
    const ready = await gateway.request<Readiness>('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ready');
    assert.deepEqual(Object.keys(ready.body.regions).sort(), [
      'eu-central-1',
      'us-east-1',
      'us-west-2',
    ]);
    for (const region of Object.values(ready.body.regions)) assert.equal(region.store, 'ok');
  });

  it('counts requests by route pattern, never by subject id', async () => {
    for (const country of ['US', 'DE']) {
      const created = await gateway.request<{ subjectId: string }>('POST', '/v1/subjects', {
        token,
        body: { country },
      });
      assert.equal(created.status, 201);
      subjectIds.push(created.body.subjectId);
      assert.equal(
        (await gateway.request('GET', `/v1/subjects/${created.body.subjectId}`, { token })).status,
        200,
      );
    }
    const metrics = (await gateway.request<string>('GET', '/metrics')).text;
    assert.match(
      metrics,
      /gateway_http_requests_total\{method="POST",route="\/v1\/subjects",status="201"\} 2/,
    );
    assert.match(
      metrics,
      /gateway_http_requests_total\{method="GET",route="\/v1\/subjects\/:subjectId",status="200"\} 2/,
    );
    assert.match(
      metrics,
      /gateway_http_request_duration_seconds_bucket\{le="0.1",method="POST",route="\/v1\/subjects"\}/,
    );
    for (const id of subjectIds)
      assert.ok(!metrics.includes(id), 'a subject id reached the metrics');
  });

  it('when a region’s store goes down: still ready (the others serve), that region unavailable by name, writes there 503, other regions unaffected', async () => {
    await euServer.stop();

    const ready = await gateway.request<Readiness>('GET', '/readyz');
    assert.equal(ready.status, 200, 'one region down must not take the gateway out of rotation');
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.regions['eu-central-1']?.store, 'unavailable');
    assert.equal(ready.body.regions['eu-central-1'].state, 'unavailable');
    assert.equal(ready.body.regions['eu-central-1'].dependency, 'store');
    assert.equal(ready.body.regions['us-east-1']?.store, 'ok');
    assert.equal(ready.body.regions['us-east-1'].state, 'ok');

    const eu = await gateway.request<{ code: string; region: string }>('POST', '/v1/subjects', {
      token,
      body: { country: 'DE' },
    });
    assert.equal(eu.status, 503);
    assert.equal(eu.body.code, 'region_unavailable');
    assert.equal(eu.body.region, 'eu-central-1');
    assert.doesNotMatch(eu.text, /ECONNREFUSED|terminat|127\.0\.0\.1/);

    const us = await gateway.request('POST', '/v1/subjects', { token, body: { country: 'US' } });
    assert.equal(us.status, 201);

    const metrics = (await gateway.request<string>('GET', '/metrics')).text;
    assert.match(
      metrics,
      /gateway_store_errors_total\{region="eu-central-1",kind="unavailable"\} [1-9]/,
    );
    assert.match(metrics, /gateway_region_state\{region="eu-central-1",state="unavailable"\} 1/);
    assert.match(metrics, /gateway_region_state\{region="us-east-1",state="ok"\} 1/);
  });

  it('keeps subject ids out of every log line', () => {
    assert.ok(gateway.logs.lines.length > 0, 'the gateway logged its requests');
    const logs = gateway.logs.text();
    for (const id of subjectIds) assert.ok(!logs.includes(id), 'a subject id reached the logs');
    assert.doesNotMatch(logs, /s1\.(us|eu)-[a-z]+-\d\.[0-9a-z]{26}/);
  });
});
