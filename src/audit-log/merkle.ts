import { createHash, hash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 §2.1 Merkle tree math for the decision log: hashes, the decomposition of
 * any range into the complete subtrees that are stored, proof paths, and their verification.
 * Pure functions: where hashes come from (the store, a stream of leaves) is the caller's.
 */

/** A complete, aligned subtree: leaves [index·2^level, (index+1)·2^level). */
export interface TreeNode {
  readonly level: number;
  readonly index: number;
}

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

// One-shot hashing: about twice as fast as a Hash object per call, which verification of
// millions of leaves notices.

/** MTH({d}) = SHA-256(0x00 || d). */
export function leafHash(leaf: Buffer): Buffer {
  return hash('sha256', Buffer.concat([LEAF_PREFIX, leaf]), 'buffer');
}

/** SHA-256(0x01 || left || right). */
export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
}

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash('sha256').digest();

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The stored nodes whose hashes make up MTH(D[start:end]), left to right. `start` must be a
 * multiple of the largest power of two ≤ end − start (true of every range the RFC's
 * recursions produce), so each piece is a complete, aligned subtree.
 */
export function rangeNodes(start: number, end: number): TreeNode[] {
  const nodes: TreeNode[] = [];
  let at = start;
  while (at < end) {
    let level = 0;
    while (2 ** (level + 1) <= end - at) level++;
    if (at % 2 ** level !== 0) throw new RangeError(`range [${start}, ${end}) is not aligned`);
    nodes.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return nodes;
}

/** MTH of a range from its complete subtrees (as {@link rangeNodes} lists them). */
export function foldRange(hashes: readonly Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  let acc = hashes[hashes.length - 1] as Buffer;
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i] as Buffer, acc);
  return acc;
}

/** A range [start, end) of leaves whose MTH is one element of a proof. */
export type Range = readonly [number, number];

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the ranges whose MTHs form the inclusion proof, bottom up. */
export function inclusionRanges(index: number, size: number): Range[] {
  if (index < 0 || index >= size) throw new RangeError('leaf index outside the tree');
  const path = (m: number, lo: number, hi: number): Range[] => {
    if (hi - lo === 1) return [];
    const k = splitPoint(hi - lo);
    return m < k
      ? [...path(m, lo, lo + k), [lo + k, hi]]
      : [...path(m - k, lo + k, hi), [lo, lo + k]];
  };
  return path(index, 0, size);
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]): the ranges whose MTHs form the consistency proof. */
export function consistencyRanges(from: number, to: number): Range[] {
  if (from < 0 || from > to) throw new RangeError('consistency needs 0 ≤ from ≤ to');
  if (from === 0 || from === to) return [];
  const subproof = (m: number, lo: number, hi: number, complete: boolean): Range[] => {
    const n = hi - lo;
    if (m === n) return complete ? [] : [[lo, hi]];
    const k = splitPoint(n);
    return m <= k
      ? [...subproof(m, lo, lo + k, complete), [lo + k, hi]]
      : [...subproof(m - k, lo + k, hi, false), [lo, lo + k]];
  };
  return subproof(from, 0, to, true);
}

/** RFC 9162 §2.1.3.2: does `proof` show leaf `index` (hash `leaf`) in the tree (size, root)? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: is the tree (second, secondRoot) an extension of (first, firstRoot)? */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
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
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * The right edge of a growing tree (a "compact range"): one hash per set bit of its size, so
 * appending a leaf and taking the root are O(log n) and memory is O(log n). Used by the
 * integrator (which also stores each subtree as it completes) and by full verification.
 */
export class CompactRange {
  /** Complete subtree hashes on the right edge, largest (leftmost) first. */
  private readonly stack: { level: number; hash: Buffer }[] = [];
  private count: number;

  constructor(size = 0, edge: readonly { level: number; hash: Buffer }[] = []) {
    this.count = size;
    this.stack.push(...edge);
  }

  get size(): number {
    return this.count;
  }

  /** The right-edge nodes of a tree of `size` leaves, as stored: what a restart reloads. */
  static edgeNodes(size: number): TreeNode[] {
    return rangeNodes(0, size);
  }

  /**
   * Appends a leaf hash; returns every subtree it completed (level 0 included), each to be
   * stored at (level, index).
   */
  append(hash: Buffer): { node: TreeNode; hash: Buffer }[] {
    const completed: { node: TreeNode; hash: Buffer }[] = [];
    let level = 0;
    let current = hash;
    let index = this.count;
    completed.push({ node: { level, index }, hash: current });
    while (
      this.stack.length > 0 &&
      (this.stack[this.stack.length - 1] as { level: number }).level === level
    ) {
      const left = this.stack.pop() as { level: number; hash: Buffer };
      current = nodeHash(left.hash, current);
      level++;
      index = Math.floor(index / 2);
      completed.push({ node: { level, index }, hash: current });
    }
    this.stack.push({ level, hash: current });
    this.count++;
    return completed;
  }

  /** An independent copy: a round works on one and keeps it only if its transaction commits. */
  clone(): CompactRange {
    return new CompactRange(this.count, [...this.stack]);
  }

  /** MTH of the leaves appended so far. */
  root(): Buffer {
    return foldRange(this.stack.map((entry) => entry.hash));
  }
}
