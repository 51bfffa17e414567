import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';
import { TokenForge } from '../harness/token-forge.js';

/**
 * The attack: tokens signed with a trusted key but shaped to get more than they should — from
 * another issuer sharing the key set, living for a year, undated, combining the auditor's view
 * of the log with a service's access to records, carrying every role at once, or naming a
 * service or region in characters that would corrupt logs and audit entries. Each is refused
 * with 401 and its own stable code, and nothing is decided, logged or stored for it.
 */

const MAX_LIFETIME = 900;

interface Problem {
  type: string;
  status: number;
  code: string;
}

describe('attack: signed tokens shaped to get more than they should', () => {
  let gateway: TestGateway;
  let forge: TokenForge;

  before(async () => {
    gateway = await TestGateway.start({
      env: { GATEWAY_JWT_MAX_LIFETIME_SECONDS: String(MAX_LIFETIME), GATEWAY_JWT_MAX_ROLES: '2' },
    });
    forge = new TokenForge(gateway.keys);
  });
  after(async () => {
    await gateway.close();
  });

  const now = (): number => Math.floor(Date.now() / 1000);

  async function storedEverywhere(): Promise<string> {
    const counts: string[] = [];
    for (const region of gateway.regions.regions) {
      const rows = await gateway.regions.query<{ subjects: string; entries: string }>(
        region.id,
        `SELECT (SELECT count(*) FROM subjects)::text AS subjects,
                (SELECT count(*) FROM audit_entries)::text AS entries`,
      );
      counts.push(`${region.id}:${rows[0]?.subjects ?? '?'}/${rows[0]?.entries ?? '?'}`);
    }
    return counts.join(' ');
  }

  /** Tries the token on a write (decided and logged if accepted) and on the audit log. */
  async function expectRefused(token: string, code: string): Promise<void> {
    const stored = await storedEverywhere();
    for (const [method, path, body] of [
      ['POST', '/v1/subjects', { country: 'DE' }],
      ['GET', '/v1/audit/decisions?region=eu-central-1', undefined],
    ] as const) {
      const response = await gateway.request<Problem>(method, path, {
        token,
        ...(body === undefined ? {} : { body }),
      });
      assert.equal(response.status, 401, `${method} ${path}: ${response.text}`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(response.body.code, code, `${method} ${path}`);
      assert.equal(response.body.type, `urn:residency-gateway:problem:${code}`);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
      assert.equal(response.headers.get('x-decision-id'), null, 'nothing was decided');
    }
    assert.equal(await storedEverywhere(), stored, 'nothing was stored or logged');
  }

  it('the forge’s baseline token is accepted (so each refusal below is for its one change)', async () => {
    const token = await forge.withClaims({ region: 'eu-central-1', exp: now() + MAX_LIFETIME });
    const response = await gateway.request('POST', '/v1/subjects', {
      token,
      body: { country: 'DE' },
    });
    assert.equal(response.status, 201, response.text);
    const auditor = await forge.withClaims({
      roles: ['auditor'],
      region: 'eu-central-1',
      exp: now() + MAX_LIFETIME,
    });
    const log = await gateway.request('GET', '/v1/audit/decisions?region=eu-central-1', {
      token: auditor,
    });
    assert.equal(log.status, 200, log.text);
  });

  it('another issuer, or none → token_issuer_invalid', async () => {
    await expectRefused(
      await forge.withClaims({ iss: 'https://other-issuer.example', exp: now() + 600 }),
      'token_issuer_invalid',
    );
    await expectRefused(
      await forge.withClaims({ iss: undefined, exp: now() + 600 }),
      'token_issuer_invalid',
    );
  });

  it('a lifetime beyond the maximum → token_lifetime_too_long, however fresh', async () => {
    await expectRefused(
      await forge.withClaims({ iat: now(), exp: now() + 365 * 86_400 }),
      'token_lifetime_too_long',
    );
    await expectRefused(
      await forge.withClaims({ iat: now() - 60, exp: now() - 60 + MAX_LIFETIME + 1 }),
      'token_lifetime_too_long',
    );
  });

  it('dated ahead to outlive the maximum → token_not_yet_valid', async () => {
    await expectRefused(
      await forge.withClaims({ iat: now() + 86_400, exp: now() + 86_400 + 600 }),
      'token_not_yet_valid',
    );
  });

  it('without iat or exp → token_claims_invalid', async () => {
    await expectRefused(
      await forge.withClaims({ iat: undefined, exp: now() + 600 }),
      'token_claims_invalid',
    );
    await expectRefused(await forge.withClaims({ exp: undefined }), 'token_claims_invalid');
    await expectRefused(
      await forge.withClaims({ iat: 'yesterday', exp: now() + 600 }),
      'token_claims_invalid',
    );
  });

  it('auditor together with any other role → token_roles_conflict (separation of duties)', async () => {
    for (const roles of [
      ['auditor', 'service'],
      ['legal', 'auditor'],
    ]) {
      await expectRefused(
        await forge.withClaims({ roles, exp: now() + 600 }),
        'token_roles_conflict',
      );
    }
  });

  it('more roles than allowed → token_roles_too_many; repeated or malformed roles → token_claims_invalid', async () => {
    await expectRefused(
      await forge.withClaims({ roles: ['service', 'moderator', 'legal'], exp: now() + 600 }),
      'token_roles_too_many',
    );
    await expectRefused(
      await forge.withClaims({ roles: ['service', 'service'], exp: now() + 600 }),
      'token_claims_invalid',
    );
    await expectRefused(
      await forge.withClaims({ roles: ['Service '], exp: now() + 600 }),
      'token_claims_invalid',
    );
  });

  it('a service id or region that is not short printable ASCII → token_claims_invalid', async () => {
    for (const claims of [
      { sub: 'svc:fëed' },
      { sub: 'svc:feed\nlevel=error msg=forged' },
      { sub: 'svc: feed' },
      { sub: `svc:${'x'.repeat(200)}` },
      { sub: '' },
      { region: 'eu-central-1\u200b' },
      { region: 'ëu-central-1' },
    ]) {
      await expectRefused(
        await forge.withClaims({ region: 'eu-central-1', ...claims, exp: now() + 600 }),
        'token_claims_invalid',
      );
    }
  });

  it('an issuer in other characters is not the configured one → token_issuer_invalid', async () => {
    await expectRefused(
      await forge.withClaims({ iss: `${gateway.keys.issuer}\u0000`, exp: now() + 600 }),
      'token_issuer_invalid',
    );
  });
});
