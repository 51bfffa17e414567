import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';
import { dumpStore } from '../harness/store-dump.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';

interface Problem {
  code: string;
}

/** Puts `envelope` into a stored record directly, as someone with database access could. */
async function plantEnvelope(
  gateway: TestGateway,
  subject: CreatedSubject,
  recordId: string,
  envelope: Buffer,
): Promise<void> {
  await gateway.regions.query(
    subject.homeRegion,
    'UPDATE records SET envelope = $3 WHERE subject_id = $1 AND record_id = $2',
    [subject.subjectId, recordId, envelope],
  );
}

async function readCode(
  gateway: TestGateway,
  token: string,
  subject: CreatedSubject,
  recordId: string,
): Promise<string> {
  const response = await gateway.request<Problem>(
    'GET',
    recordPath(subject.subjectId, 'profile', recordId),
    { token },
  );
  return response.body.code;
}

describe('records at rest: encrypted, bound to their row, shredded on erasure', () => {
  let gateway: TestGateway;
  let token: string;
  let alice: CreatedSubject;
  let bob: CreatedSubject;

  before(async () => {
    gateway = await TestGateway.start();
    token = await gateway.token({ region: 'eu-central-1' });
    alice = await createSubject(gateway, token, 'US');
    bob = await createSubject(gateway, token, 'US');
  });
  after(async () => {
    await gateway.close();
  });

  it('no store dump contains a plaintext value, in any encoding', async () => {
    const markers = [
      'Mx-name-5a1f',
      'mx-email-77c3@example.org',
      'Mx-body-secret-9d02',
      'Mx-video-41be',
      '+1-555-0199-mx',
    ];
    const carol = await createSubject(gateway, token, 'DE');
    for (const subject of [alice, carol]) {
      await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'main'), {
        token,
        body: {
          displayName: markers[0],
          email: markers[1],
          phone: markers[4],
          birthDate: '1970-01-01',
        },
      });
      await gateway.request('PUT', recordPath(subject.subjectId, 'direct_message', 'm1'), {
        token,
        body: {
          senderId: 'u-1',
          recipientId: 'u-2',
          body: markers[2],
          sentAt: '2026-11-26T10:00:00Z',
        },
      });
      await gateway.request('PUT', recordPath(subject.subjectId, 'watch_event', 'w1'), {
        token,
        body: { videoId: markers[3] },
      });
    }
    for (const region of gateway.regions.regions) {
      const text = await dumpStore(region.databaseUrl);
      assert.match(text, /-- table public\.records\n.+/, `${region.id}: the dump has records`);
      for (const marker of markers) {
        for (const encoded of [
          marker,
          marker.toLowerCase(),
          Buffer.from(marker).toString('hex'),
          Buffer.from(marker).toString('base64'),
        ]) {
          assert.ok(!text.includes(encoded), `${region.id}: "${marker}" found at rest`);
        }
      }
    }
  });

  it('a flipped ciphertext byte fails with integrity_violation, never with garbage', async () => {
    const path = recordPath(alice.subjectId, 'profile', 'tamper');
    await gateway.request('PUT', path, { token, body: { displayName: 'untouched' } });
    await gateway.regions.query(
      alice.homeRegion,
      // Byte 50 (1-based) lies in the ciphertext of a format 2 envelope: version (1), nonce (12)
      // and key commitment (32) come first.
      `UPDATE records SET envelope = overlay(envelope placing set_byte(substring(envelope from 50 for 1), 0,
         get_byte(substring(envelope from 50 for 1), 0) # 1) from 50 for 1)
       WHERE subject_id = $1 AND record_id = 'tamper'`,
      [alice.subjectId],
    );
    const read = await gateway.request<Problem>('GET', path, { token });
    assert.equal(read.status, 500);
    assert.equal(read.body.code, 'integrity_violation');
    assert.doesNotMatch(read.text, /untouched/);
  });

  it('an envelope copied onto another record id, subject or region does not open', async () => {
    await gateway.request('PUT', recordPath(alice.subjectId, 'profile', 'original'), {
      token,
      body: { displayName: 'original' },
    });
    await gateway.request('PUT', recordPath(alice.subjectId, 'profile', 'other-id'), {
      token,
      body: { displayName: 'other' },
    });
    await gateway.request('PUT', recordPath(bob.subjectId, 'profile', 'original'), {
      token,
      body: { displayName: 'bob' },
    });
    const [source] = await gateway.regions.query<{ envelope: Buffer }>(
      alice.homeRegion,
      "SELECT envelope FROM records WHERE subject_id = $1 AND record_id = 'original'",
      [alice.subjectId],
    );
    assert.ok(source);

    // Same subject, another record id.
    await plantEnvelope(gateway, alice, 'other-id', source.envelope);
    assert.equal(await readCode(gateway, token, alice, 'other-id'), 'integrity_violation');

    // Another subject (in whichever US region bob lives).
    await plantEnvelope(gateway, bob, 'original', source.envelope);
    assert.equal(await readCode(gateway, token, bob, 'original'), 'integrity_violation');

    // Another region: a subject homed in the other US region receives the envelope.
    const otherRegion = alice.homeRegion === 'us-east-1' ? 'us-west-2' : 'us-east-1';
    let target: CreatedSubject | undefined;
    for (let i = 0; i < 40 && target === undefined; i++) {
      const candidate = await createSubject(gateway, token, 'US');
      if (candidate.homeRegion === otherRegion) target = candidate;
    }
    assert.ok(target, `no subject landed in ${otherRegion}`);
    await gateway.request('PUT', recordPath(target.subjectId, 'profile', 'original'), {
      token,
      body: { displayName: 't' },
    });
    await plantEnvelope(gateway, target, 'original', source.envelope);
    assert.equal(await readCode(gateway, token, target, 'original'), 'integrity_violation');

    // The original still opens.
    assert.equal(
      (await gateway.request('GET', recordPath(alice.subjectId, 'profile', 'original'), { token }))
        .status,
      200,
    );
  });

  it('erasure destroys the wrapped key, records and index entries; later reads answer 410', async () => {
    const subject = await createSubject(gateway, token, 'DE');
    await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'main'), {
      token,
      body: { email: 'erase-me@example.org', username: 'erase' },
    });
    await gateway.request('PUT', recordPath(subject.subjectId, 'watch_event', 'w'), {
      token,
      body: { videoId: 'v' },
    });

    const privacy = await gateway.token({
      service: 'svc:privacy',
      region: 'eu-central-1',
      roles: ['privacy'],
    });
    const erased = await gateway.request<{
      subjectId: string;
      region: string;
      erasedAt: string;
      recordsDeleted: number;
      indexEntriesDeleted: number;
      keysDestroyed: number;
    }>('DELETE', `/v1/subjects/${subject.subjectId}`, {
      token: privacy,
      purpose: 'dsar',
    });
    assert.equal(erased.status, 200, erased.text);
    assert.deepEqual(
      { ...erased.body, erasedAt: typeof erased.body.erasedAt },
      {
        subjectId: subject.subjectId,
        region: 'eu-central-1',
        erasedAt: 'string',
        recordsDeleted: 2,
        indexEntriesDeleted: 3,
        keysDestroyed: 1,
      },
    );

    for (const table of ['subject_keys', 'records', 'blind_index']) {
      const rows = await gateway.regions.query(
        'eu-central-1',
        `SELECT 1 FROM ${table} WHERE subject_id = $1`,
        [subject.subjectId],
      );
      assert.equal(rows.length, 0, `${table} still holds the subject`);
    }
    const [tombstone] = await gateway.regions.query(
      'eu-central-1',
      'SELECT country, erased_at FROM subjects WHERE id = $1',
      [subject.subjectId],
    );
    assert.ok(tombstone);
    assert.equal(tombstone['country'], null);
    assert.ok(tombstone['erased_at'] instanceof Date);

    for (const [method, path] of [
      ['GET', recordPath(subject.subjectId, 'profile', 'main')],
      ['GET', recordPath(subject.subjectId, 'profile')],
      ['PUT', recordPath(subject.subjectId, 'profile', 'main')],
      ['GET', `/v1/subjects/${subject.subjectId}`],
      ['DELETE', `/v1/subjects/${subject.subjectId}`],
    ] as const) {
      const response = await gateway.request<Problem>(method, path, {
        token: method === 'DELETE' ? privacy : token,
        ...(method === 'DELETE' ? { purpose: 'dsar' } : {}),
        ...(method === 'PUT' ? { body: {} } : {}),
      });
      assert.equal(response.status, 410, `${method} ${path}`);
      assert.equal(response.body.code, 'subject_erased');
    }
  });

  it('concurrent first writes for a subject without a key never seal under a key that is not stored', async () => {
    // A subject created before keys existed: live, but with no subject key yet.
    const legacy = 's1.eu-central-1.0000000000000000000000race';
    await gateway.regions.query(
      'eu-central-1',
      "INSERT INTO subjects (id, home_region, jurisdiction, country) VALUES ($1, 'eu-central-1', 'EU', 'DE')",
      [legacy],
    );
    const writes = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        gateway.request('PUT', recordPath(legacy, 'watch_event', `race-${String(i)}`), {
          token,
          body: { videoId: `v-${String(i)}` },
        }),
      ),
    );
    assert.ok(
      writes.every((w) => w.status === 201),
      writes.map((w) => w.text).join('\n'),
    );
    // A second gateway has a cold cache: it must open every record with the stored key.
    const cold = await TestGateway.start({ regions: gateway.regions, keys: gateway.keys });
    try {
      for (let i = 0; i < 6; i++) {
        const read = await cold.request<{ data: { videoId: string } }>(
          'GET',
          recordPath(legacy, 'watch_event', `race-${String(i)}`),
          { token },
        );
        assert.equal(read.status, 200, read.text);
        assert.equal(read.body.data.videoId, `v-${String(i)}`);
      }
    } finally {
      await cold.close();
    }
  });
});
