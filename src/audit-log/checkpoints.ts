import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CompactSign, compactVerify, calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import type { EntityManager } from 'typeorm';

/** A signed statement "region R's chain had head (seq, hash) at time T". */
export interface SignedCheckpoint {
  readonly region: string;
  readonly seq: number;
  readonly hash: string;
  readonly signedAt: string;
  readonly keyId: string;
  /** Compact JWS over {region, seq, hash, signedAt}: what an outside monitor keeps. */
  readonly signature: string;
}

export interface CheckpointKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
  readonly keyId: string;
  readonly alg: 'EdDSA' | 'ES256';
}

export async function loadCheckpointKey(privateKeyFile: string): Promise<CheckpointKey> {
  const privateKey = createPrivateKey(readFileSync(privateKeyFile));
  const publicKey = createPublicKey(privateKey);
  const alg = privateKey.asymmetricKeyType === 'ed25519' ? 'EdDSA' : 'ES256';
  const publicJwk = await exportJWK(publicKey);
  const keyId = await calculateJwkThumbprint(publicJwk);
  return { privateKey, publicKey, publicJwk: { ...publicJwk, kid: keyId, alg }, keyId, alg };
}

/** A dev checkpoint key (Ed25519 PEM) for local runs and tests; production brings its own. */
export function ensureDevCheckpointKey(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  chmodSync(file, 0o600);
}

export async function signCheckpoint(
  key: CheckpointKey,
  region: string,
  seq: number,
  hash: Buffer,
): Promise<SignedCheckpoint> {
  const signedAt = new Date().toISOString();
  const payload = { region, seq, hash: hash.toString('hex'), signedAt };
  const signature = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.keyId, typ: 'residency-checkpoint+jws' })
    .sign(key.privateKey);
  return { ...payload, keyId: key.keyId, signature };
}

/** Verifies a checkpoint's signature; returns what it states, or throws. */
export async function verifyCheckpoint(
  signature: string,
  publicKey: KeyObject,
): Promise<{ region: string; seq: number; hash: Buffer; signedAt: string }> {
  const { payload } = await compactVerify(signature, publicKey, { algorithms: ['EdDSA', 'ES256'] });
  const claims = JSON.parse(new TextDecoder().decode(payload)) as {
    region?: unknown;
    seq?: unknown;
    hash?: unknown;
    signedAt?: unknown;
  };
  if (
    typeof claims.region !== 'string' ||
    typeof claims.seq !== 'number' ||
    typeof claims.hash !== 'string' ||
    !/^[0-9a-f]{64}$/.test(claims.hash) ||
    typeof claims.signedAt !== 'string'
  ) {
    throw new Error('malformed checkpoint');
  }
  return {
    region: claims.region,
    seq: claims.seq,
    hash: Buffer.from(claims.hash, 'hex'),
    signedAt: claims.signedAt,
  };
}

interface Row {
  region: string;
  seq: string;
  hash: Buffer;
  signed_at: Date;
  key_id: string;
  signature: string;
}

/** Checkpoints stored in the region they describe (and published by the API). */
export class CheckpointRepository {
  async insert(manager: EntityManager, checkpoint: SignedCheckpoint): Promise<void> {
    await manager.query(
      `INSERT INTO audit_checkpoints (region, seq, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (region, seq) DO NOTHING`,
      [
        checkpoint.region,
        checkpoint.seq,
        Buffer.from(checkpoint.hash, 'hex'),
        checkpoint.signedAt,
        checkpoint.keyId,
        checkpoint.signature,
      ],
    );
  }

  async list(manager: EntityManager, region: string): Promise<SignedCheckpoint[]> {
    const rows = await manager.query<Row[]>(
      'SELECT region, seq::text AS seq, hash, signed_at, key_id, signature FROM audit_checkpoints WHERE region = $1 ORDER BY audit_checkpoints.seq',
      [region],
    );
    return rows.map((row) => ({
      region: row.region,
      seq: Number(row.seq),
      hash: row.hash.toString('hex'),
      signedAt: row.signed_at.toISOString(),
      keyId: row.key_id,
      signature: row.signature,
    }));
  }
}
