import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import { buildBundle, committedBuild, otherSigningKey } from '../harness/bundles.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { residencyCli, runProcess } from '../harness/processes.js';
import { createSubject, recordPath } from '../harness/subjects.js';
import { TestGateway } from '../harness/test-gateway.js';
import { TestRegions } from '../harness/test-regions.js';

const COMMITTED = join(PROJECT_ROOT, 'policies', 'dist', 'bundle.tar.gz');
/** Builds published by these tests, relative to the committed bundle's (B + n). */
const B = committedBuild();

interface PolicyStatus {
  loaded: boolean;
  revision: string | null;
  build: number | null;
  lastRejection: { reason: string; detail: string } | null;
}

interface LoggedEntry {
  decision_id: string;
  input: {
    action: string;
    resource: { bundle?: { build?: number; revision?: string }; running?: unknown };
  };
  result: { allow: boolean; reasons: string[] };
  bundles: { residency: { revision: string } };
  custom?: { bundle_build: number };
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 8000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Replaces the published bundle the way a deploy would: write beside, then rename. */
function publish(live: string, bundle: string): void {
  copyFileSync(bundle, `${live}.next`);
  renameSync(`${live}.next`, live);
}

describe('policy lifecycle: signed build numbers, one source of truth, impact analysis', () => {
  let dir: string;
  let regions: TestRegions;
  let live: string;
  const bundles: Record<string, string> = {};

  before(async () => {
    dir = mkdtempSync(join(harnessWorkDir(), 'lifecycle-'));
    live = join(dir, 'live.tar.gz');
    regions = await TestRegions.create();
    const other = otherSigningKey(dir);
    const built = await Promise.all([
      buildBundle(join(dir, 'b2.tar.gz'), { build: B + 1, revision: 'life-2' }),
      buildBundle(join(dir, 'b2-other.tar.gz'), {
        build: B + 1,
        revision: 'life-2-other',
        edit: (src) => {
          const file = join(src, 'residency', 'roles', 'data.json');
          const roles = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
          writeFileSync(file, JSON.stringify({ ...roles, extra: { purposes: [] } }));
        },
      }),
      buildBundle(join(dir, 'b3-other-key.tar.gz'), {
        build: B + 2,
        revision: 'life-3-other-key',
        signingKey: other,
      }),
      buildBundle(join(dir, 'b3-catalog.tar.gz'), {
        build: B + 2,
        revision: 'life-3-catalog',
        edit: (src) => {
          const file = join(src, 'residency', 'catalog', 'data.json');
          const catalog = JSON.parse(readFileSync(file, 'utf8')) as {
            collections: { profile: { fields: Record<string, unknown> } };
          };
          catalog.collections.profile.fields['nickname'] = { class: 'public', type: 'string' };
          writeFileSync(file, JSON.stringify(catalog));
        },
      }),
      buildBundle(join(dir, 'b4-canada-in-eu.tar.gz'), {
        build: B + 3,
        revision: 'life-4-canada-in-eu',
        edit: (src) => {
          const file = join(src, 'residency', 'jurisdictions', 'data.json');
          const map = JSON.parse(readFileSync(file, 'utf8')) as {
            countries: Record<string, string>;
          };
          map.countries['CA'] = 'EU';
          writeFileSync(file, JSON.stringify(map));
        },
      }),
      buildBundle(join(dir, 'b5-no-eu.tar.gz'), {
        build: B + 4,
        revision: 'life-5-no-eu',
        edit: (src) => {
          const file = join(src, 'residency', 'jurisdictions', 'data.json');
          const map = JSON.parse(readFileSync(file, 'utf8')) as {
            countries: Record<string, string>;
          };
          for (const [country, jurisdiction] of Object.entries(map.countries))
            if (jurisdiction === 'EU') map.countries[country] = 'US';
          writeFileSync(file, JSON.stringify(map));
        },
      }),
    ]);
    for (const file of built) bundles[file.split('/').pop()?.replace('.tar.gz', '') ?? ''] = file;
  });
  after(async () => {
    await regions.drop();
  });

  const gatewayOn = (bundle: string, env: Record<string, string> = {}) => {
    publish(live, bundle);
    return TestGateway.start({
      regions,
      env: { GATEWAY_POLICY_BUNDLE: live, GATEWAY_POLICY_RELOAD_SECONDS: '0.2', ...env },
    });
  };

  async function entries(region: string, action: string): Promise<LoggedEntry[]> {
    const rows = await regions.query(
      region,
      'SELECT convert_from(leaf, $2) AS leaf FROM audit_entries WHERE action = $1 ORDER BY id',
      [action, 'UTF8'],
    );
    return rows.map((row) => JSON.parse(String(row['leaf'])) as LoggedEntry);
  }

  it('refuses a rollback, a same build with other content and another signer; the running bundle keeps serving, and each refusal is logged, counted and audited in every region', async () => {
    const gateway = await gatewayOn(bundles['b2'] as string);
    try {
      const token = await gateway.token();
      const status = async () =>
        (await gateway.request<PolicyStatus>('GET', '/v1/policy', { token })).body;
      assert.deepEqual([(await status()).revision, (await status()).build], ['life-2', B + 1]);

      for (const [bundle, reason] of [
        [COMMITTED, 'rollback'],
        [bundles['b2-other'], 'same_build_other_content'],
        [bundles['b3-other-key'], 'bad_signature'],
      ] as const) {
        publish(live, bundle as string);
        const refused = await waitFor(status, (s) => s.lastRejection?.reason === reason);
        assert.equal(refused.lastRejection?.reason, reason, JSON.stringify(refused));
        assert.deepEqual(
          [refused.loaded, refused.revision, refused.build],
          [true, 'life-2', B + 1],
        );
        const created = await gateway.request<{ subjectId: string }>('POST', '/v1/subjects', {
          token,
          body: { country: 'US' },
        });
        assert.equal(created.status, 201, 'the running bundle keeps deciding');
        assert.ok(
          (await gateway.metric(`gateway_policy_bundle_refusals_total{reason="${reason}"}`)) >= 1,
        );
      }
      assert.equal(await gateway.metric('gateway_policy_bundle_build'), B + 1);

      for (const region of regions.regions) {
        const activations = await entries(region.id, 'policy.activate');
        assert.deepEqual(
          activations.map((e) => [
            e.input.resource.bundle?.build,
            e.input.resource.bundle?.revision,
          ]),
          [[B + 1, 'life-2']],
          `${region.id} logs the activation`,
        );
        const refusals = await entries(region.id, 'policy.refuse');
        assert.deepEqual(
          refusals.map((e) => [e.result.allow, e.result.reasons[0]]),
          [
            [false, 'rollback'],
            [false, 'same_build_other_content'],
            [false, 'bad_signature'],
          ],
          `${region.id} logs each refused bundle once`,
        );
        assert.equal(refusals[0]?.input.resource.bundle?.build, B);
        const recorded = await regions.query(
          region.id,
          'SELECT build::int AS build, revision FROM policy_activations',
        );
        assert.deepEqual(recorded, [{ build: B + 1, revision: 'life-2' }]);
      }
      const decisions = [
        ...(await entries('us-east-1', 'subject.create')),
        ...(await entries('us-west-2', 'subject.create')),
      ];
      assert.ok(decisions.length >= 3);
      for (const entry of decisions) {
        assert.equal(entry.bundles.residency.revision, 'life-2', 'each entry names its bundle');
        assert.equal(entry.custom?.bundle_build, B + 1, 'and its build number');
      }
    } finally {
      await gateway.close();
    }
  });

  it('a restart with an older bundle on disk serves nothing (503, not ready) until a bundle at or above the recorded build is published', async () => {
    const gateway = await gatewayOn(COMMITTED);
    try {
      const token = await gateway.token();
      const status = (await gateway.request<PolicyStatus>('GET', '/v1/policy', { token })).body;
      assert.equal(status.loaded, false);
      assert.equal(status.lastRejection?.reason, 'rollback');
      assert.match(
        status.lastRejection.detail,
        new RegExp(`build ${String(B)} is older than build ${String(B + 1)}`),
      );
      const refused = await gateway.request<{ code: string }>('POST', '/v1/subjects', {
        token,
        body: { country: 'US' },
      });
      assert.deepEqual([refused.status, refused.body.code], [503, 'policy_unavailable']);
      assert.equal((await gateway.request('GET', '/readyz')).status, 503);

      publish(live, bundles['b2'] as string);
      const recovered = await waitFor(
        async () => (await gateway.request<PolicyStatus>('GET', '/v1/policy', { token })).body,
        (s) => s.loaded,
      );
      assert.deepEqual([recovered.revision, recovered.build], ['life-2', B + 1]);
      assert.equal((await gateway.request('GET', '/readyz')).status, 200);
    } finally {
      await gateway.close();
    }
  });

  it('a reload that changes the catalog changes validation and decisions in the same instant', async () => {
    const gateway = await gatewayOn(bundles['b2'] as string);
    try {
      const token = await gateway.token();
      const subject = await createSubject(gateway, token, 'US');
      const put = (id: string) =>
        gateway.request<{ code?: string }>('PUT', recordPath(subject.subjectId, 'profile', id), {
          token,
          body: { displayName: 'n', nickname: 'nick' },
        });
      const before = await put('before');
      assert.deepEqual([before.status, before.body.code], [422, 'unknown_field']);

      // Writes run back to back while the new bundle is published; every accepted one must
      // have been decided by the bundle whose catalog accepted it.
      const control = { stop: false };
      const accepted: string[] = [];
      const acceptedRecords: string[] = [];
      const statuses = new Set<number>();
      const writer = (async () => {
        for (let i = 0; !control.stop; i++) {
          const response = await put(`r${String(i)}`);
          statuses.add(response.status);
          if (response.status === 201) {
            accepted.push(response.headers.get('x-decision-id') ?? '');
            acceptedRecords.push(`r${String(i)}`);
          }
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 300));
      publish(live, bundles['b3-catalog'] as string);
      await waitFor(
        () => Promise.resolve(accepted.length),
        (n) => n >= 20,
        15_000,
      );
      control.stop = true;
      await writer;
      assert.deepEqual([...statuses].sort(), [201, 422]);
      const logged = new Map(
        (await entries(subject.homeRegion, 'write')).map((e) => [e.decision_id, e]),
      );
      for (const id of accepted) {
        assert.equal(
          logged.get(id)?.bundles.residency.revision,
          'life-3-catalog',
          'a write the new catalog accepted was decided by the new bundle',
        );
      }
      const read = await gateway.request<{ data: Record<string, unknown> }>(
        'GET',
        `${recordPath(subject.subjectId, 'profile', acceptedRecords[0] ?? 'none')}?fields=nickname`,
        { token },
      );
      assert.equal(read.status, 200, read.text);
      assert.equal(
        read.body.data['nickname'],
        'nick',
        'the new field is classed by the same bundle',
      );
    } finally {
      await gateway.close();
    }
  });

  it('where a subject is homed comes from the signed bundle; nothing is read from policy data on disk', async () => {
    await assert.rejects(
      gatewayOn(bundles['b3-catalog'] as string, { GATEWAY_POLICY_DATA_DIR: dir }),
      /GATEWAY_POLICY_DATA_DIR is no longer read/,
    );
    const gateway = await gatewayOn(bundles['b4-canada-in-eu'] as string);
    try {
      const token = await gateway.token();
      // policies/bundle/residency/jurisdictions/data.json says CA → CA; the bundle says EU.
      const canadian = await createSubject(gateway, token, 'CA');
      assert.equal(canadian.homeRegion, 'eu-central-1');

      publish(live, bundles['b5-no-eu'] as string);
      const status = await waitFor(
        async () => (await gateway.request<PolicyStatus>('GET', '/v1/policy', { token })).body,
        (s) => s.lastRejection !== null,
      );
      assert.equal(status.lastRejection?.reason, 'missing_jurisdiction');
      assert.match(status.lastRejection.detail, /EU \(region eu-central-1\)/);
      assert.equal(status.build, B + 3);
    } finally {
      await gateway.close();
    }
  });

  it('impact analysis of a bundle without the cross-border protected-search rule reports exactly the decisions it flips', async () => {
    const gateway = await gatewayOn(bundles['b4-canada-in-eu'] as string);
    try {
      const usFeed = await gateway.token({ service: 'svc:feed', region: 'us-east-1' });
      const euFeed = await gateway.token({ service: 'svc:feed', region: 'eu-central-1' });
      const subject = await createSubject(gateway, usFeed, 'US');
      await gateway.request('PUT', recordPath(subject.subjectId, 'profile', 'main'), {
        token: usFeed,
        body: { displayName: 'Ann', email: 'ann@example.org' },
      });
      // Denied in both US regions by the rule; allowed in the EU region.
      for (let i = 0; i < 3; i++) {
        const response = await gateway.request('POST', '/v1/query', {
          token: euFeed,
          body: { collection: 'profile', where: { email: 'ann@example.org' } },
        });
        assert.equal(response.status, 200, response.text);
      }
      // Decisions the rule does not touch.
      await gateway.request('GET', recordPath(subject.subjectId, 'profile', 'main'), {
        token: euFeed,
      });
      await gateway.request('POST', '/v1/query', {
        token: euFeed,
        body: { collection: 'profile', where: { displayName: 'Ann' } },
      });
    } finally {
      await gateway.close();
    }
    const denials = (await entries('us-east-1', 'query')).filter((e) =>
      e.result.reasons.includes('cross_border_protected_search'),
    );
    assert.equal(denials.length, 3);

    const candidate = await buildBundle(join(dir, 'b6-no-protected-search.tar.gz'), {
      build: B + 5,
      revision: 'life-6-no-protected-search',
      edit: (src) => {
        const file = join(src, 'residency', 'decision.rego');
        const rego = readFileSync(file, 'utf8');
        const rule = /deny contains "cross_border_protected_search" if \{[^}]*\}\n/;
        assert.match(rego, rule);
        writeFileSync(file, rego.replace(rule, ''));
      },
    });

    // From the stores of one region.
    const fromStore = await residencyCli(gateway, [
      'policy',
      'impact',
      '--bundle',
      candidate,
      '--region',
      'us-east-1',
      '--since',
      '1h',
      // The log also holds decisions of the bundle with the extra catalog field: compared
      // with the bundle the candidate replaces (not each logged result), only its change shows.
      '--baseline',
      bundles['b4-canada-in-eu'] as string,
      '--json',
    ]);
    assert.equal(fromStore.code, 1, 'an unexpected flip fails');
    const report = JSON.parse(fromStore.stdout) as {
      changed: number;
      groups: { kind: string; rule: string; count: number; sample: string[] }[];
    };
    assert.deepEqual(
      report.groups.map((g) => [g.kind, g.rule, g.count]),
      [['deny_to_allow', 'cross_border_protected_search', 3]],
    );
    assert.equal(report.changed, 3);
    assert.deepEqual(
      [...(report.groups[0]?.sample ?? [])].sort(),
      denials.map((e) => e.decision_id).sort(),
    );

    // From an export of every region, with the flip listed as intended.
    const exported = join(dir, 'export.ndjson');
    const lines: string[] = [];
    for (const region of regions.regions) {
      const out = await residencyCli(gateway, ['audit', 'export', '--region', region.id]);
      assert.equal(out.code, 0, out.stderr);
      lines.push(out.stdout);
    }
    writeFileSync(exported, lines.join(''));
    const expectFile = join(dir, 'expect.json');
    writeFileSync(
      expectFile,
      JSON.stringify({
        flips: [{ kind: 'deny_to_allow', rule: 'cross_border_protected_search' }],
      }),
    );
    const fromFile = await residencyCli(gateway, [
      'policy',
      'impact',
      '--bundle',
      candidate,
      '--baseline',
      bundles['b4-canada-in-eu'] as string,
      '--from-file',
      exported,
      '--expect',
      expectFile,
    ]);
    assert.equal(fromFile.code, 0, fromFile.stdout + fromFile.stderr);
    // Both US regions denied the three searches.
    assert.match(fromFile.stdout, /deny_to_allow\s+6\s+cross_border_protected_search/);
    assert.match(fromFile.stdout, /changed: 6 decisions/);

    // A bundle that differs in placement data only (the policy never sees countries) flips
    // nothing.
    const same = await residencyCli(gateway, [
      'policy',
      'impact',
      '--bundle',
      COMMITTED,
      '--baseline',
      bundles['b4-canada-in-eu'] as string,
      '--from-file',
      exported,
    ]);
    assert.equal(same.code, 0, same.stdout);
    assert.match(same.stdout, /changed: 0 decisions/);
  });

  it('policy explain names the rules that fired', async () => {
    const input = join(dir, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        caller: {
          service: 'svc:feed',
          region: 'eu-central-1',
          jurisdiction: 'EU',
          roles: ['service'],
        },
        action: 'query',
        purpose: 'service-delivery',
        case: null,
        resource: {
          jurisdiction: 'US',
          collection: 'profile',
          fields: ['displayName'],
          where: ['email'],
        },
        now: '2026-11-27T00:00:00Z',
      }),
    );
    const explained = await runProcess(process.execPath, [
      join(PROJECT_ROOT, 'bin', 'residency-gateway.mjs'),
      'policy',
      'explain',
      '--input',
      input,
      '--bundle',
      COMMITTED,
    ]);
    assert.equal(explained.code, 0, explained.stderr);
    assert.match(explained.stdout, /decision: deny \(reasons: cross_border_protected_search\)/);
    assert.match(explained.stdout, /deny rules that fired: cross_border_protected_search/);
    assert.match(explained.stdout, /access mode: excepted/);
  });
});
