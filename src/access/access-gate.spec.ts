import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EntityManager } from 'typeorm';
import type { Case } from '../cases/case.js';
import type { ResolvedCase } from '../cases/case-resolver.js';
import { DomainError, InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { PolicyDeniedError, type Decision, type PolicyInput } from '../policy/decision.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';
import type { StoreCallLimits } from '../regions/region-router.js';
import { RegionTopology } from '../regions/region-topology.js';
import { AccessGate, type AccessStores, type CaseLookup, type DecisionLog } from './access-gate.js';
import type { Access } from './access.js';

/** A transaction of the fake store: its statements, and whether it committed. */
interface FakeTransaction {
  readonly statements: string[];
  committed: boolean;
  readonly appended: Decision[];
}

class FakeWorld {
  readonly transactions: FakeTransaction[] = [];
  readonly alone: Decision[][] = [];
  readonly inputs: PolicyInput[] = [];
  failLogAlone = false;

  constructor(private readonly verdict: (input: PolicyInput) => Partial<Decision> = () => ({})) {}

  private readonly bundle = {
    decide: (input: PolicyInput): Decision => {
      this.inputs.push(input);
      return {
        allow: true,
        reasons: ['permitted'],
        fields: {},
        break_glass: false,
        decisionId: `d${String(this.inputs.length)}`,
        revision: 'r1',
        build: 1,
        input,
        ...this.verdict(input),
      };
    },
  };

  policy = { snapshot: () => this.bundle as unknown as PolicySnapshot };

  /** What each store call was given: the access's start and the request's deadline. */
  limits: (StoreCallLimits | undefined)[] = [];

  stores: AccessStores = {
    topology: new RegionTopology([
      {
        id: 'us-east-1',
        jurisdiction: 'US',
        databaseUrl: 'postgres://x/y',
        migrationDatabaseUrl: undefined,
        kmsKeyId: 'k',
        kmsEndpoint: undefined,
        poolSize: 1,
        placementWeight: 1,
      },
    ]),
    transaction: async <T>(
      _region: string,
      work: (manager: EntityManager) => Promise<T>,
      limits?: StoreCallLimits,
    ) => {
      this.limits.push(limits);
      const tx: FakeTransaction = { statements: [], committed: false, appended: [] };
      this.transactions.push(tx);
      const manager = {
        query: (sql: string) => {
          tx.statements.push(sql);
          return Promise.resolve([]);
        },
        tx,
      } as unknown as EntityManager;
      const value = await work(manager); // a throw leaves the transaction uncommitted
      tx.committed = true;
      return value;
    },
    read: async <T>(
      _region: string,
      work: (manager: EntityManager) => Promise<T>,
      limits?: StoreCallLimits,
    ) => {
      this.limits.push(limits);
      this.reads++;
      return work({ query: () => Promise.resolve([]) } as unknown as EntityManager);
    },
  };

  reads = 0;

  log: DecisionLog = {
    appendWithin: (manager, _region, decisions) => {
      (manager as unknown as { tx: FakeTransaction }).tx.appended.push(...decisions);
      return Promise.resolve();
    },
    append: (_region, decisions) => {
      if (this.failLogAlone) return Promise.reject(new Error('log down'));
      this.alone.push([...decisions]);
      return Promise.resolve();
    },
  };

  cases: CaseLookup = {
    resolve: (caseId: string): Promise<ResolvedCase> =>
      Promise.resolve({
        id: caseId,
        jurisdiction: 'US',
        stored: {
          id: caseId,
          kind: 'user-report',
          status: 'open',
          subjectIds: ['s-named'],
          openedBy: 'svc:ts',
        } as unknown as Case,
      }),
  };

  gate(): AccessGate {
    return new AccessGate(this.policy, this.stores, this.cases, this.log);
  }
}

function context(purpose: string | null = 'service-delivery', caseId: string | null = null) {
  return {
    requestId: 'req-1',
    caller: { service: 'svc:feed', region: 'us-east-1', jurisdiction: 'US', roles: ['service'] },
    purpose,
    caseId,
    via: null,
    deadline: Number.POSITIVE_INFINITY,
    decisions: { ids: [], breakGlass: false },
  } satisfies RequestContext;
}

function read<T>(work: Access<T>['work'], extra: Partial<Access<T>> = {}): Access<T> {
  return {
    action: 'read',
    region: 'us-east-1',
    subjects: ['s-1'],
    collection: 'profile',
    fields: ['displayName'],
    purpose: 'required',
    work,
    ...extra,
  };
}

function first<T>(items: readonly T[]): T {
  const [item] = items;
  assert.ok(item !== undefined);
  return item;
}

class NotThere extends DomainError {
  constructor() {
    super('record_not_found', 404, 'Not found');
  }
}

describe('access gate', () => {
  it('carries out an allowed access with its decision logged in the same committed transaction', async () => {
    const world = new FakeWorld();
    const ctx = context();
    const value = await world.gate().run(
      ctx,
      read(() => Promise.resolve('done')),
    );
    assert.equal(value, 'done');
    assert.equal(world.transactions.length, 1);
    const tx = world.transactions[0];
    assert.ok(tx);
    assert.equal(tx.committed, true);
    assert.deepEqual(
      tx.appended.map((d) => d.decisionId),
      ['d1'],
    );
    assert.deepEqual(world.alone, []);
    assert.deepEqual(ctx.decisions.ids, ['d1'], 'the decision id is reported for X-Decision-Id');
    assert.equal(first(world.inputs).resource.jurisdiction, 'US');
    assert.equal(first(world.inputs).purpose, 'service-delivery');
  });

  it('gives its store call the store budget from the access’s start (shared with prepare) within the request deadline', async () => {
    const world = new FakeWorld();
    const ctx = { ...context(), deadline: performance.now() + 1234 };
    const before = performance.now();
    await world.gate().run(
      ctx,
      read(() => Promise.resolve('done'), {
        prepare: () =>
          new Promise<undefined>((resolve) =>
            setTimeout(() => {
              resolve(undefined);
            }, 30),
          ),
      }),
    );
    const [limits] = world.limits;
    assert.ok(limits?.startedAt !== undefined && limits.startedAt >= before);
    // Taken before prepare ran: the transaction gets what prepare left of the store budget.
    assert.ok(performance.now() - limits.startedAt >= 30);
    assert.equal(limits.deadline, ctx.deadline);
  });

  it('logs a deny on its own and answers 403 without running any work', async () => {
    const world = new FakeWorld(() => ({ allow: false, reasons: ['purpose_not_granted'] }));
    const ctx = context();
    let ran = false;
    const denied = world.gate().run(
      ctx,
      read(() => {
        ran = true;
        return Promise.resolve();
      }),
    );
    await assert.rejects(denied, (error: unknown) => {
      assert.ok(error instanceof PolicyDeniedError);
      assert.deepEqual(error.extensions['reasons'], ['purpose_not_granted']);
      return true;
    });
    assert.equal(ran, false);
    assert.equal(world.transactions.length, 0, 'a deny opens no transaction of the access');
    assert.deepEqual(
      world.alone.map((batch) => batch.map((d) => d.decisionId)),
      [['d1']],
    );
  });

  it('returns a deny as a value from attempt, logged the same way', async () => {
    const world = new FakeWorld(() => ({
      allow: false,
      reasons: ['cross_border_protected_search'],
    }));
    const outcome = await world.gate().attempt(
      context(),
      read(() => Promise.resolve(1)),
    );
    assert.equal(outcome.allowed, false);
    assert.deepEqual(outcome.decision.reasons, ['cross_border_protected_search']);
    assert.equal(world.alone.length, 1);
  });

  it('logs the decision alone when the work before the transaction fails, and writes nothing', async () => {
    const world = new FakeWorld();
    const kmsDown = new Error('kms down');
    await assert.rejects(
      world.gate().run(
        context(),
        read(() => Promise.resolve(), {
          action: 'write',
          purpose: 'write',
          prepare: () => Promise.reject(kmsDown),
        }),
      ),
      kmsDown,
    );
    assert.equal(world.transactions.length, 0);
    assert.deepEqual(
      world.alone.map((batch) => batch.map((d) => d.decisionId)),
      [['d1']],
    );
  });

  it('rolls a domain failure of the work back to its savepoint and keeps the decision logged', async () => {
    const world = new FakeWorld();
    await assert.rejects(
      world.gate().run(
        context(),
        read(() => Promise.reject(new NotThere())),
      ),
      NotThere,
    );
    const tx = world.transactions[0];
    assert.ok(tx);
    assert.deepEqual(tx.statements, ['SAVEPOINT access', 'ROLLBACK TO SAVEPOINT access']);
    assert.equal(tx.committed, true, 'the entry commits even though the access failed');
    assert.deepEqual(
      tx.appended.map((d) => d.decisionId),
      ['d1'],
    );
  });

  it('logs the decision alone when the work fails for a reason that is not the caller’s', async () => {
    const world = new FakeWorld();
    const bug = new TypeError('bug');
    await assert.rejects(
      world.gate().run(
        context(),
        read(() => Promise.reject(bug)),
      ),
      bug,
    );
    assert.equal(first(world.transactions).committed, false, 'the access rolled back');
    assert.deepEqual(
      world.alone.map((batch) => batch.map((d) => d.decisionId)),
      [['d1']],
    );
  });

  it('still surfaces the original failure when even logging alone fails', async () => {
    const world = new FakeWorld();
    world.failLogAlone = true;
    const bug = new TypeError('bug');
    await assert.rejects(
      world.gate().run(
        context(),
        read(() => Promise.reject(bug)),
      ),
      bug,
    );
  });

  it('decides once per subject, and one deny denies the access with every decision logged', async () => {
    const world = new FakeWorld((input) =>
      input.resource.subject === 's-2' ? { allow: false, reasons: ['outside_jurisdiction'] } : {},
    );
    const ctx = context();
    await assert.rejects(
      world.gate().run(
        ctx,
        read(() => Promise.resolve(), { subjects: ['s-1', 's-2', 's-1'] }),
      ),
      PolicyDeniedError,
    );
    assert.deepEqual(
      world.inputs.map((input) => input.resource.subject),
      ['s-1', 's-2'],
    );
    assert.deepEqual(
      world.alone.map((batch) => batch.map((d) => d.decisionId)),
      [['d1', 'd2']],
    );
    assert.deepEqual(ctx.decisions.ids, ['d1', 'd2']);
  });

  it('refuses a read without X-Purpose before deciding anything', async () => {
    const world = new FakeWorld();
    await assert.rejects(
      world.gate().run(
        context(null),
        read(() => Promise.resolve()),
      ),
      (error: unknown) => error instanceof InvalidRequestError && error.code === 'purpose_required',
    );
    assert.equal(world.inputs.length, 0);
  });

  it('defaults a write’s purpose to service-delivery and gives a case-less access no case', async () => {
    const world = new FakeWorld();
    await world.gate().run(
      context(null),
      read(() => Promise.resolve(), { purpose: 'write' }),
    );
    assert.equal(first(world.inputs).purpose, 'service-delivery');
    assert.equal(first(world.inputs).case, null);
  });

  it('resolves X-Case-Id once and tells the policy whether the case names each subject', async () => {
    const world = new FakeWorld();
    await world.gate().run(
      context('moderation', 'c1.us-east-1.x'),
      read(() => Promise.resolve(), { subjects: ['s-named', 's-other'], case: { from: 'header' } }),
    );
    assert.deepEqual(
      world.inputs.map((input) => [input.resource.subject, input.case?.names_subject]),
      [
        ['s-named', true],
        ['s-other', false],
      ],
    );
  });

  it('runs a read without a transaction and returns only once its decision is in the log', async () => {
    const world = new FakeWorld();
    const value = await world.gate().run(
      context(),
      read(() => Promise.resolve('data'), { mode: 'read' }),
    );
    assert.equal(value, 'data');
    assert.equal(world.transactions.length, 0, 'no transaction of its own');
    assert.equal(world.reads, 1);
    assert.deepEqual(
      world.alone.map((batch) => batch.map((d) => d.decisionId)),
      [['d1']],
    );
  });

  it('logs a read that fails for a domain reason, and withholds what a read found when the log refuses it', async () => {
    const world = new FakeWorld();
    await assert.rejects(
      world.gate().run(
        context(),
        read(() => Promise.reject(new NotThere()), { mode: 'read' }),
      ),
      NotThere,
    );
    assert.equal(world.alone.length, 1, 'the failed read is logged');
    world.failLogAlone = true;
    await assert.rejects(
      world.gate().run(
        context(),
        read(() => Promise.resolve('secret'), { mode: 'read' }),
      ),
      /log down/,
    );
  });

  it('marks the response break-glass when a decision is', async () => {
    const world = new FakeWorld(() => ({ break_glass: true }));
    const ctx = context('legal-process');
    await world.gate().run(
      ctx,
      read(() => Promise.resolve()),
    );
    assert.equal(ctx.decisions.breakGlass, true);
  });
});
