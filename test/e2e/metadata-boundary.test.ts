import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrateAllRegions } from '../../src/platform/database/region-migrator.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { freePort } from '../../tools/local-stack/free-port.js';
import { childEnv, harnessWorkDir } from '../harness/harness-state.js';
import { TestGateway } from '../harness/test-gateway.js';
import { TestKeys } from '../harness/test-keys.js';
import { TestRegions } from '../harness/test-regions.js';

/**
 * DESIGN §7, metadata boundary: the gateway's own logs carry decision ids and region codes,
 * never subject ids, record contents, keys or tokens. This runs the real entrypoint
 * (dist/src/main.js) as a process and reads everything it writes to stdout and stderr.
 */
describe('metadata boundary: what the gateway process prints', () => {
  let regions: TestRegions;
  let keys: TestKeys;
  let gateway: ChildProcess;
  let url: string;
  let output = '';
  let stdout = '';
  const secrets: string[] = [];

  before(async () => {
    regions = await TestRegions.create();
    keys = await TestKeys.create(harnessWorkDir());
    const config = TestGateway.config(regions, keys);
    assert.ok((await migrateAllRegions(config)).every((r) => r.ok));
    const port = await freePort();
    url = `http://127.0.0.1:${String(port)}`;
    gateway = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', 'main.js')], {
      cwd: PROJECT_ROOT,
      env: childEnv({
        HOST: '127.0.0.1',
        PORT: String(port),
        GATEWAY_LOG_LEVEL: 'debug',
        GATEWAY_TOPOLOGY: JSON.stringify({
          regions: regions.regions.map(
            ({ id, jurisdiction, databaseUrl, kmsKeyId, kmsEndpoint }) => ({
              id,
              jurisdiction,
              databaseUrl,
              kmsKeyId,
              kmsEndpoint,
            }),
          ),
        }),
        GATEWAY_JWKS_FILE: keys.jwksFile,
        GATEWAY_DEVELOPMENT: 'true',
        GATEWAY_POLICY_PUBLIC_KEY_FILE: 'policies/keys/dev-bundle-signing.pub.pem',
        GATEWAY_AUDIT_SIGNING_KEY_FILE: TestGateway.checkpointKeyFile(),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      stdout += chunk.toString();
    });
    gateway.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // Generous: on a loaded 2-core CI machine a cold start (primary + workers) can take a while.
    for (let i = 0; i < 1200 && !output.includes('"listening"') && gateway.exitCode === null; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.match(output, /"listening"/, output);
    for (const region of regions.regions) secrets.push(new URL(region.databaseUrl).password);
  });
  after(async () => {
    if (gateway.exitCode === null) gateway.kill('SIGKILL');
    await regions.drop();
  });

  async function call(
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
    purpose = 'service-delivery',
  ) {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        'x-purpose': purpose,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return {
      status: response.status,
      body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
    };
  }

  it('logs requests, decisions and failures without subject ids, record values, keys or tokens', async () => {
    const feed = await keys.token({
      service: 'svc:feed',
      region: 'eu-central-1',
      roles: ['service'],
    });
    const auditor = await keys.token({
      service: 'svc:audit',
      region: 'us-east-1',
      roles: ['auditor'],
    });
    const privacy = await keys.token({
      service: 'svc:privacy',
      region: 'eu-central-1',
      roles: ['privacy'],
    });
    secrets.push(feed, auditor, privacy);
    const markers = ['bnd-marker-name-31c9', 'bnd-marker-31c9@example.org', 'bnd-marker-body-31c9'];
    secrets.push(...markers);

    for (const country of ['US', 'DE']) {
      const created = await call('POST', '/v1/subjects', feed, { country });
      assert.equal(created.status, 201);
      const id = String(created.body['subjectId']);
      secrets.push(id, id.split('.')[2] ?? id);
      const base = `/v1/subjects/${id}/records`;
      assert.equal(
        (
          await call('PUT', `${base}/profile/main`, feed, {
            displayName: markers[0],
            email: markers[1],
          })
        ).status,
        201,
      );
      assert.equal(
        (
          await call('PUT', `${base}/direct_message/m1`, feed, {
            body: markers[2],
            senderId: 'u-1',
          })
        ).status,
        201,
      );
      await call('GET', `${base}/profile/main`, feed);
      await call('GET', `${base}/direct_message/m1?fields=body`, feed);
      await call('GET', `${base}/profile/main`, auditor);
      await call('GET', `${base}/profile/absent`, feed);
      await call('PUT', `${base}/profile/bad`, feed, { ssn: markers[1] });
      await call('GET', `${base}/profile/main`, `${feed}x`);
      const region = String(created.body['homeRegion']);
      for (const row of await regions.query<{ wrapped_key: Buffer }>(
        region,
        'SELECT wrapped_key FROM subject_keys WHERE subject_id = $1',
        [id],
      )) {
        secrets.push(row.wrapped_key.toString('hex'), row.wrapped_key.toString('base64'));
      }
      assert.equal(
        (await call('DELETE', `/v1/subjects/${id}`, privacy, undefined, 'dsar')).status,
        200,
      );
    }
    await call('GET', '/v1/subjects/s1.us-east-1.0123456789abcdefghjkmnpqrs', feed);

    gateway.kill('SIGTERM');
    await once(gateway, 'exit');
    assert.match(output, /"Access"/, 'the access log is there to be checked');
    assert.match(output, /\/v1\/subjects\/:subjectId\/records\/:collection\/:recordId/);

    // Structured logs: every line is JSON; one access line per request with its id, route
    // pattern, status, duration and decision ids; every line logged while a request was
    // handled carries that request's id.
    const lines = stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const access = lines.filter((line) => line['context'] === 'Access');
    assert.ok(access.length >= 18, `one access line per request (${String(access.length)})`);
    for (const line of access) {
      assert.equal(typeof line['requestId'], 'string');
      assert.equal(typeof line['status'], 'number');
      assert.equal(typeof line['durationMs'], 'number');
      assert.match(String(line['route']), /^\/v1\//);
    }
    const decided = access.filter((line) => Array.isArray(line['decisionIds']));
    assert.ok(decided.length >= 14, 'decided requests log their decision ids');
    const requestIds = new Set(access.map((line) => line['requestId']));
    const gateLines = lines.filter((line) => line['context'] === 'AccessGate');
    assert.ok(gateLines.length >= 14, 'the gate logs each decision at debug level');
    for (const line of gateLines) {
      assert.ok(requestIds.has(line['requestId']), 'a line logged during a request names it');
    }
    for (const secret of secrets) {
      assert.ok(
        secret.length > 0 && !output.includes(secret),
        `the gateway printed a secret: ${secret.slice(0, 12)}…`,
      );
    }
  });
});
