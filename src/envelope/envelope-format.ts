import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { DomainError } from '../platform/errors/domain-error.js';

/**
 * The record envelope (specified in docs/envelope.md). Sealing always writes format 2:
 *
 *   envelope = 0x02 ‖ nonce (12) ‖ key commitment (32) ‖ ciphertext ‖ tag (16)
 *
 * AES-256-GCM under the subject's record key, with a fresh random nonce and authenticated data
 * that names where the row lives and which version of the record it is, so an envelope copied to
 * another row, subject or region, or an older envelope of the same record put back, fails to
 * open. The key commitment (HMAC-SHA256 of a fixed label under the record key) is checked before
 * decrypting: GCM alone is not key-committing. 61 bytes of overhead per record.
 *
 * Format 1 (0x01 ‖ nonce ‖ ciphertext ‖ tag, no commitment, no record version) is still opened,
 * never written: a record is upgraded on its next write.
 */
export type EnvelopeVersion = 1 | 2;
export const ENVELOPE_VERSION = 2 satisfies EnvelopeVersion;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const COMMITMENT_BYTES = 32;
const V1_HEADER_BYTES = 1 + NONCE_BYTES;
const V2_HEADER_BYTES = 1 + NONCE_BYTES + COMMITMENT_BYTES;
export const ENVELOPE_V1_OVERHEAD_BYTES = V1_HEADER_BYTES + TAG_BYTES;
export const ENVELOPE_OVERHEAD_BYTES = V2_HEADER_BYTES + TAG_BYTES;
const AAD_DOMAIN = Buffer.from('residency-gateway/record', 'utf8');
const COMMITMENT_LABEL = Buffer.from('residency-gateway/record-key-commitment/v2', 'ascii');
const MAX_RECORD_VERSION = Number.MAX_SAFE_INTEGER;

/** Where a record lives; bound into its envelope as authenticated data. */
export interface RecordLocation {
  readonly region: string;
  readonly collection: string;
  readonly subjectId: string;
  readonly recordId: string;
  /** Generation of the subject key the record is sealed under. */
  readonly keyVersion: number;
}

/** Everything an envelope is bound to: where the row lives and which version of it this is. */
export interface EnvelopeBinding extends RecordLocation {
  /** The row's optimistic-concurrency version (≥ 1). Format 1 envelopes do not bind it. */
  readonly recordVersion: number;
}

/** An opened envelope: its verified plaintext and the format it was sealed in. */
export interface OpenedEnvelope {
  readonly version: EnvelopeVersion;
  readonly plaintext: Buffer;
}

/** The envelope does not open: altered, truncated, rolled back, or moved from where it was sealed. */
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

function uint32(value: number, what: string): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what} out of range`);
  }
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function recordVersionBytes(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_RECORD_VERSION) {
    throw new RangeError('record version out of range');
  }
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

/**
 * The canonical authenticated data: each part as a 4-byte big-endian length and its bytes, in
 * the order domain, format version, region, collection, subject id, record id, key version, and
 * (format 2) the record version as an 8-byte big-endian unsigned integer. Length prefixes make
 * the encoding injective: ("ab","c") and ("a","bc") differ.
 */
export function encodeAssociatedData(location: RecordLocation, version: 1): Buffer;
export function encodeAssociatedData(binding: EnvelopeBinding, version?: 2): Buffer;
export function encodeAssociatedData(
  binding: RecordLocation & { readonly recordVersion?: number },
  version: EnvelopeVersion = ENVELOPE_VERSION,
): Buffer {
  const parts = [
    ...field(AAD_DOMAIN),
    ...field(Buffer.of(version)),
    ...field(Buffer.from(binding.region, 'utf8')),
    ...field(Buffer.from(binding.collection, 'utf8')),
    ...field(Buffer.from(binding.subjectId, 'utf8')),
    ...field(Buffer.from(binding.recordId, 'utf8')),
    ...field(uint32(binding.keyVersion, 'key version')),
  ];
  if (version === 2) {
    if (binding.recordVersion === undefined) throw new RangeError('record version missing');
    parts.push(...field(recordVersionBytes(binding.recordVersion)));
  }
  return Buffer.concat(parts);
}

/**
 * The key commitment of format 2: HMAC-SHA256(record key, "residency-gateway/record-key-
 * commitment/v2"). Stored in clear; finding two keys with one commitment is an HMAC collision.
 */
export function keyCommitment(recordKey: Buffer): Buffer {
  return createHmac('sha256', recordKey).update(COMMITMENT_LABEL).digest();
}

/**
 * Seals `plaintext` as a format 2 envelope for `binding` under a 32-byte record key. `nonce` is
 * for known-answer test vectors only; production always takes a fresh random one.
 */
export function sealEnvelope(
  recordKey: Buffer,
  plaintext: Buffer,
  binding: EnvelopeBinding,
  nonce: Buffer = randomBytes(NONCE_BYTES),
): Buffer {
  if (nonce.length !== NONCE_BYTES) throw new RangeError('nonce must be 12 bytes');
  const aad = encodeAssociatedData(binding, 2);
  const cipher = createCipheriv('aes-256-gcm', recordKey, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return Buffer.concat([
    Buffer.of(ENVELOPE_VERSION),
    nonce,
    keyCommitment(recordKey),
    ciphertext,
    cipher.getAuthTag(),
  ]);
}

/**
 * Opens an envelope sealed for exactly `binding` (format 1 ignores its record version), or
 * throws; never returns unverified bytes. Says which format it opened.
 */
export function openEnvelope(
  recordKey: Buffer,
  envelope: Buffer,
  binding: EnvelopeBinding,
): OpenedEnvelope {
  if (envelope.length < 1) throw new IntegrityViolationError();
  const version = envelope.readUInt8(0);
  switch (version) {
    case 1:
      if (envelope.length < ENVELOPE_V1_OVERHEAD_BYTES) throw new IntegrityViolationError();
      return {
        version,
        plaintext: decrypt(
          recordKey,
          envelope.subarray(1, V1_HEADER_BYTES),
          envelope.subarray(V1_HEADER_BYTES),
          encodeAssociatedData(binding, 1),
        ),
      };
    case 2: {
      if (envelope.length < ENVELOPE_OVERHEAD_BYTES) throw new IntegrityViolationError();
      // Before any decryption: an envelope committed to another key is refused outright.
      const commitment = envelope.subarray(1 + NONCE_BYTES, V2_HEADER_BYTES);
      if (!timingSafeEqual(commitment, keyCommitment(recordKey))) {
        throw new IntegrityViolationError();
      }
      return {
        version,
        plaintext: decrypt(
          recordKey,
          envelope.subarray(1, 1 + NONCE_BYTES),
          envelope.subarray(V2_HEADER_BYTES),
          encodeAssociatedData(binding, 2),
        ),
      };
    }
    default:
      throw new UnsupportedEnvelopeVersionError(version);
  }
}

/** AES-256-GCM open of `sealed` (ciphertext ‖ tag); the plaintext is zeroed if the tag fails. */
function decrypt(recordKey: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', recordKey, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
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
