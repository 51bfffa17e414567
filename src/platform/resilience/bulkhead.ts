/** Raised instead of queueing one more call on a dependency that already has its limit waiting. */
export class BulkheadFullError extends Error {
  constructor(readonly dependency: string) {
    super(`${dependency} has as many calls in flight as it may`);
    this.name = 'BulkheadFullError';
  }
}

/**
 * A bound on the calls in flight to one dependency of one region (running or waiting for a
 * pooled connection): past it, a call fails at once instead of joining a pile-up behind a
 * store that has slowed down or hung, and the waiting is bounded in number as well as in time.
 */
export class Bulkhead {
  private active = 0;

  constructor(
    readonly dependency: string,
    private readonly limit: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) throw new BulkheadFullError(this.dependency);
    this.active += 1;
    try {
      return await call();
    } finally {
      this.active -= 1;
    }
  }
}
