import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RegionConfig } from '../platform/config/gateway-config.js';
import { selectHomeRegion } from './home-region.selector.js';

function region(id: string, placementWeight = 1): RegionConfig {
  return {
    id,
    jurisdiction: 'US',
    databaseUrl: 'postgres://x',
    migrationDatabaseUrl: undefined,
    kmsKeyId: 'k',
    kmsEndpoint: undefined,
    poolSize: 1,
    placementWeight,
  };
}

describe('selectHomeRegion', () => {
  it('splits evenly between regions of equal weight', () => {
    const regions = [region('us-east-1'), region('us-west-2')];
    const picks = Array.from(
      { length: 2000 },
      (_, i) => selectHomeRegion(regions, (bound) => i % bound)?.id,
    );
    assert.equal(picks.filter((id) => id === 'us-east-1').length, 1000);
    assert.equal(picks.filter((id) => id === 'us-west-2').length, 1000);
  });

  it('follows the weights', () => {
    const regions = [region('us-east-1', 3), region('us-west-2', 1)];
    const picks = Array.from(
      { length: 4000 },
      (_, i) => selectHomeRegion(regions, (bound) => i % bound)?.id,
    );
    assert.equal(picks.filter((id) => id === 'us-east-1').length, 3000);
  });

  it('never places a subject in a region of weight 0', () => {
    const regions = [region('us-east-1', 0), region('us-west-2')];
    for (let i = 0; i < 100; i++) assert.equal(selectHomeRegion(regions)?.id, 'us-west-2');
  });

  it('answers undefined when no region is open', () => {
    assert.equal(selectHomeRegion<RegionConfig>([]), undefined);
    assert.equal(selectHomeRegion([region('us-east-1', 0)]), undefined);
  });
});
