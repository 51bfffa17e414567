import type { StoreReader } from './audit-log.reader.js';
import type { SinkRound } from './checkpoint-sink.js';
import { originOf } from './checkpoint-signer.js';
import { LeafChecker, type LeafCheckFailure } from './leaf-check.js';
import { CompactRange, leafHash } from './merkle.js';
import { LogStore, type VerifiedLeafRow } from './log-store.js';
import { openNote, parseCheckpoint, type Checkpoint, type NoteKey } from './signed-note.js';

const PAGE = 10_000;

export type LogProblem =
  /** A leaf index has no entry. */
  | 'missing'
  /** An entry's bytes, filter columns or stored hash disagree with what was logged and signed. */
  | 'altered'
  /** The log is shorter than a checkpoint it signed. */
  | 'truncated'
  /** A checkpoint kept outside the store disagrees with the log (another history). */
  | 'inconsistent'
  /** A stored checkpoint whose signature does not verify, or not this region's. */
  | 'forged_checkpoint'
  /** An entry that is neither in the tree nor queued for it: it would never be integrated. */
  | 'unqueued';

/** A checkpoint from outside the store (a witness's state, a saved note) to check the log against. */
export interface OutsideCheckpoint {
  readonly note: string;
  /** Where it came from, for the report (e.g. "witness state", "checkpoint sink"). */
  readonly source: string;
}

export interface VerificationEvidence {
  readonly checkpoints?: readonly OutsideCheckpoint[];
  /** The rounds a checkpoint sink kept: signed checkpoints and every leaf hash. */
  readonly sinkRounds?: AsyncIterable<SinkRound>;
}

export interface LogVerification {
  readonly ok: boolean;
  readonly region: string;
  /** Leaves checked (the size of the tree verified). */
  readonly treeSize: number;
  /** Base64 root of the verified tree. */
  readonly rootHash: string;
  /** Signed checkpoints in the store that were checked. */
  readonly storedCheckpoints: number;
  /** Checkpoints from outside the store that were checked (witness, sink, given). */
  readonly outsideCheckpoints: number;
  /** Leaf hashes from the sink compared one by one. */
  readonly outsideLeafHashes: number;
  /** Entries committed but not integrated yet (normal for a second or so). */
  readonly pending: number;
  readonly problem?: LogProblem;
  /** The first leaf index that does not hold (when the evidence can name one). */
  readonly firstBadIndex?: number;
  /** The checkpoint size at which a divergence showed, when no single leaf can be named. */
  readonly atTreeSize?: number;
  readonly detail?: string;
  /** What a verification with this evidence cannot exclude. */
  readonly cannotRuleOut?: string;
}

export interface VerifyOptions {
  readonly onProgress?: (checked: number, total: number) => void;
  /** An entry queued longer than this is reported in `detail` (integration is stuck). */
  readonly pendingGraceMs?: number;
}

interface Expectation {
  readonly size: number;
  readonly root: Buffer;
  readonly source: string;
  readonly outside: boolean;
}

class Failure extends Error {
  constructor(
    readonly problem: LogProblem,
    readonly firstBadIndex: number | undefined,
    readonly detailText: string,
    readonly atTreeSize?: number,
  ) {
    super(detailText);
  }
}

/**
 * Verifies a region's log end to end, streaming: recomputes every leaf hash and the Merkle tree
 * from the stored entries; checks each leaf is canonical and agrees with its filter columns and
 * stored hash; checks every stored checkpoint's signature and root; and compares with whatever
 * was kept outside the store: checkpoints (a witness's state, a saved note) and the checkpoint
 * sink's rounds, whose leaf hashes let it name the exact first leaf that differs.
 */
export async function verifyLog(
  read: StoreReader,
  region: string,
  key: NoteKey,
  evidence: VerificationEvidence = {},
  options: VerifyOptions = {},
): Promise<LogVerification> {
  const store = new LogStore();
  const checker = new LeafChecker();
  const origin = originOf(region);
  const report = { stored: 0, outside: 0, outsideHashes: 0 };
  const range = new CompactRange();
  const expectations: Expectation[] = [];

  const expect = (note: string, source: string, outside: boolean): Checkpoint => {
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(openNote(note, key).text);
    } catch {
      throw outside
        ? new Failure(
            'inconsistent',
            undefined,
            `the ${source} checkpoint is not signed by ${key.name}`,
          )
        : new Failure('forged_checkpoint', undefined, `a stored checkpoint does not verify`);
    }
    if (checkpoint.origin !== origin)
      throw new Failure(
        outside ? 'inconsistent' : 'forged_checkpoint',
        undefined,
        `a ${source} checkpoint is of another log (${checkpoint.origin})`,
      );
    expectations.push({ size: checkpoint.size, root: checkpoint.root, source, outside });
    if (outside) report.outside++;
    else report.stored++;
    return checkpoint;
  };

  try {
    // Outside evidence first, and the stored checkpoints before the leaves: a checkpoint signed
    // while we walk then can never lie beyond the leaves we read.
    for (const given of evidence.checkpoints ?? []) expect(given.note, given.source, true);
    const sinkHashes: Buffer[] = [];
    if (evidence.sinkRounds !== undefined) {
      for await (const round of evidence.sinkRounds) {
        if (round.from !== sinkHashes.length || round.size !== round.from + round.leafHashes.length)
          throw new Failure('inconsistent', sinkHashes.length, 'the checkpoint sink has a gap');
        expect(round.note, 'checkpoint sink', true);
        sinkHashes.push(...round.leafHashes);
      }
    }
    let afterSize = 0;
    for (;;) {
      const page = await read((m) => store.checkpoints(m, { afterSize, limit: 5000 }));
      for (const checkpoint of page) {
        const signed = expect(checkpoint.note, 'stored', false);
        if (signed.size !== checkpoint.size || !signed.root.equals(checkpoint.root))
          throw new Failure(
            'forged_checkpoint',
            undefined,
            'a stored checkpoint row disagrees with its note',
          );
      }
      const last = page.at(-1);
      if (last === undefined) break;
      afterSize = last.size;
    }
    expectations.sort((a, b) => a.size - b.size);
    // Two signed checkpoints of one size with different roots are a fork. It is reported after
    // the walk, unless the walk names the exact leaf where the histories part.
    let fork: Failure | undefined;
    for (let i = 1; i < expectations.length && fork === undefined; i++) {
      const [a, b] = [expectations[i - 1] as Expectation, expectations[i] as Expectation];
      if (a.size === b.size && !a.root.equals(b.root))
        fork = new Failure(
          'inconsistent',
          undefined,
          `two signed checkpoints of size ${String(a.size)} differ (${a.source}, ${b.source}): a fork`,
          a.size,
        );
    }
    const walkTo = expectations.at(-1)?.size ?? 0;

    let next = 0;
    let pointer = 0;
    const checkAt = (size: number): void => {
      while (pointer < expectations.length && (expectations[pointer] as Expectation).size <= size) {
        const expected = expectations[pointer] as Expectation;
        pointer++;
        if (expected.size === size && !range.root().equals(expected.root)) {
          throw new Failure(
            expected.outside ? 'inconsistent' : 'altered',
            undefined,
            `the log's root at size ${String(size)} is not the one the ${expected.source} checkpoint signed`,
            size,
          );
        }
      }
    };
    checkAt(0);
    // The next page is fetched while this one is checked: the store and the hashing overlap.
    const fetchPage = (from: number): Promise<VerifiedLeafRow[]> => {
      const page =
        from >= walkTo
          ? Promise.resolve([])
          : read((m) => store.verificationPage(m, from, Math.min(PAGE, walkTo - from)));
      page.catch(() => undefined); // a page fetched ahead may be abandoned by a failure
      return page;
    };
    let pending = fetchPage(0);
    while (next < walkTo) {
      const rows = await pending;
      if (rows.length === 0) break;
      pending = fetchPage(next + rows.length);
      // Parsing each leaf (canonical form, filter columns) runs on the checker's thread while
      // this one hashes; the first failure by index wins.
      const parsed = checker.check(
        next,
        rows.map((row) => row.leaf),
        rows.map((row) => row.columns),
      );
      try {
        for (const row of rows) {
          if (row.index !== next)
            throw new Failure('missing', next, `leaf ${String(next)} is missing`);
          const hash = leafHash(Buffer.from(row.leaf, 'utf8'));
          if (row.storedHash === null || !row.storedHash.equals(hash))
            throw new Failure(
              'altered',
              row.index,
              `leaf ${String(row.index)} does not match its stored hash`,
            );
          const outside = sinkHashes[row.index];
          if (outside !== undefined) {
            report.outsideHashes++;
            if (!outside.equals(hash))
              throw new Failure(
                'altered',
                row.index,
                `leaf ${String(row.index)} is not the one the checkpoint sink recorded`,
              );
          }
          range.append(hash);
          next++;
          checkAt(next);
        }
      } catch (error) {
        // Whichever names the earlier leaf is the first divergence.
        const failure = await parsed;
        const at =
          error instanceof Failure ? (error.firstBadIndex ?? error.atTreeSize ?? next) : next;
        if (failure !== undefined && failure.index < at) throw leafFailure(failure);
        throw error;
      }
      const failure = await parsed;
      if (failure !== undefined) throw leafFailure(failure);
      options.onProgress?.(next, walkTo);
    }
    if (fork !== undefined) throw fork;
    if (next < walkTo) {
      const signer = expectations.find((e) => e.size > next);
      throw new Failure(
        'truncated',
        next,
        `the log ends at ${String(next)} leaves, but a ${signer?.source ?? ''} checkpoint signed ${String(walkTo)}`,
      );
    }

    const backlog = await read((m) => store.backlog(m));
    if (backlog.unqueued > 0) {
      throw new Failure(
        'unqueued',
        undefined,
        `${String(backlog.unqueued)} entries are neither in the tree nor queued for it`,
      );
    }
    const stuck =
      backlog.oldest !== null &&
      Date.now() - backlog.oldest.getTime() > (options.pendingGraceMs ?? 30_000);
    const outsideCount = report.outside;
    return {
      ok: true,
      region,
      treeSize: next,
      rootHash: range.root().toString('base64'),
      storedCheckpoints: report.stored,
      outsideCheckpoints: outsideCount,
      outsideLeafHashes: report.outsideHashes,
      pending: backlog.pending,
      ...(stuck
        ? {
            detail:
              'entries have waited for integration for more than 30 s: is the integrator running?',
          }
        : {}),
      ...(outsideCount === 0
        ? {
            cannotRuleOut:
              'Nothing kept outside the store was checked: a rewrite of the log’s tail together with ' +
              'the checkpoints signed after it, or a wipe of the whole log, by someone with database ' +
              'access cannot be ruled out. Check against a witness state, the checkpoint sink or a ' +
              'checkpoint saved earlier.',
          }
        : {}),
    };
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    return {
      ok: false,
      region,
      treeSize: range.size,
      rootHash: range.root().toString('base64'),
      storedCheckpoints: report.stored,
      outsideCheckpoints: report.outside,
      outsideLeafHashes: report.outsideHashes,
      pending: 0,
      problem: error.problem,
      ...(error.firstBadIndex === undefined ? {} : { firstBadIndex: error.firstBadIndex }),
      ...(error.atTreeSize === undefined ? {} : { atTreeSize: error.atTreeSize }),
      detail: error.detailText,
    };
  } finally {
    await checker.close();
  }
}

function leafFailure(failure: LeafCheckFailure): Failure {
  return new Failure(
    'altered',
    failure.index,
    failure.reason === 'not_canonical'
      ? `leaf ${String(failure.index)} is not a canonical decision entry`
      : `the filter columns of leaf ${String(failure.index)} disagree with it`,
  );
}
