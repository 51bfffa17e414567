import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { PROJECT_ROOT } from '../platform/paths.js';
import { RegionTopology } from '../regions/region-topology.js';
import { cellIdentityUri, regionOfCertificate } from './cell-identity.js';
import {
  FORWARDED_ROUTES,
  SERVED_LOCALLY,
  type LocatorContext,
  type RegionLocator,
} from './forwarded-routes.js';

const topology = new RegionTopology(
  [
    {
      id: 'eu-central-1',
      jurisdiction: 'EU',
      databaseUrl: 'postgres://eu/db',
      migrationDatabaseUrl: undefined,
      kmsKeyId: 'k',
      kmsEndpoint: undefined,
      poolSize: 1,
      placementWeight: 1,
    },
  ],
  [
    { id: 'us-east-1', jurisdiction: 'US', gatewayUrl: 'https://us-east:8443', placementWeight: 1 },
    { id: 'us-west-2', jurisdiction: 'US', gatewayUrl: 'https://us-west:8443', placementWeight: 0 },
  ],
);
const context: LocatorContext = {
  topology,
  policy: () =>
    ({
      jurisdictions: { jurisdictionOf: (c: string) => ({ US: 'US', DE: 'EU' })[c] },
    }) as unknown as ReturnType<LocatorContext['policy']>,
};

function locator(found: RegionLocator | undefined): RegionLocator {
  assert.ok(found !== undefined, 'route listed');
  return found;
}

function request(parts: { params?: object; query?: object; body?: unknown }): FastifyRequest {
  return parts as unknown as FastifyRequest;
}

describe('forwarded routes', () => {
  it('lists every route of the API as forwarded by region or served locally', () => {
    const document = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'docs', 'openapi.json'), 'utf8'),
    ) as { paths: Record<string, Record<string, unknown>> };
    const known = new Set([...Object.keys(FORWARDED_ROUTES), ...SERVED_LOCALLY]);
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const method of Object.keys(operations)) {
        const route = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
        assert.ok(known.has(route), `${route} is neither forwarded nor listed as served locally`);
      }
    }
  });

  it('finds the region from self-routing ids, the country, or the region named', () => {
    const subject = 's1.us-east-1.0123456789abcdefghjkmnpqrs';
    const byPath = locator(
      FORWARDED_ROUTES['GET /v1/subjects/:subjectId/records/:collection/:recordId'],
    );
    assert.equal(byPath(request({ params: { subjectId: subject } }), context), 'us-east-1');
    assert.equal(byPath(request({ params: { subjectId: 'nonsense' } }), context), undefined);
    const byCase = locator(FORWARDED_ROUTES['GET /v1/cases/:caseId']);
    assert.equal(
      byCase(request({ params: { caseId: 'c1.us-west-2.0123456789abcdefghjkmnpqrs' } }), context),
      'us-west-2',
    );
    const openCase = locator(FORWARDED_ROUTES['POST /v1/cases']);
    assert.equal(openCase(request({ body: { subjectIds: [subject] } }), context), 'us-east-1');
    const audit = locator(FORWARDED_ROUTES['GET /v1/audit/entries']);
    assert.equal(audit(request({ query: { region: 'us-west-2' } }), context), 'us-west-2');
    assert.equal(audit(request({ query: { region: ['a', 'b'] } }), context), undefined);
  });

  it('homes a new subject here when this cell serves its jurisdiction, else with a peer by weight', () => {
    const create = locator(FORWARDED_ROUTES['POST /v1/subjects']);
    assert.equal(create(request({ body: { country: 'DE' } }), context), 'eu-central-1');
    // us-west-2 is closed to new subjects (weight 0): always us-east-1.
    for (let i = 0; i < 20; i++)
      assert.equal(create(request({ body: { country: 'US' } }), context), 'us-east-1');
    assert.equal(create(request({ body: { country: 'ZZ' } }), context), undefined);
  });
});

describe('cell identity', () => {
  it('reads the region from exactly one cell URI in the certificate', () => {
    const uri = cellIdentityUri('us-east-1');
    assert.equal(regionOfCertificate({ subjectaltname: `DNS:localhost, URI:${uri}` }), 'us-east-1');
    assert.equal(regionOfCertificate({ subjectaltname: 'DNS:localhost' }), undefined);
    assert.equal(
      regionOfCertificate({
        subjectaltname: `URI:${uri}, URI:${cellIdentityUri('eu-central-1')}`,
      }),
      undefined,
    );
    assert.equal(regionOfCertificate(undefined), undefined);
  });
});
