import type { DataSource, EntityManager } from 'typeorm';
import type { GatewayConfig, PeerConfig, RegionConfig } from '../platform/config/gateway-config.js';
import {
  CommitOutcomeUnknownError,
  DomainError,
  RegionOverloadedError,
  RegionUnavailableError,
  RequestTimeoutError,
} from '../platform/errors/domain-error.js';
import { Bulkhead, BulkheadFullError } from '../platform/resilience/bulkhead.js';
import type { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { isStoreUnavailable } from '../platform/database/store-errors.js';
import {
  BreakerOpenError,
  meteredBreaker,
  type BreakerState,
  type CircuitBreaker,
} from '../platform/resilience/circuit-breaker.js';
import { DeadlineExceededError, withDeadline } from '../platform/resilience/deadline.js';
import {
  readStoreIdentity,
  runtimeRoleProblem,
  storeIdentityProblem,
} from '../platform/database/store-identity.js';
import type { RegionTopology } from './region-topology.js';
import { UnknownRegionError } from './unknown-region.error.js';

/** A region served by a store this process holds credentials for. */
export interface LocalRegionRoute {
  readonly kind: 'local';
  readonly region: RegionConfig;
  readonly dataSource: DataSource;
  /** Open while the store is down or hung: its requests fail fast instead of queueing. */
  readonly breaker: CircuitBreaker;
  /** Bounds the calls in flight (running or waiting for a connection) on this store. */
  readonly bulkhead: Bulkhead;
}

/**
 * A region served by another cell (DESIGN §4, Cells): requests about it are forwarded to that
 * cell's gateway, which decides, decrypts, masks and logs; nothing of it is stored here.
 */
export interface PeerRegionRoute {
  readonly kind: 'peer';
  readonly region: PeerConfig;
}

export type RegionRoute = LocalRegionRoute | PeerRegionRoute;

/**
 * A store call for a region this process does not serve: the request should have been
 * forwarded to its cell (or, arriving from a peer, was sent to the wrong one). Fails closed.
 */
export class RegionNotServedHereError extends DomainError {
  constructor(readonly region: string) {
    super('misdirected_request', 421, 'Region not served here', {
      detail: `This gateway does not serve region ${region}; its own cell does.`,
      extensions: { region },
      logLevel: 'warn',
    });
  }
}

/** Boot refused: one or more stores are unreachable, unmigrated or belong to another region. */
export class StoreBootError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Refusing to start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StoreBootError';
  }
}

export interface RegionProbe {
  readonly region: string;
  readonly jurisdiction: string;
  readonly store: 'ok' | 'unavailable';
  readonly breaker: BreakerState;
  readonly latencyMs: number;
}

/**
 * How long a store call may take (on the `performance.now()` clock): the store budget from
 * `startedAt` (an access's store calls share it; default: from now), and never past
 * `deadline` (the request's).
 */
export interface StoreCallLimits {
  readonly startedAt?: number;
  readonly deadline?: number;
}

export interface StoreGuards {
  readonly breakers: GatewayConfig['breakers'];
  /** Most one store call (a transaction or a read, pool wait included) may take. */
  readonly budgetMs: number;
  /** Calls that may wait for a pooled connection beyond the pool's size, per region. */
  readonly maxWaiting: number;
}

const DEFAULT_GUARDS: StoreGuards = {
  breakers: { failureThreshold: 5, openMs: 2000 },
  budgetMs: 5000,
  maxWaiting: 1000,
};

/**
 * The only way to reach a regional store. Hands out the route for a region and fails closed
 * for a region it does not know; wraps store failures as {@link RegionUnavailableError}.
 */
export class RegionRouter {
  private constructor(
    readonly topology: RegionTopology,
    private readonly routes: ReadonlyMap<string, LocalRegionRoute>,
    private readonly metrics: GatewayMetrics,
    private readonly budgetMs: number,
  ) {}

  /**
   * Connects every region's (not yet connected) DataSource and checks each store's recorded
   * identity and migrations. Any problem refuses the boot, naming the regions involved;
   * nothing is left connected.
   */
  static async open(
    topology: RegionTopology,
    dataSources: ReadonlyMap<string, DataSource>,
    metrics: GatewayMetrics,
    guards: StoreGuards = DEFAULT_GUARDS,
  ): Promise<RegionRouter> {
    const routes = new Map<string, LocalRegionRoute>();
    const problems: string[] = [];
    await Promise.all(
      topology.local.map(async (region) => {
        const dataSource = dataSources.get(region.id);
        if (dataSource === undefined) {
          problems.push(`region ${region.id} has no store configured`);
          return;
        }
        routes.set(region.id, {
          kind: 'local',
          region,
          dataSource,
          breaker: meteredBreaker('store', region.id, guards.breakers, metrics),
          bulkhead: new Bulkhead(`store:${region.id}`, region.poolSize + guards.maxWaiting),
        });
        try {
          await dataSource.initialize();
        } catch (error) {
          problems.push(`store of region ${region.id} is unreachable (${errorCode(error)})`);
          return;
        }
        const identityProblem = storeIdentityProblem(await readStoreIdentity(dataSource), region);
        if (identityProblem !== undefined) {
          problems.push(identityProblem);
        } else if (await dataSource.showMigrations()) {
          problems.push(`store of region ${region.id} has pending migrations; run npm run migrate`);
        } else {
          const roleProblem = await runtimeRoleProblem(dataSource, region);
          if (roleProblem !== undefined) problems.push(roleProblem);
        }
      }),
    );
    const router = new RegionRouter(topology, routes, metrics, guards.budgetMs);
    if (problems.length > 0) {
      await router.close();
      throw new StoreBootError(problems.sort());
    }
    return router;
  }

  /**
   * The route for a region: its store here, or the peer cell serving it;
   * {@link UnknownRegionError} for any region not configured.
   */
  route(regionId: string): RegionRoute {
    const route = this.routes.get(regionId);
    if (route !== undefined) return route;
    const peer = this.topology.peer(regionId);
    if (peer !== undefined) return { kind: 'peer', region: peer };
    throw new UnknownRegionError(regionId);
  }

  /** The store of a region this process serves; 421 for a peer's region, 404 for an unknown. */
  localRoute(regionId: string): LocalRegionRoute {
    const route = this.route(regionId);
    if (route.kind === 'peer') throw new RegionNotServedHereError(regionId);
    return route;
  }

  /**
   * Runs `work` in one transaction on the region's store. Commits only if `work` resolves
   * within the store budget (GATEWAY_DB_REQUEST_TIMEOUT_MS, pool wait included) and the
   * request's `deadline`; a store that
   * cannot be reached, refuses or hangs surfaces as a 503 for that region with nothing written
   * — or, when it went away after COMMIT was sent, as 503 commit_outcome_unknown.
   */
  async transaction<T>(
    regionId: string,
    work: (manager: EntityManager) => Promise<T>,
    limits: StoreCallLimits = {},
  ): Promise<T> {
    const route = this.localRoute(regionId);
    const progress = { committing: false, abandoned: false };
    const attempt = (): Promise<T> =>
      route.dataSource.transaction(async (manager) => {
        const result = await work(manager);
        // Answered 503 already: roll back rather than commit what the caller was told failed.
        if (progress.abandoned) throw new DeadlineExceededError(`store:${regionId}`, 0);
        progress.committing = true;
        return result;
      });
    try {
      return await this.guarded(route, attempt, limits);
    } catch (error) {
      if (error instanceof DeadlineExceededError) progress.abandoned = true;
      const failure = this.storeFailure(route.region.id, error);
      throw progress.committing && failure instanceof RegionUnavailableError
        ? new CommitOutcomeUnknownError(route.region.id, error)
        : failure;
    }
  }

  /** Runs a read on the region's store outside an explicit transaction, within the budget. */
  async read<T>(
    regionId: string,
    work: (manager: EntityManager) => Promise<T>,
    limits: StoreCallLimits = {},
  ): Promise<T> {
    const route = this.localRoute(regionId);
    try {
      return await this.guarded(route, () => work(route.dataSource.manager), limits);
    } catch (error) {
      throw this.storeFailure(route.region.id, error);
    }
  }

  /**
   * Through the region's breaker, within what is left of the store budget (from
   * `limits.startedAt`: the access gate's earlier store and KMS calls have used the rest) or of
   * the request's budget (`limits.deadline`), whichever ends first. A call with nothing left
   * does not reach the store: 503 `request_timeout`.
   */
  private guarded<T>(
    route: LocalRegionRoute,
    call: () => Promise<T>,
    limits: StoreCallLimits,
  ): Promise<T> {
    const now = performance.now();
    const left = Math.min(
      this.budgetMs - (now - (limits.startedAt ?? now)),
      (limits.deadline ?? Number.POSITIVE_INFINITY) - now,
    );
    if (left <= 0) return Promise.reject(new RequestTimeoutError());
    return route.bulkhead.run(() =>
      route.breaker.run(
        () => withDeadline(`store:${route.region.id}`, left, call),
        (error) => error instanceof DeadlineExceededError || isStoreUnavailable(error),
      ),
    );
  }

  /** Round-trips `SELECT 1` to every store, each bounded by `timeoutMs`. */
  async probe(timeoutMs: number): Promise<RegionProbe[]> {
    return Promise.all(
      [...this.routes.values()].map(async ({ region, dataSource, breaker }) => {
        const started = performance.now();
        let store: RegionProbe['store'] = 'ok';
        try {
          await withDeadline(`store:${region.id}`, timeoutMs, () => dataSource.query('SELECT 1'));
        } catch {
          store = 'unavailable';
          this.metrics.storeErrors.inc({ region: region.id, kind: 'unavailable' });
        }
        const latencyMs = Math.round((performance.now() - started) * 10) / 10;
        return {
          region: region.id,
          jurisdiction: region.jurisdiction,
          store,
          breaker: breaker.state,
          latencyMs,
        };
      }),
    );
  }

  /** Called by Nest on shutdown (SIGTERM), so pools close cleanly. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.routes.values()].map(async ({ dataSource }) => {
        if (dataSource.isInitialized) await dataSource.destroy();
      }),
    );
  }

  private storeFailure(regionId: string, error: unknown): unknown {
    if (error instanceof BulkheadFullError) {
      this.metrics.storeErrors.inc({ region: regionId, kind: 'overloaded' });
      return new RegionOverloadedError(regionId, error);
    }
    if (error instanceof BreakerOpenError || error instanceof DeadlineExceededError) {
      this.metrics.storeErrors.inc({ region: regionId, kind: 'unavailable' });
      return new RegionUnavailableError(regionId, error);
    }
    if (!(error instanceof Error) || error instanceof DomainError) return error;
    const unavailable = isStoreUnavailable(error);
    this.metrics.storeErrors.inc({ region: regionId, kind: unavailable ? 'unavailable' : 'query' });
    return unavailable ? new RegionUnavailableError(regionId, error) : error;
  }
}

function errorCode(error: unknown): string {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : error instanceof Error ? error.message : 'unknown error';
}
