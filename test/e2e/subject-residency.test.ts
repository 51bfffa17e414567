import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';

interface CreatedSubject {
  subjectId: string;
  homeRegion: string;
  jurisdiction: string;
}

/** Where a subject row physically is, asked of every store directly (not through the gateway). */
async function storesHolding(gateway: TestGateway, subjectId: string): Promise<string[]> {
  const holders: string[] = [];
  for (const region of gateway.regions.regions) {
    const rows = await gateway.regions.query(region.id, 'SELECT id FROM subjects WHERE id = $1', [
      subjectId,
    ]);
    if (rows.length > 0) holders.push(region.id);
  }
  return holders;
}

describe('subjects are pinned to their home region', () => {
  let gateway: TestGateway;
  let feedInEu: string;
  let signupInUs: string;

  before(async () => {
    gateway = await TestGateway.start();
    feedInEu = await gateway.token({
      service: 'svc:feed',
      region: 'eu-central-1',
      roles: ['service'],
    });
    signupInUs = await gateway.token({
      service: 'svc:signup',
      region: 'us-west-2',
      roles: ['service'],
    });
  });
  after(async () => {
    await gateway.close();
  });

  async function create(token: string, country: string): Promise<CreatedSubject> {
    const response = await gateway.request<CreatedSubject>('POST', '/v1/subjects', {
      token,
      body: { country },
    });
    assert.equal(response.status, 201, response.text);
    return response.body;
  }

  it('stores a US subject in exactly one US store and in no other store', async () => {
    const subject = await create(feedInEu, 'US');
    assert.equal(subject.jurisdiction, 'US');
    assert.ok(['us-east-1', 'us-west-2'].includes(subject.homeRegion));
    assert.ok(
      subject.subjectId.startsWith(`s1.${subject.homeRegion}.`),
      'the id encodes its home region',
    );
    assert.deepEqual(await storesHolding(gateway, subject.subjectId), [subject.homeRegion]);
  });

  it('stores an EU subject only in eu-central-1, whichever service creates it', async () => {
    for (const token of [feedInEu, signupInUs]) {
      const subject = await create(token, 'DE');
      assert.deepEqual(subject, { ...subject, homeRegion: 'eu-central-1', jurisdiction: 'EU' });
      assert.deepEqual(await storesHolding(gateway, subject.subjectId), ['eu-central-1']);
    }
  });

  it('maps territories and EEA countries to their jurisdiction (from the policy data)', async () => {
    assert.equal((await create(signupInUs, 'PR')).jurisdiction, 'US');
    assert.equal((await create(signupInUs, 'no')).jurisdiction, 'EU');
  });

  it('spreads US subjects over both US regions and never outside the US', async () => {
    const homes = new Map<string, number>();
    const subjects = await Promise.all(Array.from({ length: 24 }, () => create(signupInUs, 'US')));
    for (const subject of subjects)
      homes.set(subject.homeRegion, (homes.get(subject.homeRegion) ?? 0) + 1);
    assert.deepEqual([...homes.keys()].sort(), ['us-east-1', 'us-west-2']);
    const euRows = await gateway.regions.query(
      'eu-central-1',
      'SELECT count(*)::int AS n FROM subjects WHERE jurisdiction = $1',
      ['US'],
    );
    assert.equal(euRows[0]?.['n'], 0);
  });

  it('reads a subject back through its self-routing id', async () => {
    const subject = await create(feedInEu, 'FR');
    const read = await gateway.request<CreatedSubject>('GET', `/v1/subjects/${subject.subjectId}`, {
      token: signupInUs,
    });
    assert.equal(read.status, 200);
    assert.equal(read.body.subjectId, subject.subjectId);
    assert.equal(read.body.homeRegion, 'eu-central-1');
  });

  it('answers 404 for a well-formed id of this gateway’s region that does not exist', async () => {
    const response = await gateway.request<{ code: string }>(
      'GET',
      '/v1/subjects/s1.us-east-1.0123456789abcdefghjkmnpqrs',
      {
        token: feedInEu,
      },
    );
    assert.equal(response.status, 404);
    assert.equal(response.body.code, 'subject_not_found');
  });

  it('refuses, at the store itself, a subject row homed in another region', async () => {
    await assert.rejects(
      gateway.regions.query(
        'eu-central-1',
        "INSERT INTO subjects (id, home_region, jurisdiction, country) VALUES ('s1.us-east-1.0123456789abcdefghjkmnpqrs', 'us-east-1', 'US', 'US')",
      ),
      /refused by the store of region eu-central-1/,
    );
  });
});
