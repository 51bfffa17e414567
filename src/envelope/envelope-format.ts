import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError } from '../platform/errors/domain-error.js';

/**
 * The record envelope, format version 1 (specified in docs/envelope.md):
 *
 *   envelope = version (1 byte, 0x01) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)
 *
 * AES-256-GCM under the subject's record key, with a fresh random nonce, and authenticated
 * data that names where the row lives, so an envelope copied to another row, subject or region
 * fails to open. 29 bytes of overhead per record.
 */
export const ENVELOPE_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;
export const ENVELOPE_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
const AAD_DOMAIN = Buffer.from('residency-gateway/record', 'utf8');

/** Where a record lives; bound into its envelope as authenticated data. */
export interface RecordLocation {
  readonly region: string;
  readonly collection: string;
  readonly subjectId: string;
  readonly recordId: string;
  /** Generation of the subject key the record is sealed under. */
  readonly keyVersion: number;
}

/** The envelope does not open: altered, truncated, or moved from where it was sealed. */
export class IntegrityViolationError extends DomainError {
  constructor() {
    super('integrity_violation', 500, 'Integrity violation', {
      detail: 'A stored record failed its integrity check and was not returned.',
      logLevel: 'error',
    });
  }
}

/** An envelope of a format version this gateway does not know. Refused, never guessed at. */
export class UnsupportedEnvelopeVersionError extends DomainError {
  constructor(readonly version: number) {
    super('unsupported_envelope_version', 500, 'Unsupported envelope version', {
      detail: 'A stored record uses an envelope format this gateway does not support.',
      logLevel: 'error',
    });
  }
}

function field(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/**
 * The canonical authenticated data: each part as a 4-byte big-endian length and its bytes, in
 * the order domain, format version, region, collection, subject id, record id, key version.
 * Length prefixes make the encoding injective: ("ab","c") and ("a","bc") differ.
 */
export function encodeAssociatedData(location: RecordLocation, version = ENVELOPE_VERSION): Buffer {
  if (
    !Number.isInteger(location.keyVersion) ||
    location.keyVersion < 0 ||
    location.keyVersion > 0xffffffff
  ) {
    throw new RangeError('key version out of range');
  }
  const keyVersion = Buffer.alloc(4);
  keyVersion.writeUInt32BE(location.keyVersion);
  return Buffer.concat([
    ...field(AAD_DOMAIN),
    ...field(Buffer.of(version)),
    ...field(Buffer.from(location.region, 'utf8')),
    ...field(Buffer.from(location.collection, 'utf8')),
    ...field(Buffer.from(location.subjectId, 'utf8')),
    ...field(Buffer.from(location.recordId, 'utf8')),
    ...field(keyVersion),
  ]);
}

/**
 * Seals `plaintext` for `location` under a 32-byte record key. `nonce` is for known-answer
 * test vectors only; production always takes a fresh random one.
 */
export function sealEnvelope(
  recordKey: Buffer,
  plaintext: Buffer,
  location: RecordLocation,
  nonce: Buffer = randomBytes(NONCE_BYTES),
): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new RangeError('nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', recordKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(encodeAssociatedData(location));
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([Buffer.of(ENVELOPE_VERSION), nonce, ciphertext, cipher.getAuthTag()]);
}

/** Opens an envelope sealed for exactly `location`, or throws; never returns unverified bytes. */
export function openEnvelope(
  recordKey: Buffer,
  envelope: Buffer,
  location: RecordLocation,
): Buffer {
  if (envelope.length < ENVELOPE_OVERHEAD_BYTES) throw new IntegrityViolationError();
  const version = envelope.readUInt8(0);
  if (version !== ENVELOPE_VERSION) throw new UnsupportedEnvelopeVersionError(version);
  const nonce = envelope.subarray(1, HEADER_BYTES);
  const ciphertext = envelope.subarray(HEADER_BYTES, envelope.length - TAG_BYTES);
  const tag = envelope.subarray(envelope.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', recordKey, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(encodeAssociatedData(location));
  decipher.setAuthTag(tag);
  const plaintext = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    throw new IntegrityViolationError();
  }
  return plaintext;
}
