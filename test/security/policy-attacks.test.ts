import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';
import { TestGateway, type TestResponse } from '../harness/test-gateway.js';

/**
 * Attacks a security review reproduced against the policy, replayed as the attacker would over
 * HTTP: each must fail, with its reason, and leave an entry in the log of the region whose data
 * was at stake.
 */

interface Denial {
  code: string;
  reasons: string[];
  decisionId: string;
}

interface QueryBody {
  items: { subjectId: string; data: Record<string, unknown> }[];
  regions: Record<string, { status: string; reasons?: string[]; decisionId?: string }>;
}

describe('attacks on the policy: each fails and is logged', () => {
  let gateway: TestGateway;
  let usFeed: string;
  let victim: CreatedSubject;
  const tokens: Record<string, string> = {};

  before(async () => {
    gateway = await TestGateway.start();
    const callers = {
      usRecommendations: {
        service: 'svc:recommendations',
        region: 'us-east-1',
        roles: ['service'],
      },
      usIntake: { service: 'svc:legal-intake', region: 'us-east-1', roles: ['legal'] },
      usCounsel: { service: 'svc:legal-counsel', region: 'us-west-2', roles: ['legal'] },
      usRequester: { service: 'svc:legal-us', region: 'us-east-1', roles: ['legal'] },
      euLegal: { service: 'svc:legal-eu', region: 'eu-central-1', roles: ['legal'] },
      euRequesterElsewhere: { service: 'svc:legal-us', region: 'eu-central-1', roles: ['legal'] },
      euModerator: { service: 'svc:moderation', region: 'eu-central-1', roles: ['moderator'] },
      usPrivacy: { service: 'svc:privacy', region: 'us-east-1', roles: ['privacy'] },
      euAuditor: { service: 'svc:audit', region: 'eu-central-1', roles: ['auditor'] },
      usAuditor: { service: 'svc:audit', region: 'us-east-1', roles: ['auditor'] },
    };
    for (const [name, claims] of Object.entries(callers))
      tokens[name] = await gateway.token(claims);
    usFeed = await gateway.token({ service: 'svc:feed', region: 'us-east-1', roles: ['service'] });
    victim = await createSubject(gateway, usFeed, 'US');
    const written = await gateway.request('PUT', recordPath(victim.subjectId, 'profile', 'main'), {
      token: usFeed,
      body: { displayName: 'Vic', username: 'vic', email: 'vic@example.org', phone: '+1 555 0199' },
    });
    assert.equal(written.status, 201, written.text);
    await gateway.request('PUT', recordPath(victim.subjectId, 'direct_message', 'm1'), {
      token: usFeed,
      body: { senderId: 'u-1007', body: 'private', sentAt: '2026-11-27T00:00:00Z' },
    });
  });
  after(async () => {
    await gateway.close();
  });

  /** The allowed flag and reasons of a logged decision, read from the region's store. */
  async function logged(region: string, decisionId: string) {
    const rows = await gateway.regions.query<{ allowed: boolean; leaf: Buffer }>(
      region,
      'SELECT allowed, leaf FROM audit_entries WHERE decision_id = $1',
      [decisionId],
    );
    assert.equal(rows.length, 1, `decision ${decisionId} is in the ${region} log`);
    const entry = JSON.parse((rows[0] as { leaf: Buffer }).leaf.toString('utf8')) as {
      result: { reasons: string[] };
      input: { action: string; caller: { service: string } };
    };
    return { allowed: (rows[0] as { allowed: boolean }).allowed, entry };
  }

  async function assertDeniedAndLogged(
    response: TestResponse<Denial>,
    reason: string,
    region: string,
  ): Promise<void> {
    assert.equal(response.status, 403, response.text);
    assert.ok(response.body.reasons.includes(reason), response.text);
    const { allowed, entry } = await logged(region, response.body.decisionId);
    assert.equal(allowed, false);
    assert.ok(entry.result.reasons.includes(reason));
  }

  it('a recommendation service searching by e-mail or phone in its own jurisdiction learns nothing', async () => {
    for (const where of [{ email: 'vic@example.org' }, { phone: '+1 555 0199' }]) {
      const response = await gateway.request<QueryBody>('POST', '/v1/query', {
        token: tokens['usRecommendations'],
        purpose: 'recommendation',
        body: { collection: 'profile', where, jurisdictions: ['US'] },
      });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body.items, [], 'no subject id, no name');
      for (const [region, status] of Object.entries(response.body.regions)) {
        assert.equal(status.status, 'denied', region);
        assert.deepEqual(status.reasons, ['search_on_hidden_field']);
        assert.equal((await logged(region, status.decisionId ?? '')).allowed, false);
      }
    }
    // A search on a field it may see still works.
    const allowed = await gateway.request<QueryBody>('POST', '/v1/query', {
      token: tokens['usRecommendations'],
      purpose: 'recommendation',
      body: { collection: 'profile', where: { username: 'vic' }, jurisdictions: ['US'] },
    });
    assert.equal(allowed.status, 200, allowed.text);
    assert.ok(allowed.body.items.some((item) => item.subjectId === victim.subjectId));
    assert.equal(allowed.body.items[0]?.data['email'], undefined);
  });

  it('an approved legal request is not a bearer token: only its requester, from its jurisdiction, until it expires', async () => {
    const opened = await gateway.request<{ id: string; code?: string }>('POST', '/v1/cases', {
      token: tokens['usIntake'],
      body: { kind: 'legal-request', subjectIds: [victim.subjectId], requester: 'svc:legal-us' },
    });
    assert.equal(opened.status, 201, opened.text);
    const caseId = opened.body.id;
    const approved = await gateway.request('POST', `/v1/cases/${caseId}/approve`, {
      token: tokens['usCounsel'],
    });
    assert.equal(approved.status, 200, approved.text);
    const readAs = (token: string | undefined) =>
      gateway.request<Denial>('GET', recordPath(victim.subjectId, 'direct_message', 'm1'), {
        token,
        purpose: 'legal-process',
        headers: { 'x-case-id': caseId },
      });

    // The reproduced attack: a third legal-role service in another jurisdiction.
    await assertDeniedAndLogged(
      await readAs(tokens['euLegal']),
      'not_the_requester',
      victim.homeRegion,
    );
    // The requester's identity, from another jurisdiction than the request names.
    await assertDeniedAndLogged(
      await readAs(tokens['euRequesterElsewhere']),
      'outside_requester_jurisdiction',
      victim.homeRegion,
    );
    const ok = await readAs(tokens['usRequester']);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('x-break-glass'), 'true');

    // Expired (an approval with an expiry in the past, as time passes).
    await gateway.regions.query(
      victim.homeRegion,
      "UPDATE cases SET expires_at = now() - interval '1 second' WHERE id = $1",
      [caseId],
    );
    await assertDeniedAndLogged(
      await readAs(tokens['usRequester']),
      'case_expired',
      victim.homeRegion,
    );

    // An EU moderator can neither read nor close a US legal case.
    for (const [method, path] of [
      ['GET', `/v1/cases/${caseId}`],
      ['POST', `/v1/cases/${caseId}/close`],
    ] as const) {
      await assertDeniedAndLogged(
        await gateway.request<Denial>(method, path, { token: tokens['euModerator'] }),
        'role_required',
        victim.homeRegion,
      );
    }
    const stillApproved = await gateway.regions.query<{ status: string }>(
      victim.homeRegion,
      'SELECT status FROM cases WHERE id = $1',
      [caseId],
    );
    assert.equal(stillApproved[0]?.status, 'approved');

    // A legal request must name its requester, and cannot outlive 90 days.
    const unbound = await gateway.request<{ code: string }>('POST', '/v1/cases', {
      token: tokens['usIntake'],
      body: { kind: 'legal-request', subjectIds: [victim.subjectId] },
    });
    assert.deepEqual([unbound.status, unbound.body.code], [422, 'requester_required']);
    const forever = await gateway.request<{ code: string }>('POST', '/v1/cases', {
      token: tokens['usIntake'],
      body: {
        kind: 'legal-request',
        subjectIds: [victim.subjectId],
        requester: 'svc:legal-us',
        expiresAt: '2099-01-01T00:00:00Z',
      },
    });
    assert.deepEqual([forever.status, forever.body.code], [422, 'invalid_expiry']);
  });

  it('an ordinary service cannot erase a subject: no purpose is 400, service-delivery is 403, and nothing is destroyed', async () => {
    const target = await createSubject(gateway, usFeed, 'US');
    await gateway.request('PUT', recordPath(target.subjectId, 'profile', 'main'), {
      token: usFeed,
      body: { displayName: 'Target' },
    });
    const noPurpose = await gateway.request<{ code: string }>(
      'DELETE',
      `/v1/subjects/${target.subjectId}`,
      { token: usFeed, purpose: null },
    );
    assert.deepEqual([noPurpose.status, noPurpose.body.code], [400, 'purpose_required']);
    await assertDeniedAndLogged(
      await gateway.request<Denial>('DELETE', `/v1/subjects/${target.subjectId}`, {
        token: usFeed,
      }),
      'erasure_not_permitted',
      target.homeRegion,
    );
    const keys = await gateway.regions.query(
      target.homeRegion,
      'SELECT 1 FROM subject_keys WHERE subject_id = $1',
      [target.subjectId],
    );
    assert.equal(keys.length, 1, 'the subject key is intact');
    const read = await gateway.request('GET', recordPath(target.subjectId, 'profile', 'main'), {
      token: usFeed,
    });
    assert.equal(read.status, 200);

    const erased = await gateway.request('DELETE', `/v1/subjects/${target.subjectId}`, {
      token: tokens['usPrivacy'],
      purpose: 'dsar',
    });
    assert.equal(erased.status, 200, erased.text);
  });

  it('an auditor reads the logs of its own jurisdiction only; a checkpoint of another region does not pass', async () => {
    await assertDeniedAndLogged(
      await gateway.request<Denial>('GET', `/v1/audit/decisions?region=${victim.homeRegion}`, {
        token: tokens['euAuditor'],
      }),
      'audit_outside_jurisdiction',
      victim.homeRegion,
    );
    await gateway.integrate();
    const euNote = await gateway.request<string>(
      'GET',
      '/v1/audit/checkpoint?region=eu-central-1',
      {
        token: tokens['euAuditor'],
      },
    );
    assert.equal(euNote.status, 200, euNote.text);
    const verify = await gateway.request<{ ok: boolean; problem?: string; detail?: string }>(
      'POST',
      '/v1/audit/verify',
      {
        token: tokens['usAuditor'],
        body: { region: victim.homeRegion, checkpoints: [euNote.text] },
      },
    );
    assert.equal(verify.status, 200, verify.text);
    assert.equal(verify.body.ok, false, 'a checkpoint of another log is not silently ignored');
    assert.equal(verify.body.problem, 'inconsistent');
  });

  it('reading which policy bundle is in force is itself decided and logged', async () => {
    const status = await gateway.request<{ build: number }>('GET', '/v1/policy', { token: usFeed });
    assert.equal(status.status, 200);
    const decisionId = status.headers.get('x-decision-id') ?? '';
    const { allowed, entry } = await logged('us-east-1', decisionId);
    assert.equal(allowed, true);
    assert.equal(entry.input.action, 'policy.read');
    assert.equal(entry.input.caller.service, 'svc:feed');
  });
});
