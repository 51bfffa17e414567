import { concat, equal, fromBase64, hex, sha256 } from './bytes.js';

/**
 * Checks a decision's receipt in the browser with WebCrypto, trusting nothing the server says
 * but the region's verifier key (pinned by the console on first use): the checkpoint is a
 * C2SP signed note whose Ed25519 signature verifies under that key, the leaf is this decision,
 * and the RFC 6962 inclusion proof leads from the leaf's hash to the signed root.
 */

export interface Receipt {
  readonly region: string;
  readonly decisionId: string;
  readonly leafIndex: number;
  readonly leaf: string;
  readonly checkpoint: string;
  readonly inclusion: { leafIndex: number; treeSize: number; hashes: string[] };
  readonly verifierKey: string;
}

export interface ReceiptStep {
  readonly label: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface ReceiptVerdict {
  readonly ok: boolean;
  readonly steps: readonly ReceiptStep[];
  readonly treeSize?: number;
  readonly rootHash?: string;
}

const ED25519 = 0x01;
const DASH = '\u2014 ';
const text = new TextEncoder();

interface NoteKey {
  readonly name: string;
  readonly keyId: Uint8Array;
  readonly raw: Uint8Array;
}

/** `<name>+<hex key id>+<base64(0x01 || key)>`; the key id must be SHA-256(name‖0x0A‖0x01‖key)[:4]. */
export async function parseVerifierKey(vkey: string): Promise<NoteKey> {
  const value = vkey.trim();
  const first = value.indexOf('+');
  const second = value.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new Error('not a verifier key');
  const name = value.slice(0, first);
  const material = fromBase64(value.slice(second + 1));
  if (material[0] !== ED25519 || material.length !== 33) throw new Error('not an Ed25519 note key');
  const raw = material.subarray(1);
  const keyId = (await sha256(text.encode(name), new Uint8Array([0x0a, ED25519]), raw)).subarray(
    0,
    4,
  );
  if (hex(keyId) !== value.slice(first + 1, second).toLowerCase())
    throw new Error('the key id does not match the key');
  return { name, keyId, raw };
}

/** The signed text of the note if a signature by `key` verifies (Ed25519 in WebCrypto). */
async function openNote(note: string, key: NoteKey): Promise<string> {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('not a signed note');
  const body = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const publicKey = await crypto.subtle.importKey(
    'raw',
    concat(key.raw),
    { name: 'Ed25519' },
    false,
    ['verify'],
  );
  let verified = false;
  for (const line of lines) {
    if (!line.startsWith(DASH)) throw new Error('a signature line starts with an em dash');
    const [name, encoded] = line.slice(DASH.length).split(' ');
    if (name !== key.name || encoded === undefined) continue;
    const bytes = fromBase64(encoded);
    if (!equal(bytes.subarray(0, 4), key.keyId)) continue;
    const ok = await crypto.subtle.verify(
      { name: 'Ed25519' },
      publicKey,
      concat(bytes.subarray(4)),
      concat(text.encode(body)),
    );
    if (!ok) throw new Error(`the signature by ${key.name} does not verify`);
    verified = true;
  }
  if (!verified) throw new Error(`the checkpoint is not signed by ${key.name}`);
  return body;
}

export async function leafHash(leaf: Uint8Array): Promise<Uint8Array> {
  return sha256(new Uint8Array([0]), leaf);
}

async function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(new Uint8Array([1]), left, right);
}

/** RFC 9162 §2.1.3.2: the root the proof leads to from `leaf` at `index` in a tree of `size`. */
export async function rootFromInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<Uint8Array | null> {
  if (index < 0 || index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

export async function verifyReceipt(receipt: Receipt, trustedKey: string): Promise<ReceiptVerdict> {
  const steps: ReceiptStep[] = [];
  const fail = (label: string, detail: string): ReceiptVerdict => ({
    ok: false,
    steps: [...steps, { label, ok: false, detail }],
  });
  let key: NoteKey;
  try {
    key = await parseVerifierKey(trustedKey);
  } catch (error) {
    return fail('Region verifier key', String(error));
  }
  steps.push({ label: `Region verifier key ${key.name} (id ${hex(key.keyId)})`, ok: true });
  let body: string;
  try {
    body = await openNote(receipt.checkpoint, key);
  } catch (error) {
    return fail(
      'Checkpoint signature (Ed25519)',
      error instanceof Error ? error.message : String(error),
    );
  }
  steps.push({ label: 'Checkpoint signature (Ed25519) verifies under the region key', ok: true });
  const [origin, sizeLine, rootLine] = body.split('\n');
  const size = Number(sizeLine);
  if (origin !== key.name || !Number.isSafeInteger(size) || rootLine === undefined)
    return fail('Checkpoint', 'the checkpoint is not of this region’s log');
  const root = fromBase64(rootLine);
  const leaf = fromBase64(receipt.leaf);
  let decisionId: unknown;
  try {
    decisionId = (JSON.parse(new TextDecoder().decode(leaf)) as { decision_id?: unknown })
      .decision_id;
  } catch {
    return fail('Leaf', 'the leaf is not a decision-log entry');
  }
  if (decisionId !== receipt.decisionId) return fail('Leaf', 'the leaf is another decision');
  steps.push({ label: 'The leaf is this decision’s entry', ok: true });
  if (receipt.inclusion.treeSize !== size || receipt.inclusion.leafIndex !== receipt.leafIndex)
    return fail('Inclusion proof', 'the proof is not for this checkpoint and leaf');
  const computed = await rootFromInclusion(
    receipt.leafIndex,
    size,
    await leafHash(leaf),
    receipt.inclusion.hashes.map(fromBase64),
  );
  if (computed === null || !equal(computed, root))
    return fail(
      'Inclusion proof',
      `leaf ${String(receipt.leafIndex)} does not lead to the signed root of tree size ${String(size)}`,
    );
  steps.push({
    label: `Inclusion proof: leaf ${String(receipt.leafIndex)} is in the signed tree of ${String(size)} leaves`,
    ok: true,
  });
  return { ok: true, steps, treeSize: size, rootHash: rootLine };
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** RFC 9162 §2.1.4.2: is the tree (second, secondRoot) an extension of (first, firstRoot)? */
export async function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<boolean> {
  if (first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0;
  const path = [...proof];
  if (isPowerOfTwo(first)) path.unshift(firstRoot);
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  const [head, ...rest] = path;
  if (head === undefined) return false;
  let fr = head;
  let sr = head;
  for (const c of rest) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = await nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}

/** A checkpoint this browser verified: the log may only grow from it (no rewritten history). */
export interface SeenCheckpoint {
  readonly size: number;
  readonly root: string;
}

/**
 * Checks a freshly verified checkpoint against the one this browser saw before for the region
 * (a consistency proof one way or the other), so a log that rewrote its history, or shows this
 * browser another tree than before, is caught. Returns the step and the checkpoint to remember.
 */
export async function checkAgainstSeen(
  seen: SeenCheckpoint | null,
  current: SeenCheckpoint,
  proof: (from: number, to: number) => Promise<string[]>,
): Promise<{ step: ReceiptStep; remember: SeenCheckpoint | null }> {
  if (seen === null) {
    return {
      step: {
        label: `First checkpoint of this log seen in this browser (${String(current.size)} leaves): remembered, later ones must extend it`,
        ok: true,
      },
      remember: current,
    };
  }
  const [older, newer] = seen.size <= current.size ? [seen, current] : [current, seen];
  const hashes =
    older.size === newer.size || older.size === 0 ? [] : await proof(older.size, newer.size);
  const ok = await verifyConsistency(
    older.size,
    newer.size,
    fromBase64(older.root),
    fromBase64(newer.root),
    hashes.map(fromBase64),
  );
  return ok
    ? {
        step: {
          label: `Consistent with the checkpoint of ${String(seen.size)} leaves this browser verified before`,
          ok: true,
        },
        remember: newer,
      }
    : {
        step: {
          label: 'Consistency with the checkpoint this browser verified before',
          ok: false,
          detail: `the log of ${String(current.size)} leaves is not an extension of the one of ${String(seen.size)} leaves seen before: history was rewritten, or this browser is shown another tree`,
        },
        remember: null,
      };
}
