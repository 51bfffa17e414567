import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DECISION_PATH, type DecisionLogEntry } from '../../src/audit-log/audit-entry.js';
import { verifyBundle } from '../../src/policy/bundle-verifier.js';
import type { PolicyInput } from '../../src/policy/decision.js';
import { WasmPolicyEngine } from '../../src/policy/wasm-policy-engine.js';
import { jcs } from '../../src/platform/encoding/jcs.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { BUNDLE_FILE, DEV_PUBLIC_KEY, POLICIES_DIR } from './policy-sources.js';

/** The decisions the policy impact check replays against every new bundle (checked in). */
export const RECORDED_DECISIONS = join(POLICIES_DIR, 'impact', 'recorded-decisions.ndjson');

const say = (message: string): void => {
  process.stderr.write(`[policy:record] ${message}\n`);
};

/**
 * `npm run policy:record`: runs the end-to-end tests with RESIDENCY_RECORD_DECISIONS set, so
 * every test store writes its decision log out before it is dropped, and keeps one decision of
 * each kind the committed bundle made (the same question and answer, whatever the subject, case
 * or time) in policies/impact/recorded-decisions.ndjson. Entries a test tampered with (their
 * logged result is not what the bundle answers) are left out.
 */
async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'recorded-decisions-'));
  try {
    say('running the end-to-end tests, recording their decisions ...');
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [join(PROJECT_ROOT, 'dist', 'test', 'harness', 'run-tests.js'), 'test/e2e/'],
        {
          cwd: PROJECT_ROOT,
          env: { ...process.env, RESIDENCY_RECORD_DECISIONS: dir },
          stdio: ['ignore', 'inherit', 'inherit'],
        },
      );
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error('the end-to-end tests failed: nothing recorded');

    const bundle = await verifyBundle(
      readFileSync(BUNDLE_FILE),
      createPublicKey(readFileSync(DEV_PUBLIC_KEY)),
    );
    const engine = await WasmPolicyEngine.load(bundle, { initialPages: 16, maximumPages: 1024 });
    const kept = new Map<string, string>();
    let seen = 0;
    let tampered = 0;
    for (const file of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (line === '') continue;
        let entry: DecisionLogEntry;
        try {
          entry = JSON.parse(line) as DecisionLogEntry;
        } catch {
          continue;
        }
        if (
          entry.path !== DECISION_PATH ||
          typeof entry.input.action !== 'string' ||
          entry.input.action.startsWith('policy.') ||
          entry.bundles['residency']?.revision !== bundle.revision
        )
          continue;
        seen++;
        const answer = engine.evaluate(entry.input);
        if (jcs(answer) !== jcs(entry.result)) {
          tampered++;
          continue;
        }
        const key = jcs({ input: shapeOf(entry.input), result: entry.result });
        if (!kept.has(key)) {
          kept.set(
            key,
            jcs({
              decision_id: entry.decision_id,
              path: entry.path,
              region: entry.region,
              input: entry.input,
              result: entry.result,
              bundles: entry.bundles,
            }),
          );
        }
      }
    }
    const lines = [...kept.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, l]) => l);
    writeFileSync(RECORDED_DECISIONS, `${lines.join('\n')}\n`);
    say(
      `${String(seen)} decisions of revision ${bundle.revision} (${String(tampered)} tampered by tests, left out); ${String(lines.length)} distinct kept in ${relative(PROJECT_ROOT, RECORDED_DECISIONS)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What makes two decisions the same question: everything but who the subject, case and time are. */
function shapeOf(input: PolicyInput): unknown {
  const resource: Record<string, unknown> = { ...input.resource };
  delete resource['subject'];
  return {
    ...input,
    now: undefined,
    resource,
    case: input.case === null ? null : { ...input.case, id: undefined },
  };
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
