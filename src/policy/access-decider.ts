import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLogWriter } from '../audit/audit-log.writer.js';
import type { Case } from '../cases/case.js';
import { caseHomeRegion } from '../cases/case-id.js';
import { CasesRepository } from '../cases/cases.repository.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { DomainError, InvalidRequestError } from '../platform/errors/domain-error.js';
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
  /** The region whose data is touched: its jurisdiction is the resource's, its log records the decision. */
  readonly homeRegion: string;
  readonly subjectId?: string;
  readonly collection?: string;
  readonly fields?: readonly string[];
  readonly where?: readonly string[];
  readonly case?: PolicyCase | null;
  /** Overrides the request's X-Purpose (writes default to service-delivery). */
  readonly purpose?: string | null;
}

/** A case found by {@link AccessDecider.lookupCase}. */
export interface CaseLookup {
  readonly found: Case | undefined;
  /** The policy's view of the case, given whether it names the subject(s) at hand. */
  readonly asPolicyCase: (namesSubject: boolean) => PolicyCase;
}

/** An allowed decision, to be carried out (and logged) with {@link AccessDecider.run}. */
export interface Authorized {
  readonly decision: Decision;
  readonly region: string;
}

export class PurposeRequiredError extends InvalidRequestError {
  override readonly code = 'purpose_required';

  constructor() {
    super('Reads need an X-Purpose header, e.g. X-Purpose: service-delivery.');
  }
}

type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DomainError };

/**
 * The policy enforcement point. Builds the policy input with everything resolved up front (the
 * caller from its verified token, the case from the subject's home store, the resource's
 * jurisdiction, `now`), asks the policy, and makes sure every decision is logged in the
 * region that holds the data: a deny in a transaction of its own before the 403, an allow in
 * the same transaction as the access ({@link run}).
 */
@Injectable()
export class AccessDecider {
  private readonly cases = new CasesRepository();
  private readonly audit: AuditLogWriter;

  constructor(
    private readonly policy: PolicyService,
    private readonly topology: RegionTopology,
    private readonly router: RegionRouter,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.audit = new AuditLogWriter(config.instanceId);
  }

  /** X-Purpose, or 400 `purpose_required`. */
  requirePurpose(ctx: RequestContext): string {
    if (ctx.purpose === null) throw new PurposeRequiredError();
    return ctx.purpose;
  }

  /**
   * The case named by X-Case-Id as stored in `region`, or `null` without one. Cases live in
   * the home region of the subjects they name, so a case id of another region, or one that
   * does not exist, names nobody here (`found` is undefined).
   */
  async lookupCase(ctx: RequestContext, region: string): Promise<CaseLookup | null> {
    if (ctx.caseId === null) return null;
    const id = ctx.caseId;
    const caseRegion = caseHomeRegion(id);
    const jurisdiction = this.topology.find(caseRegion)?.jurisdiction ?? 'unknown';
    const found =
      caseRegion === region
        ? await this.router.read(region, (m) => this.cases.find(m, id))
        : undefined;
    return {
      found,
      asPolicyCase: (namesSubject) =>
        found === undefined
          ? {
              id,
              kind: 'unknown',
              status: 'missing',
              names_subject: false,
              jurisdiction,
              opened_by: '',
            }
          : {
              id: found.id,
              kind: found.kind,
              status: found.status,
              names_subject: namesSubject,
              jurisdiction,
              opened_by: found.openedBy,
            },
    };
  }

  /** The case named by X-Case-Id, as the policy sees it for one subject of `homeRegion`. */
  async resolveCase(
    ctx: RequestContext,
    subjectId: string,
    homeRegion: string,
  ): Promise<PolicyCase | null> {
    const lookup = await this.lookupCase(ctx, homeRegion);
    return lookup?.asPolicyCase(lookup.found?.subjectIds.includes(subjectId) ?? false) ?? null;
  }

  /**
   * Decides one access. A deny is logged in the region's decision log, then answered 403; an
   * allow is returned to be carried out with {@link run}, which logs it.
   */
  async authorize(ctx: RequestContext, request: AccessRequest): Promise<Authorized> {
    const decision = this.policy.decide(this.input(ctx, request));
    ctx.decisions.ids.push(decision.decisionId);
    if (!decision.allow) {
      await this.router.transaction(request.homeRegion, (manager) =>
        this.audit.append(manager, request.homeRegion, decision),
      );
      throw new PolicyDeniedError(decision);
    }
    if (decision.break_glass) ctx.decisions.breakGlass = true;
    return { decision, region: request.homeRegion };
  }

  /**
   * Work an allowed access needs before its transaction (KMS calls, sealing). If it fails, the
   * access never happens, and the decision is logged on its own before the error propagates.
   */
  async prepare<T>(authorized: Authorized, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.logAlone([authorized]); // the original failure is what the caller needs to see
      throw error;
    }
  }

  /**
   * Carries out an allowed access in one transaction of the region's store, with its decision
   * appended to the region's log in that same transaction: if the log cannot be written, the
   * access fails and nothing changes. If the access itself fails for a domain reason (not
   * found, version conflict...), its changes are rolled back but the decision stays logged.
   */
  async run<T>(
    access: Authorized | readonly Authorized[],
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    // Several decisions can cover one access (a case naming several subjects): all are logged.
    const decisions: readonly Authorized[] = 'decision' in access ? [access] : access;
    const authorized = decisions[0];
    if (authorized === undefined) throw new Error('an access needs a decision');
    const appendAll = async (manager: EntityManager): Promise<void> => {
      for (const each of decisions)
        await this.audit.append(manager, authorized.region, each.decision);
    };
    let outcome: Outcome<T>;
    try {
      outcome = await this.router.transaction<Outcome<T>>(authorized.region, async (manager) => {
        await manager.query('SAVEPOINT access');
        let result: Outcome<T>;
        try {
          result = { ok: true, value: await work(manager) };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          await manager.query('ROLLBACK TO SAVEPOINT access');
          result = { ok: false, error };
        }
        // Appended last: the chain head stays locked only from here to the commit.
        await appendAll(manager);
        return result;
      });
    } catch (error) {
      // The access failed for a reason that is not the caller's (a bug, a broken store): its
      // transaction is gone, but the decision was taken and is logged on its own if possible.
      await this.logAlone(decisions);
      throw error;
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  /** Logs decisions in a transaction of their own, best effort (the access already failed). */
  private async logAlone(decisions: readonly Authorized[]): Promise<void> {
    const region = decisions[0]?.region;
    if (region === undefined) return;
    await this.router
      .transaction(region, async (manager) => {
        for (const each of decisions) await this.audit.append(manager, region, each.decision);
      })
      .catch(() => undefined);
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
        ...(request.where === undefined ? {} : { where: [...request.where] }),
      },
      now: new Date().toISOString(),
    };
  }
}
