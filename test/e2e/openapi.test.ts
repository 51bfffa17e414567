import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { TestGateway } from '../harness/test-gateway.js';

describe('API documentation', () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await TestGateway.start();
  });
  after(async () => {
    await gateway.close();
  });

  it('serves the OpenAPI document, identical to the checked-in docs/openapi.json', async () => {
    const served = await gateway.request<Record<string, unknown>>('GET', '/openapi.json');
    assert.equal(served.status, 200);
    const checkedIn = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'docs', 'openapi.json'), 'utf8'),
    ) as unknown;
    assert.deepEqual(
      served.body,
      checkedIn,
      'docs/openapi.json is stale: run `npm run openapi` and commit it',
    );
  });

  it('documents the subject routes and bearer authentication', async () => {
    const served = await gateway.request<{
      paths: Record<string, unknown>;
      components: { securitySchemes: object };
    }>('GET', '/openapi.json');
    assert.ok('/v1/subjects' in served.body.paths);
    assert.ok('/v1/subjects/{subjectId}' in served.body.paths);
    assert.ok('bearer' in served.body.components.securitySchemes);
  });

  it('serves the interactive docs', async () => {
    const docs = await gateway.request('GET', '/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.text, /swagger/i);
  });
});
