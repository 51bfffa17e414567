import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';

interface WriteBody {
  version: number;
  region: string;
}
interface ReadBody {
  version: number;
  region: string;
  data: Record<string, unknown>;
  masked: string[];
}
interface Problem {
  code: string;
  field?: string;
  errors?: { field: string; problem: string }[];
}

describe('records API', () => {
  let gateway: TestGateway;
  let token: string;
  let us: CreatedSubject;
  let eu: CreatedSubject;

  before(async () => {
    gateway = await TestGateway.start();
    token = await gateway.token({ region: 'us-east-1' });
    us = await createSubject(gateway, token, 'US');
    eu = await createSubject(gateway, token, 'DE');
  });
  after(async () => {
    await gateway.close();
  });

  const profile = {
    displayName: 'Ada',
    username: 'ada',
    email: 'Ada@Example.org',
    birthDate: '1990-01-31',
  };

  it('creates at version 1 (201), replaces at version 2 (200), with the version as ETag', async () => {
    const created = await gateway.request<WriteBody>(
      'PUT',
      recordPath(us.subjectId, 'profile', 'main'),
      { token, body: profile },
    );
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, {
      subjectId: us.subjectId,
      collection: 'profile',
      recordId: 'main',
      region: us.homeRegion,
      version: 1,
    });
    assert.equal(created.headers.get('etag'), '"1"');

    const replaced = await gateway.request<WriteBody>(
      'PUT',
      recordPath(us.subjectId, 'profile', 'main'),
      {
        token,
        body: { ...profile, displayName: 'Ada L.' },
      },
    );
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.version, 2);

    const read = await gateway.request<ReadBody>(
      'GET',
      recordPath(us.subjectId, 'profile', 'main'),
      { token },
    );
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), '"2"');
    assert.deepEqual(read.body.data, { ...profile, displayName: 'Ada L.' });
    assert.equal(read.body.region, us.homeRegion);
    assert.deepEqual(read.body.masked, []);
  });

  it('stores a record only in the subject’s home region', async () => {
    await gateway.request('PUT', recordPath(eu.subjectId, 'watch_event', 'w1'), {
      token,
      body: { videoId: 'v-1', watchedMs: 1200 },
    });
    for (const region of gateway.regions.regions) {
      const rows = await gateway.regions.query(
        region.id,
        'SELECT record_id FROM records WHERE subject_id = $1',
        [eu.subjectId],
      );
      assert.equal(rows.length, region.id === 'eu-central-1' ? 1 : 0, region.id);
    }
  });

  it('If-Match with a stale version → 412 and nothing changes', async () => {
    const path = recordPath(us.subjectId, 'profile', 'concurrency');
    await gateway.request('PUT', path, { token, body: { displayName: 'v1' } });
    await gateway.request('PUT', path, {
      token,
      body: { displayName: 'v2' },
      headers: { 'if-match': '"1"' },
    });
    const stale = await gateway.request<Problem & { currentVersion: number }>('PUT', path, {
      token,
      body: { displayName: 'lost update' },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.code, 'version_conflict');
    assert.equal(stale.body.currentVersion, 2);
    const read = await gateway.request<ReadBody>('GET', path, { token });
    assert.equal(read.body.version, 2);
    assert.equal(read.body.data['displayName'], 'v2');

    assert.equal(
      (await gateway.request('PUT', path, { token, body: {}, headers: { 'if-none-match': '*' } }))
        .status,
      412,
    );
    const newOnly = recordPath(us.subjectId, 'profile', 'create-only');
    assert.equal(
      (
        await gateway.request('PUT', newOnly, {
          token,
          body: {},
          headers: { 'if-none-match': '*' },
        })
      ).status,
      201,
    );
    assert.equal(
      (
        await gateway.request('PUT', recordPath(us.subjectId, 'profile', 'nope'), {
          token,
          body: {},
          headers: { 'if-match': '*' },
        })
      ).status,
      412,
    );
  });

  it('concurrent writers with the same If-Match: exactly one wins', async () => {
    const path = recordPath(us.subjectId, 'profile', 'race');
    await gateway.request('PUT', path, { token, body: { displayName: 'start' } });
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        gateway.request('PUT', path, {
          token,
          body: { displayName: `writer ${String(i)}` },
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    assert.deepEqual(
      attempts.map((a) => a.status).sort(),
      [200, 412, 412, 412, 412, 412, 412, 412],
    );
    assert.equal((await gateway.request<ReadBody>('GET', path, { token })).body.version, 2);
  });

  it('refuses unknown collections, unknown fields and wrong types with 422 naming the field, writing nothing', async () => {
    const unknownCollection = await gateway.request<Problem>(
      'PUT',
      recordPath(us.subjectId, 'wallet', 'x'),
      { token, body: {} },
    );
    assert.equal(unknownCollection.status, 422);
    assert.equal(unknownCollection.body.code, 'unknown_collection');

    const unknownField = await gateway.request<Problem>(
      'PUT',
      recordPath(us.subjectId, 'profile', 'bad'),
      {
        token,
        body: { displayName: 'x', ssn: '078-05-1120' },
      },
    );
    assert.equal(unknownField.status, 422);
    assert.equal(unknownField.body.code, 'unknown_field');
    assert.equal(unknownField.body.field, 'ssn');

    const wrongType = await gateway.request<Problem>(
      'PUT',
      recordPath(us.subjectId, 'watch_event', 'bad'),
      {
        token,
        body: { videoId: 'v', watchedMs: 'long' },
      },
    );
    assert.equal(wrongType.status, 422);
    assert.equal(wrongType.body.code, 'invalid_field');
    assert.deepEqual(wrongType.body.errors, [
      { field: 'watchedMs', problem: 'wrong_type', expected: 'integer' },
    ]);

    const notObject = await gateway.request<Problem>(
      'PUT',
      recordPath(us.subjectId, 'profile', 'bad'),
      { token, body: [1, 2] },
    );
    assert.equal(notObject.status, 422);

    const rows = await gateway.regions.query(
      us.homeRegion,
      "SELECT 1 FROM records WHERE record_id = 'bad'",
    );
    assert.equal(rows.length, 0);
  });

  it('answers 400 for a malformed record id and 404 for a missing record or subject', async () => {
    assert.equal(
      (
        await gateway.request<Problem>('GET', recordPath(us.subjectId, 'profile', 'a%20b'), {
          token,
        })
      ).body.code,
      'malformed_record_id',
    );
    const missing = await gateway.request<Problem>(
      'GET',
      recordPath(us.subjectId, 'profile', 'absent'),
      { token },
    );
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'record_not_found');
    const noSubject = await gateway.request<Problem>(
      'PUT',
      recordPath('s1.us-east-1.0123456789abcdefghjkmnpqrs', 'profile', 'x'),
      {
        token,
        body: {},
      },
    );
    assert.equal(noSubject.status, 404);
    assert.equal(noSubject.body.code, 'subject_not_found');
  });

  it('lists a subject’s records in pages, each record exactly once', async () => {
    const subject = await createSubject(gateway, token, 'FR');
    const ids = Array.from({ length: 7 }, (_, i) => `evt-${String(i).padStart(2, '0')}`);
    for (const id of ids) {
      await gateway.request('PUT', recordPath(subject.subjectId, 'watch_event', id), {
        token,
        body: { videoId: `v-${id}` },
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=3' : `?limit=3&cursor=${cursor}`;
      const page = await gateway.request<{
        items: { recordId: string; data: { videoId: string } }[];
        nextCursor: string | null;
      }>('GET', recordPath(subject.subjectId, 'watch_event') + query, { token });
      assert.equal(page.status, 200, page.text);
      for (const item of page.body.items) {
        seen.push(item.recordId);
        assert.equal(item.data.videoId, `v-${item.recordId}`);
      }
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.deepEqual(seen, ids);
    assert.equal(pages, 3);
    assert.equal(
      (
        await gateway.request(
          'GET',
          recordPath(subject.subjectId, 'watch_event') + '?cursor=forged!',
          { token },
        )
      ).status,
      400,
    );
    assert.equal(
      (
        await gateway.request('GET', recordPath(subject.subjectId, 'watch_event') + '?limit=101', {
          token,
        })
      ).status,
      400,
    );
  });

  it('deletes a record with its blind-index entries', async () => {
    const path = recordPath(us.subjectId, 'profile', 'to-delete');
    await gateway.request('PUT', path, {
      token,
      body: { email: 'gone@example.org', username: 'gone' },
    });
    const indexed = await gateway.regions.query(
      us.homeRegion,
      "SELECT field FROM blind_index WHERE record_id = 'to-delete' ORDER BY field",
    );
    assert.deepEqual(indexed, [{ field: 'email' }, { field: 'username' }]);
    assert.equal(
      (await gateway.request('DELETE', path, { token, headers: { 'if-match': '"9"' } })).status,
      412,
    );
    assert.equal((await gateway.request('DELETE', path, { token })).status, 204);
    assert.equal((await gateway.request('GET', path, { token })).status, 404);
    assert.equal((await gateway.request('DELETE', path, { token })).status, 404);
    const left = await gateway.regions.query(
      us.homeRegion,
      "SELECT 1 FROM blind_index WHERE record_id = 'to-delete'",
    );
    assert.equal(left.length, 0);
  });

  it('keeps blind-index entries in step with every write', async () => {
    const path = recordPath(us.subjectId, 'profile', 'indexed');
    await gateway.request('PUT', path, {
      token,
      body: { email: 'one@example.org', phone: '+1 555 0100' },
    });
    const first = await gateway.regions.query<{ field: string; hash: Buffer }>(
      us.homeRegion,
      "SELECT field, hash FROM blind_index WHERE record_id = 'indexed' ORDER BY field",
    );
    assert.deepEqual(
      first.map((r) => r.field),
      ['email', 'phone'],
    );
    assert.equal(first[0]?.hash.length, 16);
    await gateway.request('PUT', path, { token, body: { email: ' ONE@example.org ' } });
    const second = await gateway.regions.query<{ field: string; hash: Buffer }>(
      us.homeRegion,
      "SELECT field, hash FROM blind_index WHERE record_id = 'indexed' ORDER BY field",
    );
    assert.deepEqual(
      second.map((r) => r.field),
      ['email'],
      'the phone entry went with the phone',
    );
    assert.deepEqual(
      second.map((r) => r.hash),
      first.filter((r) => r.field === 'email').map((r) => r.hash),
      'normalized e-mail: same index entry',
    );
  });
});
