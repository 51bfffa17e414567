import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { childEnv } from '../harness/harness-state.js';
import { TestGateway } from '../harness/test-gateway.js';
import { createSubject, recordPath, type CreatedSubject } from '../harness/subjects.js';
import { TestRegions } from '../harness/test-regions.js';

interface Verify {
  ok: boolean;
  entries: number;
  headSeq: number;
  firstBadSeq?: number;
  problem?: string;
}

/** Runs `npm run audit` (the compiled CLI) against the test stores. */
async function auditCli(
  gateway: TestGateway,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [join(PROJECT_ROOT, 'bin', 'residency-gateway.mjs'), 'audit', ...args],
    {
      env: childEnv({
        GATEWAY_TOPOLOGY: JSON.stringify({
          regions: gateway.regions.regions.map(({ id, jurisdiction, databaseUrl, kmsKeyId }) => ({
            id,
            jurisdiction,
            databaseUrl,
            kmsKeyId,
          })),
        }),
        GATEWAY_AUDIT_SIGNING_KEY_FILE: TestGateway.checkpointKeyFile(),
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}

describe('audit: a tamper-evident decision log per region', () => {
  let regions: TestRegions;
  let gateway: TestGateway;
  let feed: string;
  let auditor: string;
  const decisionsByRegion = new Map<string, string[]>();

  const track = (region: string, response: { headers: Headers }): void => {
    const id = response.headers.get('x-decision-id');
    assert.ok(id !== null, 'a decided request carries X-Decision-Id');
    decisionsByRegion.set(region, [...(decisionsByRegion.get(region) ?? []), id]);
  };

  before(async () => {
    regions = await TestRegions.create();
    gateway = await TestGateway.start({ regions });
    feed = await gateway.token({ service: 'svc:feed', region: 'eu-central-1', roles: ['service'] });
    auditor = await gateway.token({
      service: 'svc:audit',
      region: 'us-east-1',
      roles: ['auditor'],
    });
  });
  after(async () => {
    await gateway.close();
    await regions.drop();
  });

  const verifyApi = async (region: string, checkpoint?: string): Promise<Verify> => {
    const query = checkpoint === undefined ? '' : `&checkpoint=${encodeURIComponent(checkpoint)}`;
    const response = await gateway.request<Verify>(
      'GET',
      `/v1/audit/verify?region=${region}${query}`,
      { token: auditor },
    );
    assert.equal(response.status, 200, response.text);
    return response.body;
  };

  it('every decided request writes exactly one entry, in the region that holds the data', async () => {
    // One subject in each region (placement within the US is random, so keep drawing).
    const subjects: CreatedSubject[] = [];
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
    for (const region of regions.regions) {
      const rows = await regions.query<{ decision_id: string; entry: Record<string, unknown> }>(
        region.id,
        'SELECT decision_id::text AS decision_id, entry FROM audit_log ORDER BY seq',
      );
      assert.deepEqual(
        rows.map((r) => r.decision_id).sort(),
        [...(decisionsByRegion.get(region.id) ?? [])].sort(),
        `${region.id} holds exactly the decisions about its data`,
      );
      for (const row of rows) {
        assert.deepEqual(Object.keys(row.entry).sort(), [
          'bundles',
          'decision_id',
          'input',
          'labels',
          'path',
          'result',
          'timestamp',
        ]);
        assert.deepEqual(row.entry['labels'], { id: 'test-gateway', region: region.id });
        const text = JSON.stringify(row.entry);
        assert.doesNotMatch(text, /marker-/, 'an entry never holds record contents');
        assert.ok(!text.includes(feed), 'an entry never holds a token');
      }
    }
    const us = regions.regions.find((r) => r.id === 'us-east-1');
    assert.ok(us);
  });

  it('lets an auditor filter, page and export decisions, verify the chain, and read no record', async () => {
    const deniedItems: { result: { allow: boolean; reasons: string[] } }[] = [];
    for (const usRegion of ['us-east-1', 'us-west-2']) {
      const denied = await gateway.request<{
        items: { result: { allow: boolean; reasons: string[] } }[];
      }>('GET', `/v1/audit/decisions?region=${usRegion}&allowed=false&service=svc:feed`, {
        token: auditor,
      });
      assert.equal(denied.status, 200, denied.text);
      deniedItems.push(...denied.body.items);
    }
    assert.ok(deniedItems.length >= 1);
    assert.ok(deniedItems.every((item) => !item.result.allow));
    assert.ok(
      deniedItems.some((item) => item.result.reasons.includes('cross_border_content_only')),
    );
    const region = 'eu-central-1';

    const page = await gateway.request<{ items: { seq: number }[]; nextCursor: string | null }>(
      'GET',
      `/v1/audit/decisions?region=${region}&limit=2`,
      {
        token: auditor,
      },
    );
    assert.equal(page.body.items.length, 2);
    assert.ok(page.body.nextCursor !== null);
    const next = await gateway.request<{ items: { seq: number }[] }>(
      'GET',
      `/v1/audit/decisions?region=${region}&limit=2&cursor=${page.body.nextCursor}`,
      {
        token: auditor,
      },
    );
    assert.equal(next.body.items[0]?.seq, 3);

    const exported = await gateway.request<string>('GET', `/v1/audit/export?region=${region}`, {
      token: auditor,
    });
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get('content-type') ?? '', /ndjson/);
    const lines = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; hash: string; decision_id: string });
    assert.ok(lines.length >= 5);
    assert.deepEqual(
      lines.map((l) => l.seq),
      lines.map((_, i) => i + 1),
    );

    assert.deepEqual((await verifyApi(region)).ok, true);

    const subjectId =
      (await regions.query<{ id: string }>(region, 'SELECT id FROM subjects LIMIT 1'))[0]?.id ?? '';
    assert.equal(
      (await gateway.request('GET', recordPath(subjectId, 'profile', 'main'), { token: auditor }))
        .status,
      403,
    );
    const outsider = await gateway.request<{ code: string }>(
      'GET',
      `/v1/audit/decisions?region=${region}`,
      { token: feed },
    );
    assert.equal(outsider.status, 403);
    const logged = await regions.query<{ n: number }>(
      region,
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'audit.read' AND NOT allowed AND caller_service = 'svc:feed'",
    );
    assert.equal(logged[0]?.n, 1, 'the refused audit read is itself in the log');
  });

  it('an altered entry is reported by the API and the CLI with its seq', async () => {
    const region = 'us-east-1';
    await regions.query(
      region,
      `UPDATE audit_log SET entry = jsonb_set(entry, '{result,allow}', to_jsonb(NOT (entry #>> '{result,allow}')::boolean))
       WHERE seq = 3`,
    );
    const api = await verifyApi(region);
    assert.deepEqual([api.ok, api.firstBadSeq, api.problem], [false, 3, 'altered']);
    const cli = await auditCli(gateway, ['verify', '--region', region]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /broken at seq 3: altered/);
  });

  it('an altered filter column (whom an entry is about) is reported, so filtered reads cannot hide an access', async () => {
    const region = 'us-east-1';
    // The chain was already broken at seq 3 by the previous test; restore it to test this alone.
    await regions.query(
      region,
      `UPDATE audit_log SET entry = jsonb_set(entry, '{result,allow}', to_jsonb(NOT (entry #>> '{result,allow}')::boolean))
       WHERE seq = 3`,
    );
    assert.equal((await verifyApi(region)).ok, true);
    await regions.query(
      region,
      "UPDATE audit_log SET subject_id = 's1.us-east-1.zzzzzzzzzzzzzzzzzzzzzzzzzz' WHERE seq = 2",
    );
    const api = await verifyApi(region);
    assert.deepEqual([api.ok, api.firstBadSeq, api.problem], [false, 2, 'altered']);
  });

  it('a deleted middle entry is reported by the API and the CLI with its seq', async () => {
    const region = 'us-west-2';
    const before = await verifyApi(region);
    assert.ok(before.ok && before.entries >= 4, JSON.stringify(before));
    await regions.query(region, 'DELETE FROM audit_log WHERE seq = 2');
    const api = await verifyApi(region);
    assert.deepEqual([api.ok, api.firstBadSeq, api.problem], [false, 2, 'missing']);
    const cli = await auditCli(gateway, ['verify', '--region', region]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, /broken at seq 2: missing/);
  });

  it('a truncated tail is caught against a signed checkpoint an outside monitor kept', async () => {
    const region = 'eu-central-1';
    const signed = await gateway.request<{ seq: number; signature: string }>(
      'POST',
      `/v1/audit/checkpoints?region=${region}`,
      { token: auditor },
    );
    assert.equal(signed.status, 201, signed.text);
    const listed = await gateway.request<{
      publicKey: { kty: string };
      checkpoints: { seq: number }[];
    }>('GET', `/v1/audit/checkpoints?region=${region}`, {
      token: auditor,
    });
    assert.ok(listed.body.checkpoints.some((c) => c.seq === signed.body.seq));
    assert.equal(listed.body.publicKey.kty, 'OKP');

    // A careful attacker cuts the tail, rewinds the head and removes the stored checkpoints.
    const keep = signed.body.seq - 3;
    await regions.query(region, 'DELETE FROM audit_log WHERE seq > $1', [keep]);
    await regions.query(
      region,
      'UPDATE audit_head SET seq = $1, hash = (SELECT hash FROM audit_log WHERE seq = $1)',
      [keep],
    );
    await regions.query(region, 'DELETE FROM audit_checkpoints');
    const unaware = await auditCli(gateway, ['verify', '--region', region]);
    assert.equal(unaware.code, 0, 'without the kept checkpoint the cut is invisible');

    const cli = await auditCli(gateway, [
      'verify',
      '--region',
      region,
      '--checkpoint',
      signed.body.signature,
    ]);
    assert.equal(cli.code, 1);
    assert.match(cli.stderr, new RegExp(`broken at seq ${String(keep + 1)}: truncated`));
    const api = await verifyApi(region, signed.body.signature);
    assert.deepEqual([api.ok, api.firstBadSeq, api.problem], [false, keep + 1, 'truncated']);
  });

  it('a planted checkpoint that does not verify marks the log as not intact', async () => {
    const region = 'eu-central-1';
    await regions.query(
      region,
      "INSERT INTO audit_checkpoints (region, seq, hash, key_id, signature) VALUES ($1, 999999, '\\x00', 'x', 'eyJhbGciOiJFZERTQSJ9.e30.AAAA')",
      [region],
    );
    const api = await verifyApi(region);
    assert.equal(api.ok, false);
    assert.equal(api.problem, 'forged_checkpoint');
  });

  it('the CLI exports JSON lines without the server', async () => {
    const cli = await auditCli(gateway, ['export', '--region', 'us-east-1']);
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout.trim().split('\n');
    assert.ok(lines.length >= 5);
    assert.ok(
      lines.every((line) => (JSON.parse(line) as { path: string }).path === 'residency/decision'),
    );
  });
});

describe('audit: concurrency and failure', () => {
  let regions: TestRegions;
  let first: TestGateway;
  let second: TestGateway;
  let token: string;

  before(async () => {
    regions = await TestRegions.create();
    first = await TestGateway.start({ regions });
    second = await TestGateway.start({ regions, keys: first.keys });
    token = await first.token({ service: 'svc:feed', region: 'us-east-1', roles: ['service'] });
  });
  after(async () => {
    await first.close();
    await second.close();
    await regions.drop();
  });

  it('two gateways, hundreds of parallel decisions: every chain verifies and holds one entry per decision', async () => {
    const subjects = await Promise.all(
      ['US', 'US', 'DE', 'US', 'DE'].map((c) => createSubject(first, token, c)),
    );
    for (const s of subjects)
      await first.request('PUT', recordPath(s.subjectId, 'watch_event', 'w'), {
        token,
        body: { videoId: 'v' },
      });
    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const gateway = i % 2 === 0 ? first : second;
        const subject = subjects[i % subjects.length] ?? subjects[0];
        if (subject === undefined) throw new Error('no subject');
        return i % 5 === 0
          ? gateway.request('PUT', recordPath(subject.subjectId, 'watch_event', `w${String(i)}`), {
              token,
              body: { videoId: 'v' },
            })
          : gateway.request('GET', recordPath(subject.subjectId, 'watch_event', 'w'), { token });
      }),
    );
    assert.ok(responses.every((r) => r.status === 200 || r.status === 201));
    const auditor = await first.token({
      service: 'svc:audit',
      region: 'us-east-1',
      roles: ['auditor'],
    });
    let total = 0;
    for (const region of regions.regions) {
      const [row] = await regions.query<{ n: number }>(
        region.id,
        'SELECT count(*)::int AS n FROM audit_log',
      );
      total += row?.n ?? 0;
      const verified = await first.request<Verify>('GET', `/v1/audit/verify?region=${region.id}`, {
        token: auditor,
      });
      assert.equal(verified.body.ok, true, `${region.id}: ${verified.text}`);
    }
    // 5 creations + 5 writes + 300 parallel decisions (the verify calls are logged after counting).
    assert.equal(total, 310);
  });

  it('a failed audit append makes the access fail, and the data is unchanged', async () => {
    const subject = await createSubject(first, token, 'US');
    const path = recordPath(subject.subjectId, 'profile', 'main');
    assert.equal(
      (await first.request('PUT', path, { token, body: { displayName: 'before' } })).status,
      201,
    );
    await regions.query(
      subject.homeRegion,
      `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log is read-only'; END $$;
       CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit();`,
    );
    try {
      const write = await first.request<{ code: string }>('PUT', path, {
        token,
        body: { displayName: 'after' },
      });
      assert.equal(write.status, 503);
      assert.equal(write.body.code, 'audit_unavailable');
      const read = await first.request('GET', path, { token });
      assert.equal(read.status, 503, 'an unaudited read is refused too');
    } finally {
      await regions.query(
        subject.homeRegion,
        'DROP TRIGGER refuse_audit ON audit_log; DROP FUNCTION refuse_audit();',
      );
    }
    const read = await first.request<{ version: number; data: { displayName: string } }>(
      'GET',
      path,
      { token },
    );
    assert.deepEqual([read.body.version, read.body.data.displayName], [1, 'before']);
  });
});
