import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestGateway } from '../harness/test-gateway.js';
import { TokenForge } from '../harness/token-forge.js';

interface Problem {
  code: string;
  status: number;
  type: string;
}

describe('every /v1 route requires a verified service token', () => {
  let gateway: TestGateway;
  let forge: TokenForge;

  before(async () => {
    gateway = await TestGateway.start();
    forge = new TokenForge(gateway.keys);
  });
  after(async () => {
    await gateway.close();
  });

  async function expect401(authorization: string | undefined, code: string): Promise<void> {
    for (const [method, path] of [
      ['POST', '/v1/subjects'],
      ['GET', '/v1/subjects/s1.us-east-1.0123456789abcdefghjkmnpqrs'],
    ] as const) {
      const response = await gateway.request<Problem>(method, path, {
        ...(authorization === undefined ? {} : { headers: { authorization } }),
        ...(method === 'POST' ? { body: { country: 'US' } } : {}),
      });
      assert.equal(response.status, 401, `${method} ${path}: ${response.text}`);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(response.body.code, code, `${method} ${path}`);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    }
  }

  it('accepts EdDSA and ES256 tokens', async () => {
    for (const alg of ['EdDSA', 'ES256'] as const) {
      const token = await gateway.token({ region: 'eu-central-1' }, alg);
      const response = await gateway.request('POST', '/v1/subjects', {
        token,
        body: { country: 'US' },
      });
      assert.equal(response.status, 201, `${alg}: ${response.text}`);
    }
  });

  it('missing token → token_missing', async () => {
    await expect401(undefined, 'token_missing');
  });

  it('malformed token → token_malformed', async () => {
    await expect401('Bearer not-a-jwt', 'token_malformed');
    await expect401('Basic dXNlcjpwYXNz', 'token_malformed');
    await expect401('Bearer e30.e30.', 'token_algorithm_rejected'); // {} header: no alg at all
    await expect401('Bearer !!!.???.###', 'token_malformed');
  });

  it('alg none and HMAC algorithms → token_algorithm_rejected', async () => {
    await expect401(`Bearer ${forge.unsigned()}`, 'token_algorithm_rejected');
    await expect401(`Bearer ${await forge.hmac()}`, 'token_algorithm_rejected');
  });

  it('bad signature → token_signature_invalid', async () => {
    await expect401(`Bearer ${await forge.wrongKey()}`, 'token_signature_invalid');
    await expect401(`Bearer ${await forge.tamperedSignature()}`, 'token_signature_invalid');
    await expect401(`Bearer ${await forge.tamperedPayload()}`, 'token_signature_invalid');
  });

  it('a key id nobody published → token_key_unknown', async () => {
    await expect401(
      `Bearer ${await forge.withClaims({}, { kid: 'someone-else' })}`,
      'token_key_unknown',
    );
  });

  it('expired → token_expired', async () => {
    await expect401(
      `Bearer ${await forge.withClaims({ exp: Math.floor(Date.now() / 1000) - 600 })}`,
      'token_expired',
    );
  });

  it('wrong audience → token_audience_invalid', async () => {
    await expect401(
      `Bearer ${await forge.withClaims({ aud: 'another-service' })}`,
      'token_audience_invalid',
    );
  });

  it('a region this gateway does not know → token_region_unknown', async () => {
    await expect401(
      `Bearer ${await forge.withClaims({ region: 'ap-south-1' })}`,
      'token_region_unknown',
    );
  });

  it('missing or ill-typed claims → token_claims_invalid', async () => {
    await expect401(
      `Bearer ${await forge.withClaims({ roles: 'service' })}`,
      'token_claims_invalid',
    );
    await expect401(`Bearer ${await forge.withClaims({ roles: [] })}`, 'token_claims_invalid');
    await expect401(`Bearer ${await forge.withClaims({ exp: undefined })}`, 'token_claims_invalid');
    await expect401(`Bearer ${await forge.withClaims({ sub: undefined })}`, 'token_claims_invalid');
    await expect401(
      `Bearer ${await forge.withClaims({ region: undefined })}`,
      'token_claims_invalid',
    );
  });

  it('a token valid only later → token_not_yet_valid', async () => {
    await expect401(
      `Bearer ${await forge.withClaims({ nbf: Math.floor(Date.now() / 1000) + 3600 })}`,
      'token_not_yet_valid',
    );
  });

  it('writes nothing when the token is refused', async () => {
    await gateway.request('POST', '/v1/subjects', {
      headers: { authorization: `Bearer ${forge.unsigned()}` },
      body: { country: 'DE' },
    });
    const rows = await gateway.regions.query(
      'eu-central-1',
      "SELECT count(*)::int AS n FROM subjects WHERE jurisdiction = 'EU'",
    );
    assert.equal(rows[0]?.['n'], 0);
  });

  it('leaves health, readiness and metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      assert.equal((await gateway.request('GET', path)).status, 200, path);
    }
  });
});
