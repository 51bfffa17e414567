import { canonicalJson } from '../platform/canonical-json.js';
import { GENESIS_HASH, chainHash, type DecisionLogEntry } from './audit-entry.js';

export interface StoredEntry {
  readonly seq: number;
  readonly entry: DecisionLogEntry;
  readonly prevHash: Buffer;
  readonly hash: Buffer;
  /** The filter columns kept beside the entry; they must agree with it. */
  readonly decisionId: string;
  readonly allowed: boolean;
  readonly breakGlass: boolean;
  readonly callerService: string;
  readonly subjectId: string | null;
  readonly action: string;
  readonly loggedAt: Date;
}

export type ChainProblem =
  'altered' | 'missing' | 'broken_link' | 'truncated' | 'forged_checkpoint';

export interface ChainCheckpoint {
  readonly seq: number;
  readonly hash: Buffer;
}

export interface VerifyResult {
  readonly ok: boolean;
  readonly entries: number;
  readonly headSeq: number;
  readonly headHash: string;
  readonly firstBadSeq?: number;
  readonly problem?: ChainProblem;
}

/**
 * Walks one region's chain in seq order and reports the first entry that does not hold:
 * a gap (`missing`), a `prev_hash` that is not the previous hash (`broken_link`), an entry
 * whose hash or filter columns no longer match its content (`altered`), or a chain shorter
 * than its recorded head or a signed checkpoint (`truncated`).
 */
export class ChainVerifier {
  private expected = 1;
  private previous: Buffer = GENESIS_HASH;
  private failure: { seq: number; problem: ChainProblem } | undefined;
  private readonly checkpointHashes = new Map<number, Buffer>();

  constructor(
    private readonly region: string,
    checkpoints: readonly ChainCheckpoint[] = [],
  ) {
    for (const checkpoint of checkpoints)
      this.checkpointHashes.set(checkpoint.seq, checkpoint.hash);
  }

  /** Feeds the next entry (in seq order); returns false once a break is found. */
  add(row: StoredEntry): boolean {
    if (this.failure !== undefined) return false;
    if (row.seq !== this.expected) return this.fail(this.expected, 'missing');
    if (!row.prevHash.equals(this.previous)) return this.fail(row.seq, 'broken_link');
    const recomputed = chainHash(row.prevHash, this.region, row.seq, row.entry);
    const columnsAgree = filterColumnsAgree(row);
    if (!recomputed.equals(row.hash) || !columnsAgree) return this.fail(row.seq, 'altered');
    const checkpoint = this.checkpointHashes.get(row.seq);
    if (checkpoint !== undefined && !checkpoint.equals(row.hash))
      return this.fail(row.seq, 'altered');
    this.previous = row.hash;
    this.expected++;
    return true;
  }

  /** The verdict, given the head the store records and the furthest checkpoint known. */
  finish(recordedHead: ChainCheckpoint | undefined): VerifyResult {
    const last = this.expected - 1;
    const furthest = Math.max(recordedHead?.seq ?? 0, ...this.checkpointHashes.keys());
    if (this.failure === undefined && furthest > last) this.fail(last + 1, 'truncated');
    if (
      this.failure === undefined &&
      recordedHead !== undefined &&
      recordedHead.seq === last &&
      !recordedHead.hash.equals(this.previous)
    ) {
      this.fail(last, 'altered');
    }
    return {
      ok: this.failure === undefined,
      entries: last,
      headSeq: last,
      headHash: this.previous.toString('hex'),
      ...(this.failure === undefined
        ? {}
        : { firstBadSeq: this.failure.seq, problem: this.failure.problem }),
    };
  }

  private fail(seq: number, problem: ChainProblem): false {
    this.failure = { seq, problem };
    return false;
  }
}

interface EntryInput {
  caller?: { service?: unknown };
  action?: unknown;
  resource?: { subject?: unknown };
}

/**
 * The columns auditors filter on (who, whom, what, when, outcome) are copies of the hashed
 * entry; any that disagree with it were altered, and a filtered read could hide an access.
 */
function filterColumnsAgree(row: StoredEntry): boolean {
  const input = row.entry.input as EntryInput;
  return (
    row.decisionId === row.entry.decision_id &&
    row.allowed === row.entry.result.allow &&
    row.breakGlass === row.entry.result.break_glass &&
    row.callerService === input.caller?.service &&
    row.action === input.action &&
    row.subjectId === (input.resource?.subject ?? null) &&
    row.loggedAt.getTime() === new Date(row.entry.timestamp).getTime()
  );
}

/** For callers that want the canonical bytes an entry was hashed over (exports, monitors). */
export function canonicalEntry(region: string, seq: number, entry: DecisionLogEntry): string {
  return canonicalJson({ region, seq, entry });
}
