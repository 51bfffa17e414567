import { readFileSync, writeFileSync } from 'node:fs';
import { exportRecord, streamDecisions } from '../../audit-log/audit-log.reader.js';
import { CheckpointSigner } from '../../audit-log/checkpoint-signer.js';
import { openSink, parseSinkLocation } from '../../audit-log/checkpoint-sink.js';
import { LogStore } from '../../audit-log/log-store.js';
import { verifyLog, type OutsideCheckpoint } from '../../audit-log/log-verifier.js';
import { inclusionRanges } from '../../audit-log/merkle.js';
import { checkReceipt } from '../../audit-log/receipt.js';
import { parseVerifierKey, type NoteKey } from '../../audit-log/signed-note.js';
import type { Receipt } from '../../audit-log/transparency-log.js';
import type { GatewayConfig } from '../../platform/config/gateway-config.js';
import { loadCliConfig, openCliStores } from '../cli-config.js';
import { EXIT, UsageError } from '../exit-codes.js';
import { ProgressReporter } from '../progress.js';
import { readWitnessState } from './witness-state.js';

export interface AuditVerifyOptions {
  readonly region: string;
  /** Files holding checkpoint notes kept outside the store. */
  readonly checkpoint: readonly string[];
  /** A witness's state file (its latest verified checkpoint). */
  readonly witnessState?: string;
  /** `dir:<path>` or `s3://bucket/prefix`; defaults to the configured sink. */
  readonly sink?: string;
  readonly noSink?: boolean;
  /** The region's verifier key; defaults to the one of the configured signing key. */
  readonly vkey?: string;
}

/**
 * `audit verify`: recomputes a region's Merkle tree from the entries in its store, checks every
 * stored checkpoint and everything kept outside (witness state, checkpoint files, the sink),
 * and exits 1 naming the first divergence. Progress on stderr; the report on stdout.
 */
export async function auditVerify(options: AuditVerifyOptions): Promise<number> {
  const config = loadCliConfig();
  const key = regionKey(config, options.region, options.vkey);
  const outside: OutsideCheckpoint[] = options.checkpoint.map((file) => ({
    note: readFileSync(file, 'utf8'),
    source: `file ${file}`,
  }));
  if (options.witnessState !== undefined) {
    const state = readWitnessState(options.witnessState);
    if (state?.checkpoint !== undefined)
      outside.push({ note: state.checkpoint, source: `witness state ${options.witnessState}` });
  }
  const sinkValue = options.noSink === true ? undefined : (options.sink ?? config.audit.sink);
  const location = sinkValue === undefined ? undefined : parseSinkLocation(sinkValue);
  if (sinkValue !== undefined && location === undefined)
    throw new UsageError('--sink must be dir:<path> or s3://<bucket>/<prefix>');
  const sink =
    location === undefined
      ? undefined
      : openSink(location, {
          region: config.audit.sinkS3Region ?? options.region,
          ...(config.audit.sinkS3Endpoint === undefined
            ? {}
            : { endpoint: config.audit.sinkS3Endpoint }),
          ...(config.keys.staticCredentials === undefined
            ? {}
            : { credentials: config.keys.staticCredentials }),
        });
  const router = await openCliStores(config);
  try {
    router.route(options.region);
    const progress = new ProgressReporter(`verify ${options.region}`);
    const started = performance.now();
    const result = await verifyLog(
      (work) => router.read(options.region, work),
      options.region,
      key,
      {
        checkpoints: outside,
        ...(sink === undefined ? {} : { sinkRounds: sink.rounds(options.region) }),
      },
      {
        onProgress: (done, total) => {
          progress.update(done, total, performance.now() - started);
        },
      },
    );
    const seconds = (performance.now() - started) / 1000;
    progress.update(result.treeSize, result.treeSize, seconds * 1000, true);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) {
      process.stderr.write(
        `log of ${options.region} does NOT verify: ${String(result.problem)}` +
          (result.firstBadIndex === undefined ? '' : ` at leaf ${String(result.firstBadIndex)}`) +
          ` — ${result.detail ?? ''}\n`,
      );
      return EXIT.failed;
    }
    process.stderr.write(
      `log of ${options.region} verified: ${String(result.treeSize)} leaves in ${seconds.toFixed(1)} s ` +
        `(${(result.treeSize / Math.max(seconds, 0.001)).toFixed(0)}/s), ${String(result.storedCheckpoints)} stored ` +
        `and ${String(result.outsideCheckpoints)} outside checkpoints` +
        (sink === undefined
          ? ''
          : `, ${String(result.outsideLeafHashes)} leaf hashes from ${sink.description}`) +
        '\n',
    );
    if (result.cannotRuleOut !== undefined) process.stderr.write(`note: ${result.cannotRuleOut}\n`);
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
    const progress = new ProgressReporter(`export ${region}`);
    const started = performance.now();
    let written = 0;
    const rows = streamDecisions(
      (work) => router.read(region, work),
      since === undefined ? {} : { from: since },
    );
    for await (const row of rows) {
      process.stdout.write(`${JSON.stringify(exportRecord(row))}\n`);
      written++;
      if (written % 1000 === 0) progress.update(written, written, performance.now() - started);
    }
    progress.update(written, written, performance.now() - started, true);
    return EXIT.ok;
  } finally {
    await router.close();
  }
}

/**
 * `audit prove --decision D`: a receipt for one decision, read from the stores (no server):
 * its leaf, the region's latest checkpoint and the inclusion proof. Checkable offline with
 * `audit verify-receipt`.
 */
export async function auditProve(options: {
  readonly decision: string;
  readonly region?: string;
  readonly out?: string;
}): Promise<number> {
  const config = loadCliConfig();
  const router = await openCliStores(config);
  const store = new LogStore();
  try {
    const regions =
      options.region === undefined ? config.regions.map((r) => r.id) : [options.region];
    for (const region of regions) {
      const receipt = await router.read(
        region,
        async (manager): Promise<Receipt | 'pending' | undefined> => {
          const found = await store.leafOfDecision(manager, options.decision);
          if (found === undefined) return undefined;
          const latest = await store.latestCheckpoint(manager);
          if (found.index === undefined || latest === undefined || found.index >= latest.size)
            return 'pending';
          const hashes = await store.rangeHashes(
            manager,
            inclusionRanges(found.index, latest.size),
          );
          const cosignatures = await store.cosignatures(manager, latest.size);
          return {
            region,
            decisionId: options.decision,
            leafIndex: found.index,
            leaf: found.leaf.toString('base64'),
            checkpoint: latest.note + cosignatures.map((c) => c.line).join(''),
            inclusion: {
              leafIndex: found.index,
              treeSize: latest.size,
              hashes: hashes.map((hash) => hash.toString('base64')),
            },
            verifierKey:
              config.audit.signingKeyFile === ''
                ? ''
                : CheckpointSigner.fromFile(config.audit.signingKeyFile).verifierKey(region),
          };
        },
      );
      if (receipt === undefined) continue;
      if (receipt === 'pending') {
        process.stderr.write(
          'the decision is logged but not in a signed checkpoint yet; retry in a second\n',
        );
        return EXIT.failed;
      }
      const text = `${JSON.stringify(receipt, null, 2)}\n`;
      if (options.out === undefined) process.stdout.write(text);
      else {
        writeFileSync(options.out, text);
        process.stderr.write(
          `wrote the receipt of ${options.decision} (${region}, leaf ${String(receipt.leafIndex)}) to ${options.out}\n`,
        );
      }
      return EXIT.ok;
    }
    process.stderr.write(`no region's log holds decision ${options.decision}\n`);
    return EXIT.failed;
  } finally {
    await router.close();
  }
}

/** `audit verify-receipt FILE --vkey KEY`: offline, no store, no server. */
export function auditVerifyReceipt(options: {
  readonly file: string;
  readonly vkey: string;
}): number {
  let receipt: Receipt;
  try {
    receipt = JSON.parse(readFileSync(options.file, 'utf8')) as Receipt;
  } catch {
    throw new UsageError(`${options.file} is not a receipt (JSON)`);
  }
  const result = checkReceipt(receipt, options.vkey);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (!result.ok) {
    process.stderr.write(`receipt does NOT verify: ${result.problem ?? ''}\n`);
    return EXIT.failed;
  }
  process.stderr.write(
    `receipt verified: decision ${receipt.decisionId} is leaf ${String(result.leafIndex)} of ${String(result.origin)} at size ${String(result.treeSize)}\n`,
  );
  return EXIT.ok;
}

/** The region's note key: from --vkey, or derived from the configured signing key. */
function regionKey(config: GatewayConfig, region: string, vkey: string | undefined): NoteKey {
  if (vkey !== undefined) return parseVerifierKey(vkey);
  if (config.audit.signingKeyFile === '')
    throw new UsageError(
      'pass --vkey <the region’s verifier key> (no signing key is configured here)',
    );
  return CheckpointSigner.fromFile(config.audit.signingKeyFile).keyFor(region);
}
