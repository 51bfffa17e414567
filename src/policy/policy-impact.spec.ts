import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../platform/paths.js';
import type { PolicyInput, PolicyResult } from './decision.js';
import { isDevelopmentKey } from './development-key.js';
import { ImpactAnalysis, parseExpectedFlips, unexpectedFlips } from './policy-impact.js';

const input = (action: string): PolicyInput => ({
  caller: { service: 's', region: 'r', jurisdiction: 'US', roles: ['service'] },
  action,
  purpose: 'service-delivery',
  case: null,
  resource: {},
  now: '2026-11-27T00:00:00Z',
});

const allow = (fields: Record<string, 'allow' | 'redact'> = {}): PolicyResult => ({
  allow: true,
  reasons: ['permitted'],
  fields,
  break_glass: false,
});
const deny = (...reasons: string[]): PolicyResult => ({
  allow: false,
  reasons,
  fields: {},
  break_glass: false,
});

describe('ImpactAnalysis', () => {
  it('groups allow → deny by the rules that now deny, deny → allow by those that denied, and field changes', () => {
    const candidate = (i: PolicyInput): PolicyResult =>
      i.action === 'query'
        ? deny('b_rule', 'a_rule')
        : i.action === 'write'
          ? allow()
          : allow({ email: 'redact', name: 'allow' });
    const analysis = new ImpactAnalysis(candidate);
    const record = (id: string, action: string, result: PolicyResult): void => {
      analysis.add({ decisionId: id, region: 'r', input: input(action), result, revision: 'old' });
    };
    record('q1', 'query', allow());
    record('q2', 'query', allow());
    record('w1', 'write', deny('write_purpose'));
    record('r1', 'read', allow({ email: 'allow', name: 'allow' }));
    record('r2', 'read', allow({ email: 'redact', name: 'allow' }));
    const report = analysis.report();
    assert.equal(report.replayed, 5);
    assert.equal(report.changed, 4);
    assert.deepEqual(
      report.groups.map((g) => [g.kind, g.rule, g.count, g.sample]),
      [
        ['allow_to_deny', 'a_rule + b_rule', 2, ['q1', 'q2']],
        ['deny_to_allow', 'write_purpose', 1, ['w1']],
        ['field_change', 'email: allow → redact', 1, ['r1']],
      ],
    );
    assert.deepEqual(report.recordedRevisions, { old: 5 });
  });

  it('compares with a baseline bundle instead of the logged results when given one', () => {
    const analysis = new ImpactAnalysis(
      () => deny('x'),
      () => deny('x'),
    );
    analysis.add({
      decisionId: 'd',
      region: 'r',
      input: input('read'),
      result: allow(),
      revision: 'o',
    });
    assert.equal(analysis.report().changed, 0);
  });

  it('flags flips an expect file does not list, and rejects malformed expect files', () => {
    const analysis = new ImpactAnalysis(() => deny('new_rule'));
    analysis.add({
      decisionId: 'd',
      region: 'r',
      input: input('read'),
      result: allow(),
      revision: 'o',
    });
    const report = analysis.report();
    assert.equal(unexpectedFlips(report, []).length, 1);
    const expected = parseExpectedFlips('{"flips":[{"kind":"allow_to_deny","rule":"new_rule"}]}');
    assert.deepEqual(unexpectedFlips(report, expected), []);
    assert.throws(() => parseExpectedFlips('{"flips":[{"kind":"maybe","rule":"x"}]}'), /kind/);
  });
});

describe('development key', () => {
  it('recognizes the committed development key, and no other', () => {
    const dev = createPublicKey(
      readFileSync(join(PROJECT_ROOT, 'policies', 'keys', 'dev-bundle-signing.pub.pem')),
    );
    assert.equal(isDevelopmentKey(dev), true);
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.equal(isDevelopmentKey(publicKey), false);
  });
});
