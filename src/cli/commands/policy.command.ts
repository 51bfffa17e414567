import { createHash, createPublicKey } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { DECISION_PATH, type DecisionLogEntry } from '../../audit-log/audit-entry.js';
import { streamDecisions } from '../../audit-log/audit-log.reader.js';
import { PROJECT_ROOT } from '../../platform/paths.js';
import { readTarGz } from '../../policy/bundle-archive.js';
import {
  BundleRejectedError,
  verifyBundle,
  type VerifiedBundle,
} from '../../policy/bundle-verifier.js';
import { parsePolicyResult, type PolicyInput } from '../../policy/decision.js';
import {
  ImpactAnalysis,
  parseExpectedFlips,
  unexpectedFlips,
  type ImpactReport,
  type RecordedDecision,
} from '../../policy/policy-impact.js';
import { WasmPolicyEngine } from '../../policy/wasm-policy-engine.js';
import { loadCliConfig, openCliStores } from '../cli-config.js';
import { EXIT, UsageError } from '../exit-codes.js';

const DEFAULT_PUBLIC_KEY = `${PROJECT_ROOT}/policies/keys/dev-bundle-signing.pub.pem`;
const MEMORY = { initialPages: 16, maximumPages: 1024 };

interface BundleOptions {
  /** PEM public key the bundle must verify against; `false`: do not verify (unsigned build). */
  readonly publicKey?: string | false;
}

/** Reads a bundle archive the way the gateway does (verified), or as built (`--no-verify`). */
async function readBundle(file: string, options: BundleOptions): Promise<VerifiedBundle> {
  const archive = readFileSync(file);
  if (options.publicKey !== false) {
    const keyFile = options.publicKey ?? DEFAULT_PUBLIC_KEY;
    try {
      return await verifyBundle(archive, createPublicKey(readFileSync(keyFile)));
    } catch (error) {
      if (error instanceof BundleRejectedError)
        throw new UsageError(`${file}: ${error.message} (key ${keyFile})`);
      throw error;
    }
  }
  const files = readTarGz(archive);
  const wasm = files.get('policy.wasm');
  const data = files.get('data.json');
  if (wasm === undefined || data === undefined)
    throw new UsageError(`${file}: not a wasm bundle (no policy.wasm or data.json)`);
  const manifest = JSON.parse(files.get('.manifest')?.toString('utf8') ?? '{}') as {
    revision?: string;
    metadata?: { build?: number; commit?: string };
  };
  return {
    revision: manifest.revision ?? '',
    build: manifest.metadata?.build ?? 0,
    commit: manifest.metadata?.commit ?? null,
    digest: createHash('sha256').update(archive).digest('hex'),
    wasm,
    data: JSON.parse(data.toString('utf8')) as unknown,
    manifest,
  };
}

/** `24h`, `30m`, `7d` ago, or an ISO 8601 time. */
export function parseSince(value: string, now = Date.now()): Date {
  const relative = /^(\d+)([smhd])$/.exec(value);
  if (relative !== null) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 's'];
    return new Date(now - Number(relative[1]) * unit);
  }
  const time = new Date(value);
  if (Number.isNaN(time.getTime()))
    throw new UsageError('--since must be a duration (24h, 30m, 7d) or an ISO 8601 time');
  return time;
}

/** A logged entry as a decision to replay; `undefined` for entries that are not policy decisions. */
function recordedOf(entry: DecisionLogEntry, fallbackRegion: string): RecordedDecision | undefined {
  if (entry.path !== DECISION_PATH || typeof entry.input !== 'object') return undefined;
  if (typeof entry.input.action !== 'string' || entry.input.action.startsWith('policy.'))
    return undefined;
  let result;
  try {
    result = parsePolicyResult(entry.result);
  } catch {
    return undefined;
  }
  return {
    decisionId: entry.decision_id,
    region: entry.region || fallbackRegion,
    input: entry.input,
    result,
    revision: entry.bundles['residency']?.revision ?? 'unknown',
  };
}

async function* fromFile(file: string): AsyncGenerator<DecisionLogEntry> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  for await (const line of lines) {
    number++;
    if (line.trim() === '') continue;
    try {
      yield JSON.parse(line) as DecisionLogEntry;
    } catch {
      throw new UsageError(`${file}:${String(number)}: not a JSON line`);
    }
  }
}

export interface ImpactOptions extends BundleOptions {
  readonly bundle: string;
  readonly baseline?: string;
  readonly region?: string;
  readonly since?: string;
  readonly fromFile?: string;
  readonly expect?: string;
  readonly json?: boolean;
}

/**
 * `policy impact --bundle NEW`: replays logged decision inputs (from the regions' stores, or an
 * exported file) against the candidate bundle in wasm — the gateway's own engine — and reports
 * every decision that flips, grouped by rule. Exit 1 when a flip is not listed in `--expect`.
 */
export async function policyImpact(options: ImpactOptions): Promise<number> {
  if (
    options.fromFile !== undefined &&
    (options.region !== undefined || options.since !== undefined)
  )
    throw new UsageError('--from-file replays a file: it takes no --region or --since');
  const expected =
    options.expect === undefined ? [] : parseExpectedFlips(readFileSync(options.expect, 'utf8'));
  const candidateBundle = await readBundle(options.bundle, options);
  const candidate = await WasmPolicyEngine.load(candidateBundle, MEMORY);
  const baseline =
    options.baseline === undefined
      ? undefined
      : await WasmPolicyEngine.load(await readBundle(options.baseline, options), MEMORY);
  const analysis = new ImpactAnalysis(
    (input) => candidate.evaluate(input),
    baseline === undefined ? undefined : (input) => baseline.evaluate(input),
  );
  const started = performance.now();
  if (options.fromFile !== undefined) {
    for await (const entry of fromFile(options.fromFile)) {
      const recorded = recordedOf(entry, 'unknown');
      if (recorded !== undefined) analysis.add(recorded);
    }
  } else {
    const since = options.since === undefined ? undefined : parseSince(options.since);
    const config = loadCliConfig();
    const router = await openCliStores(config);
    try {
      const regions =
        options.region === undefined ? config.regions.map((r) => r.id) : [options.region];
      for (const region of regions) {
        router.route(region);
        const rows = streamDecisions(
          (work) => router.read(region, work),
          since === undefined ? {} : { from: since },
        );
        for await (const row of rows) {
          const recorded = recordedOf(row.entry, region);
          if (recorded !== undefined) analysis.add(recorded);
        }
      }
    } finally {
      await router.close();
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const report = analysis.report();
  const unexpected = unexpectedFlips(report, expected);
  if (options.json === true) {
    process.stdout.write(
      `${JSON.stringify({ ...report, unexpected, seconds: Number(seconds.toFixed(3)) }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(describe(report, candidateBundle, options.baseline, seconds, unexpected));
  }
  return unexpected.length > 0 ? EXIT.failed : EXIT.ok;
}

function describe(
  report: ImpactReport,
  bundle: VerifiedBundle,
  baseline: string | undefined,
  seconds: number,
  unexpected: readonly { kind: string; rule: string }[],
): string {
  const lines = [
    `candidate: revision ${bundle.revision}, build ${String(bundle.build)}`,
    `compared with: ${baseline === undefined ? 'the logged results' : `bundle ${baseline}`}`,
    `replayed: ${String(report.replayed)} decisions (logged by ${
      Object.entries(report.recordedRevisions)
        .map(([revision, count]) => `${revision}: ${String(count)}`)
        .join(', ') || 'none'
    })`,
    `changed: ${String(report.changed)} decisions`,
  ];
  if (report.groups.length > 0) {
    lines.push('', 'kind            count  rule / sample decision ids');
    for (const group of report.groups) {
      lines.push(
        `${group.kind.padEnd(15)} ${String(group.count).padStart(5)}  ${group.rule}`,
        `${' '.repeat(23)}${group.sample.join(', ')}`,
      );
    }
  }
  const per10k = report.replayed === 0 ? 0 : (seconds / report.replayed) * 10_000;
  lines.push('', `time: ${seconds.toFixed(2)} s (${per10k.toFixed(2)} s per 10,000 decisions)`);
  if (unexpected.length > 0) {
    lines.push(
      '',
      `UNEXPECTED: ${String(unexpected.length)} kind(s) of flip not listed in --expect:`,
      ...unexpected.map((flip) => `  {"kind": "${flip.kind}", "rule": "${flip.rule}"}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

export interface ExplainOptions extends BundleOptions {
  readonly input: string;
  readonly bundle?: string;
  readonly json?: boolean;
}

interface Explanation {
  readonly decision: { allow: boolean; reasons: string[]; break_glass: boolean };
  readonly deny_rules: string[];
  readonly grant_rule: string | null;
  readonly read_mode: string | null;
  readonly fields: Record<string, { class: string | null; action: string }>;
}

/** `policy explain --input FILE`: the decision for one input and the rules behind it. */
export async function policyExplain(options: ExplainOptions): Promise<number> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(options.input, 'utf8'));
  } catch {
    throw new UsageError(`${options.input}: not a JSON file`);
  }
  // A policy input, or a logged entry (its `input`).
  const input = (
    raw !== null && typeof raw === 'object' && 'input' in raw ? raw.input : raw
  ) as PolicyInput;
  const bundleFile = options.bundle ?? `${PROJECT_ROOT}/policies/dist/bundle.tar.gz`;
  const bundle = await readBundle(bundleFile, options);
  const engine = await WasmPolicyEngine.load(bundle, MEMORY);
  const explained = engine.explain(input) as Explanation | undefined;
  if (explained === undefined) {
    process.stderr.write('the policy gave no explanation for this input\n');
    return EXIT.failed;
  }
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(explained, null, 2)}\n`);
    return EXIT.ok;
  }
  const { decision } = explained;
  const lines = [
    `bundle: revision ${bundle.revision}, build ${String(bundle.build)}`,
    `decision: ${decision.allow ? 'allow' : 'deny'} (reasons: ${decision.reasons.join(', ')})${decision.break_glass ? ', break-glass' : ''}`,
    explained.deny_rules.length === 0
      ? 'deny rules that fired: none'
      : `deny rules that fired: ${explained.deny_rules.join(', ')}`,
    `grant: ${explained.grant_rule ?? '-'}`,
    `access mode: ${explained.read_mode ?? '-'}`,
  ];
  const fields = Object.entries(explained.fields);
  if (fields.length > 0) {
    lines.push(
      decision.allow
        ? 'fields:'
        : 'fields (what the access mode would give; denied, nothing is served):',
    );
    for (const [name, field] of fields.sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`  ${name.padEnd(18)} ${(field.class ?? 'unknown').padEnd(13)} ${field.action}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
