import { createHash } from 'node:crypto';
import { canonicalJson } from '../platform/canonical-json.js';
import type { Decision } from '../policy/decision.js';

export const DECISION_PATH = 'residency/decision';
export const BUNDLE_NAME = 'residency';

/** The `prev_hash` of a region's first entry. */
export const GENESIS_HASH = Buffer.alloc(32);

/**
 * One decision in OPA's decision-log shape. It keeps who asked, for what, why, and what was
 * decided (field actions, reasons, break-glass); never record contents, keys or tokens: the
 * policy input holds field names, not values.
 */
export interface DecisionLogEntry {
  readonly decision_id: string;
  readonly timestamp: string;
  readonly path: string;
  readonly input: unknown;
  readonly result: {
    allow: boolean;
    reasons: readonly string[];
    fields: Readonly<Record<string, string>>;
    break_glass: boolean;
  };
  readonly bundles: Record<string, { revision: string }>;
  readonly labels: { id: string; region: string };
}

export function entryFor(decision: Decision, region: string, instanceId: string): DecisionLogEntry {
  return {
    decision_id: decision.decisionId,
    timestamp: new Date().toISOString(),
    path: DECISION_PATH,
    input: decision.input,
    result: {
      allow: decision.allow,
      reasons: decision.reasons,
      fields: decision.fields,
      break_glass: decision.break_glass,
    },
    bundles: { [BUNDLE_NAME]: { revision: decision.revision } },
    labels: { id: instanceId, region },
  };
}

/**
 * `hash = SHA-256(prev_hash ‖ canonical JSON of {region, seq, entry})`. Canonical JSON sorts
 * keys, so the hash survives storage as jsonb.
 */
export function chainHash(prevHash: Buffer, region: string, seq: number, entry: unknown): Buffer {
  return createHash('sha256')
    .update(prevHash)
    .update(canonicalJson({ region, seq, entry }), 'utf8')
    .digest();
}

/** One exported line (API and CLI): the OPA decision-log entry plus its place in the chain. */
export function exportRecord(
  region: string,
  row: { seq: number; entry: DecisionLogEntry; prevHash: Buffer; hash: Buffer },
): Record<string, unknown> {
  return {
    ...row.entry,
    region,
    seq: row.seq,
    prev_hash: row.prevHash.toString('hex'),
    hash: row.hash.toString('hex'),
  };
}
