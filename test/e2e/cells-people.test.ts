import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PeopleIssuer } from '../harness/people-issuer.js';
import { TestCells } from '../harness/test-cells.js';

interface Problem {
  reasons?: string[];
}

/**
 * The console's API on cells: a person's token reaches the cell of the region it names through
 * any cell (forwarded whole, re-verified there against the people's provider), and the policy
 * still decides by the person's own jurisdiction.
 */
describe('people on cells', () => {
  let cells: TestCells;
  let people: PeopleIssuer;

  before(async () => {
    people = await PeopleIssuer.start();
    cells = await TestCells.start({ env: people.env });
  });

  after(async () => {
    await cells.close();
    await people.close();
  });

  it('a US auditor reads us-east-1’s log health, flows, reviews and decisions through the us-west-2 cell', async () => {
    const auditor = await people.token({
      sub: 'auditor-us',
      roles: ['auditor'],
      region: 'us-west-2',
    });
    for (const path of [
      '/v1/audit/health?region=us-east-1',
      '/v1/audit/flows?region=us-east-1',
      '/v1/audit/reviews?region=us-east-1',
      '/v1/audit/decisions?region=us-east-1&service=user:auditor-us',
    ]) {
      const response = await cells.request('us-west-2', 'GET', path, {
        token: auditor,
        purpose: null,
      });
      assert.equal(response.status, 200, `${path}: ${response.text}`);
    }
    const own = await cells.request<{ items: { input: { caller: { service: string } } }[] }>(
      'us-east-1',
      'GET',
      '/v1/audit/decisions?region=us-east-1&service=user:auditor-us',
      { token: auditor, purpose: null },
    );
    assert.ok(own.body.items.length >= 4, 'the forwarded reads were logged in us-east-1');
  });

  it('a legal reviewer lists us-east-1’s legal requests through a peer; an EU auditor is refused the US log', async () => {
    const legal = await people.token({ sub: 'legal-a', roles: ['legal'], region: 'us-west-2' });
    const list = await cells.request(
      'us-west-2',
      'GET',
      '/v1/cases?region=us-east-1&kind=legal-request',
      {
        token: legal,
        purpose: null,
      },
    );
    assert.equal(list.status, 200, list.text);
    const eu = await people.token({
      sub: 'auditor-eu',
      roles: ['auditor'],
      region: 'eu-central-1',
    });
    const refused = await cells.request<Problem>(
      'eu-central-1',
      'GET',
      '/v1/audit/health?region=us-east-1',
      {
        token: eu,
        purpose: null,
      },
    );
    assert.equal(refused.status, 403, refused.text);
    assert.deepEqual(refused.body.reasons, ['audit_outside_jurisdiction']);
  });

  it('every cell serves the console', async () => {
    for (const region of ['us-east-1', 'eu-central-1']) {
      const response = await fetch(`${cells.cell(region).url}/console/config.json`);
      assert.equal(response.status, 200);
      const settings = (await response.json()) as {
        signIn: { issuer: string };
        regions: unknown[];
      };
      assert.equal(settings.signIn.issuer, people.issuer);
      assert.equal(settings.regions.length, 3, 'the console lists every region, peers too');
    }
  });
});
