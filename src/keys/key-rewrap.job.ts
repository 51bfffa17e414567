import type { RegionRouter } from '../regions/region-router.js';
import type { KmsRegistry } from './kms-registry.js';
import { regionKeyContext, subjectKeyContext } from './region-kms.js';
import type { RegionKeysRepository } from './region-keys.repository.js';
import type { SubjectKeysRepository } from './subject-keys.repository.js';

export interface RewrapProgress {
  readonly region: string;
  readonly done: number;
  readonly total: number;
  readonly elapsedMs: number;
}

export interface RewrapOptions {
  readonly batchSize: number;
  /** KMS calls in flight at once. */
  readonly concurrency: number;
  /** Stop (resumably) after this many subject keys in this run. */
  readonly maxKeys?: number;
  readonly onProgress?: (progress: RewrapProgress) => void;
}

export interface RewrapResult {
  readonly jobId: string;
  readonly resumed: boolean;
  readonly finished: boolean;
  /** Subject keys re-wrapped by the whole job so far. */
  readonly rewrapped: number;
  readonly total: number;
  /** Keys skipped because they changed meanwhile (erased, or re-wrapped by someone else). */
  readonly skipped: number;
}

interface JobRow {
  id: string;
  last_subject_id: string | null;
  rewrapped: number;
  total: number;
}

/**
 * Re-wraps every subject key (and the region's own keys) of one region under the region KMS
 * key's current material, without touching a record: the keys inside stay the same. Progress
 * is committed batch by batch in `key_rewrap_jobs`, so an interrupted run resumes where it
 * stopped.
 */
export class KeyRewrapJob {
  constructor(
    private readonly router: RegionRouter,
    private readonly kms: KmsRegistry,
    private readonly subjectKeys: SubjectKeysRepository,
    private readonly regionKeys: RegionKeysRepository,
  ) {}

  async run(region: string, options: RewrapOptions): Promise<RewrapResult> {
    const regionKms = this.kms.forRegion(region);
    const { job, resumed } = await this.openJob(region, regionKms.keyId);
    const started = performance.now();
    let done = job.rewrapped;
    let cursor = job.last_subject_id;
    let skipped = 0;
    let thisRun = 0;
    const budget = options.maxKeys ?? Number.POSITIVE_INFINITY;

    for (;;) {
      const limit = Math.min(options.batchSize, budget - thisRun);
      if (limit <= 0) break;
      const batch = await this.router.read(region, (manager) =>
        this.subjectKeys.page(manager, cursor, limit),
      );
      if (batch.length === 0) break;
      const rewrapped = await mapLimited(batch, options.concurrency, (key) =>
        regionKms.reEncrypt(key.wrappedKey, subjectKeyContext(region, key.subjectId)),
      );
      const last = batch.at(-1)?.subjectId ?? cursor;
      await this.router.transaction(region, async (manager) => {
        for (const [index, key] of batch.entries()) {
          const wrapped = rewrapped[index];
          if (
            wrapped === undefined ||
            !(await this.subjectKeys.replaceWrapped(manager, key, wrapped, regionKms.keyId))
          ) {
            skipped++;
          }
        }
        done += batch.length;
        await manager.query(
          'UPDATE key_rewrap_jobs SET last_subject_id = $2, rewrapped = $3 WHERE id = $1',
          [job.id, last, done],
        );
      });
      cursor = last;
      thisRun += batch.length;
      options.onProgress?.({
        region,
        done,
        total: Math.max(job.total, done),
        elapsedMs: performance.now() - started,
      });
    }

    const finished = thisRun < budget;
    if (finished) {
      await this.rewrapRegionKeys(region);
      await this.router.transaction(region, (manager) =>
        manager.query('UPDATE key_rewrap_jobs SET finished_at = now() WHERE id = $1', [job.id]),
      );
    }
    return {
      jobId: job.id,
      resumed,
      finished,
      rewrapped: done,
      total: Math.max(job.total, done),
      skipped,
    };
  }

  private async openJob(
    region: string,
    kmsKeyId: string,
  ): Promise<{ job: JobRow; resumed: boolean }> {
    return this.router.transaction(region, async (manager) => {
      const open = await manager.query<JobRow[]>(
        `SELECT id::text, last_subject_id, rewrapped, total FROM key_rewrap_jobs
         WHERE finished_at IS NULL AND kms_key_id = $1 ORDER BY id DESC LIMIT 1 FOR UPDATE`,
        [kmsKeyId],
      );
      if (open[0] !== undefined) return { job: open[0], resumed: true };
      const total = await this.subjectKeys.count(manager);
      const created = await manager.query<JobRow[]>(
        `INSERT INTO key_rewrap_jobs (kms_key_id, total) VALUES ($1, $2)
         RETURNING id::text, last_subject_id, rewrapped, total`,
        [kmsKeyId, total],
      );
      const job = created[0];
      if (job === undefined) throw new Error('could not create the rewrap job');
      return { job, resumed: false };
    });
  }

  private async rewrapRegionKeys(region: string): Promise<void> {
    const regionKms = this.kms.forRegion(region);
    const keys = await this.router.read(region, (manager) => this.regionKeys.all(manager));
    for (const key of keys) {
      const wrapped = await regionKms.reEncrypt(
        key.wrappedKey,
        regionKeyContext(region, key.purpose),
      );
      await this.router.transaction(region, (manager) =>
        this.regionKeys.replaceWrapped(manager, key, wrapped, regionKms.keyId),
      );
    }
  }
}

/** Maps with at most `limit` calls in flight; results keep their input order. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      const item = items[index];
      if (item !== undefined) results[index] = await map(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
