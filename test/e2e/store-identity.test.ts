import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createGatewayApp } from '../../src/app.factory.js';
import type { GatewayConfig } from '../../src/platform/config/gateway-config.js';
import { migrateAllRegions, migrateRegion } from '../../src/platform/database/region-migrator.js';
import { RegionRouter, StoreBootError } from '../../src/regions/region-router.js';
import { CapturingLogger } from '../harness/capturing-logger.js';
import { harnessWorkDir } from '../harness/harness-state.js';
import { TestGateway } from '../harness/test-gateway.js';
import { TestKeys } from '../harness/test-keys.js';
import { TestRegions } from '../harness/test-regions.js';

/** Boots a gateway and expects it to refuse; returns the refusal. */
async function bootRefusal(config: GatewayConfig): Promise<StoreBootError> {
  try {
    const app = await createGatewayApp(config, { logDestination: new CapturingLogger() });
    await app.close();
  } catch (error) {
    assert.ok(error instanceof StoreBootError, `expected a StoreBootError, got ${String(error)}`);
    return error;
  }
  assert.fail('the gateway booted');
}

describe('each store knows its region, and the gateway checks it at boot', () => {
  let regions: TestRegions;
  let keys: TestKeys;
  let config: GatewayConfig;

  before(async () => {
    regions = await TestRegions.create();
    keys = await TestKeys.create(harnessWorkDir());
    config = TestGateway.config(regions, keys);
  });
  after(async () => {
    await regions.drop();
  });

  it('refuses to start on stores that were never migrated', async () => {
    const refusal = await bootRefusal(config);
    assert.match(refusal.message, /region us-east-1 has no store identity; run the migrations/);
  });

  it('migrate records each store’s region and reports each region', async () => {
    const results = await migrateAllRegions(config);
    assert.deepEqual(
      results.map((r) => [r.region, r.ok]),
      [
        ['us-east-1', true],
        ['us-west-2', true],
        ['eu-central-1', true],
      ],
    );
    for (const region of regions.regions) {
      const rows = await regions.query(
        region.id,
        'SELECT region, jurisdiction FROM store_identity',
      );
      assert.deepEqual(rows, [{ region: region.id, jurisdiction: region.jurisdiction }]);
    }
    const again = await migrateAllRegions(config);
    assert.ok(
      again.every((r) => r.ok && r.applied.length === 0),
      'a second run applies nothing',
    );
  });

  it('refuses to start when a US connection string points at the EU store, naming both regions', async () => {
    const swapped: GatewayConfig = {
      ...config,
      regions: config.regions.map((region) =>
        region.id === 'us-east-1'
          ? { ...region, databaseUrl: regions.get('eu-central-1').databaseUrl }
          : region,
      ),
    };
    const refusal = await bootRefusal(swapped);
    assert.match(
      refusal.message,
      /store configured for region us-east-1 belongs to region eu-central-1/,
    );
  });

  it('does not migrate a store that belongs to another region', async () => {
    const usEast = config.regions.find((r) => r.id === 'us-east-1');
    assert.ok(usEast);
    const eu = regions.get('eu-central-1');
    const result = await migrateRegion(
      { ...usEast, databaseUrl: eu.databaseUrl, migrationDatabaseUrl: eu.migrationDatabaseUrl },
      config.database,
    );
    if (result.ok) assert.fail('the wrong store was migrated');
    assert.match(result.error, /belongs to region eu-central-1/);
    const identity = await regions.query('eu-central-1', 'SELECT region FROM store_identity');
    assert.deepEqual(identity, [{ region: 'eu-central-1' }]);
  });

  it('refuses a store whose recorded jurisdiction disagrees with the topology', async () => {
    const relabelled: GatewayConfig = {
      ...config,
      regions: config.regions.map((region) =>
        region.id === 'us-west-2' ? { ...region, jurisdiction: 'EU' } : region,
      ),
    };
    const refusal = await bootRefusal(relabelled);
    assert.match(
      refusal.message,
      /store of region us-west-2 records jurisdiction US but the topology says EU/,
    );
  });

  it('refuses to start when a store is unreachable', async () => {
    const unreachable: GatewayConfig = {
      ...config,
      regions: config.regions.map((region) =>
        region.id === 'eu-central-1'
          ? { ...region, databaseUrl: 'postgres://nobody:x@127.0.0.1:1/none' }
          : region,
      ),
    };
    const refusal = await bootRefusal(unreachable);
    assert.match(refusal.message, /store of region eu-central-1 is unreachable/);
    assert.doesNotMatch(refusal.message, /nobody:x/, 'connection strings are never echoed');
  });

  it('starts when every store matches, and closes every store connection on shutdown', async () => {
    const app = await createGatewayApp(config, { logDestination: new CapturingLogger() });
    const router = app.get(RegionRouter);
    const dataSources = config.regions.map((region) => router.localRoute(region.id).dataSource);
    assert.ok(dataSources.every((ds) => ds.isInitialized));
    await app.close();
    assert.ok(
      dataSources.every((ds) => !ds.isInitialized),
      'a store pool was left open',
    );
  });
});
