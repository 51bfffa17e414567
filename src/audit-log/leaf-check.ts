import { Worker } from 'node:worker_threads';
import { columnsOf, decodeLeaf, packColumns } from './audit-entry.js';

/** The first leaf of a page that is not canonical or disagrees with its filter columns. */
export interface LeafCheckFailure {
  readonly index: number;
  readonly reason: 'not_canonical' | 'columns_disagree';
}

/**
 * Checks a page of leaves (texts in index order from `first`) against their packed filter
 * columns: each must be a canonical decision entry whose columns pack to the stored ones.
 * Returns the first that does not hold, or undefined.
 */
export function checkLeafPage(
  first: number,
  leaves: readonly string[],
  columns: readonly string[],
): LeafCheckFailure | undefined {
  for (let i = 0; i < leaves.length; i++) {
    let packed: string;
    try {
      packed = packColumns(columnsOf(decodeLeaf(Buffer.from(leaves[i] ?? '', 'utf8'))));
    } catch {
      return { index: first + i, reason: 'not_canonical' };
    }
    if (packed !== columns[i]) return { index: first + i, reason: 'columns_disagree' };
  }
  return undefined;
}

interface Job {
  readonly resolve: (failure: LeafCheckFailure | undefined) => void;
  readonly reject: (error: Error) => void;
}

/**
 * {@link checkLeafPage} on a worker thread: parsing every leaf is most of verification's CPU,
 * and on its own thread it runs beside the store reads and the hashing. Pages are sent as one
 * joined string each (leaves hold no raw newline: JSON escapes it), one cheap copy.
 */
export class LeafChecker {
  private readonly worker: Worker;
  private readonly jobs: Job[] = [];

  constructor() {
    this.worker = new Worker(new URL('./leaf-check.worker.js', import.meta.url));
    this.worker.on('message', (failure: LeafCheckFailure | null) => {
      this.jobs.shift()?.resolve(failure ?? undefined);
    });
    this.worker.on('error', (error) => {
      for (const job of this.jobs.splice(0)) job.reject(error);
    });
  }

  check(
    first: number,
    leaves: readonly string[],
    columns: readonly string[],
  ): Promise<LeafCheckFailure | undefined> {
    return new Promise((resolve, reject) => {
      this.jobs.push({ resolve, reject });
      this.worker.postMessage({ first, leaves: leaves.join('\n'), columns });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
