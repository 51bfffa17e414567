import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway, type TestResponse } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';

interface RecordBody {
  data: Record<string, unknown>;
  masked: string[];
}
interface Denial {
  code: string;
  reasons: string[];
  decisionId: string;
}

function assertDenied(response: TestResponse<Denial>, reason: string): void {
  assert.equal(response.status, 403, response.text);
  assert.equal(response.body.code, 'policy_denied');
  assert.ok(
    response.body.reasons.includes(reason),
    `reasons ${JSON.stringify(response.body.reasons)} lack ${reason}`,
  );
  assert.match(response.headers.get('x-decision-id') ?? '', /^[0-9a-f-]{36}$/);
  assert.equal(response.body.decisionId, response.headers.get('x-decision-id'));
  assert.doesNotMatch(response.text, /meet me|ada@example/, 'a denial carries no record data');
}

describe('every access is decided by the policy (DESIGN §7)', () => {
  let gateway: TestGateway;
  const tokens: Record<string, string> = {};
  let subject: CreatedSubject;
  const profilePath = (): string => recordPath(subject.subjectId, 'profile', 'main');
  const messagePath = (): string => recordPath(subject.subjectId, 'direct_message', 'm1');

  before(async () => {
    gateway = await TestGateway.start();
    const callers = {
      usFeed: { service: 'svc:feed', region: 'us-east-1', roles: ['service'] },
      euFeed: { service: 'svc:feed', region: 'eu-central-1', roles: ['service'] },
      usModerator: { service: 'svc:moderation', region: 'us-west-2', roles: ['moderator'] },
      euModerator: { service: 'svc:moderation', region: 'eu-central-1', roles: ['moderator'] },
      usSafety: { service: 'svc:trust-safety', region: 'us-east-1', roles: ['trust-and-safety'] },
      legalIntake: { service: 'svc:legal-intake', region: 'us-east-1', roles: ['legal'] },
      legalCounsel: { service: 'svc:legal-counsel', region: 'us-west-2', roles: ['legal'] },
      legalRequester: { service: 'svc:legal-eu', region: 'eu-central-1', roles: ['legal'] },
      legalOther: { service: 'svc:legal-other', region: 'eu-central-1', roles: ['legal'] },
      auditor: { service: 'svc:audit', region: 'us-east-1', roles: ['auditor'] },
    };
    for (const [name, claims] of Object.entries(callers))
      tokens[name] = await gateway.token(claims);
    subject = await createSubject(gateway, tokens['usFeed'] ?? '', 'US');
    await gateway.request('PUT', profilePath(), {
      token: tokens['usFeed'],
      body: {
        displayName: 'Ada',
        username: 'ada',
        email: 'ada@example.org',
        phone: '+1 555 0100',
        birthDate: '1990-01-31',
        country: 'US',
      },
    });
    await gateway.request('PUT', messagePath(), {
      token: tokens['usFeed'],
      body: {
        conversationId: 'conv-1',
        senderId: 'u-ada',
        recipientId: 'u-bob',
        body: 'meet me at noon',
        sentAt: '2026-11-26T12:00:00Z',
      },
    });
  });
  after(async () => {
    await gateway.close();
  });

  const read = (
    token: string | undefined,
    path: string,
    options: { purpose?: string | null; caseId?: string } = {},
  ) =>
    gateway.request<RecordBody & Denial>('GET', path, {
      token,
      ...(options.purpose === undefined ? {} : { purpose: options.purpose }),
      ...(options.caseId === undefined ? {} : { headers: { 'x-case-id': options.caseId } }),
    });

  it('same jurisdiction, service-delivery: every field, with the decision id', async () => {
    const response = await read(tokens['usFeed'], profilePath());
    assert.equal(response.status, 200);
    assert.equal(response.body.data['email'], 'ada@example.org');
    assert.equal(response.body.data['birthDate'], '1990-01-31');
    assert.deepEqual(response.body.masked, []);
    assert.match(response.headers.get('x-decision-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('cross-border profile read from an EU service: excepted fields only, the rest redacted', async () => {
    const response = await read(tokens['euFeed'], profilePath());
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { displayName: 'Ada', username: 'ada', country: 'US' });
    assert.deepEqual([...response.body.masked].sort(), ['birthDate', 'email', 'phone']);
  });

  it('cross-border read of message content: denied', async () => {
    assertDenied(
      await read(tokens['euFeed'], `${messagePath()}?fields=body`),
      'cross_border_content_only',
    );
    const whole = await read(tokens['euFeed'], messagePath());
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body.data, { sentAt: '2026-11-26T12:00:00Z' });
  });

  it('recommendation: identifiers pseudonymized and stable, never pii, sensitive or content', async () => {
    const first = await read(tokens['euFeed'], messagePath(), { purpose: 'recommendation' });
    const second = await read(tokens['usFeed'], messagePath(), { purpose: 'recommendation' });
    assert.equal(first.status, 200);
    const sender = first.body.data['senderId'];
    assert.match(String(sender), /^pn_[A-Za-z0-9_-]{22}$/);
    assert.notEqual(sender, 'u-ada');
    assert.equal(
      second.body.data['senderId'],
      sender,
      'the same pseudonym across calls and callers',
    );
    assert.notEqual(first.body.data['recipientId'], sender);
    assert.equal(first.body.data['body'], undefined);
    const profile = await read(tokens['euFeed'], profilePath(), { purpose: 'recommendation' });
    assert.equal(profile.status, 200);
    for (const field of ['email', 'phone', 'birthDate'])
      assert.equal(profile.body.data[field], undefined, field);
  });

  it('moderation: with an open case inside the jurisdiction allowed; outside it, or without a case, denied', async () => {
    const opened = await gateway.request<{ id: string; status: string; region: string }>(
      'POST',
      '/v1/cases',
      {
        token: tokens['usSafety'],
        body: { kind: 'user-report', subjectIds: [subject.subjectId], reference: 'RPT-1001' },
      },
    );
    assert.equal(opened.status, 201, opened.text);
    assert.equal(opened.body.status, 'open');
    assert.equal(opened.body.region, subject.homeRegion);
    const caseId = opened.body.id;

    const inside = await read(tokens['usModerator'], messagePath(), {
      purpose: 'moderation',
      caseId,
    });
    assert.equal(inside.status, 200, inside.text);
    assert.equal(inside.body.data['body'], 'meet me at noon');

    assertDenied(
      await read(tokens['euModerator'], messagePath(), { purpose: 'moderation', caseId }),
      'outside_jurisdiction',
    );
    assertDenied(
      await read(tokens['usModerator'], messagePath(), { purpose: 'moderation' }),
      'case_required',
    );

    const closed = await gateway.request('POST', `/v1/cases/${caseId}/close`, {
      token: tokens['usSafety'],
    });
    assert.equal(closed.status, 200);
    assertDenied(
      await read(tokens['usModerator'], messagePath(), { purpose: 'moderation', caseId }),
      'case_not_open',
    );
  });

  it('legal process: a legal request approved by a second person allows its requester everything, marked break-glass', async () => {
    const opened = await gateway.request<{ id: string; requester: string; expiresAt: string }>(
      'POST',
      '/v1/cases',
      {
        token: tokens['legalIntake'],
        body: {
          kind: 'legal-request',
          subjectIds: [subject.subjectId],
          requester: 'svc:legal-eu',
          requesterJurisdiction: 'EU',
        },
      },
    );
    assert.equal(opened.status, 201, opened.text);
    assert.equal(opened.body.requester, 'svc:legal-eu');
    const caseId = opened.body.id;

    assertDenied(
      await read(tokens['legalRequester'], profilePath(), { purpose: 'legal-process', caseId }),
      'case_not_approved',
    );
    assertDenied(
      await gateway.request<Denial>('POST', `/v1/cases/${caseId}/approve`, {
        token: tokens['legalIntake'],
      }),
      'two_person_rule',
    );
    assertDenied(
      await gateway.request<Denial>('POST', `/v1/cases/${caseId}/approve`, {
        token: tokens['legalRequester'],
      }),
      'two_person_rule',
    );
    const approved = await gateway.request<{ status: string; approvedBy: string }>(
      'POST',
      `/v1/cases/${caseId}/approve`,
      {
        token: tokens['legalCounsel'],
      },
    );
    assert.equal(approved.status, 200, approved.text);
    assert.deepEqual(
      [approved.body.status, approved.body.approvedBy],
      ['approved', 'svc:legal-counsel'],
    );

    const response = await read(tokens['legalRequester'], profilePath(), {
      purpose: 'legal-process',
      caseId,
    });
    assert.equal(response.status, 200, response.text);
    assertDenied(
      await read(tokens['legalOther'], profilePath(), { purpose: 'legal-process', caseId }),
      'not_the_requester',
    );
    assert.equal(response.body.data['birthDate'], '1990-01-31');
    assert.equal(response.headers.get('x-break-glass'), 'true');
    assert.equal((await read(tokens['usFeed'], profilePath())).headers.get('x-break-glass'), null);
  });

  it('an auditor reading a record: denied', async () => {
    assertDenied(await read(tokens['auditor'], profilePath()), 'auditor_reads_audit_log_only');
  });

  it('an unknown purpose: denied; no purpose on a read: 400', async () => {
    assertDenied(
      await read(tokens['usFeed'], profilePath(), { purpose: 'curiosity' }),
      'unknown_purpose',
    );
    const missing = await read(tokens['usFeed'], profilePath(), { purpose: null });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.code, 'purpose_required');
  });

  it('writes into a jurisdiction are allowed from anywhere; auditors never write', async () => {
    const write = await gateway.request('PUT', recordPath(subject.subjectId, 'watch_event', 'w1'), {
      token: tokens['euFeed'],
      body: { videoId: 'v-1' },
    });
    assert.equal(write.status, 201);
    assert.match(write.headers.get('x-decision-id') ?? '', /^[0-9a-f-]{36}$/);
    assertDenied(
      await gateway.request<Denial>('PUT', recordPath(subject.subjectId, 'watch_event', 'w2'), {
        token: tokens['auditor'],
        body: { videoId: 'v-2' },
      }),
      'auditor_reads_audit_log_only',
    );
    const rows = await gateway.regions.query(
      subject.homeRegion,
      "SELECT 1 FROM records WHERE record_id = 'w2'",
    );
    assert.equal(rows.length, 0, 'a denied write writes nothing');
  });

  it('only trust-and-safety opens user reports; a case names subjects of one region', async () => {
    assertDenied(
      await gateway.request<Denial>('POST', '/v1/cases', {
        token: tokens['usFeed'],
        body: { kind: 'user-report', subjectIds: [subject.subjectId] },
      }),
      'role_required',
    );
    const eu = await createSubject(gateway, tokens['usFeed'] ?? '', 'DE');
    const spanning = await gateway.request<{ code: string }>('POST', '/v1/cases', {
      token: tokens['usSafety'],
      body: { kind: 'user-report', subjectIds: [subject.subjectId, eu.subjectId] },
    });
    assert.equal(spanning.status, 422);
    assert.equal(spanning.body.code, 'case_spans_regions');
  });

  it('a case naming several subjects is logged under each of them', async () => {
    let second: CreatedSubject | undefined;
    for (let i = 0; i < 40 && second === undefined; i++) {
      const candidate = await createSubject(gateway, tokens['usFeed'] ?? '', 'US');
      if (candidate.homeRegion === subject.homeRegion) second = candidate;
    }
    assert.ok(second);
    const opened = await gateway.request<{ id: string }>('POST', '/v1/cases', {
      token: tokens['usSafety'],
      body: { kind: 'user-report', subjectIds: [subject.subjectId, second.subjectId] },
    });
    assert.equal(opened.status, 201, opened.text);
    const decisionIds = (opened.headers.get('x-decision-id') ?? '').split(', ');
    assert.equal(decisionIds.length, 2, 'one decision per named subject');
    const logged = await gateway.regions.query<{ subject_ids: string[] }>(
      subject.homeRegion,
      "SELECT subject_ids FROM audit_entries WHERE action = 'case.open' AND allowed AND decision_id::text = ANY($1)",
      [decisionIds],
    );
    assert.deepEqual(
      logged.flatMap((row) => row.subject_ids).sort(),
      [subject.subjectId, second.subjectId].sort(),
    );
  });
});
