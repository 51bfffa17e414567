import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { DEVELOPMENT_ISSUER } from '../platform/config/config.loader.js';

/**
 * Development signing keys for service tokens. Generated on first local start under a
 * git-ignored folder and never committed; production verifies against keys from its own JWKS.
 */
export interface DevKeyFiles {
  readonly privateKeyFile: string;
  readonly jwksFile: string;
}

export function devKeyFiles(dir: string): DevKeyFiles {
  return {
    privateKeyFile: join(dir, 'dev-signing-key.jwk.json'),
    jwksFile: join(dir, 'dev-jwks.json'),
  };
}

/** Creates the dev Ed25519 key pair in `dir` unless it exists; returns the file paths. */
export async function ensureDevKeys(dir: string): Promise<DevKeyFiles> {
  const files = devKeyFiles(dir);
  if (existsSync(files.privateKeyFile) && existsSync(files.jwksFile)) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', {
    crv: 'Ed25519',
    extractable: true,
  });
  const kid = `dev-${new Date().toISOString().slice(0, 10)}-${Math.random().toString(36).slice(2, 8)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  writeFileSync(files.privateKeyFile, JSON.stringify(privateJwk, null, 2) + '\n', { mode: 0o600 });
  chmodSync(files.privateKeyFile, 0o600);
  writeFileSync(files.jwksFile, JSON.stringify({ keys: [publicJwk] }, null, 2) + '\n');
  return files;
}

export interface TokenClaims {
  readonly service: string;
  readonly region: string;
  readonly roles: readonly string[];
  readonly audience: string;
  /** `iss`: the issuer the gateway is configured with (default: the development issuer). */
  readonly issuer?: string;
  /** Lifetime in seconds (default one hour, the gateway's default maximum). */
  readonly ttlSeconds?: number;
}

/**
 * Signs a service token with a private JWK (EdDSA or ES256, taken from the key's `alg`):
 * `iss`, `sub`, `aud`, `iat` and `exp` (`exp - iat` is exactly the lifetime asked for).
 */
export async function signServiceToken(privateJwk: JWK, claims: TokenClaims): Promise<string> {
  const alg = privateJwk.alg ?? 'EdDSA';
  const key = await importJWK(privateJwk, alg);
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ region: claims.region, roles: [...claims.roles] })
    .setProtectedHeader({
      alg,
      typ: 'JWT',
      ...(privateJwk.kid === undefined ? {} : { kid: privateJwk.kid }),
    })
    .setIssuer(claims.issuer ?? DEVELOPMENT_ISSUER)
    .setSubject(claims.service)
    .setAudience(claims.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.ttlSeconds ?? 3600));
  return jwt.sign(key);
}

export async function mintDevToken(dir: string, claims: TokenClaims): Promise<string> {
  const files = await ensureDevKeys(dir);
  const privateJwk = JSON.parse(readFileSync(files.privateKeyFile, 'utf8')) as JWK;
  return signServiceToken(privateJwk, claims);
}
