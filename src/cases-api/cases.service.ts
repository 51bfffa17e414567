import { Injectable } from '@nestjs/common';
import { AccessGate } from '../access/access-gate.js';
import type { Case, CaseKind, CaseStatus } from '../cases/case.js';
import {
  CaseChangedError,
  CaseNotFoundError,
  CaseSpansRegionsError,
  InvalidExpiryError,
  NotALegalRequestError,
  RequesterRequiredError,
} from '../cases/case.errors.js';
import { CASE_IDS, caseHomeRegion } from '../cases/case-id.js';
import { CasesRepository } from '../cases/cases.repository.js';
import { SubjectKeysRepository } from '../keys/subject-keys.repository.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RegionRouter } from '../regions/region-router.js';
import { requireLiveSubject } from '../subjects/live-subject.js';
import { SubjectId } from '../subjects/subject-id.js';

export interface OpenCase {
  readonly kind: CaseKind;
  readonly subjectIds: readonly string[];
  readonly reference: string | null;
  /** Legal requests: who may use the approval, from where, until when. */
  readonly requester: string | null;
  readonly requesterJurisdiction: string | null;
  readonly expiresAt: Date | null;
}

const DAY_MS = 86_400_000;
/** How long a legal request's approval works unless the opener says otherwise, and at most. */
export const LEGAL_REQUEST_DEFAULT_DAYS = 30;
export const LEGAL_REQUEST_MAX_DAYS = 90;

/**
 * The cases API: user reports and legal requests, stored in the home region of the subjects
 * they name. They feed the moderation and legal-process rules; who may open, read and approve
 * them is the policy's call (two people for a legal request).
 */
@Injectable()
export class CasesService {
  constructor(
    private readonly router: RegionRouter,
    private readonly cases: CasesRepository,
    private readonly keyStore: SubjectKeysRepository,
    private readonly gate: AccessGate,
  ) {}

  async open(ctx: RequestContext, request: OpenCase): Promise<{ found: Case; region: string }> {
    const ids = [...new Set(request.subjectIds)].map((raw) => SubjectId.parse(raw));
    const region = ids[0]?.homeRegion;
    if (region === undefined || ids.some((id) => id.homeRegion !== region))
      throw new CaseSpansRegionsError();
    this.router.route(region);
    const jurisdiction = this.router.topology.find(region)?.jurisdiction ?? 'unknown';
    const binding = legalBinding(request, jurisdiction);
    const found = await this.gate.run(ctx, {
      action: 'case.open',
      region,
      // One decision per named subject, so the log shows the case under each of them.
      subjects: ids.map((id) => id.value),
      purpose: 'none',
      case: {
        from: 'proposed',
        case: {
          id: '',
          kind: request.kind,
          status: 'open',
          names_subject: true,
          jurisdiction,
          opened_by: ctx.caller.service,
          requester: binding.requester,
          requester_jurisdiction: binding.requesterJurisdiction,
          expires_at: binding.expiresAt?.toISOString() ?? null,
        },
      },
      work: async (manager) => {
        for (const id of ids) await requireLiveSubject(this.keyStore, manager, id.value);
        return this.cases.insert(manager, {
          id: CASE_IDS.generate(region),
          kind: request.kind,
          subjectIds: ids.map((id) => id.value),
          reference: request.reference,
          openedBy: ctx.caller.service,
          ...binding,
        });
      },
    });
    return { found, region };
  }

  /** A case, decided on the case as stored (its kind, status, jurisdiction, opener). */
  async get(ctx: RequestContext, caseId: string): Promise<{ found: Case; region: string }> {
    const region = this.regionOf(caseId);
    const found = await this.gate.run(ctx, {
      action: 'case.read',
      region,
      purpose: 'none',
      mode: 'read',
      case: { from: 'id', caseId },
      work: (_manager, scope) => {
        const stored = scope.case?.stored;
        return stored === undefined
          ? Promise.reject(new CaseNotFoundError())
          : Promise.resolve(stored);
      },
    });
    return { found, region };
  }

  /** A region's legal requests, for the legal reviewers of its jurisdiction. */
  async listLegalRequests(
    ctx: RequestContext,
    region: string,
    status: CaseStatus | undefined,
    limit: number,
  ): Promise<Case[]> {
    this.router.route(region);
    return this.gate.run(ctx, {
      action: 'case.list',
      region,
      purpose: 'none',
      mode: 'read',
      work: (manager) => this.cases.listLegalRequests(manager, status, limit),
    });
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
    const region = this.regionOf(caseId);
    const found = await this.gate.run(ctx, {
      action,
      region,
      purpose: 'none',
      case: { from: 'id', caseId },
      work: async (manager, scope) => {
        const before = scope.case?.stored;
        if (before === undefined) throw new CaseNotFoundError();
        const current = await this.cases.find(manager, caseId, true);
        // Decided on the case as it was read; if it changed since, decide again.
        if (current?.status !== before.status) throw new CaseChangedError();
        return this.cases.setStatus(manager, caseId, status, ctx.caller.service);
      },
    });
    return { found, region };
  }

  private regionOf(caseId: string): string {
    const region = caseHomeRegion(caseId);
    this.router.route(region);
    return region;
  }
}

/**
 * A legal request's binding, checked before anything is decided: a requester is required, the
 * jurisdiction defaults to the subjects', the expiry to 30 days and may not exceed 90. A user
 * report takes none of them.
 */
function legalBinding(
  request: OpenCase,
  jurisdiction: string,
): Pick<Case, 'requester' | 'requesterJurisdiction' | 'expiresAt'> {
  if (request.kind !== 'legal-request') {
    if (
      request.requester !== null ||
      request.requesterJurisdiction !== null ||
      request.expiresAt !== null
    )
      throw new NotALegalRequestError();
    return { requester: null, requesterJurisdiction: null, expiresAt: null };
  }
  if (request.requester === null) throw new RequesterRequiredError();
  const now = Date.now();
  const expiresAt = request.expiresAt ?? new Date(now + LEGAL_REQUEST_DEFAULT_DAYS * DAY_MS);
  if (expiresAt.getTime() <= now || expiresAt.getTime() > now + LEGAL_REQUEST_MAX_DAYS * DAY_MS)
    throw new InvalidExpiryError(LEGAL_REQUEST_MAX_DAYS);
  return {
    requester: request.requester,
    requesterJurisdiction: request.requesterJurisdiction ?? jurisdiction,
    expiresAt,
  };
}
