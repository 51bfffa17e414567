import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { CheckpointSigner } from '../../src/audit-log/checkpoint-signer.js';
import { TransparencyLog } from '../../src/audit-log/transparency-log.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import {
  alterLeaf,
  alterSubjectColumn,
  asInsider,
  deleteAndRehash,
  truncate,
  wipe,
} from '../harness/insider.js';
import { residencyCli, runProcess, type Finished } from '../harness/processes.js';
import { createSubject, recordPath } from '../harness/subjects.js';
import { TestGateway } from '../harness/test-gateway.js';

/**
 * Someone with the database owner's credentials rewrites a region's audit log. Each rewrite is
 * caught by the API and the CLI, naming the first leaf that does not hold, using what was kept
 * outside the store (a witness's state, the checkpoint sink) when the store alone is consistent.
 */

const REGION = 'eu-central-1';

interface Report {
  ok: boolean;
  problem?: string;
  firstBadIndex?: number;
  treeSize: number;
  cannotRuleOut?: string;
}

let witnessKey: string;
let witnessVkey: string;
let dir: string;

/** A gateway with a fresh log of about a dozen EU entries, integrated and in the sink. */
async function freshLog(): Promise<{ gateway: TestGateway; auditor: string; size: number }> {
  const gateway = await TestGateway.start({ env: { GATEWAY_AUDIT_WITNESSES: witnessVkey } });
  const feed = await gateway.token({ service: 'svc:feed', region: REGION, roles: ['service'] });
  const auditor = await gateway.token({ service: 'svc:audit', region: REGION, roles: ['auditor'] });
  const subject = await createSubject(gateway, feed, 'DE');
  for (let i = 0; i < 5; i++) {
    const path = recordPath(subject.subjectId, 'profile', `p${String(i)}`);
    await gateway.request('PUT', path, { token: feed, body: { displayName: `n${String(i)}` } });
    await gateway.request('GET', path, { token: feed });
  }
  await gateway.integrate();
  const size = await treeSize(gateway);
  return { gateway, auditor, size };
}

async function treeSize(gateway: TestGateway): Promise<number> {
  const rows = await gateway.regions.query<{ n: string }>(
    REGION,
    'SELECT count(*)::text AS n FROM audit_leaves',
  );
  return Number(rows[0]?.n);
}

async function apiVerify(
  gateway: TestGateway,
  auditor: string,
  checkpoints: string[] = [],
): Promise<Report> {
  const response = await gateway.request<Report>('POST', '/v1/audit/verify', {
    token: auditor,
    body: { region: REGION, checkpoints },
  });
  assert.equal(response.status, 200, response.text);
  return response.body;
}

async function cliVerify(
  gateway: TestGateway,
  args: string[] = [],
): Promise<Finished & { report: Report }> {
  const result = await residencyCli(gateway, ['audit', 'verify', '--region', REGION, ...args]);
  return { ...result, report: JSON.parse(result.stdout) as Report };
}

async function witness(gateway: TestGateway, auditor: string, state: string): Promise<Finished> {
  const tokenFile = join(dir, `token-${String(process.hrtime.bigint())}`);
  writeFileSync(tokenFile, auditor);
  return residencyCli(gateway, [
    'audit',
    'witness',
    '--region',
    REGION,
    '--gateway',
    gateway.url,
    '--state',
    state,
    '--key',
    witnessKey,
    '--name',
    'test-witness.example',
    '--token-file',
    tokenFile,
  ]);
}

/** Pauses the gateway's integrators while the insider rewrites, then lets them rebuild. */
async function whilePaused(gateway: TestGateway, rewrite: () => Promise<void>): Promise<void> {
  const log = gateway.app.get(TransparencyLog);
  await log.onApplicationShutdown();
  await rewrite();
  log.onApplicationBootstrap();
  await gateway.integrate();
}

describe('audit: rewrites of the log are caught, at the exact leaf', () => {
  before(async () => {
    dir = mkdtempSync(join(harnessWorkDir(), 'tamper-'));
    witnessKey = join(dir, 'witness.pem');
    const created = await runProcess(process.execPath, [
      join(PROJECT_ROOT, 'bin', 'residency-gateway.mjs'),
      'audit',
      'witness-key',
      '--name',
      'test-witness.example',
      '--out',
      witnessKey,
    ]);
    assert.equal(created.code, 0, created.stderr);
    witnessVkey = created.stdout.trim();
  });

  it('an altered filter column and an altered entry: reported with their indices, no outside evidence needed', async () => {
    const { gateway, auditor } = await freshLog();
    try {
      await alterSubjectColumn(gateway.regions, REGION, 5);
      let api = await apiVerify(gateway, auditor);
      assert.deepEqual([api.ok, api.problem, api.firstBadIndex], [false, 'altered', 5]);
      await alterLeaf(gateway.regions, REGION, 3);
      api = await apiVerify(gateway, auditor);
      assert.deepEqual([api.ok, api.problem, api.firstBadIndex], [false, 'altered', 3]);
      const cli = await cliVerify(gateway, ['--no-sink']);
      assert.equal(cli.code, 1, cli.stderr);
      assert.deepEqual([cli.report.problem, cli.report.firstBadIndex], ['altered', 3]);
      assert.match(cli.stderr, /does NOT verify: altered at leaf 3/);
    } finally {
      await gateway.close();
    }
  });

  it('a deleted entry with the rest re-hashed and every checkpoint re-signed: caught by the witness state and, at the exact leaf, by the checkpoint sink', async () => {
    const { gateway, auditor } = await freshLog();
    const state = join(dir, 'deleted.state.json');
    try {
      const witnessed = await witness(gateway, auditor, state);
      assert.equal(witnessed.code, 0, witnessed.stderr);
      await whilePaused(gateway, () => deleteAndRehash(gateway.regions, REGION, 4));

      // The store alone is consistent again: verify passes, and says what it cannot rule out.
      const alone = await cliVerify(gateway, ['--no-sink']);
      assert.equal(alone.code, 0, alone.stderr);
      assert.match(alone.report.cannotRuleOut ?? '', /cannot be ruled out/);

      const withWitness = await cliVerify(gateway, ['--no-sink', '--witness-state', state]);
      assert.equal(withWitness.code, 1);
      assert.equal(withWitness.report.ok, false);
      const witnessed2 = await witness(gateway, auditor, state);
      assert.equal(witnessed2.code, 1, 'the witness refuses to cosign the rewritten log');
      assert.match(witnessed2.stderr, /WITNESS REFUSES TO COSIGN/);

      const cli = await cliVerify(gateway);
      assert.equal(cli.code, 1);
      assert.deepEqual([cli.report.problem, cli.report.firstBadIndex], ['altered', 4]);
      const api = await apiVerify(gateway, auditor, [
        (JSON.parse(readFileSync(state, 'utf8')) as { checkpoint: string }).checkpoint,
      ]);
      assert.deepEqual([api.ok, api.problem, api.firstBadIndex], [false, 'altered', 4]);
    } finally {
      await gateway.close();
    }
  });

  it('a truncated log with its head rewound: the first missing leaf, from the witness state and from the sink', async () => {
    const { gateway, auditor } = await freshLog();
    const state = join(dir, 'truncated.state.json');
    try {
      assert.equal((await witness(gateway, auditor, state)).code, 0);
      await whilePaused(gateway, () => truncate(gateway.regions, REGION, 6));
      const cli = await cliVerify(gateway, ['--no-sink', '--witness-state', state]);
      assert.equal(cli.code, 1);
      assert.deepEqual([cli.report.problem, cli.report.firstBadIndex], ['truncated', 6]);
      const api = await apiVerify(gateway, auditor);
      assert.deepEqual([api.ok, api.problem, api.firstBadIndex], [false, 'truncated', 6]);
    } finally {
      await gateway.close();
    }
  });

  it('a wiped log: truncated at leaf 0', async () => {
    const { gateway, auditor } = await freshLog();
    const state = join(dir, 'wiped.state.json');
    try {
      assert.equal((await witness(gateway, auditor, state)).code, 0);
      await whilePaused(gateway, () => wipe(gateway.regions, REGION));
      const cli = await cliVerify(gateway, ['--no-sink', '--witness-state', state]);
      assert.deepEqual(
        [cli.code, cli.report.problem, cli.report.firstBadIndex],
        [1, 'truncated', 0],
        cli.stdout + cli.stderr,
      );
      const api = await apiVerify(gateway, auditor);
      assert.deepEqual(
        [api.ok, api.problem, api.firstBadIndex],
        [false, 'truncated', 0],
        JSON.stringify(api),
      );
    } finally {
      await gateway.close();
    }
  });

  it('a forked tree — a second, different checkpoint of the same size, also signed — is refused by the witness and caught by verify', async () => {
    const { gateway, auditor } = await freshLog();
    const state = join(dir, 'fork.state.json');
    try {
      assert.equal((await witness(gateway, auditor, state)).code, 0);
      const seen = JSON.parse(readFileSync(state, 'utf8')) as { size: number };
      // The insider holds the signing key: a checkpoint of the same size, another root, becomes
      // the latest the gateway serves.
      const forged = CheckpointSigner.fromFile(gateway.config.audit.signingKeyFile).sign(
        REGION,
        seen.size,
        randomBytes(32),
      );
      await whilePaused(gateway, () =>
        asInsider(gateway.regions, REGION, [
          `DELETE FROM audit_cosignatures WHERE tree_size >= ${String(seen.size)}`,
          `DELETE FROM audit_checkpoints WHERE tree_size >= ${String(seen.size)}`,
          `INSERT INTO audit_checkpoints (tree_size, root_hash, note) VALUES (${String(seen.size)}, decode('${Buffer.from(forged.split('\n')[2] ?? '', 'base64').toString('hex')}', 'hex'), '${forged}')`,
        ]),
      );
      const refused = await witness(gateway, auditor, state);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /FORK: a second, different checkpoint of size/);
      const api = await apiVerify(gateway, auditor);
      assert.equal(api.ok, false);
      // The forged checkpoint's root is not what the entries hash to (and the sink holds the
      // genuine checkpoint of that size).
      assert.ok(['altered', 'inconsistent'].includes(api.problem ?? ''), api.problem);
    } finally {
      await gateway.close();
    }
  });
});
