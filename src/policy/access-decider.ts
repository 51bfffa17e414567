import { Injectable } from '@nestjs/common';
import { caseHomeRegion } from '../cases/case-id.js';
import { CasesRepository } from '../cases/cases.repository.js';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionTopology } from '../regions/region-topology.js';
import { PolicyDeniedError, type Decision, type PolicyCase, type PolicyInput } from './decision.js';
import { PolicyService } from './policy.service.js';

/** Actions the gateway asks the policy about (the `action` of the policy input). */
export type AccessAction =
  | 'read'
  | 'list'
  | 'write'
  | 'delete'
  | 'query'
  | 'subject.create'
  | 'subject.read'
  | 'subject.erase'
  | 'case.open'
  | 'case.read'
  | 'case.approve'
  | 'case.close'
  | 'audit.read';

export interface AccessRequest {
  readonly action: AccessAction;
  /** The region whose data is touched; its jurisdiction is the resource's. */
  readonly homeRegion: string;
  readonly subjectId?: string;
  readonly collection?: string;
  readonly fields?: readonly string[];
  readonly case?: PolicyCase | null;
  /** Overrides the request's X-Purpose (writes default to service-delivery). */
  readonly purpose?: string | null;
}

export class PurposeRequiredError extends InvalidRequestError {
  override readonly code = 'purpose_required';

  constructor() {
    super('Reads need an X-Purpose header, e.g. X-Purpose: service-delivery.');
  }
}

/**
 * Builds the policy input for an access, with everything resolved up front (the caller from
 * its verified token, the case from the subject's home store, the resource's jurisdiction,
 * `now`), asks the policy, records the decision id on the request, and throws 403 on a deny.
 */
@Injectable()
export class AccessDecider {
  private readonly cases = new CasesRepository();

  constructor(
    private readonly policy: PolicyService,
    private readonly topology: RegionTopology,
    private readonly router: RegionRouter,
  ) {}

  /** X-Purpose, or 400 `purpose_required`. */
  requirePurpose(ctx: RequestContext): string {
    if (ctx.purpose === null) throw new PurposeRequiredError();
    return ctx.purpose;
  }

  /**
   * The case named by X-Case-Id, as the policy sees it for this subject. Cases live in the
   * home region of the subjects they name, so a case id of another region, or one that does
   * not exist, cannot name this subject.
   */
  async resolveCase(
    ctx: RequestContext,
    subjectId: string,
    homeRegion: string,
  ): Promise<PolicyCase | null> {
    if (ctx.caseId === null) return null;
    const caseRegion = caseHomeRegion(ctx.caseId);
    const jurisdiction = this.topology.find(caseRegion)?.jurisdiction ?? 'unknown';
    const found =
      caseRegion === homeRegion
        ? await this.router.read(homeRegion, (m) => this.cases.find(m, ctx.caseId ?? ''))
        : undefined;
    if (found === undefined) {
      return {
        id: ctx.caseId,
        kind: 'unknown',
        status: 'missing',
        names_subject: false,
        jurisdiction,
        opened_by: '',
      };
    }
    return {
      id: found.id,
      kind: found.kind,
      status: found.status,
      names_subject: found.subjectIds.includes(subjectId),
      jurisdiction,
      opened_by: found.openedBy,
    };
  }

  /** Decides one access; returns the allow decision or throws PolicyDeniedError (403). */
  decide(ctx: RequestContext, request: AccessRequest): Decision {
    const decision = this.policy.decide(this.input(ctx, request));
    ctx.decisions.ids.push(decision.decisionId);
    if (decision.break_glass) ctx.decisions.breakGlass = true;
    if (!decision.allow) throw new PolicyDeniedError(decision);
    return decision;
  }

  private input(ctx: RequestContext, request: AccessRequest): PolicyInput {
    const { caller } = ctx;
    return {
      caller: {
        service: caller.service,
        region: caller.region,
        jurisdiction: caller.jurisdiction,
        roles: [...caller.roles],
      },
      action: request.action,
      purpose: request.purpose === undefined ? ctx.purpose : request.purpose,
      case: request.case ?? null,
      resource: {
        ...(request.subjectId === undefined ? {} : { subject: request.subjectId }),
        homeRegion: request.homeRegion,
        jurisdiction: this.topology.find(request.homeRegion)?.jurisdiction ?? 'unknown',
        ...(request.collection === undefined ? {} : { collection: request.collection }),
        ...(request.fields === undefined ? {} : { fields: [...request.fields] }),
      },
      now: new Date().toISOString(),
    };
  }
}
