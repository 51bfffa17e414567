import { Injectable } from '@nestjs/common';
import type { PolicyCase } from '../policy/decision.js';
import { RegionRouter } from '../regions/region-router.js';
import type { Case } from './case.js';
import { caseHomeRegion } from './case-id.js';
import { CasesRepository } from './cases.repository.js';

/** A case as found in a region's store (or not), ready to be put into a policy input. */
export interface ResolvedCase {
  readonly id: string;
  /** The stored case; undefined when it does not exist in the region at hand. */
  readonly stored: Case | undefined;
  /** Jurisdiction of the region the case id names. */
  readonly jurisdiction: string;
}

/**
 * The one place a case id becomes what the policy sees. Cases live in the home region of the
 * subjects they name, so a case id of another region, or one that does not exist, names
 * nobody here: the policy gets it with status `missing`.
 */
@Injectable()
export class CaseResolver {
  constructor(
    private readonly router: RegionRouter,
    private readonly cases: CasesRepository,
  ) {}

  /** Looks `caseId` up in `region`'s store (malformed ids: 400 `malformed_case_id`). */
  async resolve(caseId: string, region: string): Promise<ResolvedCase> {
    const caseRegion = caseHomeRegion(caseId);
    const jurisdiction = this.router.topology.find(caseRegion)?.jurisdiction ?? 'unknown';
    const stored =
      caseRegion === region
        ? await this.router.read(region, (manager) => this.cases.find(manager, caseId))
        : undefined;
    return { id: caseId, stored, jurisdiction };
  }
}

/**
 * The policy's view of a case. `subjectId` is the subject of the decision at hand (the case
 * must name it); without one (a region-wide query) a case counts as naming "its" subjects.
 */
export function policyCaseOf(resolved: ResolvedCase, subjectId: string | undefined): PolicyCase {
  const stored = resolved.stored;
  if (stored === undefined) {
    return {
      id: resolved.id,
      kind: 'unknown',
      status: 'missing',
      names_subject: false,
      jurisdiction: resolved.jurisdiction,
      opened_by: '',
    };
  }
  return {
    id: stored.id,
    kind: stored.kind,
    status: stored.status,
    names_subject: subjectId === undefined || stored.subjectIds.includes(subjectId),
    jurisdiction: resolved.jurisdiction,
    opened_by: stored.openedBy,
    requester: stored.requester,
    requester_jurisdiction: stored.requesterJurisdiction,
    expires_at: stored.expiresAt?.toISOString() ?? null,
  };
}
