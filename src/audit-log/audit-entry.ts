import { jcs } from '../platform/encoding/jcs.js';
import type { Decision, PolicyInput } from '../policy/decision.js';

export const DECISION_PATH = 'residency/decision';
export const BUNDLE_NAME = 'residency';

/**
 * One decision in OPA's decision-log shape (`decision_id`, `timestamp`, `path`, `input`,
 * `result`, `bundles`, `custom`, `labels`), plus the `region` whose log holds it and, for an access that
 * returned data of subjects it did not name (a query), `disclosed_subjects`. It keeps who asked,
 * for what, why, and what was decided; never record contents, keys or tokens: the policy input
 * holds field names, not values.
 */
export interface DecisionLogEntry {
  readonly decision_id: string;
  readonly timestamp: string;
  readonly path: string;
  readonly input: PolicyInput;
  readonly result: {
    readonly allow: boolean;
    readonly reasons: readonly string[];
    readonly fields: Readonly<Record<string, string>>;
    readonly break_glass: boolean;
  };
  readonly bundles: Readonly<Record<string, { readonly revision: string }>>;
  /**
   * OPA's free-form `custom` member: the signed build number of the bundle that decided (with
   * `bundles`, which bundle was in force). Entries logged before build numbers have none.
   */
  readonly custom?: { readonly bundle_build: number };
  readonly labels: { readonly id: string; readonly region: string };
  readonly region: string;
  readonly disclosed_subjects?: readonly string[];
}

export function entryFor(
  decision: Decision,
  region: string,
  instanceId: string,
  disclosedSubjects: readonly string[] = [],
): DecisionLogEntry {
  return {
    decision_id: decision.decisionId,
    timestamp: new Date().toISOString(),
    path: DECISION_PATH,
    input: decision.input,
    result: {
      allow: decision.allow,
      reasons: decision.reasons,
      fields: decision.fields,
      break_glass: decision.break_glass,
    },
    bundles: { [BUNDLE_NAME]: { revision: decision.revision } },
    custom: { bundle_build: decision.build },
    labels: { id: instanceId, region },
    region,
    ...(disclosedSubjects.length === 0 ? {} : { disclosed_subjects: [...disclosedSubjects] }),
  };
}

/** The leaf: the exact bytes of the entry's RFC 8785 canonical JSON. */
export function leafOf(entry: DecisionLogEntry): Buffer {
  return Buffer.from(jcs(entry), 'utf8');
}

/**
 * The columns kept beside each leaf for auditors' filters. They are copies of the leaf's
 * content, derived by this one function when writing and when verifying: a column that
 * disagrees with its leaf was altered (a filtered read could otherwise hide an access).
 */
export interface EntryColumns {
  readonly decisionId: string;
  readonly loggedAt: string;
  readonly callerService: string;
  readonly callerJurisdiction: string | null;
  readonly subjectIds: readonly string[];
  readonly action: string;
  readonly purpose: string | null;
  readonly allowed: boolean;
  readonly breakGlass: boolean;
  readonly bundleRevision: string;
}

export function columnsOf(entry: DecisionLogEntry): EntryColumns {
  const subject = entry.input.resource.subject;
  const subjects = new Set([
    ...(subject === undefined ? [] : [subject]),
    ...(entry.disclosed_subjects ?? []),
  ]);
  return {
    decisionId: entry.decision_id,
    loggedAt: entry.timestamp,
    callerService: entry.input.caller.service,
    callerJurisdiction: entry.input.caller.jurisdiction,
    subjectIds: [...subjects].sort(),
    action: entry.input.action,
    purpose: entry.input.purpose,
    allowed: entry.result.allow,
    breakGlass: entry.result.break_glass,
    bundleRevision: entry.bundles[BUNDLE_NAME]?.revision ?? '',
  };
}

/** Separates packed column values (a control character no value holds). */
export const COLUMN_SEPARATOR = '\u001f';
/** Stands for NULL in packed columns. */
export const COLUMN_NULL = '\u001e';

/**
 * The filter columns as one string, the form verification compares: the store packs its
 * columns the same way in SQL (`LogStore.verificationPage`), and any difference means a column
 * no longer says what its leaf says.
 */
export function packColumns(columns: EntryColumns): string {
  return [
    columns.decisionId,
    new Date(columns.loggedAt).toISOString(),
    columns.callerService,
    columns.callerJurisdiction ?? COLUMN_NULL,
    columns.subjectIds.join('\u001d'),
    columns.action,
    columns.purpose ?? COLUMN_NULL,
    String(columns.allowed),
    String(columns.breakGlass),
    columns.bundleRevision,
  ].join(COLUMN_SEPARATOR);
}

/** A leaf decoded back into its entry; throws if it is not JSON in canonical form. */
export function decodeLeaf(leaf: Buffer): DecisionLogEntry {
  const text = leaf.toString('utf8');
  const entry = JSON.parse(text) as unknown;
  // Fast path: JSON.stringify re-emits members in the order parsed, with JCS's escaping and
  // number forms, so a text it reproduces whose members are sorted is canonical. Anything else
  // (integer-like keys, which JavaScript reorders) gets the full re-serialization.
  if (!(JSON.stringify(entry) === text && membersSorted(entry)) && jcs(entry) !== text)
    throw new Error('the leaf is not in canonical (RFC 8785) form');
  return entry as DecisionLogEntry;
}

function membersSorted(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(membersSorted);
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 1; i < keys.length; i++)
    if (!((keys[i - 1] as string) < (keys[i] as string))) return false;
  return keys.every((key) => membersSorted(record[key]));
}
