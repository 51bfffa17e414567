import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from '../../bench/bench-stack.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import type { ConsistencyReport } from './consistency-check.js';
import { HUNG_MS, type Sample } from './load.js';

/** One fault the suite injects, holds and heals. */
export interface Fault {
  readonly name: string;
  /** Which region's requests may fail: eu-central-1's, or none (the whole gateway keeps serving). */
  readonly affects: 'region' | 'none';
  /** What a failed affected request may take at most (its timeout), in ms. */
  readonly timeoutMs: number;
  inject(): Promise<void>;
  heal(): Promise<void>;
  /** After healing: why the fault did not have the effect it should have had, if it did not. */
  check?(): Promise<string | undefined>;
}

export interface FaultResult {
  readonly fault: string;
  readonly unaffectedSuccess: number;
  readonly baselineSuccess: number;
  readonly affectedRequests: number;
  readonly affectedFailures: number;
  readonly failureP99Ms: number;
  readonly failureMaxMs: number;
  readonly timeoutMs: number;
  readonly hung: number;
  readonly recoveryMs: number | undefined;
  readonly codes: Readonly<Record<string, number>>;
  readonly inFlight5xx?: number;
  /** What a fault's own check found wrong. */
  readonly problem?: string;
  readonly ok: boolean;
}

export const succeeded = (s: Sample): boolean => s.status > 0 && s.status < 500;

export function successRate(samples: readonly Sample[]): number {
  return samples.length === 0 ? 1 : samples.filter(succeeded).length / samples.length;
}

/** The earliest moment after healing from which every affected request succeeded. */
function recoveryMs(
  samples: readonly Sample[],
  affectedRegion: string,
  healedAt: number,
): number | undefined {
  const after = samples
    .filter((s) => s.region === affectedRegion && s.at - s.ms >= healedAt)
    .sort((a, b) => a.at - a.ms - (b.at - b.ms));
  let recovered: number | undefined;
  for (const sample of after) {
    if (!succeeded(sample)) recovered = undefined;
    else recovered ??= sample.at - sample.ms;
  }
  return recovered === undefined ? undefined : Math.max(0, recovered - healedAt);
}

/**
 * One fault's row: the requests that started while it was held, split into the affected
 * region's and the others', against the targets (others ≥ 99 % of their baseline success,
 * affected failures within the timeout + 100 ms at p99, nothing hung, back within
 * `recoveryTargetMs` of healing).
 */
export function measure(
  fault: Fault,
  samples: readonly Sample[],
  window: { from: number; to: number; healedAt: number },
  targets: { affectedRegion: string; baselineSuccess: number; recoveryTargetMs: number },
): FaultResult {
  const { affectedRegion: AFFECTED, baselineSuccess } = targets;
  const during = samples.filter((s) => s.at - s.ms >= window.from && s.at - s.ms <= window.to);
  const unaffected = during.filter((s) => fault.affects === 'none' || s.region !== AFFECTED);
  const affected = during.filter((s) => fault.affects === 'region' && s.region === AFFECTED);
  const failures = affected.filter((s) => !succeeded(s));
  const codes: Record<string, number> = {};
  for (const failure of failures) {
    const code = failure.code ?? String(failure.status);
    codes[code] = (codes[code] ?? 0) + 1;
  }
  const p99 = percentile(
    failures.map((s) => s.ms),
    99,
  );
  const recovery = recoveryMs(samples, AFFECTED, window.healedAt);
  const hung = during.filter((s) => s.ms >= HUNG_MS).length;
  const unaffectedSuccess = successRate(unaffected);
  return {
    fault: fault.name,
    unaffectedSuccess,
    baselineSuccess,
    affectedRequests: affected.length,
    affectedFailures: failures.length,
    failureP99Ms: Math.round(p99),
    failureMaxMs: Math.round(Math.max(0, ...failures.map((s) => s.ms))),
    timeoutMs: fault.timeoutMs,
    hung,
    recoveryMs: recovery === undefined ? undefined : Math.round(recovery),
    codes,
    ok:
      unaffectedSuccess >= 0.99 * baselineSuccess &&
      p99 <= fault.timeoutMs + 100 &&
      hung === 0 &&
      recovery !== undefined &&
      recovery <= targets.recoveryTargetMs,
  };
}

/** Prints the table and the consistency check, and writes bench/results/faults-*.json. */
export function report(
  results: readonly FaultResult[],
  consistency: ConsistencyReport,
  total: number,
  holdSeconds: number,
): void {
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  const rows = results.map((r) => ({
    fault: r.fault,
    'unaffected ok': `${pct(r.unaffectedSuccess)} (base ${pct(r.baselineSuccess)})`,
    'affected failed': `${String(r.affectedFailures)}/${String(r.affectedRequests)}`,
    'fail p99/max ms': `${String(r.failureP99Ms)}/${String(r.failureMaxMs)}`,
    'timeout ms': r.timeoutMs === 0 ? '—' : String(r.timeoutMs),
    hung: r.hung,
    'recovery ms': r.recoveryMs ?? 'never',
    'in-flight 5xx': r.inFlight5xx ?? '—',
    codes: Object.entries(r.codes)
      .map(([code, n]) => `${code}:${String(n)}`)
      .join(' '),
    target: r.ok ? 'met' : `MISSED${r.problem === undefined ? '' : `: ${r.problem}`}`,
  }));
  console.table(rows);
  console.log(
    [
      `requests: ${String(total)}`,
      `acknowledged writes lost: ${String(consistency.lostWrites)} of ${String(consistency.acknowledgedWrites)}`,
      `refused writes stored anyway: ${String(consistency.refusedButStored)} of ${String(consistency.refusedWrites - consistency.inDoubt)}`,
      `writes answered commit_outcome_unknown: ${String(consistency.inDoubt)} (${String(consistency.inDoubtApplied)} applied)`,
      `acknowledged accesses without their log entry: ${String(consistency.missingAuditEntries)} of ${String(consistency.acknowledgedDecisions)} ${JSON.stringify(consistency.missingByKind)}`,
      `records without their index entry: ${String(consistency.partialWrites)}`,
    ].join('\n'),
  );
  const dir = join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const body = JSON.stringify(
    { at: new Date().toISOString(), holdSeconds, results, consistency },
    null,
    2,
  );
  writeFileSync(join(dir, `faults-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), body);
  writeFileSync(join(dir, 'faults-latest.json'), body);
}
