import { Injectable } from '@nestjs/common';
import { SubjectKeysRepository } from '../keys/subject-keys.repository.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { AccessDecider } from '../policy/access-decider.js';
import type { PolicyCase } from '../policy/decision.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionTopology } from '../regions/region-topology.js';
import { requireLiveSubject } from '../subjects/live-subject.js';
import { SubjectId } from '../subjects/subject-id.js';
import type { Case, CaseKind } from './case.js';
import { CaseChangedError, CaseNotFoundError, CaseSpansRegionsError } from './case.errors.js';
import { CASE_IDS, caseHomeRegion } from './case-id.js';
import { CasesRepository } from './cases.repository.js';

export interface OpenCase {
  readonly kind: CaseKind;
  readonly subjectIds: readonly string[];
  readonly reference: string | null;
}

/**
 * Cases (user reports, legal requests) in the home region of the subjects they name. They feed
 * the moderation and legal-process rules; who may open, read and approve them is the policy's
 * call (two people for a legal request).
 */
@Injectable()
export class CasesService {
  private readonly cases = new CasesRepository();
  private readonly subjects = new SubjectKeysRepository();

  constructor(
    private readonly router: RegionRouter,
    private readonly topology: RegionTopology,
    private readonly access: AccessDecider,
  ) {}

  async open(ctx: RequestContext, request: OpenCase): Promise<{ found: Case; region: string }> {
    const ids = [...new Set(request.subjectIds)].map((raw) => SubjectId.parse(raw));
    const region = ids[0]?.homeRegion;
    if (region === undefined || ids.some((id) => id.homeRegion !== region))
      throw new CaseSpansRegionsError();
    this.router.route(region);
    const proposed: PolicyCase = {
      id: '',
      kind: request.kind,
      status: 'open',
      names_subject: true,
      jurisdiction: this.jurisdiction(region),
      opened_by: ctx.caller.service,
    };
    // One decision per named subject, so the log shows the case under each of them.
    const decisions = [];
    for (const id of ids) {
      decisions.push(
        await this.access.authorize(ctx, {
          action: 'case.open',
          homeRegion: region,
          subjectId: id.value,
          case: proposed,
          purpose: null,
        }),
      );
    }
    const found = await this.access.run(decisions, async (manager) => {
      for (const id of ids) await requireLiveSubject(this.subjects, manager, id.value);
      return this.cases.insert(manager, {
        id: CASE_IDS.generate(region),
        kind: request.kind,
        subjectIds: ids.map((id) => id.value),
        reference: request.reference,
        openedBy: ctx.caller.service,
      });
    });
    return { found, region };
  }

  async get(ctx: RequestContext, caseId: string): Promise<{ found: Case; region: string }> {
    const region = caseHomeRegion(caseId);
    this.router.route(region);
    const found = await this.router.read(region, (manager) => this.cases.find(manager, caseId));
    if (found === undefined) throw new CaseNotFoundError();
    const authorized = await this.access.authorize(ctx, {
      action: 'case.read',
      homeRegion: region,
      case: this.policyCase(found, region),
      purpose: null,
    });
    // The case was read to decide; the read is logged like any other access.
    await this.access.run(authorized, () => Promise.resolve());
    return { found, region };
  }

  async approve(ctx: RequestContext, caseId: string): Promise<{ found: Case; region: string }> {
    return this.transition(ctx, caseId, 'case.approve', 'approved');
  }

  async close(ctx: RequestContext, caseId: string): Promise<{ found: Case; region: string }> {
    return this.transition(ctx, caseId, 'case.close', 'closed');
  }

  private async transition(
    ctx: RequestContext,
    caseId: string,
    action: 'case.approve' | 'case.close',
    status: 'approved' | 'closed',
  ): Promise<{ found: Case; region: string }> {
    const region = caseHomeRegion(caseId);
    this.router.route(region);
    const before = await this.router.read(region, (manager) => this.cases.find(manager, caseId));
    if (before === undefined) throw new CaseNotFoundError();
    const authorized = await this.access.authorize(ctx, {
      action,
      homeRegion: region,
      case: this.policyCase(before, region),
      purpose: null,
    });
    const found = await this.access.run(authorized, async (manager) => {
      const current = await this.cases.find(manager, caseId, true);
      // Decided on the case as it was read; if it changed since, decide again.
      if (current?.status !== before.status) throw new CaseChangedError();
      return this.cases.setStatus(manager, caseId, status, ctx.caller.service);
    });
    return { found, region };
  }

  private policyCase(found: Case, region: string): PolicyCase {
    return {
      id: found.id,
      kind: found.kind,
      status: found.status,
      names_subject: true,
      jurisdiction: this.jurisdiction(region),
      opened_by: found.openedBy,
    };
  }

  private jurisdiction(region: string): string {
    return this.topology.find(region)?.jurisdiction ?? 'unknown';
  }
}
