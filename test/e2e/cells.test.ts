import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDevCellPki, type CellTlsFiles } from '../../tools/local-stack/dev-cell-pki.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { recordPath } from '../harness/subjects.js';
import { TestCells } from '../harness/test-cells.js';

interface RecordBody {
  data: Record<string, unknown>;
  masked: string[];
  region: string;
  code?: string;
  reasons?: string[];
}
interface Subject {
  subjectId: string;
  homeRegion: string;
}

/** A call straight to a cell's peer port, as a cell holding `files` would make it. */
async function peerCall(
  url: string,
  files: Pick<CellTlsFiles, 'caFile'> & Partial<CellTlsFiles>,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const target = new URL(path, url);
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      {
        hostname: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: 'GET',
        headers,
        ca: readFileSync(files.caFile),
        ...(files.certFile === undefined || files.keyFile === undefined
          ? {}
          : { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) }),
        checkServerIdentity: () => undefined,
      },
      (incoming) => {
        let text = '';
        incoming.on('data', (chunk: Buffer) => (text += chunk.toString()));
        incoming.on('end', () => {
          resolve({ status: incoming.statusCode ?? 0, text });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('cells: one gateway per region, forwarding over mutual TLS', () => {
  let cells: TestCells;
  let usFeed: string;
  let euFeed: string;
  let usSubject: Subject | undefined;
  const homed = (): Subject => {
    assert.ok(usSubject !== undefined, 'a US subject homed in us-east-1');
    return usSubject;
  };
  const profile = {
    displayName: 'Grace',
    username: 'grace-cells',
    email: 'grace.cells@example.org',
    phone: '+1-202-555-0147',
    birthDate: '1906-12-09',
    country: 'US',
  };
  const protectedValues = [profile.email, profile.phone, profile.birthDate];

  before(async () => {
    cells = await TestCells.start({
      env: { GATEWAY_PEER_TIMEOUT_MS: '1500', GATEWAY_CELL_TLS_RELOAD_SECONDS: '1' },
    });
    usFeed = await cells.token({ service: 'svc:feed', region: 'us-east-1', roles: ['service'] });
    euFeed = await cells.token({ service: 'svc:feed', region: 'eu-central-1', roles: ['service'] });
    // Created through the EU cell: it forwards to a US cell, which homes the subject there.
    for (let i = 0; i < 40; i++) {
      const created = await cells.request<Subject>('eu-central-1', 'POST', '/v1/subjects', {
        token: usFeed,
        body: { country: 'US' },
      });
      assert.equal(created.status, 201, created.text);
      if (created.body.homeRegion === 'us-east-1') {
        usSubject = created.body;
        break;
      }
    }
    const written = await cells.request(
      'eu-central-1',
      'PUT',
      recordPath(homed().subjectId, 'profile', 'main'),
      {
        token: usFeed,
        body: profile,
      },
    );
    assert.equal(written.status, 201, written.text);
  });

  after(async () => {
    await cells.close();
  });

  it('each cell is given only its own region: no other region’s database URL, password or KMS key', () => {
    const eu = cells.cell('eu-central-1');
    const environ = readFileSync(`/proc/${String(eu.process.pid)}/environ`, 'utf8');
    for (const region of cells.regions.regions) {
      const url = new URL(region.databaseUrl);
      const owner = new URL(region.migrationDatabaseUrl ?? region.databaseUrl);
      if (region.id === 'eu-central-1') {
        assert.ok(environ.includes(region.kmsKeyId), 'its own key is configured');
        continue;
      }
      for (const secret of [region.databaseUrl, region.kmsKeyId, url.pathname.slice(1)]) {
        assert.ok(!environ.includes(secret), `the EU cell's environment names ${region.id}`);
      }
      assert.ok(!environ.includes(`${url.host}${url.pathname}`));
      assert.ok(!environ.includes(owner.password) || owner.password === '', 'no owner password');
    }
    assert.ok(!environ.includes('migrationDatabaseUrl'), 'no owner credentials in a cell');
  });

  it('an EU service calling the EU cell reads a US subject’s excepted fields and nothing else', async () => {
    const read = await cells.request<RecordBody>(
      'eu-central-1',
      'GET',
      recordPath(homed().subjectId, 'profile', 'main'),
      { token: euFeed },
    );
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body.data, {
      displayName: 'Grace',
      username: 'grace-cells',
      country: 'US',
    });
    assert.deepEqual([...read.body.masked].sort(), ['birthDate', 'email', 'phone']);
    assert.equal(read.body.region, 'us-east-1');
    assert.ok(read.headers.get('x-decision-id'), 'decided (and logged) by the home cell');
    for (const value of protectedValues) assert.ok(!read.text.includes(value));
  });

  it('a US service calling through the EU cell gets what may leave the US, and where the full view is; a US cell serves it in full', async () => {
    const path = recordPath(homed().subjectId, 'profile', 'main');
    const viaEu = await cells.request<RecordBody>('eu-central-1', 'GET', path, { token: usFeed });
    assert.equal(viaEu.status, 200, viaEu.text);
    assert.deepEqual([...viaEu.body.masked].sort(), ['birthDate', 'email', 'phone']);
    assert.equal(viaEu.headers.get('x-full-view-region'), 'us-east-1');
    for (const value of protectedValues) assert.ok(!viaEu.text.includes(value));

    for (const cell of ['us-west-2', 'us-east-1']) {
      const direct = await cells.request<RecordBody>(cell, 'GET', path, { token: usFeed });
      assert.equal(direct.status, 200, direct.text);
      assert.deepEqual(direct.body.data, profile, `full record through ${cell}`);
      assert.equal(direct.headers.get('x-full-view-region'), null);
    }

    // The home region's audit entry names the cell the answer went through.
    const auditor = await cells.token({
      service: 'svc:audit',
      region: 'us-east-1',
      roles: ['auditor'],
    });
    const decisionId = viaEu.headers.get('x-decision-id') ?? '';
    const entries = await cells.request<{
      items: { decision_id: string; input: { via?: unknown }; result: { reasons: string[] } }[];
    }>('us-west-2', 'GET', `/v1/audit/decisions?region=us-east-1&subject=${homed().subjectId}`, {
      token: auditor,
    });
    assert.equal(entries.status, 200, entries.text);
    const entry = entries.body.items.find((item) => item.decision_id === decisionId);
    assert.ok(entry !== undefined, 'the forwarded read is in us-east-1’s log');
    assert.deepEqual(entry.input.via, { region: 'eu-central-1', jurisdiction: 'EU' });
    assert.deepEqual(entry.result.reasons, ['read_excepted_via_other_jurisdiction']);

    // Reading the US log through the EU cell would take it out of the US: refused.
    const throughEu = await cells.request<RecordBody>(
      'eu-central-1',
      'GET',
      '/v1/audit/decisions?region=us-east-1',
      { token: auditor },
    );
    assert.equal(throughEu.status, 403, throughEu.text);
    assert.deepEqual(throughEu.body.reasons, ['audit_outside_jurisdiction']);
  });

  it('what the US cell sends back to the EU cell carries no protected value', async () => {
    const us = cells.cell('us-east-1');
    const path = recordPath(homed().subjectId, 'profile', 'main');
    for (const token of [usFeed, euFeed]) {
      // Exactly the call the EU cell makes, with its certificate: the bytes it gets back.
      const euTls = cells.tls.get('eu-central-1');
      assert.ok(euTls !== undefined);
      const tapped = await peerCall(us.peerUrl, euTls, path, {
        authorization: `Bearer ${token}`,
        'x-purpose': 'service-delivery',
        'x-forwarded-caller': 'svc:feed',
      });
      assert.equal(tapped.status, 200, tapped.text);
      assert.ok(tapped.text.includes('Grace'));
      for (const value of protectedValues)
        assert.ok(!tapped.text.includes(value), 'a protected value left the US');
    }
  });

  it('refuses a forged peer, a caller the token does not name, and plain HTTP on the peer port', async () => {
    const us = cells.cell('us-east-1');
    const path = recordPath(homed().subjectId, 'profile', 'main');
    const headers = {
      authorization: `Bearer ${usFeed}`,
      'x-purpose': 'service-delivery',
      'x-forwarded-caller': 'svc:feed',
    };
    // Signed by the cells' CA, but naming a region that is not in the topology.
    const caDir = join(cells.tls.get('us-east-1')?.caFile ?? '', '..');
    const forged = (await ensureDevCellPki(caDir, ['ap-southeast-1'])).get('ap-southeast-1');
    assert.ok(forged !== undefined);
    const refused = await peerCall(us.peerUrl, forged, path, headers);
    assert.equal(refused.status, 403, refused.text);
    assert.equal((JSON.parse(refused.text) as { code: string }).code, 'peer_not_trusted');

    // A certificate naming a real peer, from another CA: the handshake fails.
    const rogueDir = join(harnessWorkDir(), `rogue-ca-${String(process.pid)}`);
    const rogue = (await ensureDevCellPki(rogueDir, ['eu-central-1'], 'rogue CA')).get(
      'eu-central-1',
    );
    const cellsCa = cells.tls.get('us-east-1')?.caFile ?? '';
    assert.ok(rogue !== undefined);
    await assert.rejects(peerCall(us.peerUrl, { ...rogue, caFile: cellsCa }, path, headers));
    // No client certificate at all: the handshake fails too.
    await assert.rejects(peerCall(us.peerUrl, { caFile: cellsCa }, path, headers));

    const euTls = cells.tls.get('eu-central-1');
    assert.ok(euTls !== undefined);
    const mismatch = await peerCall(us.peerUrl, euTls, path, {
      ...headers,
      'x-forwarded-caller': 'svc:someone-else',
    });
    assert.equal(mismatch.status, 403, mismatch.text);
    assert.equal((JSON.parse(mismatch.text) as { code: string }).code, 'forwarded_caller_mismatch');

    const plain = await new Promise<{ status: number } | Error>((resolve) => {
      const outgoing = httpRequest(
        `${us.peerUrl.replace('https:', 'http:')}${path}`,
        { headers },
        (incoming) => {
          incoming.resume();
          resolve({ status: incoming.statusCode ?? 0 });
        },
      );
      outgoing.on('error', (error) => {
        resolve(error);
      });
      outgoing.end();
    });
    assert.ok(
      plain instanceof Error || plain.status >= 400,
      'plain HTTP is not served on the peer port',
    );
  });

  it('every route kind works through a peer: records, lists, subjects, cases, audit reads', async () => {
    const path = recordPath(homed().subjectId, 'profile', 'second');
    const put = await cells.request('us-west-2', 'PUT', path, {
      token: usFeed,
      body: { displayName: 'G2' },
    });
    assert.equal(put.status, 201, put.text);
    const list = await cells.request<{ items: { recordId: string }[] }>(
      'us-west-2',
      'GET',
      recordPath(homed().subjectId, 'profile'),
      { token: usFeed },
    );
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.items.map((item) => item.recordId).sort(), ['main', 'second']);
    const removed = await cells.request('us-west-2', 'DELETE', path, { token: usFeed });
    assert.equal(removed.status, 204, removed.text);
    const subject = await cells.request<Subject>(
      'us-west-2',
      'GET',
      `/v1/subjects/${homed().subjectId}`,
      {
        token: usFeed,
      },
    );
    assert.equal(subject.status, 200, subject.text);
    assert.equal(subject.body.homeRegion, 'us-east-1');

    const trustAndSafety = await cells.token({
      service: 'svc:trust-safety',
      region: 'us-west-2',
      roles: ['trust-and-safety'],
    });
    const opened = await cells.request<{ id: string; region: string }>(
      'us-west-2',
      'POST',
      '/v1/cases',
      {
        token: trustAndSafety,
        body: { kind: 'user-report', subjectIds: [homed().subjectId] },
      },
    );
    assert.equal(opened.status, 201, opened.text);
    assert.equal(opened.body.region, 'us-east-1');
    const fetched = await cells.request<{ id: string }>(
      'us-west-2',
      'GET',
      `/v1/cases/${opened.body.id}`,
      {
        token: trustAndSafety,
      },
    );
    assert.equal(fetched.status, 200, fetched.text);

    const auditor = await cells.token({
      service: 'svc:audit',
      region: 'us-west-2',
      roles: ['auditor'],
    });
    const checkpoint = await cells.request(
      'us-west-2',
      'GET',
      '/v1/audit/checkpoint?region=us-east-1',
      {
        token: auditor,
        purpose: null,
      },
    );
    assert.equal(checkpoint.status, 200, checkpoint.text);
    assert.match(checkpoint.text, /^residency-gateway\/us-east-1\n/);

    // Erasure through a peer: a subject created via the EU cell, erased via the us-west-2 cell.
    let doomed: Subject | undefined;
    for (let i = 0; i < 40 && doomed === undefined; i++) {
      const created = await cells.request<Subject>('eu-central-1', 'POST', '/v1/subjects', {
        token: usFeed,
        body: { country: 'US' },
      });
      if (created.body.homeRegion === 'us-east-1') doomed = created.body;
    }
    assert.ok(doomed !== undefined);
    const privacy = await cells.token({
      service: 'svc:privacy',
      region: 'us-west-2',
      roles: ['privacy'],
    });
    const erased = await cells.request('us-west-2', 'DELETE', `/v1/subjects/${doomed.subjectId}`, {
      token: privacy,
      purpose: 'dsar',
    });
    assert.equal(erased.status, 200, erased.text);
    const gone = await cells.request('eu-central-1', 'GET', `/v1/subjects/${doomed.subjectId}`, {
      token: usFeed,
    });
    assert.equal(gone.status, 410, gone.text);
  });

  it('a cross-border query through the EU cell sends each region’s part to its cell and merges', async () => {
    const result = await cells.request<{
      items: { region: string; data: Record<string, unknown>; masked: string[] }[];
      regions: Record<string, { status: string; reason?: string }>;
    }>('eu-central-1', 'POST', '/v1/query', {
      token: euFeed,
      body: { collection: 'profile', where: { username: 'grace-cells' } },
    });
    assert.equal(result.status, 200, result.text);
    assert.equal(result.body.regions['us-east-1']?.status, 'ok');
    assert.equal(result.body.regions['us-west-2']?.status, 'ok');
    assert.equal(result.body.regions['eu-central-1']?.status, 'ok');
    const found = result.body.items.find((item) => item.region === 'us-east-1');
    assert.ok(found !== undefined, result.text);
    assert.deepEqual([...found.masked].sort(), ['birthDate', 'email', 'phone']);
    for (const value of protectedValues) assert.ok(!result.text.includes(value));

    // One more match in each region, then page one item at a time: the cursor carries each
    // region's position across calls to the cells, and every match comes exactly once.
    const byRegion = new Map<string, string>();
    for (let i = 0; i < 60 && byRegion.size < 3; i++) {
      const country = byRegion.has('eu-central-1') ? 'US' : 'DE';
      // From the EU cell, a US subject is homed in either US cell (by weight).
      const created = await cells.request<Subject>('eu-central-1', 'POST', '/v1/subjects', {
        token: usFeed,
        body: { country },
      });
      assert.equal(created.status, 201, created.text);
      if (byRegion.has(created.body.homeRegion)) continue;
      byRegion.set(created.body.homeRegion, created.body.subjectId);
      const put = await cells.request(
        'us-west-2',
        'PUT',
        recordPath(created.body.subjectId, 'profile', 'paged'),
        { token: usFeed, body: { displayName: 'P', username: 'paged-cells' } },
      );
      assert.equal(put.status, 201, put.text);
    }
    assert.equal(byRegion.size, 3);
    const seen: string[] = [];
    let cursor: string | null | undefined;
    for (let page = 0; page < 10; page++) {
      const next = await cells.request<{
        items: { subjectId: string }[];
        nextCursor: string | null;
      }>('eu-central-1', 'POST', '/v1/query', {
        token: euFeed,
        body: {
          collection: 'profile',
          where: { username: 'paged-cells' },
          limit: 1,
          ...(cursor === undefined || cursor === null ? {} : { cursor }),
        },
      });
      assert.equal(next.status, 200, next.text);
      seen.push(...next.body.items.map((item) => item.subjectId));
      cursor = next.body.nextCursor;
      if (cursor === null) break;
    }
    assert.deepEqual([...seen].sort(), [...byRegion.values()].sort());
  });

  it('a renewed cell certificate is served and used without a restart', async () => {
    const us = cells.cell('us-east-1');
    const files = cells.tls.get('us-east-1');
    assert.ok(files !== undefined);
    const presented = async (): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: '127.0.0.1',
            port: Number(new URL(us.peerUrl).port),
            ca: readFileSync(files.caFile),
            cert: readFileSync(cells.tls.get('eu-central-1')?.certFile ?? ''),
            key: readFileSync(cells.tls.get('eu-central-1')?.keyFile ?? ''),
            checkServerIdentity: () => undefined,
          },
          () => {
            resolve(socket.getPeerCertificate().fingerprint256);
            socket.end();
          },
        );
        socket.on('error', reject);
      });
    const before = await presented();
    // Renewed in place, as cert-manager does: a new key and certificate in the same files.
    rmSync(files.certFile);
    rmSync(files.keyFile);
    await ensureDevCellPki(join(files.caFile, '..'), ['us-east-1']);
    let after = before;
    for (let i = 0; i < 40 && after === before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await presented();
    }
    assert.notEqual(after, before, 'the peer port still presents the old certificate');
    // us-east-1 reaches its peers with the new one too, and they with it.
    const read = await cells.request<RecordBody>(
      'us-east-1',
      'GET',
      recordPath(homed().subjectId, 'profile', 'main'),
      { token: usFeed },
    );
    assert.equal(read.status, 200, read.text);
    const viaEu = await cells.request<RecordBody>(
      'eu-central-1',
      'GET',
      recordPath(homed().subjectId, 'profile', 'main'),
      { token: euFeed },
    );
    assert.equal(viaEu.status, 200, viaEu.text);
  });

  it('a hung peer (frozen, not dead) costs a read its peer timeout, then fails fast; HEAD is forwarded like GET', async () => {
    const path = recordPath(homed().subjectId, 'profile', 'main');
    const head = await fetch(`${cells.cell('eu-central-1').url}${path}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${euFeed}`, 'x-purpose': 'service-delivery' },
    });
    assert.equal(head.status, 200);
    const us = cells.cell('us-east-1');
    us.process.kill('SIGSTOP');
    try {
      const started = performance.now();
      const read = await cells.request<RecordBody>('eu-central-1', 'GET', path, { token: euFeed });
      const elapsed = performance.now() - started;
      assert.equal(read.status, 503, read.text);
      assert.equal(read.body.code, 'region_unavailable');
      assert.ok(elapsed >= 1400 && elapsed < 1500 + 500, `answered in ${elapsed.toFixed(0)} ms`);
      const write = await cells.request<RecordBody>(
        'eu-central-1',
        'PUT',
        recordPath(homed().subjectId, 'profile', 'frozen'),
        {
          token: usFeed,
          body: { displayName: 'F' },
        },
      );
      assert.equal(write.status, 503, write.text);
      // Sent and unanswered: it may have been applied there, and the caller is told so.
      assert.ok(['commit_outcome_unknown', 'region_unavailable'].includes(write.body.code ?? ''));
    } finally {
      us.process.kill('SIGCONT');
    }
    for (let i = 0; i < 40; i++) {
      const back = await cells.request('eu-central-1', 'GET', path, { token: euFeed });
      if (back.status === 200) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail('reads through the EU cell did not come back after the peer thawed');
  });

  it('with the us-east-1 cell stopped: its reads are 503 and its query part unavailable within the timeout; EU keeps serving and stays ready', async () => {
    const eu = await cells.request<Subject>('eu-central-1', 'POST', '/v1/subjects', {
      token: euFeed,
      body: { country: 'DE' },
    });
    assert.equal(eu.status, 201, eu.text);
    await cells.stopCell('us-east-1');
    try {
      const started = performance.now();
      const read = await cells.request<RecordBody>(
        'eu-central-1',
        'GET',
        recordPath(homed().subjectId, 'profile', 'main'),
        { token: euFeed },
      );
      const elapsed = performance.now() - started;
      assert.equal(read.status, 503, read.text);
      assert.equal(read.body.code, 'region_unavailable');
      assert.ok(elapsed < 1500 + 500, `answered in ${elapsed.toFixed(0)} ms`);

      const queried = performance.now();
      const query = await cells.request<{ regions: Record<string, { status: string }> }>(
        'eu-central-1',
        'POST',
        '/v1/query',
        { token: euFeed, body: { collection: 'profile', where: { username: 'grace-cells' } } },
      );
      assert.equal(query.status, 200, query.text);
      assert.equal(query.body.regions['us-east-1']?.status, 'unavailable');
      assert.equal(query.body.regions['us-west-2']?.status, 'ok');
      assert.ok(performance.now() - queried < 2000 + 500);

      const own = await cells.request('eu-central-1', 'GET', `/v1/subjects/${eu.body.subjectId}`, {
        token: euFeed,
      });
      assert.equal(own.status, 200, own.text);
      const ready = await cells.request<{
        status: string;
        regions: Record<string, { state: string; dependency?: string }>;
      }>('eu-central-1', 'GET', '/readyz');
      assert.equal(ready.status, 200, ready.text);
      assert.equal(ready.body.regions['us-east-1']?.state, 'degraded');
      assert.equal(ready.body.regions['us-east-1'].dependency, 'peer');
      assert.equal(ready.body.regions['eu-central-1']?.state, 'ok');
    } finally {
      await cells.startCell('us-east-1');
    }
    const back = await cells.request<RecordBody>(
      'eu-central-1',
      'GET',
      recordPath(homed().subjectId, 'profile', 'main'),
      {
        token: euFeed,
      },
    );
    assert.equal(back.status, 200, back.text);
  });
});
