import { IntegrityViolationError, type EnvelopeVersion } from './envelope-format.js';

/** A flat JSON document: what the collection catalog validates a record to. */
export type PayloadDocument = Readonly<Record<string, string | number | boolean | null>>;

/** What an envelope's plaintext carries. */
export interface RecordPayload {
  readonly document: PayloadDocument;
  /**
   * The service that wrote this version of the record (its token subject, e.g. `svc:messaging`):
   * sealed with the document, so it is encrypted and authenticated, never a plaintext column.
   * `null` for format 1 envelopes, which predate it.
   */
  readonly writer: string | null;
}

/**
 * The plaintext of a format 2 envelope: the UTF-8 JSON object `{"document": {...}, "writer":
 * "svc:..."}`, exactly these two members, the writer a non-empty string (docs/envelope.md).
 */
export function encodePayload(document: PayloadDocument, writer: string): Buffer {
  if (writer.length === 0) throw new RangeError('a record needs its writer');
  return Buffer.from(JSON.stringify({ document, writer }), 'utf8');
}

/**
 * The payload of an opened envelope. Format 1 plaintext is the document alone. Anything else
 * than the specified shape is refused: it opened under the record key, so only a bug or a
 * stolen key could have produced it, and neither is served.
 */
export function decodePayload(version: EnvelopeVersion, plaintext: Buffer): RecordPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new IntegrityViolationError();
  }
  if (version === 1) return { document: asDocument(parsed), writer: null };
  if (!isObject(parsed)) throw new IntegrityViolationError();
  const keys = Object.keys(parsed);
  const { document, writer } = parsed;
  if (keys.length !== 2 || typeof writer !== 'string' || writer.length === 0) {
    throw new IntegrityViolationError();
  }
  return { document: asDocument(document), writer };
}

function asDocument(value: unknown): PayloadDocument {
  if (!isObject(value)) throw new IntegrityViolationError();
  for (const member of Object.values(value)) {
    if (member !== null && !['string', 'number', 'boolean'].includes(typeof member)) {
      throw new IntegrityViolationError();
    }
  }
  return value as PayloadDocument;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
