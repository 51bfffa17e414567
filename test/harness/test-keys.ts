import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { signServiceToken, type TokenClaims } from '../../src/auth/dev-tokens.js';
import { DEFAULT_AUDIENCE, DEVELOPMENT_ISSUER } from '../../src/platform/config/config.loader.js';

/** Signing keys for one test gateway: an Ed25519 and a P-256 key, both published in its JWKS. */
export class TestKeys {
  /** The `iss` of these keys' tokens; test gateways are configured with it (GATEWAY_JWT_ISSUER). */
  readonly issuer = DEVELOPMENT_ISSUER;

  private constructor(
    readonly ed25519: JWK,
    readonly es256: JWK,
    readonly jwksFile: string,
  ) {}

  static async create(dir: string): Promise<TestKeys> {
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const ec = await generateKeyPair('ES256', { extractable: true });
    const edPrivate = { ...(await exportJWK(ed.privateKey)), kid: 'test-ed25519', alg: 'EdDSA' };
    const ecPrivate = { ...(await exportJWK(ec.privateKey)), kid: 'test-es256', alg: 'ES256' };
    const jwks = {
      keys: [
        { ...(await exportJWK(ed.publicKey)), kid: 'test-ed25519', alg: 'EdDSA', use: 'sig' },
        { ...(await exportJWK(ec.publicKey)), kid: 'test-es256', alg: 'ES256', use: 'sig' },
      ],
    };
    const jwksFile = join(dir, `jwks-${String(process.pid)}-${String(Date.now())}.json`);
    writeFileSync(jwksFile, JSON.stringify(jwks));
    return new TestKeys(edPrivate, ecPrivate, jwksFile);
  }

  /** A valid token (Ed25519 unless `alg: 'ES256'`) for the given claims. */
  async token(
    claims: Partial<TokenClaims> = {},
    alg: 'EdDSA' | 'ES256' = 'EdDSA',
  ): Promise<string> {
    return signServiceToken(alg === 'ES256' ? this.es256 : this.ed25519, {
      service: 'svc:test',
      region: 'us-east-1',
      roles: ['service'],
      audience: DEFAULT_AUDIENCE,
      issuer: this.issuer,
      ...claims,
    });
  }
}
