import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { TransparencyLog } from '../../src/audit-log/transparency-log.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { LOCAL_AWS_CREDENTIALS } from '../../tools/local-stack/kms-keys.js';
import { harnessWorkDir, readHarnessState } from '../harness/harness-state.js';
import { residencyCli, runProcess, tlogCheck } from '../harness/processes.js';
import { createSubject, recordPath } from '../harness/subjects.js';
import { TestGateway } from '../harness/test-gateway.js';

const REGION = 'us-east-1';

/**
 * Witnesses outside the gateway: our CLI's witness and one written with transparency-dev's Go
 * library cosign the same checkpoints, each side verifying the other's output; the gateway
 * keeps the cosignatures and serves them, and its checkpoints also land in an S3 bucket.
 */
describe('audit: witnesses and the checkpoint sink outside the store', () => {
  let gateway: TestGateway;
  let auditor: string;
  let dir: string;
  let tsWitnessKey: string;
  let tsWitnessVkey: string;
  let goWitness: { skey: string; vkey: string };

  before(async () => {
    dir = mkdtempSync(join(harnessWorkDir(), 'witness-'));
    tsWitnessKey = join(dir, 'ts-witness.pem');
    const created = await runProcess(process.execPath, [
      join(PROJECT_ROOT, 'bin', 'residency-gateway.mjs'),
      'audit',
      'witness-key',
      '--name',
      'ts-witness.example',
      '--out',
      tsWitnessKey,
    ]);
    assert.equal(created.code, 0, created.stderr);
    tsWitnessVkey = created.stdout.trim();
    const go = await tlogCheck(['witness-key', '--name', 'go-witness.example']);
    assert.equal(go.code, 0, go.stderr);
    goWitness = JSON.parse(go.stdout) as { skey: string; vkey: string };

    // The sink is an S3 bucket on moto's S3 API (the same server as the local KMS).
    const endpoint = readHarnessState().kmsEndpoint;
    const bucket = `audit-${String(process.pid)}`;
    await new S3Client({
      region: REGION,
      endpoint,
      forcePathStyle: true,
      credentials: LOCAL_AWS_CREDENTIALS,
    }).send(new CreateBucketCommand({ Bucket: bucket }));
    gateway = await TestGateway.start({
      env: {
        GATEWAY_AUDIT_WITNESSES: `${tsWitnessVkey},${goWitness.vkey}`,
        GATEWAY_AUDIT_CHECKPOINT_SINK: `s3://${bucket}/checkpoints`,
        GATEWAY_AUDIT_SINK_S3_ENDPOINT: endpoint,
        GATEWAY_AUDIT_SINK_S3_REGION: REGION,
        GATEWAY_KMS_ACCESS_KEY_ID: LOCAL_AWS_CREDENTIALS.accessKeyId,
        GATEWAY_KMS_SECRET_ACCESS_KEY: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      },
    });
    const feed = await gateway.token({ service: 'svc:feed', region: REGION, roles: ['service'] });
    auditor = await gateway.token({ service: 'svc:audit', region: REGION, roles: ['auditor'] });
    for (let i = 0; i < 6; i++) {
      const subject = await createSubject(gateway, feed, 'US');
      await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'main'), {
        token: feed,
        body: { displayName: 'w' },
      });
    }
    await gateway.integrate();
  });
  after(async () => {
    await gateway.close();
  });

  it('our witness cosigns consistent checkpoints round after round; Go’s cosignature/v1 verifier accepts its cosignatures', async () => {
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, auditor);
    const state = join(dir, 'ts.state.json');
    const round = () =>
      residencyCli(gateway, [
        'audit',
        'witness',
        '--region',
        REGION,
        '--gateway',
        gateway.url,
        '--state',
        state,
        '--key',
        tsWitnessKey,
        '--name',
        'ts-witness.example',
        '--log-key',
        gateway.app.get(TransparencyLog).verifierKey(REGION),
        '--token-file',
        tokenFile,
      ]);
    const first = await round();
    assert.equal(first.code, 0, first.stderr);
    await gateway.integrate(); // the witness's own requests were logged: the tree grew
    // Paused, so the checkpoint the witness cosigns stays the latest while we look at it.
    const log = gateway.app.get(TransparencyLog);
    await log.onApplicationShutdown();
    const second = await round();
    assert.equal(second.code, 0, second.stderr);
    const report = JSON.parse(second.stdout) as { treeSize: number; previousSize: number };
    assert.ok(report.treeSize > report.previousSize, 'the second round proved consistency');

    const note = await gateway.request<string>('GET', `/v1/audit/checkpoint?region=${REGION}`, {
      token: auditor,
    });
    assert.match(note.text, /\n— ts-witness\.example /);
    writeFileSync(join(dir, 'cosigned.note'), note.text);
    const checked = await tlogCheck([
      'cosignature',
      '--vkey',
      gateway.app.get(TransparencyLog).verifierKey(REGION),
      '--witness',
      tsWitnessVkey,
      join(dir, 'cosigned.note'),
    ]);
    assert.equal(checked.code, 0, checked.stderr);
    log.onApplicationBootstrap();
  });

  it('accepts a cosignature made by Go’s cosignature/v1 signer, and refuses one from an unknown witness or on another checkpoint', async () => {
    const latest = await gateway.request<{ regions: { checkpoint: string; treeSize: number }[] }>(
      'GET',
      `/v1/audit/checkpoints?region=${REGION}`,
      { token: auditor },
    );
    // The checkpoint as the log signed it: its three lines, a blank line, the log's signature.
    const checkpoint = `${(latest.body.regions[0]?.checkpoint ?? '').split('\n').slice(0, 5).join('\n')}\n`;
    const noteFile = join(dir, 'latest.note');
    writeFileSync(noteFile, checkpoint);
    const cosigned = await tlogCheck(['cosign', '--skey', goWitness.skey, noteFile]);
    assert.equal(cosigned.code, 0, cosigned.stderr);
    const { note } = JSON.parse(cosigned.stdout) as { note: string };
    const posted = await gateway.request<{ witnesses: string[] }>(
      'POST',
      '/v1/audit/cosignatures',
      {
        token: auditor,
        body: { region: REGION, note },
      },
    );
    assert.equal(posted.status, 201, posted.text);
    assert.ok(posted.body.witnesses.includes('go-witness.example'));

    const stranger = await tlogCheck(['witness-key', '--name', 'stranger.example']);
    const strangerKey = (JSON.parse(stranger.stdout) as { skey: string }).skey;
    const unknown = JSON.parse(
      (await tlogCheck(['cosign', '--skey', strangerKey, noteFile])).stdout,
    ) as { note: string };
    const refused = await gateway.request<{ code: string }>('POST', '/v1/audit/cosignatures', {
      token: auditor,
      body: { region: REGION, note: unknown.note },
    });
    assert.deepEqual([refused.status, refused.body.code], [422, 'cosignature_rejected']);

    const moved = note.replace(/\n\d+\n/, '\n1\n');
    const wrongCheckpoint = await gateway.request<{ code: string }>(
      'POST',
      '/v1/audit/cosignatures',
      {
        token: auditor,
        body: { region: REGION, note: moved },
      },
    );
    assert.equal(wrongCheckpoint.status, 422);
  });

  it('keeps every signed round in the S3 bucket, and verify checks the log leaf by leaf against it', async () => {
    const verified = await gateway.request<{
      ok: boolean;
      treeSize: number;
      outsideLeafHashes: number;
      outsideCheckpoints: number;
    }>('GET', `/v1/audit/verify?region=${REGION}`, { token: auditor });
    assert.equal(verified.body.ok, true, verified.text);
    assert.ok(verified.body.outsideCheckpoints > 0);
    // The sink is written just after each round commits, so it may trail by the last round.
    assert.ok(verified.body.outsideLeafHashes > 0);
    assert.ok(verified.body.outsideLeafHashes <= verified.body.treeSize);
    const state = JSON.parse(readFileSync(join(dir, 'ts.state.json'), 'utf8')) as { size: number };
    assert.ok(verified.body.treeSize >= state.size);
  });
});
