import 'reflect-metadata';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { verifyRegionChain } from '../audit/chain-verification.js';
import { AuditLogReader } from '../audit/audit-log.reader.js';
import { exportRecord } from '../audit/audit.service.js';
import { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { LOCAL_STATE_DIR } from '../platform/paths.js';
import { loadCliConfig, openCliStores } from './cli-stores.js';
import { ProgressReporter } from './progress.js';

const USAGE = `usage:
  npm run audit -- verify --region us-east-1 [--checkpoint <jws> | --checkpoint-file <file>] [--public-key <pem>]
  npm run audit -- export --region us-east-1 [--since <ISO time>]`;

/**
 * `npm run audit`: works directly against a region's store, without the HTTP server.
 *   verify  walks the region's hash chain; exits 1 on any break, naming the first bad seq and
 *           what is wrong (altered, missing, broken_link, truncated). Checkpoints (stored ones,
 *           and one an outside monitor kept) are checked with the checkpoint public key:
 *           --public-key, or the one derived from GATEWAY_AUDIT_SIGNING_KEY_FILE.
 *   export  prints the region's decision log as JSON lines; progress goes to stderr.
 */
async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { values } = parseArgs({
    args: rest,
    options: {
      region: { type: 'string' },
      since: { type: 'string' },
      checkpoint: { type: 'string' },
      'checkpoint-file': { type: 'string' },
      'public-key': { type: 'string' },
    },
    strict: true,
  });
  const region = values.region;
  if ((command !== 'verify' && command !== 'export') || region === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const config = loadCliConfig();
  const router = await openCliStores(config, new GatewayMetrics());
  try {
    router.route(region);
    const read = <T>(work: Parameters<typeof router.read<T>>[1]): Promise<T> =>
      router.read(region, work);
    if (command === 'export') {
      const since = values.since === undefined ? undefined : new Date(values.since);
      if (since !== undefined && Number.isNaN(since.getTime()))
        throw new Error('--since must be an ISO 8601 time');
      const reader = new AuditLogReader();
      const total = await read((m) => reader.count(m, region));
      const progress = new ProgressReporter(`export ${region}`);
      const started = performance.now();
      let after = 0;
      let written = 0;
      for (;;) {
        const page = await read((m) =>
          reader.page(m, region, since === undefined ? {} : { from: since }, after, 1000),
        );
        for (const row of page)
          process.stdout.write(`${JSON.stringify(exportRecord(region, row))}\n`);
        written += page.length;
        progress.update(written, total, performance.now() - started);
        const last = page.at(-1);
        if (last === undefined || page.length < 1000) break;
        after = last.seq;
      }
      progress.update(written, total, performance.now() - started, true);
      return 0;
    }
    const publicKey = checkpointPublicKey(values['public-key'], config.audit.signingKeyFile);
    const extra =
      values.checkpoint ??
      (values['checkpoint-file'] === undefined
        ? undefined
        : readFileSync(values['checkpoint-file'], 'utf8').trim());
    const progress = new ProgressReporter(`verify ${region}`);
    const started = performance.now();
    const result = await verifyRegionChain(read, region, {
      ...(publicKey === undefined ? {} : { publicKey }),
      ...(extra === undefined ? {} : { extraCheckpoints: [extra] }),
      onProgress: (done, total) => {
        progress.update(done, total, performance.now() - started);
      },
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) {
      process.stderr.write(
        `chain of ${region} is broken at seq ${String(result.firstBadSeq)}: ${String(result.problem)}\n`,
      );
      return 1;
    }
    process.stderr.write(
      `chain of ${region} verified: ${String(result.entries)} entries, head ${result.headHash}\n`,
    );
    return 0;
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
  const local = join(LOCAL_STATE_DIR, 'keys', 'audit-checkpoint.key.pem');
  if (existsSync(local)) return createPublicKey(readFileSync(local));
  process.stderr.write(
    'note: no checkpoint public key (--public-key); checkpoints are not checked\n',
  );
  return undefined;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
