import { createHash, type KeyObject } from 'node:crypto';
import { compactVerify } from 'jose';
import { BundleFormatError, readTarGz } from './bundle-archive.js';
import { canonicalJson } from '../platform/encoding/canonical-json.js';

const SIGNATURES = '.signatures.json';
const ACCEPTED_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'];

export type BundleRejection =
  | 'malformed'
  | 'unsigned'
  | 'bad_signature'
  | 'file_list_mismatch'
  | 'digest_mismatch'
  | 'incomplete';

/** A bundle that was refused; nothing in it was used. */
export class BundleRejectedError extends Error {
  constructor(
    readonly reason: BundleRejection,
    detail: string,
  ) {
    super(`policy bundle rejected (${reason}): ${detail}`);
    this.name = 'BundleRejectedError';
  }
}

export interface VerifiedBundle {
  readonly revision: string;
  /** The signed, strictly increasing build number (0 for bundles built before there was one). */
  readonly build: number;
  /** The source commit the bundle was built from, as signed. */
  readonly commit: string | null;
  /** SHA-256 of the archive as received. */
  readonly digest: string;
  readonly wasm: Buffer;
  readonly data: unknown;
  readonly manifest: Record<string, unknown>;
}

interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

function isStructured(name: string): boolean {
  return name.endsWith('.json') || name === '.manifest' || name.endsWith('/.manifest');
}

function fileDigest(name: string, content: Buffer): string {
  const hash = createHash('sha256');
  if (isStructured(name)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(content.toString('utf8'));
    } catch {
      throw new BundleRejectedError('malformed', `${name} is not JSON`);
    }
    hash.update(canonicalJson(parsed), 'utf8');
  } else {
    hash.update(content);
  }
  return hash.digest('hex');
}

async function signedFiles(signatures: Buffer, key: KeyObject): Promise<SignedFile[]> {
  let tokens: unknown;
  try {
    tokens = (JSON.parse(signatures.toString('utf8')) as { signatures?: unknown }).signatures;
  } catch {
    throw new BundleRejectedError('unsigned', `${SIGNATURES} is not JSON`);
  }
  if (!Array.isArray(tokens) || tokens.length !== 1 || typeof tokens[0] !== 'string') {
    throw new BundleRejectedError('unsigned', `${SIGNATURES} must hold exactly one signature`);
  }
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(tokens[0], key, { algorithms: ACCEPTED_ALGORITHMS }));
  } catch {
    throw new BundleRejectedError(
      'bad_signature',
      'the signature does not verify against the configured key',
    );
  }
  const files = (JSON.parse(Buffer.from(payload).toString('utf8')) as { files?: unknown }).files;
  if (!Array.isArray(files))
    throw new BundleRejectedError('bad_signature', 'the signature lists no files');
  return files.map((file: Partial<SignedFile>) => {
    if (
      typeof file.name !== 'string' ||
      typeof file.hash !== 'string' ||
      typeof file.algorithm !== 'string'
    ) {
      throw new BundleRejectedError('bad_signature', 'malformed file entry in the signature');
    }
    return {
      name: file.name.replace(/^\/+/, ''),
      hash: file.hash.toLowerCase(),
      algorithm: file.algorithm,
    };
  });
}

/**
 * Verifies an OPA bundle before anything in it is used: the `.signatures.json` JWT against the
 * configured key, that the signed file list is exactly the bundle's files, and the SHA-256 of
 * every file (JSON hashed canonically, as OPA does). Any doubt rejects the whole bundle.
 */
export async function verifyBundle(archive: Buffer, key: KeyObject): Promise<VerifiedBundle> {
  let files: Map<string, Buffer>;
  try {
    files = readTarGz(archive);
  } catch (error) {
    throw new BundleRejectedError(
      'malformed',
      error instanceof BundleFormatError ? error.message : 'unreadable archive',
    );
  }
  const signatures = files.get(SIGNATURES);
  if (signatures === undefined) throw new BundleRejectedError('unsigned', `no ${SIGNATURES}`);
  const signed = await signedFiles(signatures, key);

  const present = [...files.keys()].filter((name) => name !== SIGNATURES).sort();
  const listed = signed.map((file) => file.name).sort();
  if (present.length !== listed.length || present.some((name, i) => name !== listed[i])) {
    throw new BundleRejectedError(
      'file_list_mismatch',
      'the signed file list differs from the bundle contents',
    );
  }
  for (const file of signed) {
    if (file.algorithm !== 'SHA-256')
      throw new BundleRejectedError('bad_signature', `unsupported hash ${file.algorithm}`);
    const content = files.get(file.name) ?? Buffer.alloc(0);
    if (fileDigest(file.name, content) !== file.hash) {
      throw new BundleRejectedError(
        'digest_mismatch',
        `${file.name} does not match its signed digest`,
      );
    }
  }

  const wasm = files.get('policy.wasm');
  const data = files.get('data.json');
  const manifest = files.get('.manifest');
  if (wasm === undefined || data === undefined || manifest === undefined) {
    throw new BundleRejectedError(
      'incomplete',
      'a bundle needs policy.wasm, data.json and .manifest',
    );
  }
  const parsedManifest = JSON.parse(manifest.toString('utf8')) as Record<string, unknown>;
  const revision = parsedManifest['revision'];
  const metadata = (parsedManifest['metadata'] ?? {}) as { build?: unknown; commit?: unknown };
  const build = metadata.build ?? 0;
  if (typeof build !== 'number' || !Number.isSafeInteger(build) || build < 0)
    throw new BundleRejectedError('malformed', 'the manifest build number is not a whole number');
  return {
    revision: typeof revision === 'string' ? revision : '',
    build,
    commit: typeof metadata.commit === 'string' ? metadata.commit : null,
    digest: createHash('sha256').update(archive).digest('hex'),
    wasm,
    data: JSON.parse(data.toString('utf8')) as unknown,
    manifest: parsedManifest,
  };
}
