import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { verifyBundle } from '../../src/policy/bundle-verifier.js';
import type { PolicyCase, PolicyInput, PolicyResult } from '../../src/policy/decision.js';
import { WasmPolicyEngine } from '../../src/policy/wasm-policy-engine.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { run } from '../../tools/local-stack/child-process.js';
import { harnessWorkDir, opaBinary } from '../harness/harness-state.js';

const callers = [
  { service: 'svc:feed', region: 'us-east-1', jurisdiction: 'US', roles: ['service'] },
  { service: 'svc:feed', region: 'eu-central-1', jurisdiction: 'EU', roles: ['service'] },
  { service: 'svc:moderation', region: 'us-west-2', jurisdiction: 'US', roles: ['moderator'] },
  { service: 'svc:moderation', region: 'eu-central-1', jurisdiction: 'EU', roles: ['moderator'] },
  { service: 'svc:legal', region: 'eu-central-1', jurisdiction: 'EU', roles: ['legal'] },
  { service: 'svc:audit', region: 'us-east-1', jurisdiction: 'US', roles: ['auditor'] },
  { service: 'svc:recommendations', region: 'us-east-1', jurisdiction: 'US', roles: ['service'] },
  { service: 'svc:rogue', region: 'us-east-1', jurisdiction: 'US', roles: ['service', 'root'] },
  { service: 'svc:privacy', region: 'eu-central-1', jurisdiction: 'EU', roles: ['privacy'] },
];
const purposes = [
  'service-delivery',
  'recommendation',
  'moderation',
  'legal-process',
  'dsar',
  'curiosity',
  null,
];
const caseOf = (kind: string, status: string, namesSubject = true): PolicyCase => ({
  id: 'c1.us-east-1.0123456789abcdefghjkmnpqrs',
  kind,
  status,
  names_subject: namesSubject,
  jurisdiction: 'US',
  opened_by: 'svc:trust-safety',
  ...(kind === 'legal-request'
    ? {
        requester: 'svc:legal',
        requester_jurisdiction: 'EU',
        expires_at: '2099-01-01T00:00:00.000Z',
      }
    : {}),
});
const cases = [
  null,
  caseOf('user-report', 'open'),
  caseOf('user-report', 'closed'),
  caseOf('legal-request', 'approved'),
  caseOf('legal-request', 'open'),
  caseOf('user-report', 'open', false),
];
const reads = [
  {
    collection: 'profile',
    fields: ['displayName', 'username', 'email', 'phone', 'birthDate', 'country', 'createdAt'],
  },
  {
    collection: 'direct_message',
    fields: ['conversationId', 'senderId', 'recipientId', 'body', 'sentAt'],
  },
  { collection: 'direct_message', fields: ['body'] },
  { collection: 'watch_event', fields: ['videoId', 'watchedMs'] },
  { collection: 'wallet', fields: ['balance'] },
  { collection: 'profile', fields: ['ssn'] },
];
const otherActions = [
  'write',
  'delete',
  'list',
  'subject.create',
  'subject.read',
  'subject.erase',
  'case.open',
  'case.read',
  'case.approve',
  'case.close',
  'audit.read',
  'policy.read',
  'export-all',
];

const SUBJECT = {
  subject: 's1.us-east-1.0123456789abcdefghjkmnpqrs',
  homeRegion: 'us-east-1',
  jurisdiction: 'US',
};

function input(
  caller: PolicyInput['caller'],
  action: string,
  purpose: string | null,
  kase: PolicyCase | null,
  read: { collection: string; fields: string[] },
): PolicyInput {
  return {
    caller,
    action,
    purpose,
    case: kase,
    resource: { ...SUBJECT, ...read },
    now: '2026-11-26T12:00:00Z',
  };
}

/**
 * Inputs that walk every rule: every caller with every purpose (with the case that purpose
 * relies on), then every caller against the edge cases: other resources, other cases, and the
 * non-read actions.
 */
function generateInputs(): PolicyInput[] {
  const inputs: PolicyInput[] = [];
  const profile = reads[0] ?? { collection: 'profile', fields: [] };
  for (const [c, caller] of callers.entries()) {
    for (const purpose of purposes) {
      const kase =
        purpose === 'moderation' ? cases[1] : purpose === 'legal-process' ? cases[3] : null;
      inputs.push(input(caller, 'read', purpose, kase ?? null, reads[c % 2] ?? profile));
    }
    for (const [r, read] of reads.entries()) {
      inputs.push(
        input(caller, 'read', purposes[r % 3] ?? null, cases[r % cases.length] ?? null, read),
      );
    }
    for (const [a, action] of otherActions.entries()) {
      if (a % callers.length !== c && a % callers.length !== (c + 4) % callers.length) continue;
      inputs.push(
        input(
          caller,
          action,
          purposes[a % purposes.length] ?? null,
          cases[a % cases.length] ?? null,
          profile,
        ),
      );
    }
  }
  return inputs;
}

describe('differential: the gateway’s wasm evaluation agrees with the OPA CLI', () => {
  it('returns identical decisions for every generated input', async () => {
    const inputs = generateInputs();
    assert.ok(inputs.length >= 50, `only ${String(inputs.length)} inputs`);

    const bundle = await verifyBundle(
      readFileSync(join(PROJECT_ROOT, 'policies', 'dist', 'bundle.tar.gz')),
      createPublicKey(
        readFileSync(join(PROJECT_ROOT, 'policies', 'keys', 'dev-bundle-signing.pub.pem')),
      ),
    );
    const engine = await WasmPolicyEngine.load(bundle, { initialPages: 16, maximumPages: 256 });
    const wasm = inputs.map((input) => engine.evaluate(input));

    const inputFile = join(harnessWorkDir(), `differential-${String(process.pid)}.json`);
    writeFileSync(inputFile, JSON.stringify({ inputs }));
    const opa = opaBinary();
    const output = await run(
      opa,
      [
        'eval',
        '--format',
        'json',
        '--bundle',
        'policies/bundle',
        '--input',
        inputFile,
        '[d | some inp in input.inputs; d := data.residency.decision with input as inp]',
      ],
      { cwd: PROJECT_ROOT },
    );
    const cli = (JSON.parse(output) as { result: { expressions: { value: PolicyResult[] }[] }[] })
      .result[0]?.expressions[0]?.value;
    assert.ok(cli);
    assert.equal(cli.length, inputs.length);

    const allowed = wasm.filter((d) => d.allow).length;
    assert.ok(
      allowed > 10 && allowed < inputs.length - 10,
      `the inputs should mix allows and denies (${String(allowed)} allowed)`,
    );
    const reasons = new Set(wasm.flatMap((d) => d.reasons));
    for (const reason of [
      'read_full',
      'read_excepted',
      'read_recommendation',
      'unknown_purpose',
      'purpose_not_granted',
      'unknown_role',
    ]) {
      assert.ok(reasons.has(reason), `no input exercised ${reason}`);
    }
    inputs.forEach((input, i) => {
      assert.deepEqual(wasm[i], cli[i], `input ${String(i)} differs: ${JSON.stringify(input)}`);
    });
  });
});
