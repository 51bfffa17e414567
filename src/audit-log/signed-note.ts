import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * C2SP signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint) and
 * Ed25519 cosignatures (c2sp.org/tlog-cosignature, `cosignature/v1`), exactly as specified,
 * so outside tools (Go's sumdb/note, transparency-dev's witness) read what the gateway writes.
 */

/** Signature type bytes of the signed-note spec. */
export const SIGNATURE_TYPE = { ed25519: 0x01, cosignatureV1: 0x04 } as const;
export type SignatureType = (typeof SIGNATURE_TYPE)[keyof typeof SIGNATURE_TYPE];

const DASH = '\u2014 ';
const KEY_NAME = /^[^\s+]+$/u;

/** An Ed25519 key as notes use it: name, type, 32-byte raw public key, 4-byte key id. */
export interface NoteKey {
  readonly name: string;
  readonly type: SignatureType;
  readonly publicKey: KeyObject;
  readonly raw: Buffer;
  readonly keyId: Buffer;
}

/** `SHA-256(name || 0x0A || type || public key)[:4]`. */
export function keyIdOf(name: string, type: SignatureType, raw: Buffer): Buffer {
  return createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, type]))
    .update(raw)
    .digest()
    .subarray(0, 4);
}

/** The 32 raw bytes of an Ed25519 public key. */
export function rawEd25519(publicKey: KeyObject): Buffer {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('an Ed25519 key is required');
  const jwk = publicKey.export({ format: 'jwk' });
  return Buffer.from(jwk.x ?? '', 'base64url');
}

export function noteKey(name: string, type: SignatureType, publicKey: KeyObject): NoteKey {
  if (!KEY_NAME.test(name)) throw new Error(`invalid key name ${name}`);
  const raw = rawEd25519(publicKey);
  return { name, type, publicKey, raw, keyId: keyIdOf(name, type, raw) };
}

/** `<name>+<hex key id>+<base64(type || public key)>`. */
export function verifierKey(key: NoteKey): string {
  return `${key.name}+${key.keyId.toString('hex')}+${Buffer.concat([Buffer.from([key.type]), key.raw]).toString('base64')}`;
}

export function parseVerifierKey(vkey: string): NoteKey {
  // Base64 key material may itself hold '+': split at the first two only.
  const text = vkey.trim();
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first <= 0 || second < 0)
    throw new Error('a verifier key is <name>+<hex key id>+<base64 key>');
  const name = text.slice(0, first);
  const hexId = text.slice(first + 1, second);
  const material = text.slice(second + 1);
  const bytes = Buffer.from(material, 'base64');
  const type = bytes[0];
  if (type !== SIGNATURE_TYPE.ed25519 && type !== SIGNATURE_TYPE.cosignatureV1)
    throw new Error('only Ed25519 note and cosignature keys are supported');
  const raw = bytes.subarray(1);
  if (raw.length !== 32) throw new Error('an Ed25519 public key is 32 bytes');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  const key = noteKey(name, type, publicKey);
  if (key.keyId.toString('hex') !== hexId.toLowerCase())
    throw new Error('the verifier key id does not match its key');
  return key;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyId: Buffer;
  /** The signature bytes after the key id. */
  readonly signature: Buffer;
  readonly line: string;
}

export interface Note {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** Splits a signed note into its text and signature lines; throws on a malformed note. */
export function parseNote(note: string): Note {
  for (const char of note) {
    if (char < ' ' && char !== '\n') throw new Error('a note has no control characters');
  }
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n'))
    throw new Error('a note is text, a blank line, signatures');
  const text = note.slice(0, split + 1);
  const signatures = note
    .slice(split + 2, -1)
    .split('\n')
    .map((line) => {
      if (!line.startsWith(DASH)) throw new Error('a signature line starts with an em dash');
      const [name, encoded, extra] = line.slice(DASH.length).split(' ');
      if (
        name === undefined ||
        encoded === undefined ||
        extra !== undefined ||
        !KEY_NAME.test(name)
      )
        throw new Error('a signature line is — <name> <base64>');
      const bytes = Buffer.from(encoded, 'base64');
      if (bytes.length < 5 || bytes.toString('base64') !== encoded)
        throw new Error('a signature is base64(key id || signature)');
      return { name, keyId: bytes.subarray(0, 4), signature: bytes.subarray(4), line: `${line}\n` };
    });
  if (signatures.length === 0) throw new Error('a note has at least one signature');
  return { text, signatures };
}

function signatureLine(key: NoteKey, signature: Buffer): string {
  return `${DASH}${key.name} ${Buffer.concat([key.keyId, signature]).toString('base64')}\n`;
}

/** Signs `text` (ending in a newline) as a note with an Ed25519 note key. */
export function signNote(text: string, key: NoteKey, privateKey: KeyObject): string {
  if (!text.endsWith('\n') || text.includes('\n\n'))
    throw new Error('note text must end in one newline');
  const signature = sign(null, Buffer.from(text, 'utf8'), privateKey);
  return `${text}\n${signatureLine(key, signature)}`;
}

/**
 * The note's text if a signature by `key` is on it and verifies (signatures of other keys are
 * ignored, as the spec requires); throws otherwise, and if any signature by `key` fails.
 */
export function openNote(note: string, key: NoteKey): Note {
  const parsed = parseNote(note);
  const mine = parsed.signatures.filter((s) => s.name === key.name && s.keyId.equals(key.keyId));
  if (mine.length === 0) throw new Error(`the note is not signed by ${key.name}`);
  for (const each of mine) {
    if (!verify(null, Buffer.from(parsed.text, 'utf8'), key.publicKey, each.signature))
      throw new Error(`a signature by ${key.name} does not verify`);
  }
  return parsed;
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
}

/** The three lines of a c2sp.org/tlog-checkpoint body. */
export function checkpointText(checkpoint: Checkpoint): string {
  return `${checkpoint.origin}\n${String(checkpoint.size)}\n${checkpoint.root.toString('base64')}\n`;
}

export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split('\n');
  const [origin, size, root] = lines;
  if (
    origin === undefined ||
    origin === '' ||
    size === undefined ||
    !/^(0|[1-9][0-9]{0,15})$/.test(size) ||
    root === undefined
  ) {
    throw new Error('a checkpoint is origin, tree size and root hash lines');
  }
  const hash = Buffer.from(root, 'base64');
  if (hash.length !== 32 || hash.toString('base64') !== root)
    throw new Error('a checkpoint root is a base64 SHA-256 hash');
  return { origin, size: Number(size), root: hash };
}

/** The message an Ed25519 `cosignature/v1` signs. */
function cosignedMessage(text: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${String(timestamp)}\n${text}`, 'utf8');
}

/** A witness's cosignature line for a checkpoint note's text, at `timestamp` (POSIX seconds). */
export function cosignatureLine(
  text: string,
  key: NoteKey,
  privateKey: KeyObject,
  timestamp: number,
): string {
  if (key.type !== SIGNATURE_TYPE.cosignatureV1) throw new Error('a cosigner key has type 0x04');
  const stamp = Buffer.alloc(8);
  stamp.writeBigUInt64BE(BigInt(timestamp));
  const signature = sign(null, cosignedMessage(text, timestamp), privateKey);
  return signatureLine(key, Buffer.concat([stamp, signature]));
}

/**
 * The timestamp of a valid `cosignature/v1` by `witness` on the note, or throws: no such line,
 * or one that does not verify.
 */
export function verifyCosignature(note: string, witness: NoteKey): number {
  const parsed = parseNote(note);
  const line = parsed.signatures.find(
    (s) => s.name === witness.name && s.keyId.equals(witness.keyId),
  );
  if (line === undefined) throw new Error(`no cosignature by ${witness.name}`);
  if (line.signature.length !== 72) throw new Error('a cosignature is timestamp || signature');
  const timestamp = Number(line.signature.readBigUInt64BE(0));
  if (
    !verify(
      null,
      cosignedMessage(parsed.text, timestamp),
      witness.publicKey,
      line.signature.subarray(8),
    )
  )
    throw new Error(`the cosignature by ${witness.name} does not verify`);
  return timestamp;
}
