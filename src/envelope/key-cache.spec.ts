import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { KeyCache } from './key-cache.js';

describe('KeyCache', () => {
  it('loads a key once for many concurrent and later lookups', async () => {
    let loads = 0;
    const cache = new KeyCache({ maxEntries: 10, ttlMs: 60_000 });
    const load = async (): Promise<Buffer> => {
      loads++;
      await sleep(5);
      return Buffer.alloc(32, 1);
    };
    const keys = await Promise.all(Array.from({ length: 50 }, () => cache.get('a', load)));
    keys.push(await cache.get('a', load));
    assert.equal(loads, 1);
    for (const key of keys) assert.deepEqual(key, Buffer.alloc(32, 1));
  });

  it('hands out copies, so zeroing one leaves the cached key intact', async () => {
    const cache = new KeyCache({ maxEntries: 10, ttlMs: 60_000 });
    const first = await cache.get('a', () => Promise.resolve(Buffer.alloc(32, 9)));
    first.fill(0);
    assert.deepEqual(
      await cache.get('a', () => Promise.reject(new Error('reloaded'))),
      Buffer.alloc(32, 9),
    );
  });

  it('zeroes the key it loaded once the waiters have their copies', async () => {
    const cache = new KeyCache({ maxEntries: 10, ttlMs: 60_000 });
    const loaded = Buffer.alloc(32, 5);
    const copies = await Promise.all([
      cache.get('a', () => Promise.resolve(loaded)),
      cache.get('a', () => Promise.reject(new Error('x'))),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(loaded, Buffer.alloc(32, 0));
    for (const copy of copies) assert.deepEqual(copy, Buffer.alloc(32, 5));
  });

  it('is bounded, and zeroes keys on eviction and on delete', async () => {
    const cache = new KeyCache({ maxEntries: 2, ttlMs: 60_000 });
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    const c = Buffer.alloc(32, 3);
    cache.put('a', a);
    cache.put('b', b);
    cache.put('c', c); // evicts a, the least recently used
    assert.equal(cache.size, 2);
    assert.deepEqual(a, Buffer.alloc(32, 0));
    assert.deepEqual(b, Buffer.alloc(32, 2));
    cache.delete('b');
    assert.deepEqual(b, Buffer.alloc(32, 0));
    let reloaded = false;
    await cache.get('a', () => {
      reloaded = true;
      return Promise.resolve(Buffer.alloc(32, 1));
    });
    assert.ok(reloaded, 'an evicted key is loaded again');
    cache.clear();
    assert.deepEqual(c, Buffer.alloc(32, 0));
  });

  it('zeroes keys when they expire, without being asked', async () => {
    const cache = new KeyCache({ maxEntries: 10, ttlMs: 10 });
    const key = Buffer.alloc(32, 8);
    cache.put('a', key);
    await sleep(40);
    assert.deepEqual(key, Buffer.alloc(32, 0));
  });

  it('expires keys after the TTL', async () => {
    let loads = 0;
    const cache = new KeyCache({ maxEntries: 10, ttlMs: 20 });
    const load = (): Promise<Buffer> => {
      loads++;
      return Promise.resolve(Buffer.alloc(32, 1));
    };
    await cache.get('a', load);
    await sleep(40);
    await cache.get('a', load);
    assert.equal(loads, 2);
  });

  it('does not put back a key deleted while it was loading (erasure during a read)', async () => {
    const cache = new KeyCache({ maxEntries: 10, ttlMs: 60_000 });
    let release: (key: Buffer) => void = () => undefined;
    const loading = cache.get('a', () => new Promise<Buffer>((resolve) => (release = resolve)));
    cache.delete('a');
    release(Buffer.alloc(32, 4));
    await loading;
    let reloaded = false;
    await cache.get('a', () => {
      reloaded = true;
      return Promise.resolve(Buffer.alloc(32, 4));
    });
    assert.ok(reloaded, 'the key was not cached after the delete');
  });

  it('does not cache a failed load', async () => {
    const cache = new KeyCache({ maxEntries: 10, ttlMs: 60_000 });
    await assert.rejects(
      cache.get('a', () => Promise.reject(new Error('kms down'))),
      /kms down/,
    );
    assert.deepEqual(
      await cache.get('a', () => Promise.resolve(Buffer.alloc(32, 2))),
      Buffer.alloc(32, 2),
    );
  });
});
