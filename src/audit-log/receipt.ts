import { decodeLeaf } from './audit-entry.js';
import { leafHash, verifyInclusion } from './merkle.js';
import { openNote, parseCheckpoint, parseVerifierKey } from './signed-note.js';
import type { Receipt } from './transparency-log.js';

export interface ReceiptCheck {
  readonly ok: boolean;
  readonly problem?: string;
  readonly origin?: string;
  readonly treeSize?: number;
  readonly leafIndex?: number;
}

/**
 * Checks a receipt offline, with nothing but the region's verifier key: the checkpoint is
 * signed by that key, the leaf is the decision's canonical entry, and the inclusion proof
 * places it at its index in the signed tree.
 */
export function checkReceipt(receipt: Receipt, vkey: string): ReceiptCheck {
  try {
    const key = parseVerifierKey(vkey);
    const checkpoint = parseCheckpoint(openNote(receipt.checkpoint, key).text);
    if (checkpoint.origin !== key.name)
      return { ok: false, problem: 'the checkpoint is of another log' };
    const { leafIndex, treeSize, hashes } = receipt.inclusion;
    if (treeSize !== checkpoint.size || leafIndex !== receipt.leafIndex)
      return { ok: false, problem: 'the proof is not for this checkpoint and leaf' };
    const leaf = Buffer.from(receipt.leaf, 'base64');
    if (decodeLeaf(leaf).decision_id !== receipt.decisionId)
      return { ok: false, problem: 'the leaf is not this decision' };
    const proof = hashes.map((hash) => Buffer.from(hash, 'base64'));
    if (!verifyInclusion(leafIndex, treeSize, leafHash(leaf), proof, checkpoint.root))
      return { ok: false, problem: 'the inclusion proof does not lead to the signed root' };
    return { ok: true, origin: checkpoint.origin, treeSize, leafIndex };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : 'unreadable receipt' };
  }
}
