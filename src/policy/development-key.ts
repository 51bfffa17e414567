import { createHash, type KeyObject } from 'node:crypto';

/**
 * SHA-256 of the SubjectPublicKeyInfo of the committed development signing key
 * (`policies/keys/dev-bundle-signing.pub.pem`). Its private half is in the repository, so a
 * gateway that trusts it trusts anyone: it is accepted only with GATEWAY_DEVELOPMENT=true.
 */
export const DEVELOPMENT_KEY_SPKI_SHA256 =
  '01202e0182ba676f1a6aa49ec70114f3b593ae728802a694117d8f834f0fb1c9';

export function isDevelopmentKey(key: KeyObject): boolean {
  const spki = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex') === DEVELOPMENT_KEY_SPKI_SHA256;
}
