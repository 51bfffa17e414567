import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { runProcess } from '../harness/processes.js';
import { recordingDecisions } from '../harness/test-regions.js';

const IMPACT = join(PROJECT_ROOT, 'policies', 'impact');
/** While `npm run policy:record` records the decisions this checks, there is nothing to check. */
const recording = recordingDecisions();

/**
 * The impact check CI runs on every change: the committed bundle replayed against the decisions
 * the end-to-end tests made (`npm run policy:record`). A policy change that flips a decision
 * fails here unless policies/impact/expected-flips.json lists it (or the decisions are
 * recorded again once the change is intended and reviewed).
 */
describe(
  'policy impact check: the committed bundle against the recorded decisions',
  { skip: recording },
  () => {
    it('the recorded decisions cover the policy: denials of every kind, grants, masked fields', () => {
      const entries = readFileSync(join(IMPACT, 'recorded-decisions.ndjson'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { result: { allow: boolean; reasons: string[] } });
      const reasons = new Set(entries.flatMap((e) => e.result.reasons));
      for (const reason of [
        'cross_border_protected_search',
        'cross_border_content_only',
        'purpose_not_granted',
        'two_person_rule',
        'read_full',
        'read_excepted',
        'legal_process_break_glass',
      ]) {
        assert.ok(reasons.has(reason), `the recorded decisions include ${reason}`);
      }
    });

    it('flips no decision the expect file does not list', async () => {
      const checked = await runProcess(process.execPath, [
        join(PROJECT_ROOT, 'bin', 'residency-gateway.mjs'),
        'policy',
        'impact',
        '--bundle',
        join(PROJECT_ROOT, 'policies', 'dist', 'bundle.tar.gz'),
        '--from-file',
        join(IMPACT, 'recorded-decisions.ndjson'),
        '--expect',
        join(IMPACT, 'expected-flips.json'),
      ]);
      assert.equal(checked.code, 0, checked.stdout + checked.stderr);
      assert.match(checked.stdout, /replayed: \d{2,} decisions/);
    });
  },
);
