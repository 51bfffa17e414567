import { KeyRewrapJob } from '../../keys/key-rewrap.job.js';
import { KmsRegistry } from '../../keys/kms-registry.js';
import { RegionKeysRepository } from '../../keys/region-keys.repository.js';
import { SubjectKeysRepository } from '../../keys/subject-keys.repository.js';
import { GatewayMetrics } from '../../platform/metrics/gateway-metrics.js';
import { loadCliConfig, openCliStores } from '../cli-config.js';
import { EXIT } from '../exit-codes.js';
import { ProgressReporter } from '../progress.js';

export interface RewrapCommandOptions {
  readonly region: string;
  readonly batch: number;
  readonly concurrency: number;
  readonly max?: number;
}

/**
 * `keys rewrap`: re-wraps every subject key of a region under the region KMS key's current
 * material (after a KMS key rotation), without touching records. Resumable: a run that stops
 * (Ctrl-C, --max, a failure) continues where it left off next time.
 */
export async function keysRewrap(options: RewrapCommandOptions): Promise<number> {
  const config = loadCliConfig();
  const metrics = new GatewayMetrics();
  const router = await openCliStores(config, metrics);
  try {
    router.route(options.region);
    const job = new KeyRewrapJob(
      router,
      KmsRegistry.fromConfig(config, metrics),
      new SubjectKeysRepository(),
      new RegionKeysRepository(),
    );
    const progress = new ProgressReporter(`rewrap ${options.region}`);
    const result = await job.run(options.region, {
      batchSize: options.batch,
      concurrency: options.concurrency,
      ...(options.max === undefined ? {} : { maxKeys: options.max }),
      onProgress: (p) => {
        progress.update(p.done, p.total, p.elapsedMs);
      },
    });
    progress.update(result.rewrapped, result.total, 0, true);
    process.stdout.write(
      `${result.finished ? 'finished' : 'paused'} job ${result.jobId}${result.resumed ? ' (resumed)' : ''}: ` +
        `${String(result.rewrapped)}/${String(result.total)} subject keys re-wrapped, ${String(result.skipped)} skipped\n`,
    );
    return EXIT.ok;
  } finally {
    await router.close();
  }
}
