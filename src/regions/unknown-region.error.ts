import { DomainError } from '../platform/errors/domain-error.js';

/** A region id this gateway has no route to. Fails closed: nothing is read or written. */
export class UnknownRegionError extends DomainError {
  constructor(regionId: string) {
    super('unknown_region', 404, 'Unknown region', {
      detail: `This gateway has no route to region ${regionId}.`,
      extensions: { region: regionId },
    });
  }
}
