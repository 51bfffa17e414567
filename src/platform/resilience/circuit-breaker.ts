import type { GatewayMetrics } from '../metrics/gateway-metrics.js';

/** closed: calls go through; open: calls fail at once; half_open: one probe call at a time. */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive availability failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long an open breaker fails fast before it lets one probe through. */
  readonly openMs: number;
}

/** Raised instead of calling a dependency whose breaker is open (or already probing). */
export class BreakerOpenError extends Error {
  constructor(readonly dependency: string) {
    super(`the circuit breaker of ${dependency} is open`);
    this.name = 'BreakerOpenError';
  }
}

/**
 * A circuit breaker for one dependency of one region (its KMS, its store): after
 * `failureThreshold` consecutive failures it opens and callers fail fast instead of each waiting
 * out a timeout on a dependency that is down or hung; after `openMs` one probe call goes through
 * (half open) and its outcome closes or re-opens the breaker. Only failures `countsAsFailure`
 * accepts are counted: a refused ciphertext says nothing about availability.
 */
export class CircuitBreaker {
  private currentState: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;

  constructor(
    readonly dependency: string,
    private readonly options: BreakerOptions,
    private readonly onTransition: (to: BreakerState) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get state(): BreakerState {
    return this.currentState;
  }

  async run<T>(work: () => Promise<T>, countsAsFailure: (error: unknown) => boolean): Promise<T> {
    const probe = this.admit();
    try {
      const result = await work();
      this.succeeded();
      return result;
    } catch (error) {
      if (countsAsFailure(error)) this.failed();
      else if (probe) this.succeeded(); // it answered: the dependency is up
      throw error;
    } finally {
      if (probe) this.probing = false;
    }
  }

  /** Whether the call may go through; true when it is the half-open probe. */
  private admit(): boolean {
    if (this.currentState === 'closed') return false;
    if (this.currentState === 'open') {
      if (this.now() - this.openedAt < this.options.openMs)
        throw new BreakerOpenError(this.dependency);
      this.transition('half_open');
    }
    if (this.probing) throw new BreakerOpenError(this.dependency);
    this.probing = true;
    return true;
  }

  private succeeded(): void {
    this.failures = 0;
    if (this.currentState !== 'closed') this.transition('closed');
  }

  private failed(): void {
    this.failures += 1;
    if (this.currentState === 'half_open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = this.now();
      if (this.currentState !== 'open') this.transition('open');
    }
  }

  private transition(to: BreakerState): void {
    this.currentState = to;
    this.onTransition(to);
  }
}

const STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, half_open: 1, open: 2 };

/** The breaker of one dependency of one region, its state and transitions in the metrics. */
export function meteredBreaker(
  dependency: 'kms' | 'store' | 'peer',
  region: string,
  options: BreakerOptions,
  metrics: GatewayMetrics,
): CircuitBreaker {
  const labels = { dependency, region };
  metrics.breakerState.set(labels, STATE_VALUE.closed);
  return new CircuitBreaker(`${dependency}:${region}`, options, (to) => {
    metrics.breakerState.set(labels, STATE_VALUE[to]);
    metrics.breakerTransitions.inc({ ...labels, to });
  });
}
