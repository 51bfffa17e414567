import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { TransparencyLog } from '../../src/audit-log/transparency-log.js';
import { jcs } from '../../src/platform/encoding/jcs.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { residencyCli, tlogCheck } from '../harness/processes.js';
import { recordPath, type CreatedSubject } from '../harness/subjects.js';
import { TestGateway } from '../harness/test-gateway.js';
import { TestRegions } from '../harness/test-regions.js';

interface Receipt {
  region: string;
  decisionId: string;
  leafIndex: number;
  leaf: string;
  checkpoint: string;
  inclusion: { leafIndex: number; treeSize: number; hashes: string[] };
  verifierKey: string;
}

describe('audit: each region’s decision log is a transparency log', () => {
  let regions: TestRegions;
  let gateway: TestGateway;
  let feed: string;
  const auditors = new Map<string, string>();
  const auditorOf = (region: string): string =>
    auditors.get(region === 'us-west-2' ? 'us-east-1' : region) ?? '';
  let dir: string;
  const subjects: CreatedSubject[] = [];
  const decisionsByRegion = new Map<string, string[]>();

  const track = (region: string, response: { headers: Headers }): void => {
    const id = response.headers.get('x-decision-id');
    assert.ok(id !== null, 'a decided request carries X-Decision-Id');
    decisionsByRegion.set(region, [...(decisionsByRegion.get(region) ?? []), ...id.split(', ')]);
  };

  before(async () => {
    dir = mkdtempSync(join(harnessWorkDir(), 'audit-'));
    regions = await TestRegions.create();
    gateway = await TestGateway.start({ regions });
    feed = await gateway.token({ service: 'svc:feed', region: 'eu-central-1', roles: ['service'] });
    // Logs about a jurisdiction's data are read from that jurisdiction.
    for (const region of ['us-east-1', 'eu-central-1'])
      auditors.set(
        region,
        await gateway.token({ service: 'svc:audit', region, roles: ['auditor'] }),
      );
    // One subject in each region (placement within the US is random, so keep drawing).
    for (let i = 0; i < 40 && subjects.length < 3; i++) {
      const country = subjects.some((s) => s.homeRegion === 'eu-central-1') ? 'US' : 'DE';
      const response = await gateway.request<CreatedSubject>('POST', '/v1/subjects', {
        token: feed,
        body: { country },
      });
      track(response.body.homeRegion, response);
      if (!subjects.some((s) => s.homeRegion === response.body.homeRegion))
        subjects.push(response.body);
    }
    assert.equal(subjects.length, 3);
    for (const subject of subjects) {
      const path = recordPath(subject.subjectId, 'profile', 'main');
      track(
        subject.homeRegion,
        await gateway.request('PUT', path, {
          token: feed,
          body: { displayName: 'marker-dn-81f2', email: 'marker-81f2@example.org' },
        }),
      );
      track(subject.homeRegion, await gateway.request('GET', path, { token: feed }));
      track(
        subject.homeRegion,
        await gateway.request(
          'GET',
          `${recordPath(subject.subjectId, 'direct_message', 'x')}?fields=body`,
          { token: feed },
        ),
      );
      track(
        subject.homeRegion,
        await gateway.request('GET', recordPath(subject.subjectId, 'profile', 'absent'), {
          token: feed,
        }),
      );
    }
    await gateway.integrate();
  });
  after(async () => {
    await gateway.close();
    await regions.drop();
  });

  it('writes exactly one entry per decision, in the region that holds the data, as canonical OPA decision-log JSON', async () => {
    for (const region of regions.regions) {
      const rows = await regions.query<{ decision_id: string; leaf: Buffer }>(
        region.id,
        "SELECT decision_id::text AS decision_id, leaf FROM audit_entries WHERE action NOT LIKE 'policy.%' ORDER BY id",
      );
      assert.deepEqual(
        rows.map((r) => r.decision_id).sort(),
        [...(decisionsByRegion.get(region.id) ?? [])].sort(),
        `${region.id} holds exactly the decisions about its data`,
      );
      for (const row of rows) {
        const text = row.leaf.toString('utf8');
        const entry = JSON.parse(text) as Record<string, unknown>;
        assert.equal(jcs(entry), text, 'the leaf is the entry’s RFC 8785 canonical JSON');
        assert.deepEqual(Object.keys(entry).sort(), [
          'bundles',
          'custom',
          'decision_id',
          'input',
          'labels',
          'path',
          'region',
          'result',
          'timestamp',
        ]);
        assert.equal(entry['region'], region.id);
        assert.deepEqual(entry['labels'], { id: 'test-gateway', region: region.id });
        assert.ok(!text.includes('marker-'), 'no record value reaches the log');
      }
    }
  });

  it('integrates every entry into signed checkpoints that Go’s sumdb/tlog code verifies: root, inclusion, consistency', async () => {
    for (const region of regions.regions) {
      const note = await gateway.request<string>(
        'GET',
        `/v1/audit/checkpoint?region=${region.id}`,
        {
          token: auditorOf(region.id),
        },
      );
      assert.equal(note.status, 200);
      assert.match(note.headers.get('content-type') ?? '', /^text\/plain/);
      const [origin, size, root] = note.text.split('\n');
      assert.equal(origin, `residency-gateway/${region.id}`);
      // Auditors' own reads are decisions too: the tree holds at least everything tracked.
      assert.ok(Number(size) >= (decisionsByRegion.get(region.id)?.length ?? 0));
      const listed = await gateway.request<{
        regions: { verifierKey: string; treeSize: number }[];
      }>('GET', `/v1/audit/checkpoints?region=${region.id}`, { token: auditorOf(region.id) });
      const vkey = listed.body.regions[0]?.verifierKey ?? '';
      assert.match(vkey, new RegExp(`^residency-gateway/${region.id}\\+[0-9a-f]{8}\\+`));

      // The Go checker recomputes the root from the leaves the API serves.
      const entries = await gateway.request<{ entries: { index: number; leaf: string }[] }>(
        'GET',
        `/v1/audit/entries?region=${region.id}&start=0&count=${String(size)}`,
        { token: auditorOf(region.id) },
      );
      assert.deepEqual(
        entries.body.entries.map((e) => e.index),
        [...Array(Number(size)).keys()],
      );
      const leavesFile = join(dir, `${region.id}.leaves`);
      writeFileSync(leavesFile, entries.body.entries.map((e) => e.leaf).join('\n') + '\n');
      const rootCheck = await tlogCheck(['root', leavesFile]);
      assert.equal(rootCheck.code, 0, rootCheck.stderr);
      assert.deepEqual(JSON.parse(rootCheck.stdout), { treeSize: Number(size), root });

      // Every decision's receipt verifies with the Go checker, offline, under the vkey.
      for (const decisionId of decisionsByRegion.get(region.id) ?? []) {
        const receipt = await gateway.request<Receipt>(
          'GET',
          `/v1/audit/receipts/${decisionId}?region=${region.id}`,
          {
            token: auditorOf(region.id),
          },
        );
        assert.equal(receipt.status, 200, receipt.text);
        assert.equal(receipt.body.region, region.id);
        const file = join(dir, `${decisionId}.json`);
        writeFileSync(file, receipt.text);
        const checked = await tlogCheck(['receipt', '--vkey', vkey, file]);
        assert.equal(checked.code, 0, checked.stderr);
      }
    }

    // Consistency: an early checkpoint of us-east-1 and the latest, proven by the gateway,
    // checked by Go's tlog.CheckTree.
    const region = 'us-east-1';
    const first = await regions.query<{ tree_size: string; note: string }>(
      region,
      'SELECT tree_size::text, note FROM audit_checkpoints ORDER BY tree_size LIMIT 1',
    );
    const latest = await regions.query<{ tree_size: string; note: string }>(
      region,
      'SELECT tree_size::text, note FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1',
    );
    const [older, newer] = [first[0], latest[0]];
    assert.ok(older !== undefined && newer !== undefined);
    assert.ok(Number(older.tree_size) < Number(newer.tree_size), 'several checkpoints were signed');
    const proof = await gateway.request<{ hashes: string[] }>(
      'GET',
      `/v1/audit/proofs/consistency?region=${region}&from=${older.tree_size}&to=${newer.tree_size}`,
      { token: auditorOf(region) },
    );
    assert.equal(proof.status, 200, proof.text);
    writeFileSync(join(dir, 'old.note'), older.note);
    writeFileSync(join(dir, 'new.note'), newer.note);
    writeFileSync(join(dir, 'proof.json'), proof.text);
    const vkey = gateway.app.get(TransparencyLog).verifierKey(region);
    const consistent = await tlogCheck([
      'consistency',
      '--vkey',
      vkey,
      '--old',
      join(dir, 'old.note'),
      '--new',
      join(dir, 'new.note'),
      '--proof',
      join(dir, 'proof.json'),
    ]);
    assert.equal(consistent.code, 0, consistent.stderr);
  });

  it('answers 202 for a receipt until the decision is integrated; the CLI proves it and checks it offline', async () => {
    const log = gateway.app.get(TransparencyLog);
    await log.onApplicationShutdown(); // integrators paused
    const subject = subjects[0] as CreatedSubject;
    const read = await gateway.request('GET', recordPath(subject.subjectId, 'profile', 'main'), {
      token: feed,
    });
    const decisionId = read.headers.get('x-decision-id') ?? '';
    const pending = await gateway.request('GET', `/v1/audit/receipts/${decisionId}`, {
      token: auditorOf(subject.homeRegion),
    });
    assert.equal(pending.status, 202);
    assert.equal(pending.headers.get('retry-after'), '1');
    log.onApplicationBootstrap();
    await gateway.integrate();

    const file = join(dir, 'cli-receipt.json');
    const proved = await residencyCli(gateway, [
      'audit',
      'prove',
      '--decision',
      decisionId,
      '--out',
      file,
    ]);
    assert.equal(proved.code, 0, proved.stderr);
    const vkey = log.verifierKey(subject.homeRegion);
    const checked = await residencyCli(gateway, ['audit', 'verify-receipt', file, '--vkey', vkey]);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stderr, /receipt verified/);
    const goChecked = await tlogCheck(['receipt', '--vkey', vkey, file]);
    assert.equal(goChecked.code, 0, goChecked.stderr);

    // A receipt for another decision's leaf, or under another region's key, does not verify.
    const receipt = JSON.parse(readFileSync(file, 'utf8')) as Receipt;
    const forged = join(dir, 'forged-receipt.json');
    writeFileSync(
      forged,
      JSON.stringify({ ...receipt, decisionId: decisionsByRegion.get(subject.homeRegion)?.[0] }),
    );
    assert.equal(
      (await residencyCli(gateway, ['audit', 'verify-receipt', forged, '--vkey', vkey])).code,
      1,
    );
    const otherKey = log.verifierKey(
      subject.homeRegion === 'eu-central-1' ? 'us-east-1' : 'eu-central-1',
    );
    assert.equal(
      (await residencyCli(gateway, ['audit', 'verify-receipt', file, '--vkey', otherKey])).code,
      1,
    );
  });

  it('lets auditors search by subject (queries that disclosed it included), page and export, and nobody else', async () => {
    const eu = subjects.find((s) => s.homeRegion === 'eu-central-1') as CreatedSubject;
    await gateway.request('PUT', recordPath(eu.subjectId, 'direct_message', 'q1'), {
      token: feed,
      body: { senderId: 'u-audit-9', body: 'marker-body' },
    });
    const query = await gateway.request<{ regions: Record<string, { decisionId: string }> }>(
      'POST',
      '/v1/query',
      {
        token: feed,
        body: {
          collection: 'direct_message',
          where: { senderId: 'u-audit-9' },
          jurisdictions: ['EU'],
        },
      },
    );
    assert.equal(query.status, 200, query.text);
    const queryDecision = query.body.regions['eu-central-1']?.decisionId;

    const search = async (params: string) =>
      gateway.request<{
        items: { decision_id: string; leaf_index: number | null; input: { action: string } }[];
        nextCursor: string | null;
      }>('GET', `/v1/audit/decisions?region=eu-central-1&${params}`, {
        token: auditorOf('eu-central-1'),
      });
    const bySubject = await search(`subject=${eu.subjectId}`);
    assert.equal(bySubject.status, 200, bySubject.text);
    assert.ok(
      bySubject.body.items.some((item) => item.decision_id === queryDecision),
      'the query that returned the subject is found under the subject',
    );
    // Cross-border content reads were denied in the US regions, and only there.
    const denied = await gateway.request<{ items: { result: { allow: boolean } }[] }>(
      'GET',
      '/v1/audit/decisions?region=us-east-1&allowed=false',
      { token: auditorOf('us-east-1') },
    );
    assert.ok(denied.body.items.length > 0);
    assert.ok(denied.body.items.every((item) => !item.result.allow));

    const existing = await regions.query<{ decision_id: string }>(
      'eu-central-1',
      'SELECT decision_id::text AS decision_id FROM audit_entries',
    );
    const seen: string[] = [];
    let cursor: string | null = '0';
    while (cursor !== null) {
      const page = await search(`limit=2&cursor=${cursor}`);
      seen.push(...page.body.items.map((i) => i.decision_id));
      cursor = page.body.nextCursor;
    }
    // Every page read is itself logged (after it read), so the log grows while we page.
    for (const { decision_id } of existing)
      assert.ok(seen.includes(decision_id), 'paged past none');
    assert.equal(new Set(seen).size, seen.length, 'no entry twice across pages');

    const exported = await gateway.request<string>('GET', '/v1/audit/export?region=eu-central-1', {
      token: auditorOf('eu-central-1'),
    });
    assert.equal(exported.status, 200);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { decision_id: string });
    assert.ok(lines.some((line) => line.decision_id === queryDecision));

    const cli = await residencyCli(gateway, ['audit', 'export', '--region', 'eu-central-1']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.ok(cli.stdout.trim().split('\n').length >= lines.length);

    for (const path of [
      '/v1/audit/decisions?region=eu-central-1',
      '/v1/audit/checkpoint?region=eu-central-1',
    ]) {
      const refused = await gateway.request<{ code: string; reasons: string[] }>('GET', path, {
        token: feed,
      });
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.body.reasons, ['auditor_role_required']);
    }
  });

  it('lets the gateway’s database role append to the log but never change it; the owner is stopped by a trigger', async () => {
    const region = regions.get('eu-central-1');
    const runtime = new pg.Client({ connectionString: region.databaseUrl });
    await runtime.connect();
    try {
      for (const sql of [
        "UPDATE audit_entries SET action = 'nothing'",
        'DELETE FROM audit_entries',
        'DELETE FROM audit_leaves',
        'UPDATE audit_tree SET hash = hash',
        'DELETE FROM audit_checkpoints',
        'TRUNCATE audit_entries CASCADE',
      ]) {
        await assert.rejects(runtime.query(sql), /permission denied/, sql);
      }
    } finally {
      await runtime.end();
    }
    for (const sql of [
      "UPDATE audit_entries SET action = 'nothing'",
      'DELETE FROM audit_leaves',
      'DELETE FROM audit_checkpoints',
    ]) {
      await assert.rejects(regions.query('eu-central-1', sql), /append-only/, `owner: ${sql}`);
    }
  });

  it('verifies each region’s log through the API and the CLI, leaf by leaf against the checkpoint sink', async () => {
    for (const region of regions.regions) {
      const api = await gateway.request<{
        ok: boolean;
        treeSize: number;
        outsideLeafHashes: number;
        storedCheckpoints: number;
      }>('GET', `/v1/audit/verify?region=${region.id}`, { token: auditorOf(region.id) });
      assert.equal(api.status, 200, api.text);
      assert.equal(api.body.ok, true, api.text);
      assert.ok(api.body.storedCheckpoints > 0);
      assert.equal(
        api.body.outsideLeafHashes,
        api.body.treeSize,
        'every leaf checked against the sink',
      );
      const cli = await residencyCli(gateway, ['audit', 'verify', '--region', region.id]);
      assert.equal(cli.code, 0, cli.stderr);
      assert.equal((JSON.parse(cli.stdout) as { ok: boolean }).ok, true);
    }
    const nothingOutside = await residencyCli(gateway, [
      'audit',
      'verify',
      '--region',
      'us-west-2',
      '--no-sink',
    ]);
    assert.equal(nothingOutside.code, 0);
    assert.match(nothingOutside.stderr, /cannot be ruled out/);
  });

  it('a failed audit append makes the access fail, and the data is unchanged', async () => {
    const subject = subjects.find((s) => s.homeRegion === 'us-west-2') as CreatedSubject;
    const path = recordPath(subject.subjectId, 'profile', 'main');
    await regions.query(
      subject.homeRegion,
      `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$;
       CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION refuse_audit();`,
    );
    try {
      const write = await gateway.request<{ code: string }>('PUT', path, {
        token: feed,
        body: { displayName: 'never-written' },
      });
      assert.equal(write.status, 503);
      assert.equal(write.body.code, 'audit_unavailable');
      const read = await gateway.request('GET', path, { token: feed });
      assert.equal(read.status, 503, 'a read that cannot be logged is not served either');
    } finally {
      await regions.query(
        subject.homeRegion,
        'DROP TRIGGER refuse_audit ON audit_entries; DROP FUNCTION refuse_audit();',
      );
    }
    const after = await gateway.request<{ data: { displayName: string } }>('GET', path, {
      token: feed,
    });
    assert.equal(after.body.data.displayName, 'marker-dn-81f2');
  });
});
