import type { KeyObject } from 'node:crypto';
import { ChainVerifier, type ChainCheckpoint, type VerifyResult } from './audit-chain.verifier.js';
import { AuditLogReader, streamEntries, type StoreReader } from './audit-log.reader.js';
import { CheckpointRepository, verifyCheckpoint } from './checkpoints.js';

export interface ChainVerificationOptions {
  /** Verifies the checkpoints stored in the region (and `extraCheckpoints`) before trusting them. */
  readonly publicKey?: KeyObject;
  /** Checkpoints kept outside the store (an outside monitor's), as compact JWS. */
  readonly extraCheckpoints?: readonly string[];
  readonly onProgress?: (checked: number, total: number) => void;
}

/**
 * Verifies one region's chain end to end, page by page: every entry, the recorded head, and
 * every signed checkpoint (stored or supplied) — so a tail cut off together with the head is
 * still caught by a checkpoint signed before the cut.
 */
export async function verifyRegionChain(
  read: StoreReader,
  region: string,
  options: ChainVerificationOptions = {},
): Promise<VerifyResult> {
  const reader = new AuditLogReader();
  // Checkpoints before the head: a checkpoint signed meanwhile can then never lie beyond the
  // head we walk to (which would look like a truncation).
  const stored = await read((manager) => new CheckpointRepository().list(manager, region));
  const head = await read((manager) => reader.head(manager, region));
  const checkpoints: ChainCheckpoint[] = [];
  let forged = 0;
  if (options.publicKey !== undefined) {
    for (const { signature } of stored) {
      // A stored checkpoint that does not verify was planted or altered: the log is not intact.
      const stated = await verifyCheckpoint(signature, options.publicKey).catch(() => undefined);
      if (stated === undefined) forged++;
      else if (stated.region === region) checkpoints.push({ seq: stated.seq, hash: stated.hash });
    }
    for (const signature of options.extraCheckpoints ?? []) {
      const stated = await verifyCheckpoint(signature, options.publicKey); // the caller's: throws
      if (stated.region === region) checkpoints.push({ seq: stated.seq, hash: stated.hash });
    }
  } else if ((options.extraCheckpoints ?? []).length > 0) {
    throw new Error('a checkpoint was given but no public key to verify it');
  }
  const verifier = new ChainVerifier(region, checkpoints);
  // Without a recorded head (it should always exist once anything was logged), walk everything.
  const total = head?.seq ?? Number.POSITIVE_INFINITY;
  let checked = 0;
  for await (const entry of streamEntries(read, region)) {
    // Entries appended after the head was read belong to the next verification.
    if (entry.seq > total || !verifier.add(entry)) break;
    checked = entry.seq;
    if (checked % 1000 === 0) options.onProgress?.(checked, head?.seq ?? checked);
  }
  options.onProgress?.(checked, head?.seq ?? checked);
  const result = verifier.finish(head);
  return forged === 0 || !result.ok
    ? result
    : { ...result, ok: false, problem: 'forged_checkpoint' };
}
