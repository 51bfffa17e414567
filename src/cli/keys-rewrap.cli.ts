import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { KeyRewrapJob } from '../keys/key-rewrap.job.js';
import { KmsRegistry } from '../keys/kms-registry.js';
import { RegionKeysRepository } from '../keys/region-keys.repository.js';
import { SubjectKeysRepository } from '../keys/subject-keys.repository.js';
import { ConfigError } from '../platform/config/config.error.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { StoreBootError } from '../regions/region-router.js';
import { loadCliConfig, openCliStores } from './cli-stores.js';
import { ProgressReporter } from './progress.js';

const USAGE =
  'usage: npm run keys:rewrap -- --region us-east-1 [--batch 200] [--concurrency 8] [--max N]';

/**
 * `npm run keys:rewrap`: re-wraps every subject key of a region under the region KMS key's
 * current material (after a KMS key rotation), without touching records. Resumable: a run
 * that stops (Ctrl-C, --max, a failure) continues where it left off next time.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      region: { type: 'string' },
      batch: { type: 'string', default: '200' },
      concurrency: { type: 'string', default: '8' },
      max: { type: 'string' },
    },
    strict: true,
  });
  const batchSize = Number(values.batch);
  const concurrency = Number(values.concurrency);
  const maxKeys = values.max === undefined ? undefined : Number(values.max);
  if (
    values.region === undefined ||
    !(batchSize > 0) ||
    !(concurrency > 0) ||
    (maxKeys !== undefined && !(maxKeys > 0))
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadCliConfig();
  const metrics = new GatewayMetrics();
  const router = await openCliStores(config, metrics);
  try {
    const job = new KeyRewrapJob(
      router,
      KmsRegistry.fromConfig(config, metrics),
      new SubjectKeysRepository(),
      new RegionKeysRepository(),
    );
    const progress = new ProgressReporter(`rewrap ${values.region}`);
    const result = await job.run(values.region, {
      batchSize,
      concurrency,
      ...(maxKeys === undefined ? {} : { maxKeys }),
      onProgress: (p) => {
        progress.update(p.done, p.total, p.elapsedMs);
      },
    });
    progress.update(result.rewrapped, result.total, 0, true);
    process.stdout.write(
      `${result.finished ? 'finished' : 'paused'} job ${result.jobId}${result.resumed ? ' (resumed)' : ''}: ` +
        `${String(result.rewrapped)}/${String(result.total)} subject keys re-wrapped, ${String(result.skipped)} skipped\n`,
    );
    return 0;
  } finally {
    await router.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof StoreBootError;
    process.stderr.write(
      `${known || !(error instanceof Error) ? String(error instanceof Error ? error.message : error) : `${error.name}: ${error.message}`}\n`,
    );
    process.exit(1);
  },
);
