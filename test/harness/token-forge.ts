import { SignJWT, generateKeyPair, importJWK } from 'jose';
import { DEFAULT_AUDIENCE, DEVELOPMENT_ISSUER } from '../../src/platform/config/config.loader.js';
import type { TestKeys } from './test-keys.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const CLAIMS = {
  iss: DEVELOPMENT_ISSUER,
  sub: 'svc:forged',
  region: 'us-east-1',
  roles: ['service'],
  aud: DEFAULT_AUDIENCE,
};

function now(): number {
  return Math.floor(Date.now() / 1000);
}

function inAnHour(): number {
  return now() + 3600;
}

/** Tokens that must be refused, each for one reason, built from a gateway's real test keys. */
export class TokenForge {
  constructor(private readonly keys: TestKeys) {}

  /**
   * Signed correctly, with claims replaced or removed (`undefined` removes a claim). Without
   * overrides: a valid token (issued now, for an hour, by the test gateways' issuer).
   */
  async withClaims(
    overrides: Record<string, unknown>,
    header: Record<string, unknown> = {},
  ): Promise<string> {
    const claims: Record<string, unknown> = {
      ...CLAIMS,
      iat: now(),
      exp: inAnHour(),
      ...overrides,
    };
    for (const [key, value] of Object.entries(claims))
      if (value === undefined) Reflect.deleteProperty(claims, key);
    const key = await importJWK(this.keys.ed25519, 'EdDSA');
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.ed25519.kid, ...header })
      .sign(key);
  }

  /** `alg: none`, no signature. */
  unsigned(): string {
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...CLAIMS, iat: now(), exp: inAnHour() })}.`;
  }

  /** HS256 with a guessable secret: an algorithm-confusion attempt. */
  async hmac(): Promise<string> {
    return new SignJWT({ ...CLAIMS })
      .setProtectedHeader({ alg: 'HS256', kid: this.keys.ed25519.kid })
      .setIssuedAt()
      .setExpirationTime(inAnHour())
      .sign(new TextEncoder().encode('x'.repeat(32)));
  }

  /** Signed by an attacker's key that claims the gateway's key id. */
  async wrongKey(): Promise<string> {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    return new SignJWT({ ...CLAIMS })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keys.ed25519.kid })
      .setIssuedAt()
      .setExpirationTime(inAnHour())
      .sign(privateKey);
  }

  /** A valid token with one signature byte flipped. */
  async tamperedSignature(): Promise<string> {
    const token = await this.withClaims({});
    const [header, payload, signature = ''] = token.split('.');
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 0xff;
    return `${header ?? ''}.${payload ?? ''}.${bytes.toString('base64url')}`;
  }

  /** A valid token whose payload was edited after signing (a raised role). */
  async tamperedPayload(): Promise<string> {
    const token = await this.withClaims({});
    const [header, , signature] = token.split('.');
    return `${header ?? ''}.${b64({ ...CLAIMS, roles: ['legal'], iat: now(), exp: inAnHour() })}.${signature ?? ''}`;
  }
}
