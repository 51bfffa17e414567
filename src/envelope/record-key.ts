import { hkdfSync } from 'node:crypto';

const SALT = Buffer.from('residency-gateway/v1', 'utf8');
const INFO = Buffer.from('record-encryption', 'utf8');

/**
 * The AES-256-GCM key records are sealed under: HKDF-SHA256 of the subject's 256-bit data key.
 * Deriving (rather than using the data key directly) keeps room for other purposes of the same
 * subject key under other `info` labels.
 */
export function deriveRecordKey(subjectKey: Buffer): Buffer {
  if (subjectKey.length !== 32) throw new RangeError('subject keys are 32 bytes');
  return Buffer.from(hkdfSync('sha256', subjectKey, SALT, INFO, 32));
}
