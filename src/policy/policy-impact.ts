import type { PolicyInput, PolicyResult } from './decision.js';

/** A decision as logged: what was asked, what was answered, by which bundle. */
export interface RecordedDecision {
  readonly decisionId: string;
  readonly region: string;
  readonly input: PolicyInput;
  readonly result: PolicyResult;
  readonly revision: string;
}

/** How a decision changes under the candidate bundle. */
export type FlipKind = 'allow_to_deny' | 'deny_to_allow' | 'field_change';

/**
 * One kind of change: `rule` is the deny rule(s) that now deny (allow → deny), the rule(s) that
 * denied before (deny → allow), or `field: before → after` (a field action that changes).
 */
export interface FlipGroup {
  readonly kind: FlipKind;
  readonly rule: string;
  readonly count: number;
  /** Up to {@link SAMPLE_SIZE} decision ids, to look the decisions up in the log. */
  readonly sample: readonly string[];
}

export interface ImpactReport {
  /** Decisions replayed against the candidate. */
  readonly replayed: number;
  /** Decisions whose outcome (allow, or a field action) changes. */
  readonly changed: number;
  readonly groups: readonly FlipGroup[];
  /** Bundle revisions that made the recorded decisions, with counts. */
  readonly recordedRevisions: Readonly<Record<string, number>>;
}

export const SAMPLE_SIZE = 5;

/** Whatever decides an input: the candidate bundle (or a baseline) in wasm. */
export type Decide = (input: PolicyInput) => PolicyResult;

/**
 * Replays recorded decision inputs against a candidate and groups every decision that flips:
 * allow → deny (by the rules that now deny), deny → allow (by the rules that denied), and any
 * field whose action changes. Compared with the recorded result, or with a `baseline` bundle
 * replayed the same way (to see one bundle's change alone over a log made by several).
 */
export class ImpactAnalysis {
  private replayed = 0;
  private changed = 0;
  private readonly groups = new Map<
    string,
    { kind: FlipKind; rule: string; count: number; sample: string[] }
  >();
  private readonly revisions = new Map<string, number>();

  constructor(
    private readonly candidate: Decide,
    private readonly baseline?: Decide,
  ) {}

  add(recorded: RecordedDecision): void {
    this.replayed++;
    this.revisions.set(recorded.revision, (this.revisions.get(recorded.revision) ?? 0) + 1);
    const before = this.baseline === undefined ? recorded.result : this.baseline(recorded.input);
    const after = this.candidate(recorded.input);
    const flips = flipsOf(before, after);
    if (flips.length === 0) return;
    this.changed++;
    for (const flip of flips) {
      const key = `${flip.kind}\u0000${flip.rule}`;
      let group = this.groups.get(key);
      if (group === undefined) {
        group = { ...flip, count: 0, sample: [] };
        this.groups.set(key, group);
      }
      group.count++;
      if (group.sample.length < SAMPLE_SIZE) group.sample.push(recorded.decisionId);
    }
  }

  report(): ImpactReport {
    return {
      replayed: this.replayed,
      changed: this.changed,
      groups: [...this.groups.values()].sort(
        (a, b) => b.count - a.count || a.kind.localeCompare(b.kind) || a.rule.localeCompare(b.rule),
      ),
      recordedRevisions: Object.fromEntries(this.revisions),
    };
  }
}

function flipsOf(before: PolicyResult, after: PolicyResult): { kind: FlipKind; rule: string }[] {
  if (before.allow && !after.allow)
    return [{ kind: 'allow_to_deny', rule: [...after.reasons].sort().join(' + ') }];
  if (!before.allow && after.allow)
    return [{ kind: 'deny_to_allow', rule: [...before.reasons].sort().join(' + ') }];
  if (!after.allow) return [];
  const flips: { kind: FlipKind; rule: string }[] = [];
  for (const field of new Set([...Object.keys(before.fields), ...Object.keys(after.fields)])) {
    // A field the decision does not list is redacted by the gateway.
    const was = before.fields[field] ?? 'redact';
    const now = after.fields[field] ?? 'redact';
    if (was !== now) flips.push({ kind: 'field_change', rule: `${field}: ${was} → ${now}` });
  }
  return flips;
}

/** A flip someone said would happen (`--expect`): kind and rule, exactly as reported. */
export interface ExpectedFlip {
  readonly kind: FlipKind;
  readonly rule: string;
}

/** The groups of a report no expectation lists. */
export function unexpectedFlips(
  report: ImpactReport,
  expected: readonly ExpectedFlip[],
): FlipGroup[] {
  const listed = new Set(expected.map((flip) => `${flip.kind}\u0000${flip.rule}`));
  return report.groups.filter((group) => !listed.has(`${group.kind}\u0000${group.rule}`));
}

const KINDS = new Set<FlipKind>(['allow_to_deny', 'deny_to_allow', 'field_change']);

/** Parses an `--expect` file: `{"flips": [{"kind": "allow_to_deny", "rule": "..."}]}`. */
export function parseExpectedFlips(text: string): ExpectedFlip[] {
  const parsed = JSON.parse(text) as { flips?: unknown };
  if (!Array.isArray(parsed.flips)) throw new Error('an expect file holds {"flips": [...]}');
  return parsed.flips.map((flip: Partial<ExpectedFlip>, i) => {
    if (typeof flip.kind !== 'string' || !KINDS.has(flip.kind) || typeof flip.rule !== 'string')
      throw new Error(
        `flips[${String(i)}]: needs kind (allow_to_deny, deny_to_allow, field_change) and rule`,
      );
    return { kind: flip.kind, rule: flip.rule };
  });
}
