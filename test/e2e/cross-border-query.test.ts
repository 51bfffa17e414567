import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../tools/local-stack/free-port.js';
import { PostgresServer } from '../../tools/local-stack/postgres-server.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';
import { TEST_REGIONS, TestRegions } from '../harness/test-regions.js';

interface Item {
  subjectId: string;
  recordId: string;
  region: string;
  version: number;
  data: Record<string, unknown>;
  masked: string[];
}
interface RegionStatus {
  status: 'ok' | 'denied' | 'unavailable';
  count: number;
  decisionId?: string;
  reasons?: string[];
  candidates?: number;
  reason?: string;
}
interface QueryBody {
  items: Item[];
  regions: Record<string, RegionStatus>;
  nextCursor: string | null;
  code?: string;
}

/** Subjects until every region has one (US placement is random). */
async function subjectsInEveryRegion(
  gateway: TestGateway,
  token: string,
): Promise<Map<string, CreatedSubject>> {
  const byRegion = new Map<string, CreatedSubject>();
  for (let i = 0; i < 60 && byRegion.size < 3; i++) {
    const subject = await createSubject(gateway, token, byRegion.has('eu-central-1') ? 'US' : 'DE');
    if (!byRegion.has(subject.homeRegion)) byRegion.set(subject.homeRegion, subject);
  }
  assert.equal(byRegion.size, 3);
  return byRegion;
}

describe('cross-border query', () => {
  let westServer: PostgresServer;
  let regions: TestRegions;
  let gateway: TestGateway;
  let usFeed: string;
  let euFeed: string;
  let subjects: Map<string, CreatedSubject>;

  const query = (
    token: string,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    purpose = 'service-delivery',
  ) => gateway.request<QueryBody>('POST', '/v1/query', { token, body, headers, purpose });

  before(async () => {
    westServer = await PostgresServer.start({
      name: 'us-west-2-query',
      dataDir: join(harnessWorkDir(), `query-west-${String(process.pid)}`),
      port: await freePort(),
      ephemeral: true,
    });
    regions = await TestRegions.create(TEST_REGIONS, {
      'us-west-2': { adminUrl: westServer.url('postgres') },
    });
    gateway = await TestGateway.start({
      regions,
      env: { GATEWAY_QUERY_REGION_TIMEOUT_MS: '1500' },
    });
    usFeed = await gateway.token({ service: 'svc:feed', region: 'us-east-1', roles: ['service'] });
    euFeed = await gateway.token({
      service: 'svc:feed',
      region: 'eu-central-1',
      roles: ['service'],
    });
    subjects = await subjectsInEveryRegion(gateway, usFeed);
    for (const [region, subject] of subjects) {
      await gateway.request('PUT', recordPath(subject.subjectId, 'direct_message', 'm1'), {
        token: usFeed,
        body: {
          conversationId: 'c-1',
          senderId: 'u-shared',
          recipientId: `u-${region}`,
          body: `secret from ${region}`,
          sentAt: '2026-11-26T10:00:00Z',
        },
      });
      await gateway.request('PUT', recordPath(subject.subjectId, 'direct_message', 'm2'), {
        token: usFeed,
        body: { senderId: 'u-other', body: 'unrelated' },
      });
      await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'main'), {
        token: usFeed,
        body: {
          username: `user-${region}`,
          displayName: 'Shared Name',
          email: `${region}@example.org`,
        },
      });
    }
  });
  after(async () => {
    await gateway.close();
    await regions.drop();
    await westServer.stop();
  });

  it('an EU service searching messages by sender: EU items whole, US regions apply the cross-border rule', async () => {
    const response = await query(euFeed, {
      collection: 'direct_message',
      where: { senderId: 'u-shared' },
    });
    assert.equal(response.status, 200, response.text);
    const { items, regions: statuses } = response.body;
    assert.deepEqual(Object.keys(statuses).sort(), ['eu-central-1', 'us-east-1', 'us-west-2']);
    assert.deepEqual(statuses['eu-central-1'], {
      ...statuses['eu-central-1'],
      status: 'ok',
      count: 1,
    });
    for (const us of ['us-east-1', 'us-west-2']) {
      const status = statuses[us];
      assert.ok(status, us);
      assert.deepEqual(
        [status.status, status.reasons],
        ['denied', ['cross_border_protected_search']],
      );
      assert.match(status.decisionId ?? '', /^[0-9a-f-]{36}$/);
    }
    assert.deepEqual(
      items.map((item) => [item.region, item.data['body'], item.masked]),
      [['eu-central-1', 'secret from eu-central-1', []]],
    );
  });

  it('a cross-border search on a public field returns only excepted fields from abroad', async () => {
    const response = await query(euFeed, {
      collection: 'profile',
      where: { username: 'user-us-east-1' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.regions['us-east-1']?.count, 1);
    const [item] = response.body.items;
    assert.ok(item);
    assert.equal(item.region, 'us-east-1');
    assert.deepEqual(item.data, { username: 'user-us-east-1', displayName: 'Shared Name' });
    assert.ok(item.masked.includes('email'));
  });

  it('every region decides and logs its own part', async () => {
    const response = await query(usFeed, {
      collection: 'direct_message',
      where: { senderId: 'u-shared' },
      jurisdictions: ['US'],
    });
    assert.deepEqual(Object.keys(response.body.regions).sort(), ['us-east-1', 'us-west-2']);
    assert.equal(response.body.items.length, 2);
    assert.ok(
      response.body.items.every((item) => item.data['body'] === `secret from ${item.region}`),
    );
    for (const [region, status] of Object.entries(response.body.regions)) {
      const logged = await regions.query<{ subject_ids: string[] }>(
        region,
        "SELECT subject_ids FROM audit_entries WHERE decision_id = $1 AND action = 'query'",
        [status.decisionId],
      );
      assert.equal(logged.length, 1, `${region} logged its decision`);
      // The entry names whom the query disclosed, so an auditor's subject filter finds it.
      const disclosed = response.body.items.filter((item) => item.region === region);
      assert.deepEqual(
        logged[0]?.subject_ids,
        disclosed.map((item) => item.subjectId),
      );
    }
  });

  it('a US moderator with an open case sees content in the case’s US region', async () => {
    const subject = subjects.get('us-east-1');
    assert.ok(subject);
    const safety = await gateway.token({
      service: 'svc:trust-safety',
      region: 'us-east-1',
      roles: ['trust-and-safety'],
    });
    const opened = await gateway.request<{ id: string }>('POST', '/v1/cases', {
      token: safety,
      body: { kind: 'user-report', subjectIds: [subject.subjectId] },
    });
    const moderator = await gateway.token({
      service: 'svc:moderation',
      region: 'us-west-2',
      roles: ['moderator'],
    });
    const response = await query(
      moderator,
      { collection: 'direct_message', where: { senderId: 'u-shared' }, jurisdictions: ['US'] },
      { 'x-case-id': opened.body.id },
      'moderation',
    );
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.regions['us-east-1']?.status, 'ok');
    assert.deepEqual(
      response.body.items.map((i) => [i.subjectId, i.data['body']]),
      [[subject.subjectId, 'secret from us-east-1']],
    );
    assert.equal(
      response.body.regions['us-west-2']?.status,
      'denied',
      'the case is not about us-west-2’s subjects',
    );
  });

  it('pages across regions return every match exactly once, in a stable order', async () => {
    const expected: string[] = [];
    for (const [, subject] of subjects) {
      for (let i = 0; i < 3; i++) {
        await gateway.request(
          'PUT',
          recordPath(subject.subjectId, 'watch_event', `page-${String(i)}`),
          { token: usFeed, body: { videoId: 'v-page' } },
        );
        expected.push(`${subject.subjectId}/page-${String(i)}`);
      }
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const body: Record<string, unknown> = {
        collection: 'watch_event',
        where: { videoId: 'v-page' },
        limit: 2,
        ...(cursor === null ? {} : { cursor }),
      };
      const response = await query(usFeed, body);
      assert.equal(response.status, 200, response.text);
      seen.push(...response.body.items.map((i) => `${i.subjectId}/${i.recordId}`));
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 20);
    assert.deepEqual([...seen].sort(), [...expected].sort());
    assert.equal(new Set(seen).size, seen.length, 'no match twice');
    assert.equal(pages, 5);
    const again = await query(usFeed, {
      collection: 'watch_event',
      where: { videoId: 'v-page' },
      limit: 9,
    });
    assert.deepEqual(
      again.body.items.map((i) => `${i.subjectId}/${i.recordId}`),
      seen,
      'the same order every time',
    );
  });

  it('a forged or borrowed cursor answers 400', async () => {
    const first = await query(usFeed, {
      collection: 'watch_event',
      where: { videoId: 'v-page' },
      limit: 1,
    });
    const cursor = first.body.nextCursor ?? '';
    const [payload, mac] = cursor.split('.');
    const edited = Buffer.from(payload ?? '', 'base64url')
      .toString()
      .replace('"p":{', '"p":{"x":"done",');
    for (const forged of [
      `${Buffer.from(edited).toString('base64url')}.${mac ?? ''}`,
      'abc.def',
      'garbage',
    ]) {
      const response = await query(usFeed, {
        collection: 'watch_event',
        where: { videoId: 'v-page' },
        limit: 1,
        cursor: forged,
      });
      assert.equal(response.status, 400);
      assert.equal(response.body.code, 'malformed_cursor');
    }
    const borrowed = await query(usFeed, {
      collection: 'watch_event',
      where: { videoId: 'other' },
      limit: 1,
      cursor,
    });
    assert.equal(borrowed.status, 400, 'a cursor belongs to its query');
  });

  it('a query on a non-indexed field answers 422', async () => {
    const response = await query(usFeed, {
      collection: 'direct_message',
      where: { body: 'secret' },
    });
    assert.equal(response.status, 422);
    assert.equal(response.body.code, 'field_not_indexed');
    assert.equal((await query(usFeed, { collection: 'direct_message', where: {} })).status, 422);
    assert.equal((await query(usFeed, { collection: 'wallet', where: { a: 1 } })).status, 422);
    assert.equal(
      (
        await gateway.request('POST', '/v1/query', {
          token: usFeed,
          body: { collection: 'profile', where: { username: 'x' } },
          purpose: null,
        })
      ).status,
      400,
    );
  });

  it('a region whose store stops answers unavailable within its timeout; the others answer', async () => {
    await westServer.stop();
    const started = Date.now();
    const response = await query(usFeed, {
      collection: 'watch_event',
      where: { videoId: 'v-page' },
    });
    const elapsed = Date.now() - started;
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.regions['us-west-2']?.status, 'unavailable');
    assert.equal(response.body.regions['us-east-1']?.status, 'ok');
    assert.equal(response.body.regions['eu-central-1']?.status, 'ok');
    assert.deepEqual(
      new Set(response.body.items.map((i) => i.region)),
      new Set(['us-east-1', 'eu-central-1']),
    );
    assert.equal(response.body.items.length, 6);
    assert.ok(elapsed < 1500 + 1000, `answered in ${String(elapsed)} ms`);
  });
});

describe('cross-border query: truncated blind indexes', () => {
  let gateway: TestGateway;

  before(async () => {
    gateway = await TestGateway.start({ env: { GATEWAY_BLIND_INDEX_BYTES: '1' } });
  });
  after(async () => {
    await gateway.close();
  });

  it('filters out the false positives a 1-byte index lets through', async () => {
    const token = await gateway.token({
      service: 'svc:feed',
      region: 'us-east-1',
      roles: ['service'],
    });
    const subject = await createSubject(gateway, token, 'DE');
    const names = Array.from({ length: 300 }, (_, i) => `name-${String(i)}`);
    await Promise.all(
      names.map((name) =>
        gateway.request('PUT', recordPath(subject.subjectId, 'profile', name), {
          token,
          body: { username: name },
        }),
      ),
    );
    let sawFalsePositives = false;
    for (const name of names.slice(0, 20)) {
      const response = await gateway.request<QueryBody>('POST', '/v1/query', {
        token,
        body: { collection: 'profile', where: { username: name }, jurisdictions: ['EU'] },
      });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(
        response.body.items.map((i) => i.data['username']),
        [name],
        'only the true match',
      );
      if ((response.body.regions['eu-central-1']?.candidates ?? 0) > 1) sawFalsePositives = true;
    }
    assert.ok(sawFalsePositives, 'with 300 values in 256 buckets some lookups must collide');
  });
});
