import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { exportRecord } from '../../audit-log/audit-entry.js';
import { AuditLogReader, streamEntries } from '../../audit-log/audit-log.reader.js';
import { verifyRegionChain } from '../../audit-log/chain-verification.js';
import { loadCliConfig, openCliStores } from '../cli-config.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { ProgressReporter } from '../progress.js';

export interface AuditVerifyOptions {
  readonly region: string;
  readonly checkpoint?: string;
  readonly checkpointFile?: string;
  readonly publicKey?: string;
}

/**
 * `audit verify`: walks a region's log directly in its store (no server needed); exit 1 on any
 * break, naming the first bad entry and what is wrong.
 */
export async function auditVerify(options: AuditVerifyOptions): Promise<number> {
  const config = loadCliConfig();
  const router = await openCliStores(config);
  try {
    router.route(options.region);
    const publicKey = checkpointPublicKey(options.publicKey, config.audit.signingKeyFile);
    const extra =
      options.checkpoint ??
      (options.checkpointFile === undefined
        ? undefined
        : readFileSync(options.checkpointFile, 'utf8').trim());
    const progress = new ProgressReporter(`verify ${options.region}`);
    const started = performance.now();
    const result = await verifyRegionChain(
      (work) => router.read(options.region, work),
      options.region,
      {
        ...(publicKey === undefined ? {} : { publicKey }),
        ...(extra === undefined ? {} : { extraCheckpoints: [extra] }),
        onProgress: (done, total) => {
          progress.update(done, total, performance.now() - started);
        },
      },
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) {
      process.stderr.write(
        `log of ${options.region} is broken at seq ${String(result.firstBadSeq)}: ${String(result.problem)}\n`,
      );
      return EXIT.failed;
    }
    process.stderr.write(
      `log of ${options.region} verified: ${String(result.entries)} entries, head ${result.headHash}\n`,
    );
    return EXIT.ok;
  } finally {
    await router.close();
  }
}

/** `audit export`: the region's decision log as JSON lines on stdout; progress on stderr. */
export async function auditExport(options: {
  readonly region: string;
  readonly since?: string;
}): Promise<number> {
  const since = options.since === undefined ? undefined : new Date(options.since);
  if (since !== undefined && Number.isNaN(since.getTime()))
    throw new UsageError('--since must be an ISO 8601 time');
  const router = await openCliStores(loadCliConfig());
  const region = options.region;
  try {
    router.route(region);
    const reader = new AuditLogReader();
    const total = await router.read(region, (m) => reader.count(m, region));
    const progress = new ProgressReporter(`export ${region}`);
    const started = performance.now();
    let written = 0;
    const read = <T>(work: Parameters<typeof router.read<T>>[1]): Promise<T> =>
      router.read(region, work);
    for await (const row of streamEntries(
      read,
      region,
      since === undefined ? {} : { from: since },
    )) {
      process.stdout.write(`${JSON.stringify(exportRecord(region, row))}\n`);
      written++;
      if (written % 1000 === 0) progress.update(written, total, performance.now() - started);
    }
    progress.update(written, total, performance.now() - started, true);
    return EXIT.ok;
  } finally {
    await router.close();
  }
}

function checkpointPublicKey(
  publicKeyFile: string | undefined,
  signingKeyFile: string,
): KeyObject | undefined {
  if (publicKeyFile !== undefined) return createPublicKey(readFileSync(publicKeyFile));
  if (signingKeyFile !== '') return createPublicKey(readFileSync(signingKeyFile));
  process.stderr.write(
    'note: no checkpoint public key (--public-key); checkpoints are not checked\n',
  );
  return undefined;
}
