import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PeopleIssuer } from '../harness/people-issuer.js';
import { createSubject, recordPath } from '../harness/subjects.js';
import { TestGateway } from '../harness/test-gateway.js';

interface Problem {
  code: string;
  reasons?: string[];
}

interface Entry {
  decision_id: string;
  input: { caller: { service: string }; action: string };
}

/**
 * People (auditors, legal reviewers) call the API with their OpenID provider's access tokens,
 * beside services; and the API the console is built on: legal requests listed, break-glass
 * decisions reviewed (itself audited), log health, flows, filtered export.
 */
describe('people and the console API', () => {
  let gateway: TestGateway;
  let people: PeopleIssuer;
  let home: string;
  let subjectId: string;
  let breakGlassId: string;
  let plainReadId: string;

  before(async () => {
    people = await PeopleIssuer.start();
    gateway = await TestGateway.start({ env: people.env });
    const feed = await gateway.token({
      service: 'svc:feed',
      region: 'us-east-1',
      roles: ['service'],
    });
    const subject = await createSubject(gateway, feed, 'US');
    home = subject.homeRegion;
    subjectId = subject.subjectId;
    const path = recordPath(subjectId, 'profile', 'p1');
    await gateway.request('PUT', path, { token: feed, body: { displayName: 'Dee' } });
    plainReadId =
      (await gateway.request('GET', path, { token: feed })).headers.get('x-decision-id') ?? '';

    // A legal request opened by one person, approved by another, used by its requester.
    const legalA = await people.token({ sub: 'legal-a', roles: ['legal'], region: home });
    const legalB = await people.token({ sub: 'legal-b', roles: ['legal'], region: home });
    const opened = await gateway.request<{ id: string; openedBy: string }>('POST', '/v1/cases', {
      token: legalA,
      body: { kind: 'legal-request', subjectIds: [subjectId], requester: 'svc:legal-us' },
    });
    assert.equal(opened.status, 201, opened.text);
    assert.equal(opened.body.openedBy, 'user:legal-a');
    const self = await gateway.request<Problem>('POST', `/v1/cases/${opened.body.id}/approve`, {
      token: legalA,
    });
    assert.equal(self.status, 403, self.text);
    assert.deepEqual(self.body.reasons, ['two_person_rule']);
    const approved = await gateway.request('POST', `/v1/cases/${opened.body.id}/approve`, {
      token: legalB,
    });
    assert.equal(approved.status, 200, approved.text);
    const requester = await gateway.token({
      service: 'svc:legal-us',
      region: home,
      roles: ['legal'],
    });
    const used = await gateway.request('GET', path, {
      token: requester,
      purpose: 'legal-process',
      headers: { 'X-Case-Id': opened.body.id },
    });
    assert.equal(used.status, 200, used.text);
    assert.equal(used.headers.get('x-break-glass'), 'true');
    breakGlassId = used.headers.get('x-decision-id') ?? '';
    await gateway.integrate();
  });

  after(async () => {
    await gateway.close();
    await people.close();
  });

  it("a person's access token is accepted for people's roles; the log names them user:<sub>", async () => {
    const auditor = await people.token({ sub: 'auditor-us', roles: ['auditor'], region: home });
    const page = await gateway.request<{ items: Entry[] }>(
      'GET',
      `/v1/audit/decisions?region=${home}&service=user:legal-b`,
      { token: auditor },
    );
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(
      page.body.items.map((e) => e.input.action),
      ['case.approve'],
    );
  });

  it('the search pages newest first on request, with a cursor that continues backwards', async () => {
    const auditor = await people.token({ sub: 'auditor-us', roles: ['auditor'], region: home });
    const page = (query: string) =>
      gateway.request<{ items: Entry[]; nextCursor: string | null }>(
        'GET',
        `/v1/audit/decisions?region=${home}&${query}`,
        { token: auditor },
      );
    // The feed service's three decisions (this test's own reads are logged too, by another caller).
    const oldest = (await page('service=svc:feed')).body.items.map((e) => e.decision_id);
    assert.equal(oldest.length, 3);
    const first = await page('service=svc:feed&order=newest&limit=2');
    const second = await page(
      `service=svc:feed&order=newest&limit=2&cursor=${first.body.nextCursor ?? ''}`,
    );
    assert.equal(second.body.nextCursor, null);
    assert.deepEqual(
      [...first.body.items, ...second.body.items].map((e) => e.decision_id),
      oldest.reverse(),
    );
    assert.equal((await page('order=sideways')).status, 400);
  });

  it('refused: service roles in a person’s token, an ID token, another audience, a service posing as a person', async () => {
    const cases: [Promise<string>, string][] = [
      [
        people.token({ sub: 'mallory', roles: ['service'], region: home }),
        'token_roles_not_for_people',
      ],
      [
        people.token({ sub: 'mallory', roles: ['moderator'], region: home }),
        'token_roles_not_for_people',
      ],
      [
        people.token({ sub: 'a', roles: ['auditor'], region: home, typ: 'JWT' }),
        'token_type_invalid',
      ],
      [
        people.token({ sub: 'a', roles: ['auditor'], region: home, audience: 'another-api' }),
        'token_audience_invalid',
      ],
      [
        gateway.token({ service: 'user:auditor-us', region: home, roles: ['auditor'] }),
        'token_claims_invalid',
      ],
    ];
    for (const [token, code] of cases) {
      const response = await gateway.request<Problem>(
        'GET',
        `/v1/audit/checkpoints?region=${home}`,
        {
          token: await token,
        },
      );
      assert.equal(response.status, 401, response.text);
      assert.equal(response.body.code, code);
    }
  });

  it('legal requests are listed for the legal reviewers of their jurisdiction only', async () => {
    const legal = await people.token({ sub: 'legal-a', roles: ['legal'], region: home });
    const list = await gateway.request<{ items: { status: string; approvedBy: string }[] }>(
      'GET',
      `/v1/cases?region=${home}&kind=legal-request`,
      { token: legal },
    );
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(
      list.body.items.map((c) => [c.status, c.approvedBy]),
      [['approved', 'user:legal-b']],
    );
    const open = await gateway.request<{ items: unknown[] }>(
      'GET',
      `/v1/cases?region=${home}&kind=legal-request&status=open`,
      { token: legal },
    );
    assert.deepEqual(open.body.items, []);
    const euLegal = await people.token({
      sub: 'legal-eu',
      roles: ['legal'],
      region: 'eu-central-1',
    });
    const auditor = await people.token({ sub: 'auditor-us', roles: ['auditor'], region: home });
    for (const [token, reason] of [
      [euLegal, 'case_outside_jurisdiction'],
      [auditor, 'role_required'],
    ] as const) {
      const refused = await gateway.request<Problem>(
        'GET',
        `/v1/cases?region=${home}&kind=legal-request`,
        {
          token,
        },
      );
      assert.equal(refused.status, 403, refused.text);
      assert.deepEqual(refused.body.reasons, [reason]);
    }
    const bad = await gateway.request<Problem>('GET', `/v1/cases?region=${home}&kind=user-report`, {
      token: legal,
    });
    assert.equal(bad.status, 400);
  });

  it('a break-glass decision is reviewed once, by an auditor of its jurisdiction, and the review is logged', async () => {
    const auditor = await people.token({ sub: 'auditor-us', roles: ['auditor'], region: home });
    const queue = await gateway.request<{
      items: { decisionId: string; action: string; service: string }[];
    }>('GET', `/v1/audit/reviews?region=${home}`, { token: auditor });
    assert.deepEqual(
      queue.body.items.map((i) => i.decisionId),
      [breakGlassId],
    );
    const review = (decisionId: string, token = auditor) =>
      gateway.request<Problem & { reviewDecisionId: string; reviewedBy: string }>(
        'POST',
        '/v1/audit/reviews',
        {
          token,
          body: { region: home, decisionId, note: 'court order LR-1 checked' },
        },
      );
    const notBreakGlass = await review(plainReadId);
    assert.deepEqual([notBreakGlass.status, notBreakGlass.body.code], [422, 'not_break_glass']);
    const unknown = await review('00000000-0000-4000-8000-000000000000');
    assert.deepEqual([unknown.status, unknown.body.code], [404, 'decision_not_found']);
    const euAuditor = await people.token({
      sub: 'auditor-eu',
      roles: ['auditor'],
      region: 'eu-central-1',
    });
    const foreign = await review(breakGlassId, euAuditor);
    assert.equal(foreign.status, 403);
    assert.deepEqual(foreign.body.reasons, ['audit_outside_jurisdiction']);

    const done = await review(breakGlassId);
    assert.equal(done.status, 201, done.text);
    assert.equal(done.body.reviewedBy, 'user:auditor-us');
    const again = await review(breakGlassId);
    assert.deepEqual([again.status, again.body.code], [409, 'already_reviewed']);

    const pending = await gateway.request<{ items: unknown[] }>(
      'GET',
      `/v1/audit/reviews?region=${home}`,
      {
        token: auditor,
      },
    );
    assert.deepEqual(pending.body.items, []);
    const logged = await gateway.request<{ items: Entry[] }>(
      'GET',
      `/v1/audit/decisions?region=${home}&action=audit.review&service=user:auditor-us`,
      { token: auditor },
    );
    assert.ok(logged.body.items.some((e) => e.decision_id === done.body.reviewDecisionId));
  });

  it('log health shows the checkpoint, the backlog and the last full verification', async () => {
    const auditor = await people.token({ sub: 'auditor-us', roles: ['auditor'], region: home });
    // With progress: JSON lines while the leaves are walked, then the report.
    const response = await fetch(`${gateway.url}/v1/audit/verify/progress`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auditor}`, 'content-type': 'application/json' },
      body: JSON.stringify({ region: home }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { report?: { ok: boolean; treeSize: number } });
    const report = lines.at(-1)?.report;
    assert.equal(report?.ok, true);
    const euAuditor = await people.token({
      sub: 'auditor-eu',
      roles: ['auditor'],
      region: 'eu-central-1',
    });
    const refused = await gateway.request<Problem>('POST', '/v1/audit/verify/progress', {
      token: euAuditor,
      body: { region: home },
    });
    assert.equal(refused.status, 403, 'refused before the first byte, as a problem');
    const health = await gateway.request<{
      treeSize: number;
      lastVerification: { ok: boolean; by: string; treeSize: number } | null;
    }>('GET', `/v1/audit/health?region=${home}`, { token: auditor });
    assert.equal(health.status, 200, health.text);
    assert.ok(health.body.treeSize > 0);
    assert.equal(health.body.lastVerification?.ok, true);
    assert.equal(health.body.lastVerification.by, 'user:auditor-us');
    assert.equal(health.body.lastVerification.treeSize, report.treeSize);
  });

  it('flows count decisions by caller jurisdiction and purpose, with denials', async () => {
    const auditor = await people.token({ sub: 'auditor-us', roles: ['auditor'], region: home });
    const eu = await gateway.token({
      service: 'svc:feed-eu',
      region: 'eu-central-1',
      roles: ['service'],
    });
    // A read from the EU: excepted fields only; a write with an unknown purpose: denied.
    await gateway.request('GET', recordPath(subjectId, 'profile', 'p1'), { token: eu });
    await gateway.request('GET', recordPath(subjectId, 'profile', 'p1'), {
      token: eu,
      purpose: 'moderation',
    });
    const flows = await gateway.request<{
      dataJurisdiction: string;
      cells: { callerJurisdiction: string; purpose: string; total: number; denied: number }[];
    }>('GET', `/v1/audit/flows?region=${home}&bucket=hour`, { token: auditor });
    assert.equal(flows.status, 200, flows.text);
    assert.equal(flows.body.dataJurisdiction, 'US');
    const sum = (jurisdiction: string, purpose: string) =>
      flows.body.cells
        .filter((c) => c.callerJurisdiction === jurisdiction && c.purpose === purpose)
        .reduce((n, c) => ({ total: n.total + c.total, denied: n.denied + c.denied }), {
          total: 0,
          denied: 0,
        });
    assert.deepEqual(sum('EU', 'service-delivery'), { total: 1, denied: 0 });
    assert.deepEqual(sum('EU', 'moderation'), { total: 1, denied: 1 });
    const tooLong = await gateway.request<Problem>(
      'GET',
      `/v1/audit/flows?region=${home}&bucket=hour&from=2020-01-01T00:00:00Z`,
      { token: auditor },
    );
    assert.equal(tooLong.status, 400);
  });

  it('export streams the current filter only', async () => {
    const auditor = await people.token({ sub: 'auditor-us', roles: ['auditor'], region: home });
    const response = await fetch(`${gateway.url}/v1/audit/export?region=${home}&breakGlass=true`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    assert.equal(response.status, 200);
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    assert.deepEqual(
      lines.map((l) => l.decision_id),
      [breakGlassId],
    );
  });

  it('the console is served with its settings, a strict content security policy and problem errors', async () => {
    const settings = await gateway.request<{ signIn: { issuer: string; clientId: string } }>(
      'GET',
      '/console/config.json',
    );
    assert.equal(settings.status, 200);
    assert.deepEqual(settings.body.signIn.issuer, people.issuer);
    const page = await fetch(`${gateway.url}/console`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.match(
      page.headers.get('content-security-policy') ?? '',
      new RegExp(`connect-src 'self' ${people.issuer}`),
    );
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const slash = await fetch(`${gateway.url}/console/?code=x&state=y`, { redirect: 'manual' });
    assert.equal(slash.status, 308);
    assert.equal(slash.headers.get('location'), '/console?code=x&state=y');
    const missing = await gateway.request<Problem>('GET', '/console/nothing.js');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'console_file_not_found');
  });
});
