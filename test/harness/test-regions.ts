import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { RegionConfig } from '../../src/platform/config/gateway-config.js';
import { provisionRegionKey } from '../../tools/local-stack/kms-keys.js';
import { readHarnessState } from './harness-state.js';
import { TEST_RUNTIME_LOGIN, ensureRuntimeLogin } from './runtime-login.js';

export interface TestRegionSpec {
  readonly id: string;
  readonly jurisdiction: string;
}

/** The test topology mirrors the local one: two US regions and one EU region, each on its own server. */
export const TEST_REGIONS: readonly TestRegionSpec[] = [
  { id: 'us-east-1', jurisdiction: 'US' },
  { id: 'us-west-2', jurisdiction: 'US' },
  { id: 'eu-central-1', jurisdiction: 'EU' },
];

/**
 * Fresh, empty databases for one test file: region i lives on the harness's server i, so no
 * two regions ever share a PostgreSQL server. `drop()` removes them.
 */
export class TestRegions {
  private constructor(
    readonly regions: readonly RegionConfig[],
    private readonly admins: readonly { adminUrl: string; database: string }[],
  ) {}

  /**
   * @param overrides per region: the admin URL of a PostgreSQL server and/or a KMS endpoint to
   *   use instead of the harness's shared ones, e.g. a dedicated server a test will stop.
   */
  static async create(
    specs: readonly TestRegionSpec[] = TEST_REGIONS,
    overrides: Readonly<
      Record<string, { readonly adminUrl?: string; readonly kmsEndpoint?: string }>
    > = {},
  ): Promise<TestRegions> {
    const harness = readHarnessState();
    const shared = harness.servers;
    const suffix = randomBytes(4).toString('hex');
    const admins: { adminUrl: string; database: string }[] = [];
    const regions = await Promise.all(
      specs.map(async (spec, index) => {
        const own = overrides[spec.id]?.adminUrl;
        const server = own !== undefined ? { adminUrl: own } : shared[index % shared.length];
        if (server === undefined) throw new Error('the harness has no PostgreSQL server');
        if (own !== undefined) await ensureRuntimeLogin(own, harness.runtimePassword);
        const database = `t_${suffix}_${spec.id.replace(/-/g, '_')}`;
        await withClient(server.adminUrl, (client) => client.query(`CREATE DATABASE ${database}`));
        admins.push({ adminUrl: server.adminUrl, database });
        const ownerUrl = new URL(server.adminUrl);
        ownerUrl.pathname = `/${database}`;
        // The gateway connects as the runtime role; migrations (and "insiders") as the owner.
        const runtimeUrl = new URL(ownerUrl);
        runtimeUrl.username = TEST_RUNTIME_LOGIN;
        runtimeUrl.password = harness.runtimePassword;
        const kmsEndpoint = overrides[spec.id]?.kmsEndpoint ?? harness.kmsEndpoint;
        return {
          id: spec.id,
          jurisdiction: spec.jurisdiction,
          databaseUrl: runtimeUrl.toString(),
          migrationDatabaseUrl: ownerUrl.toString(),
          kmsKeyId: await provisionRegionKey(
            kmsEndpoint,
            spec.id,
            `alias/test-${suffix}-${spec.id}`,
          ),
          kmsEndpoint,
          poolSize: 5,
          placementWeight: 1,
        } satisfies RegionConfig;
      }),
    );
    return new TestRegions(regions, admins);
  }

  get(regionId: string): RegionConfig {
    const region = this.regions.find((r) => r.id === regionId);
    if (region === undefined) throw new Error(`no test region ${regionId}`);
    return region;
  }

  /**
   * Runs SQL directly against a region's store as its owner, bypassing the gateway: what an
   * insider with database access can do.
   */
  async query<T extends pg.QueryResultRow>(
    regionId: string,
    sql: string,
    params: unknown[] = [],
  ): Promise<T[]> {
    const region = this.get(regionId);
    return withClient(
      region.migrationDatabaseUrl ?? region.databaseUrl,
      async (client) => (await client.query<T>(sql, params)).rows,
    );
  }

  private async recordDecisions(): Promise<void> {
    const dir = process.env[RECORD_DECISIONS_ENV];
    if (dir !== undefined && dir !== '') await recordDecisionsOf(this, dir);
  }

  async drop(): Promise<void> {
    await this.recordDecisions();
    // A store a test has stopped cannot be dropped; its server's folder goes with the harness.
    await Promise.allSettled(
      this.admins.map(({ adminUrl, database }) =>
        withClient(adminUrl, (client) =>
          client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
        ),
      ),
    );
  }
}

export const RECORD_DECISIONS_ENV = 'RESIDENCY_RECORD_DECISIONS';

/** Whether this test run records its decisions (`npm run policy:record`). */
export function recordingDecisions(): boolean {
  return (process.env[RECORD_DECISIONS_ENV] ?? '') !== '';
}

/**
 * With RESIDENCY_RECORD_DECISIONS=<dir> (`npm run policy:record`), every decision these
 * stores logged is written to a file of its own in that folder before they are dropped: the
 * end-to-end tests' decisions, replayed by the policy impact check against each new bundle.
 */
async function recordDecisionsOf(regions: TestRegions, dir: string): Promise<void> {
  const lines: string[] = [];
  for (const region of regions.regions) {
    try {
      const rows = await regions.query<{ leaf: string }>(
        region.id,
        "SELECT convert_from(leaf, 'UTF8') AS leaf FROM audit_entries ORDER BY id",
      );
      for (const row of rows) lines.push(row.leaf);
    } catch {
      // A store the test stopped, or one without a log: nothing to record.
    }
  }
  if (lines.length > 0)
    writeFileSync(
      join(dir, `${String(process.pid)}-${randomUUID()}.ndjson`),
      `${lines.join('\n')}\n`,
    );
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
