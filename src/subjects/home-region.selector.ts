import { randomInt } from 'node:crypto';
import type { RegionPlace } from '../regions/region-topology.js';

/**
 * Chooses the home region of a new subject among the regions of its jurisdiction.
 *
 * The rule: each region gets new subjects in proportion to its `placementWeight` (default 1,
 * so regions of a jurisdiction share evenly; 0 closes a region to new subjects, e.g. while it
 * is drained). The choice is random rather than round-robin so that stateless gateway replicas
 * need no shared counter, and it never leaves the subject's jurisdiction.
 *
 * @returns `undefined` when the jurisdiction has no region open to new subjects.
 */
export function selectHomeRegion<Place extends RegionPlace>(
  candidates: readonly Place[],
  pick: (bound: number) => number = randomInt,
): Place | undefined {
  const open = candidates.filter((region) => region.placementWeight > 0);
  // Integer weights in thousandths keep the draw exact.
  const weights = open.map((region) => Math.round(region.placementWeight * 1000));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total === 0) return undefined;
  let ticket = pick(total);
  for (const [index, region] of open.entries()) {
    ticket -= weights[index] ?? 0;
    if (ticket < 0) return region;
  }
  return open.at(-1);
}
