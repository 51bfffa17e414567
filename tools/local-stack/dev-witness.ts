import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SIGNATURE_TYPE, noteKey, verifierKey } from '../../src/audit-log/signed-note.js';

/** The local stack's witness: its cosignatures are accepted by the local gateway. */
export const DEV_WITNESS_NAME = 'dev-witness.local';

/** Creates the dev witness key (Ed25519 PEM) if missing; returns its cosignature verifier key. */
export function ensureDevWitnessKey(file: string, name: string): string {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  const publicKey = createPublicKey(createPrivateKey(readFileSync(file)));
  return verifierKey(noteKey(name, SIGNATURE_TYPE.cosignatureV1, publicKey));
}
