import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BreakerOpenError, CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import { Bulkhead, BulkheadFullError } from './bulkhead.js';
import { DeadlineExceededError, withDeadline } from './deadline.js';

const down = new Error('unavailable');
const refused = new Error('refused ciphertext');
const countsAsFailure = (error: unknown): boolean => error === down;

function breaker(): { breaker: CircuitBreaker; clock: { t: number }; seen: BreakerState[] } {
  const clock = { t: 0 };
  const seen: BreakerState[] = [];
  return {
    breaker: new CircuitBreaker(
      'kms:test',
      { failureThreshold: 3, openMs: 1000 },
      (to) => seen.push(to),
      () => clock.t,
    ),
    clock,
    seen,
  };
}

const fail = (): Promise<never> => Promise.reject(down);
const ok = (): Promise<string> => Promise.resolve('ok');

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures and then fails fast without calling', async () => {
    const { breaker: b, seen } = breaker();
    for (let i = 0; i < 3; i++) await assert.rejects(b.run(fail, countsAsFailure), down);
    assert.equal(b.state, 'open');
    let called = false;
    await assert.rejects(
      b.run(async () => {
        called = true;
        return ok();
      }, countsAsFailure),
      BreakerOpenError,
    );
    assert.equal(called, false);
    assert.deepEqual(seen, ['open']);
  });

  it('a success in between resets the count; failures that are not about availability never open it', async () => {
    const { breaker: b } = breaker();
    await assert.rejects(b.run(fail, countsAsFailure));
    await assert.rejects(b.run(fail, countsAsFailure));
    await b.run(ok, countsAsFailure);
    await assert.rejects(b.run(fail, countsAsFailure));
    await assert.rejects(b.run(fail, countsAsFailure));
    for (let i = 0; i < 10; i++)
      await assert.rejects(
        b.run(() => Promise.reject(refused), countsAsFailure),
        refused,
      );
    assert.equal(b.state, 'closed');
  });

  it('after openMs lets exactly one probe through: success closes, failure re-opens for another openMs', async () => {
    const { breaker: b, clock, seen } = breaker();
    for (let i = 0; i < 3; i++) await assert.rejects(b.run(fail, countsAsFailure));
    clock.t = 1000;
    let release: (value: string) => void = () => undefined;
    const probe = b.run(
      () => new Promise<string>((resolve) => (release = resolve)),
      countsAsFailure,
    );
    assert.equal(b.state, 'half_open');
    await assert.rejects(b.run(ok, countsAsFailure), BreakerOpenError, 'one probe at a time');
    release('ok');
    assert.equal(await probe, 'ok');
    assert.equal(b.state, 'closed');

    for (let i = 0; i < 3; i++) await assert.rejects(b.run(fail, countsAsFailure));
    clock.t = 2500;
    await assert.rejects(b.run(fail, countsAsFailure), down);
    assert.equal(b.state, 'open');
    clock.t = 3000;
    await assert.rejects(b.run(ok, countsAsFailure), BreakerOpenError, 'open again for openMs');
    assert.deepEqual(seen, ['open', 'half_open', 'closed', 'open', 'half_open', 'open']);
  });
});

describe('deadline', () => {
  it('settles at the deadline even when the work ignores its signal, and aborts the signal', async () => {
    let aborted: unknown;
    const started = performance.now();
    await assert.rejects(
      withDeadline('kms:test', 50, (signal) => {
        signal.addEventListener('abort', () => {
          aborted = signal.reason as unknown;
        });
        return new Promise<never>(() => undefined);
      }),
      DeadlineExceededError,
    );
    assert.ok(performance.now() - started < 500);
    assert.ok(aborted instanceof DeadlineExceededError);
  });

  it('passes results and errors through before the deadline', async () => {
    assert.equal(await withDeadline('x', 1000, () => ok()), 'ok');
    await assert.rejects(withDeadline('x', 1000, fail), down);
  });
});

describe('bulkhead', () => {
  it('admits up to its limit, refuses the next at once, and admits again as calls finish', async () => {
    const bulkhead = new Bulkhead('store:test', 2);
    const releases: (() => void)[] = [];
    const held = (): Promise<void> =>
      new Promise<void>((resolve) => {
        releases.push(resolve);
      });
    const first = bulkhead.run(held);
    const second = bulkhead.run(held);
    assert.equal(bulkhead.inFlight, 2);
    await assert.rejects(bulkhead.run(ok), BulkheadFullError);
    releases[0]?.();
    await first;
    assert.equal(await bulkhead.run(ok), 'ok');
    releases[1]?.();
    await second;
    assert.equal(bulkhead.inFlight, 0);
  });

  it('frees its place when the call fails', async () => {
    const bulkhead = new Bulkhead('store:test', 1);
    await assert.rejects(bulkhead.run(fail), down);
    assert.equal(await bulkhead.run(ok), 'ok');
  });
});
