import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readTarGz } from '../../src/policy/bundle-archive.js';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { buildBundle, committedBuild } from '../harness/bundles.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath } from '../harness/subjects.js';
import { writeTarGz } from '../harness/tar.js';
import { TestRegions } from '../harness/test-regions.js';

const COMMITTED = join(PROJECT_ROOT, 'policies', 'dist', 'bundle.tar.gz');

interface PolicyStatus {
  loaded: boolean;
  revision: string | null;
  bundleHash: string | null;
  loadedAt: string | null;
  lastRejection: { reason: string } | null;
}

/** The committed bundle with one file replaced or removed (signature left as it was). */
function forged(change: (files: Map<string, Buffer>) => void): Buffer {
  const files = readTarGz(readFileSync(COMMITTED));
  change(files);
  return writeTarGz(files);
}

async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('policy bundles: verified before use, hot-reloaded, failing closed', () => {
  let dir: string;
  let regions: TestRegions;

  before(async () => {
    dir = mkdtempSync(join(harnessWorkDir(), 'bundles-'));
    regions = await TestRegions.create();
  });
  after(async () => {
    await regions.drop();
  });

  async function gatewayWith(bundleFile: string): Promise<TestGateway> {
    return TestGateway.start({
      regions,
      env: { GATEWAY_POLICY_BUNDLE: bundleFile, GATEWAY_POLICY_RELOAD_SECONDS: '0.2' },
    });
  }

  async function expectFailClosed(bundle: Buffer | undefined, reason: string): Promise<void> {
    const file = join(dir, `${reason}-${String(Date.now())}.tar.gz`);
    if (bundle !== undefined) writeFileSync(file, bundle);
    const gateway = await gatewayWith(file);
    try {
      const token = await gateway.token();
      const status = await gateway.request<PolicyStatus>('GET', '/v1/policy', { token });
      assert.equal(status.body.loaded, false);
      assert.equal(status.body.lastRejection?.reason, reason);
      const decided = await gateway.request<{ code: string }>('POST', '/v1/subjects', {
        token,
        body: { country: 'US' },
      });
      assert.equal(decided.status, 503);
      assert.equal(decided.body.code, 'policy_unavailable');
      assert.equal((await gateway.request('GET', '/readyz')).status, 503);
      const rows = await regions.query('us-east-1', 'SELECT count(*)::int AS n FROM subjects');
      assert.equal(rows[0]?.['n'], 0, 'nothing was written without a policy');
    } finally {
      await gateway.close();
    }
  }

  it('a tampered bundle fails closed', async () => {
    await expectFailClosed(
      forged((files) => {
        const data = JSON.parse(files.get('data.json')?.toString() ?? '{}') as {
          residency: { roles: Record<string, { purposes: string[] }> };
        };
        data.residency.roles['auditor'] = { purposes: ['service-delivery', 'legal-process'] };
        files.set('data.json', Buffer.from(JSON.stringify(data)));
      }),
      'digest_mismatch',
    );
  });

  it('an unsigned bundle fails closed', async () => {
    await expectFailClosed(
      forged((files) => files.delete('.signatures.json')),
      'unsigned',
    );
  });

  it('a bundle with an extra unsigned file fails closed', async () => {
    await expectFailClosed(
      forged((files) => files.set('extra/data.json', Buffer.from('{"x":1}'))),
      'file_list_mismatch',
    );
  });

  it('a missing bundle fails closed', async () => {
    await expectFailClosed(undefined, 'unreadable');
  });

  it('hot reload picks up a new revision; a bad update keeps the last good one', async () => {
    const live = join(dir, 'live.tar.gz');
    copyFileSync(COMMITTED, live);
    const gateway = await gatewayWith(live);
    try {
      const token = await gateway.token();
      const status = async () =>
        (await gateway.request<PolicyStatus>('GET', '/v1/policy', { token })).body;
      const first = await status();
      assert.equal(first.loaded, true);
      assert.match(first.revision ?? '', /^src-[0-9a-f]{16}$/);
      assert.match(first.bundleHash ?? '', /^sha256:[0-9a-f]{64}$/);

      // A new, properly signed revision with a higher build number.
      const next = join(dir, 'next.tar.gz');
      await buildBundle(next, { build: committedBuild() + 1, revision: 'hot-reload-2' });
      renameSync(next, live);
      const reloaded = await waitFor(status, (s) => s.revision === 'hot-reload-2');
      assert.equal(reloaded.revision, 'hot-reload-2');
      assert.notEqual(reloaded.bundleHash, first.bundleHash);

      // A tampered update is refused; the last good bundle keeps deciding.
      writeFileSync(
        live,
        forged((files) => files.set('data.json', Buffer.from('{"residency":{}}'))),
      );
      const refused = await waitFor(status, (s) => s.lastRejection !== null);
      assert.equal(refused.lastRejection?.reason, 'digest_mismatch');
      assert.equal(refused.revision, 'hot-reload-2');
      const subject = await createSubject(gateway, token, 'US');
      const write = await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'p'), {
        token,
        body: { displayName: 'x' },
      });
      assert.equal(write.status, 201);
      assert.equal((await gateway.request('GET', '/readyz')).status, 200);
    } finally {
      await gateway.close();
    }
  });
});
