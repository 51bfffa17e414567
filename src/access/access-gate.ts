import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLogWriter } from '../audit-log/audit-log.writer.js';
import { CaseResolver, policyCaseOf, type ResolvedCase } from '../cases/case-resolver.js';
import {
  CommitOutcomeUnknownError,
  DomainError,
  InvalidRequestError,
  RegionUnavailableError,
  RequestTimeoutError,
} from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { DeadlineExceededError, withDeadline } from '../platform/resilience/deadline.js';
import {
  PolicyDeniedError,
  type Decision,
  type PolicyCase,
  type PolicyInput,
} from '../policy/decision.js';
import { PolicyService } from '../policy/policy.service.js';
import { RegionRouter, type StoreCallLimits } from '../regions/region-router.js';
import type { Access, AccessDescription, AccessOutcome, AccessScope } from './access.js';

export class PurposeRequiredError extends InvalidRequestError {
  override readonly code = 'purpose_required';

  constructor() {
    super('Reads need an X-Purpose header, e.g. X-Purpose: service-delivery.');
  }
}

/** The narrow seams the gate works through (fakes in unit specs, the real parts elsewhere). */
export type DecisionPoint = Pick<PolicyService, 'snapshot'>;
export type AccessStores = Pick<RegionRouter, 'transaction' | 'read' | 'topology'>;
export type CaseLookup = Pick<CaseResolver, 'resolve'>;
export type DecisionLog = Pick<AuditLogWriter, 'append' | 'appendWithin'>;

type Attempt<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DomainError };

/**
 * The access gate: the one place an access to regulated data is carried out. Services describe
 * the access (what is decided) and the work; the gate tells the whole story in order:
 *
 * 1. the purpose (X-Purpose, or the access's default) and the case, resolved once from the
 *    region's store;
 * 2. one policy decision per subject, with everything resolved up front (DESIGN §7);
 * 3. a deny is logged in the region's decision log (in a transaction of its own) and answered
 *    403 — or returned as a value by {@link attempt};
 * 4. work that must happen before the transaction (KMS) — if it fails, the decision is still
 *    logged and nothing is written;
 * 5. the work in one transaction of the region's store, with the decisions appended to the
 *    region's log in that same transaction: no entry, no access. A domain failure of the work
 *    (not found, version conflict) rolls the work back to a savepoint and keeps the entry;
 * 6. the decision ids and break-glass flag for the response headers.
 */
@Injectable()
export class AccessGate {
  private readonly logger = new Logger('AccessGate');

  constructor(
    @Inject(PolicyService) private readonly policy: DecisionPoint,
    @Inject(RegionRouter) private readonly router: AccessStores,
    @Inject(CaseResolver) private readonly cases: CaseLookup,
    @Inject(AuditLogWriter) private readonly log: DecisionLog,
  ) {}

  /** Carries out an access; a deny answers 403 `policy_denied` (after it is logged). */
  async run<T, P = undefined>(ctx: RequestContext, access: Access<T, P>): Promise<T> {
    const outcome = await this.attempt(ctx, access);
    if (!outcome.allowed) throw new PolicyDeniedError(outcome.decision);
    return outcome.value;
  }

  /** Like {@link run}, but a deny is a value (one region's part of a query may be denied). */
  async attempt<T, P = undefined>(
    ctx: RequestContext,
    access: Access<T, P>,
  ): Promise<AccessOutcome<T>> {
    // The access's store budget runs from here (its store calls share it), within the request's.
    const limits: StoreCallLimits = { startedAt: performance.now(), deadline: ctx.deadline };
    const purpose = this.purposeOf(ctx, access);
    const resolved = await this.resolveCase(ctx, access);
    const decisions = this.decide(ctx, access, purpose, resolved);
    const [decision] = decisions;
    if (decision === undefined) throw new Error('an access needs a decision');
    const denied = decisions.find((each) => !each.allow);
    this.logger.debug({
      message: 'decided',
      requestId: ctx.requestId,
      action: access.action,
      region: access.region,
      allowed: denied === undefined,
      decisionIds: decisions.map((each) => each.decisionId),
    });
    if (denied !== undefined) {
      await this.log.append(access.region, decisions);
      return { allowed: false, decision: denied };
    }
    if (decisions.some((each) => each.break_glass)) ctx.decisions.breakGlass = true;

    const scope: AccessScope = { decision, decisions, case: resolved };
    let prepared: P;
    try {
      const prepare = access.prepare;
      prepared =
        prepare === undefined
          ? (undefined as P)
          : await withinBudget(ctx.deadline, () => prepare(scope));
    } catch (error) {
      // The access never happened, but it was decided: the log says so, then the failure.
      await this.logAlone(access.region, decisions, error);
      throw error;
    }
    const work = (manager: EntityManager) => access.work(manager, scope, prepared);
    const value =
      access.mode === 'read'
        ? await this.readThenLog(access.region, decisions, work, access.disclosed, limits)
        : await this.carryOut(access.region, decisions, work, access.disclosed, limits);
    return { allowed: true, value, decision };
  }

  private purposeOf(ctx: RequestContext, access: AccessDescription): string | null {
    switch (access.purpose) {
      case 'required':
        if (ctx.purpose === null) throw new PurposeRequiredError();
        return ctx.purpose;
      case 'write':
        return ctx.purpose ?? 'service-delivery';
      case 'none':
        return null;
    }
  }

  private async resolveCase(
    ctx: RequestContext,
    access: AccessDescription,
  ): Promise<ResolvedCase | undefined> {
    const source = access.case;
    if (source === undefined || source.from === 'proposed') return undefined;
    const caseId = source.from === 'header' ? ctx.caseId : source.caseId;
    return caseId === null ? undefined : this.cases.resolve(caseId, access.region);
  }

  /** One decision per subject (or one for a region-wide access), in the order given. */
  private decide(
    ctx: RequestContext,
    access: AccessDescription,
    purpose: string | null,
    resolved: ResolvedCase | undefined,
  ): Decision[] {
    // The bundle the service validated the request with, or the one in force now.
    const policy = access.policy ?? this.policy.snapshot();
    const subjects = access.subjects === undefined ? [undefined] : [...new Set(access.subjects)];
    const decisions = subjects.map((subject) => {
      const kase: PolicyCase | null =
        access.case?.from === 'proposed'
          ? access.case.case
          : resolved === undefined
            ? null
            : policyCaseOf(resolved, subject);
      return policy.decide(this.input(ctx, access, purpose, kase, subject));
    });
    ctx.decisions.ids.push(...decisions.map((decision) => decision.decisionId));
    return decisions;
  }

  /**
   * The work and its log entries in one transaction. If the work fails for a reason that is
   * not the caller's (a bug, a broken store), its transaction is gone, but the decision was
   * taken: it is logged on its own if the store allows.
   */
  private async carryOut<T>(
    region: string,
    decisions: readonly Decision[],
    work: (manager: EntityManager) => Promise<T>,
    disclosed: ((value: T) => readonly string[]) | undefined,
    limits: StoreCallLimits,
  ): Promise<T> {
    let attempt: Attempt<T>;
    try {
      attempt = await this.router.transaction<Attempt<T>>(
        region,
        async (manager) => {
          await manager.query('SAVEPOINT access');
          let result: Attempt<T>;
          try {
            result = { ok: true, value: await work(manager) };
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            await manager.query('ROLLBACK TO SAVEPOINT access');
            result = { ok: false, error };
          }
          const named = result.ok && disclosed !== undefined ? disclosed(result.value) : [];
          await this.log.appendWithin(manager, region, decisions, named);
          return result;
        },
        limits,
      );
    } catch (error) {
      await this.logAlone(region, decisions, error);
      throw error;
    }
    if (!attempt.ok) throw attempt.error;
    return attempt.value;
  }

  /**
   * A read: the work on the store without a transaction, then its decisions in the log's group
   * commit. Nothing is returned until the entry is committed; if it cannot be, the caller gets
   * the log's failure and none of what was read.
   */
  private async readThenLog<T>(
    region: string,
    decisions: readonly Decision[],
    work: (manager: EntityManager) => Promise<T>,
    disclosed: ((value: T) => readonly string[]) | undefined,
    limits: StoreCallLimits,
  ): Promise<T> {
    let attempt: Attempt<T>;
    try {
      attempt = { ok: true, value: await this.router.read(region, work, limits) };
    } catch (error) {
      if (!(error instanceof DomainError) || storeIsDown(error)) {
        await this.logAlone(region, decisions, error);
        throw error;
      }
      attempt = { ok: false, error };
    }
    const named = attempt.ok && disclosed !== undefined ? disclosed(attempt.value) : [];
    await this.log.append(region, decisions, named);
    if (!attempt.ok) throw attempt.error;
    return attempt.value;
  }

  /**
   * Best effort: the access already failed, and that failure is what the caller must see. When
   * the failure was the region's store going away, the entry is tried in the background: the
   * caller is not kept waiting a second timeout on the same dead store.
   */
  private async logAlone(
    region: string,
    decisions: readonly Decision[],
    failure: unknown,
  ): Promise<void> {
    const logged = this.log.append(region, decisions).catch(() => undefined);
    if (!storeIsDown(failure)) await logged;
  }

  private input(
    ctx: RequestContext,
    access: AccessDescription,
    purpose: string | null,
    kase: PolicyCase | null,
    subject: string | undefined,
  ): PolicyInput {
    const { caller } = ctx;
    return {
      caller: {
        service: caller.service,
        region: caller.region,
        jurisdiction: caller.jurisdiction,
        roles: [...caller.roles],
      },
      ...(ctx.via === null
        ? {}
        : { via: { region: ctx.via.region, jurisdiction: ctx.via.jurisdiction } }),
      action: access.action,
      purpose,
      case: kase,
      resource: {
        ...(subject === undefined ? {} : { subject }),
        homeRegion: access.region,
        jurisdiction: this.router.topology.find(access.region)?.jurisdiction ?? 'unknown',
        ...(access.collection === undefined ? {} : { collection: access.collection }),
        ...(access.fields === undefined ? {} : { fields: [...access.fields] }),
        ...(access.where === undefined ? {} : { where: [...access.where] }),
      },
      now: new Date().toISOString(),
    };
  }
}

/**
 * `work` (KMS calls before the transaction) within what is left of the request's budget: past
 * it the request is answered 503 `request_timeout` and the call abandoned (it still ends at its
 * own timeout).
 */
async function withinBudget<T>(deadline: number, work: () => Promise<T>): Promise<T> {
  if (deadline === Number.POSITIVE_INFINITY) return work();
  const left = deadline - performance.now();
  if (left <= 0) throw new RequestTimeoutError();
  try {
    return await withDeadline('request', left, work);
  } catch (error) {
    throw error instanceof DeadlineExceededError && error.dependency === 'request'
      ? new RequestTimeoutError()
      : error;
  }
}

function storeIsDown(error: unknown): boolean {
  return error instanceof RegionUnavailableError || error instanceof CommitOutcomeUnknownError;
}
