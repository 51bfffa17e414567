import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DecryptCommand, GenerateDataKeyCommand, ReEncryptCommand } from '@aws-sdk/client-kms';
import { AwsRegionKms } from '../../src/keys/aws-region-kms.js';
import { KeyRewrapJob } from '../../src/keys/key-rewrap.job.js';
import { ForeignKmsKeyError } from '../../src/keys/kms.errors.js';
import { KmsRegistry } from '../../src/keys/kms-registry.js';
import { RegionKeysRepository } from '../../src/keys/region-keys.repository.js';
import { SubjectKeysRepository } from '../../src/keys/subject-keys.repository.js';
import { GatewayMetrics } from '../../src/platform/metrics/gateway-metrics.js';
import { RegionRouter } from '../../src/regions/region-router.js';
import { freePort } from '../../tools/local-stack/free-port.js';
import { MotoKmsServer, ensureMoto } from '../../tools/local-stack/moto-kms-server.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';
import { TEST_REGIONS, TestRegions } from '../harness/test-regions.js';

const decrypts = (region: string): string =>
  `gateway_kms_calls_total{region="${region}",operation="Decrypt"}`;

describe('regional KMS keys', () => {
  let euKms: MotoKmsServer;
  let regions: TestRegions;
  let gateway: TestGateway;
  let token: string;
  let subject: CreatedSubject;

  before(async () => {
    // eu-central-1 gets a KMS of its own, so this test can stop it.
    euKms = await MotoKmsServer.start({
      python: await ensureMoto(() => undefined),
      port: await freePort(),
      logFile: join(harnessWorkDir(), `moto-eu-${String(process.pid)}.log`),
    });
    regions = await TestRegions.create(TEST_REGIONS, {
      'eu-central-1': { kmsEndpoint: euKms.endpoint },
    });
    gateway = await TestGateway.start({ regions });
    token = await gateway.token({ region: 'us-east-1' });
    subject = await createSubject(gateway, token, 'US');
    await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'main'), {
      token,
      body: { displayName: 'cached' },
    });
  });
  after(async () => {
    await gateway.close();
    await regions.drop();
    await euKms.stop();
  });

  it('stores only the wrapped key, under the home region’s KMS key', async () => {
    const [row] = await regions.query<{ wrapped_key: Buffer; kms_key_id: string }>(
      subject.homeRegion,
      'SELECT wrapped_key, kms_key_id FROM subject_keys WHERE subject_id = $1',
      [subject.subjectId],
    );
    assert.ok(row);
    assert.equal(row.kms_key_id, regions.get(subject.homeRegion).kmsKeyId);
    assert.ok(row.wrapped_key.length > 32, 'a wrapped key, not a bare 32-byte key');
  });

  it('many reads of one subject make at most one KMS call', async () => {
    // A second gateway starts with an empty key cache.
    const fresh = await TestGateway.start({ regions, keys: gateway.keys });
    try {
      const before = await fresh.metric(decrypts(subject.homeRegion));
      const reads = await Promise.all(
        Array.from({ length: 40 }, () =>
          fresh.request('GET', recordPath(subject.subjectId, 'profile', 'main'), { token }),
        ),
      );
      assert.ok(reads.every((r) => r.status === 200));
      for (let i = 0; i < 10; i++) {
        assert.equal(
          (await fresh.request('GET', recordPath(subject.subjectId, 'profile', 'main'), { token }))
            .status,
          200,
        );
      }
      assert.equal((await fresh.metric(decrypts(subject.homeRegion))) - before, 1);
    } finally {
      await fresh.close();
    }
  });

  it('a region’s KMS client refuses another key id before any request leaves the process', async () => {
    let connections = 0;
    const connectionCount = (): number => connections;
    const listener: Server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    const port = await freePort();
    await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
    try {
      const usEast = regions.get('us-east-1');
      const kms = new AwsRegionKms(
        { ...usEast, kmsEndpoint: `http://127.0.0.1:${String(port)}` },
        { kmsTimeoutMs: 500, staticCredentials: undefined },
        new GatewayMetrics(),
      );
      const foreign = regions.get('eu-central-1').kmsKeyId;
      await assert.rejects(
        kms.client.send(new GenerateDataKeyCommand({ KeyId: foreign, KeySpec: 'AES_256' })),
        ForeignKmsKeyError,
      );
      await assert.rejects(
        kms.client.send(new DecryptCommand({ KeyId: foreign, CiphertextBlob: Buffer.alloc(64) })),
        ForeignKmsKeyError,
      );
      await assert.rejects(
        kms.client.send(new DecryptCommand({ CiphertextBlob: Buffer.alloc(64) })),
        ForeignKmsKeyError,
      );
      // Without a SourceKeyId, KMS would decrypt under whatever key the ciphertext names.
      await assert.rejects(
        kms.client.send(
          new ReEncryptCommand({
            CiphertextBlob: Buffer.alloc(64),
            DestinationKeyId: usEast.kmsKeyId,
          }),
        ),
        ForeignKmsKeyError,
      );
      assert.equal(connectionCount(), 0, 'a refused request reached the network');
      // The pinned key itself does go out (and fails against this fake endpoint).
      await assert.rejects(
        kms.client.send(
          new DecryptCommand({ KeyId: usEast.kmsKeyId, CiphertextBlob: Buffer.alloc(64) }),
        ),
      );
      assert.ok(connectionCount() > 0);
    } finally {
      listener.close();
    }
  });

  it('re-wraps every subject key without touching records, resumably', async () => {
    const others = await Promise.all(
      Array.from({ length: 6 }, () => createSubject(gateway, token, 'US')),
    );
    for (const other of others) {
      await gateway.request('PUT', recordPath(other.subjectId, 'watch_event', 'w'), {
        token,
        body: { videoId: other.subjectId.slice(-6) },
      });
    }
    const region = subject.homeRegion;
    const keyRows = (): Promise<{ subject_id: string; wrapped_key: Buffer }[]> =>
      regions.query(region, 'SELECT subject_id, wrapped_key FROM subject_keys ORDER BY subject_id');
    const recordRows = (): Promise<{ envelope: Buffer }[]> =>
      regions.query(region, 'SELECT envelope FROM records ORDER BY subject_id, record_id');
    const keysBefore = await keyRows();
    const recordsBefore = await recordRows();
    assert.ok(keysBefore.length >= 2);

    const metrics = new GatewayMetrics();
    const router = gateway.app.get(RegionRouter);
    const job = new KeyRewrapJob(
      router,
      KmsRegistry.fromConfig(gateway.config, metrics),
      new SubjectKeysRepository(),
      new RegionKeysRepository(),
    );
    const first = await job.run(region, { batchSize: 1, concurrency: 2, maxKeys: 1 });
    assert.equal(first.finished, false);
    assert.equal(first.rewrapped, 1);
    const second = await job.run(region, { batchSize: 2, concurrency: 2 });
    assert.equal(second.resumed, true);
    assert.equal(second.jobId, first.jobId);
    assert.equal(second.finished, true);
    assert.equal(second.rewrapped, keysBefore.length);

    const keysAfter = await keyRows();
    assert.deepEqual(
      keysAfter.map((k) => k.subject_id),
      keysBefore.map((k) => k.subject_id),
    );
    keysAfter.forEach((key, i) => {
      assert.ok(
        !key.wrapped_key.equals(keysBefore[i]?.wrapped_key ?? Buffer.alloc(0)),
        'every wrapped key changed',
      );
    });
    assert.deepEqual(await recordRows(), recordsBefore, 'no record was touched');

    const fresh = await TestGateway.start({ regions, keys: gateway.keys });
    try {
      assert.equal(
        (await fresh.request('GET', recordPath(subject.subjectId, 'profile', 'main'), { token }))
          .status,
        200,
      );
    } finally {
      await fresh.close();
    }
  });

  it('with the region’s KMS down: 503 kms_unavailable, and nothing written', async () => {
    const existing = await createSubject(gateway, token, 'DE');
    await euKms.stop();

    const created = await gateway.request<{ code: string; region: string }>(
      'POST',
      '/v1/subjects',
      { token, body: { country: 'DE' } },
    );
    assert.equal(created.status, 503);
    assert.equal(created.body.code, 'kms_unavailable');
    assert.equal(created.body.region, 'eu-central-1');
    const subjects = await regions.query<{ id: string }>('eu-central-1', 'SELECT id FROM subjects');
    assert.deepEqual(
      subjects.map((s) => s.id),
      [existing.subjectId],
    );

    const cold = await TestGateway.start({ regions, keys: gateway.keys });
    try {
      const write = await cold.request<{ code: string }>(
        'PUT',
        recordPath(existing.subjectId, 'profile', 'main'),
        { token, body: { displayName: 'x' } },
      );
      assert.equal(write.status, 503);
      assert.equal(write.body.code, 'kms_unavailable');
      assert.equal((await regions.query('eu-central-1', 'SELECT 1 FROM records')).length, 0);
      const ready = await cold.request<{
        status: string;
        regions: Record<string, { kms: string }>;
      }>('GET', '/readyz');
      assert.equal(
        ready.body.regions['eu-central-1']?.kms,
        'failing',
        'readiness shows the KMS as failing',
      );
      assert.equal(
        ready.status,
        200,
        'a KMS outage fails requests closed; it does not take the pod out',
      );
      // The US regions, with their own KMS, are unaffected.
      assert.equal(
        (await cold.request('POST', '/v1/subjects', { token, body: { country: 'US' } })).status,
        201,
      );
    } finally {
      await cold.close();
    }
  });
});
