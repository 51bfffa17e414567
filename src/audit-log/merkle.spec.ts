import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CompactRange,
  EMPTY_ROOT,
  consistencyRanges,
  foldRange,
  inclusionRanges,
  leafHash,
  nodeHash,
  rangeNodes,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js';

/** RFC 6962 §2.1 MTH, written straight from its recursive definition. */
function mth(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leafHash(leaves[0] as Buffer);
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const leaves = Array.from({ length: 70 }, (_, i) => Buffer.from(`leaf ${String(i)}`));
const rangeHash = (lo: number, hi: number): Buffer => mth(leaves.slice(lo, hi));

describe('Merkle tree (RFC 6962 / 9162)', () => {
  it('hashes leaves and nodes with their domain-separation prefixes', () => {
    // RFC 6962 test vector: the empty tree and a single empty leaf.
    assert.equal(
      EMPTY_ROOT.toString('hex'),
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    assert.equal(
      leafHash(Buffer.alloc(0)).toString('hex'),
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
  });

  it('builds the same root incrementally as the recursive definition, for every size', () => {
    const range = new CompactRange();
    for (let n = 1; n <= leaves.length; n++) {
      range.append(leafHash(leaves[n - 1] as Buffer));
      assert.ok(range.root().equals(mth(leaves.slice(0, n))), `size ${String(n)}`);
    }
  });

  it('reports every completed subtree so the stored nodes rebuild any range', () => {
    const stored = new Map<string, Buffer>();
    const range = new CompactRange();
    for (const leaf of leaves)
      for (const { node, hash } of range.append(leafHash(leaf)))
        stored.set(`${String(node.level)}/${String(node.index)}`, hash);
    for (let n = 0; n <= leaves.length; n++) {
      const hashes = rangeNodes(0, n).map(
        (node) => stored.get(`${String(node.level)}/${String(node.index)}`) as Buffer,
      );
      assert.ok(foldRange(hashes).equals(mth(leaves.slice(0, n))));
      // A restart continues from the stored right edge.
      const resumed = new CompactRange(
        n,
        rangeNodes(0, n).map((node, i) => ({ level: node.level, hash: hashes[i] as Buffer })),
      );
      for (const leaf of leaves.slice(n)) resumed.append(leafHash(leaf));
      assert.ok(resumed.root().equals(mth(leaves)));
    }
  });

  it('proves and verifies inclusion of every leaf in every tree size', () => {
    for (let n = 1; n <= 40; n++) {
      const root = rangeHash(0, n);
      for (let m = 0; m < n; m++) {
        const proof = inclusionRanges(m, n).map(([lo, hi]) => rangeHash(lo, hi));
        const leaf = leafHash(leaves[m] as Buffer);
        assert.ok(verifyInclusion(m, n, leaf, proof, root), `${String(m)} in ${String(n)}`);
        assert.ok(!verifyInclusion(m, n, leafHash(Buffer.from('other')), proof, root));
        if (proof.length > 0) {
          const flipped = proof.map((h) => Buffer.from(h));
          const first = flipped[0] as Buffer;
          first.writeUInt8(first.readUInt8(0) ^ 1, 0);
          assert.ok(!verifyInclusion(m, n, leaf, flipped, root));
        }
      }
    }
  });

  it('proves and verifies consistency between every pair of sizes, and refuses a fork', () => {
    for (let n = 1; n <= 40; n++) {
      for (let m = 1; m <= n; m++) {
        const proof = consistencyRanges(m, n).map(([lo, hi]) => rangeHash(lo, hi));
        assert.ok(
          verifyConsistency(m, n, rangeHash(0, m), rangeHash(0, n), proof),
          `${String(m)}→${String(n)}`,
        );
        const forked = mth([
          ...leaves.slice(0, m - 1),
          Buffer.from('forged'),
          ...leaves.slice(m, n),
        ]);
        if (m < n) assert.ok(!verifyConsistency(m, n, rangeHash(0, m), forked, proof));
      }
    }
  });
});
