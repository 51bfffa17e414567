import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { ConfigError } from '../platform/config/config.error.js';
import type { JwksSource } from '../platform/config/gateway-config.js';

/** The public keys service tokens are verified against: a JWKS file read at boot, or a URL. */
export function loadVerificationKeys(source: JwksSource): JWTVerifyGetKey {
  if (source.kind === 'url') {
    return createRemoteJWKSet(new URL(source.url), {
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
    });
  }
  let jwks: unknown;
  try {
    jwks = JSON.parse(readFileSync(source.path, 'utf8'));
  } catch {
    throw new ConfigError([`GATEWAY_JWKS_FILE: cannot read a JSON key set at ${source.path}`]);
  }
  const keys = (jwks as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError([`GATEWAY_JWKS_FILE: ${source.path} has no "keys"`]);
  }
  if (keys.some((key) => typeof key === 'object' && key !== null && 'd' in key)) {
    throw new ConfigError([
      `GATEWAY_JWKS_FILE: ${source.path} contains a private key; publish public keys only`,
    ]);
  }
  return createLocalJWKSet(jwks as JSONWebKeySet);
}
