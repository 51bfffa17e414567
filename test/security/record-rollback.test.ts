import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';
import { plantFormat1Record, storedFormat } from './legacy-envelope.js';

interface Problem {
  code: string;
}
interface ReadBody {
  version: number;
  data: Record<string, unknown>;
}

/**
 * An insider with write access to a region's store (no keys) tries to make the gateway serve an
 * older version of a record as the current one, by putting back an envelope it copied earlier.
 */
describe('attack: an insider rolls a record back to an older envelope', () => {
  let gateway: TestGateway;
  let token: string;
  let subject: CreatedSubject;

  const envelopeOf = async (recordId: string): Promise<{ envelope: Buffer; version: number }> => {
    const [row] = await gateway.regions.query<{ envelope: Buffer; version: number }>(
      subject.homeRegion,
      "SELECT envelope, version FROM records WHERE subject_id = $1 AND collection = 'profile' AND record_id = $2",
      [subject.subjectId, recordId],
    );
    assert.ok(row, `no record ${recordId}`);
    return row;
  };
  /** The insider's write: the envelope only; the version column keeps the current version. */
  const putBack = async (recordId: string, envelope: Buffer): Promise<void> => {
    await gateway.regions.query(
      subject.homeRegion,
      "UPDATE records SET envelope = $3 WHERE subject_id = $1 AND collection = 'profile' AND record_id = $2",
      [subject.subjectId, recordId, envelope],
    );
  };
  const write = async (recordId: string, displayName: string): Promise<number> => {
    const response = await gateway.request<{ version: number }>(
      'PUT',
      recordPath(subject.subjectId, 'profile', recordId),
      { token, body: { displayName, email: `${displayName}@example.org` } },
    );
    assert.ok(response.status === 200 || response.status === 201, response.text);
    return response.body.version;
  };

  before(async () => {
    gateway = await TestGateway.start();
    token = await gateway.token({ service: 'svc:profile', region: 'us-east-1' });
    subject = await createSubject(gateway, token, 'US');
  });
  after(async () => {
    await gateway.close();
  });

  it('an older envelope of the same record put back is refused with 500 integrity_violation', async () => {
    assert.equal(await write('main', 'revoked-grant-3e1a'), 1);
    const first = await envelopeOf('main');
    assert.equal(first.envelope[0], 2, 'the gateway writes format 2');
    assert.equal(await write('main', 'revoked-grant-3e1b'), 2);
    const second = await envelopeOf('main');
    assert.equal(await write('main', 'current-8c0d'), 3);

    for (const stale of [first, second]) {
      await putBack('main', stale.envelope);
      const read = await gateway.request<Problem>(
        'GET',
        recordPath(subject.subjectId, 'profile', 'main'),
        { token },
      );
      assert.equal(read.status, 500, read.text);
      assert.equal(read.body.code, 'integrity_violation');
      assert.match(read.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.doesNotMatch(read.text, /revoked-grant|current-8c0d/);
    }

    // Listing the collection opens the same row: refused as well, nothing of the page served.
    const list = await gateway.request<Problem>('GET', recordPath(subject.subjectId, 'profile'), {
      token,
    });
    assert.equal(list.status, 500, list.text);
    assert.equal(list.body.code, 'integrity_violation');
    assert.doesNotMatch(list.text, /revoked-grant|current-8c0d/);
  });

  it("the owner's next write over a rolled-back row gives a fresh, readable version", async () => {
    const rewritten = await gateway.request<{ version: number }>(
      'PUT',
      recordPath(subject.subjectId, 'profile', 'main'),
      { token, body: { displayName: 'rewritten' }, headers: { 'if-match': '"3"' } },
    );
    assert.equal(rewritten.status, 200, rewritten.text);
    assert.equal(rewritten.body.version, 4);
    const healed = await gateway.request<ReadBody>(
      'GET',
      recordPath(subject.subjectId, 'profile', 'main'),
      { token },
    );
    assert.equal(healed.status, 200, healed.text);
    assert.deepEqual(healed.body.data, { displayName: 'rewritten' });
  });

  it('a format 1 record still opens, whatever its version, and is format 2 after its next write', async () => {
    await write('legacy', 'placeholder');
    await write('legacy', 'placeholder');
    await plantFormat1Record(gateway, subject, 'profile', 'legacy', {
      displayName: 'written-before-v2',
      email: 'legacy@example.org',
    });
    assert.equal(await storedFormat(gateway, subject, 'profile', 'legacy'), 1);

    const old = await gateway.request<ReadBody>(
      'GET',
      recordPath(subject.subjectId, 'profile', 'legacy'),
      { token },
    );
    assert.equal(old.status, 200, old.text);
    assert.equal(old.body.version, 2);
    assert.deepEqual(old.body.data, {
      displayName: 'written-before-v2',
      email: 'legacy@example.org',
    });

    const next = await gateway.request<{ version: number }>(
      'PUT',
      recordPath(subject.subjectId, 'profile', 'legacy'),
      {
        token,
        body: { ...old.body.data, displayName: 'upgraded' },
        headers: { 'if-match': '"2"' },
      },
    );
    assert.equal(next.status, 200, next.text);
    assert.equal(next.body.version, 3);
    assert.equal(await storedFormat(gateway, subject, 'profile', 'legacy'), 2);
    const upgraded = await gateway.request<ReadBody>(
      'GET',
      recordPath(subject.subjectId, 'profile', 'legacy'),
      { token },
    );
    assert.equal(upgraded.status, 200, upgraded.text);
    assert.deepEqual(upgraded.body.data, {
      displayName: 'upgraded',
      email: 'legacy@example.org',
    });

    // And from now on the record is protected: its format 2 version 3 put back at version 4 fails.
    const sealedAt3 = await envelopeOf('legacy');
    assert.equal(await write('legacy', 'after-upgrade'), 4);
    await putBack('legacy', sealedAt3.envelope);
    const rolledBack = await gateway.request<Problem>(
      'GET',
      recordPath(subject.subjectId, 'profile', 'legacy'),
      { token },
    );
    assert.equal(rolledBack.status, 500);
    assert.equal(rolledBack.body.code, 'integrity_violation');
  });
});
