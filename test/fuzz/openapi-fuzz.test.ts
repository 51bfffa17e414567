import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { HOOKS_DIR, ensureSchemathesis } from '../../tools/fuzz/schemathesis.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { createSubject, recordPath } from '../harness/subjects.js';
import { TestGateway } from '../harness/test-gateway.js';

/**
 * Property-based fuzzing of the whole HTTP API from docs/openapi.json with schemathesis,
 * against a running gateway on real stores: no 5xx, every error problem+json with a stable
 * code, no response that violates the documented schema. Kept short in `npm test` (60 s + 30 s);
 * `FUZZ_SECONDS=900 FUZZ_EXAMPLES=500 npm run test:fuzz` for a longer run on demand.
 */
const EXAMPLES = process.env['FUZZ_EXAMPLES'] ?? '25';
const SECONDS = process.env['FUZZ_SECONDS'] ?? '60';

interface Finished {
  code: number | null;
  output: string;
}

async function runCli(cli: string, args: readonly string[]): Promise<Finished> {
  const child = spawn(cli, args, {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      PYTHONPATH: HOOKS_DIR,
      SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}

describe('OpenAPI fuzzing (schemathesis)', () => {
  let gateway: TestGateway;
  let cli: string;

  before(async () => {
    cli = await ensureSchemathesis((message) => process.stdout.write(`fuzz: ${message}\n`));
    gateway = await TestGateway.start();
    // Something to find: a subject with records, so path parameters can hit real rows.
    const token = await gateway.token();
    const subject = await createSubject(gateway, token, 'US');
    await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'main'), {
      token,
      body: { displayName: 'Fuzz', username: 'fuzz', email: 'fuzz@example.org' },
    });
  });
  after(async () => {
    await gateway.close();
  });

  /** One schemathesis run as one caller; returns the number of generated cases. */
  async function fuzz(token: string, purpose: string, seconds: string, only?: string) {
    const reports = mkdtempSync(join(harnessWorkDir(), 'fuzz-'));
    const result = await runCli(cli, [
      'run',
      join(PROJECT_ROOT, 'docs', 'openapi.json'),
      '--url',
      gateway.url,
      '--header',
      `Authorization: Bearer ${token}`,
      '--header',
      `X-Purpose: ${purpose}`,
      ...(only === undefined ? [] : ['--include-path-regex', only]),
      '--checks',
      'not_a_server_error,content_type_conformance,response_schema_conformance,errors_are_problem_json',
      '--max-examples',
      EXAMPLES,
      '--max-time',
      seconds,
      '--seed',
      '20261127',
      '--generation-database',
      'none',
      // One worker: hypothesis's generators in threads hit a CPython 3.11 ast.parse race
      // ("AST constructor recursion depth mismatch"), a fuzzer crash that is not our API's.
      '--workers',
      '1',
      '--report',
      'junit',
      '--report-dir',
      reports,
      '--no-color',
    ]);
    process.stdout.write(`${result.output.split('\n').slice(-25).join('\n')}\n`);
    assert.equal(result.code, 0, result.output.slice(-6000));
    const generated = /(\d+) generated/.exec(result.output);
    process.stdout.write(`fuzz: ${generated?.[1] ?? '?'} cases generated\n`);
    return Number(generated?.[1] ?? 0);
  }

  it('as a service: no server error, no error outside problem+json, no response off its schema', async () => {
    const token = await gateway.token({
      service: 'svc:fuzz',
      region: 'us-east-1',
      roles: ['service'],
    });
    assert.ok((await fuzz(token, 'service-delivery', SECONDS)) > 0);
  });

  it('as an auditor, on the audit routes: the same', async () => {
    const token = await gateway.token({
      service: 'svc:fuzz-audit',
      region: 'us-east-1',
      roles: ['auditor'],
    });
    const seconds = String(Math.max(20, Math.round(Number(SECONDS) / 2)));
    assert.ok((await fuzz(token, 'service-delivery', seconds, '^/v1/audit')) > 0);
  });
});
