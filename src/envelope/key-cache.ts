import { LRUCache } from 'lru-cache';

export interface KeyCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
}

export interface KeyCacheListener {
  hit(): void;
  miss(): void;
}

/**
 * Unwrapped key material, bounded in size and age, so the hot path makes no KMS call. Entries
 * are zeroed when evicted, expired or deleted. Callers get a copy, so an eviction can never
 * zero a key under a request that is still using it.
 */
export class KeyCache {
  private readonly entries: LRUCache<string, Buffer>;
  private readonly loading = new Map<string, Promise<Buffer>>();
  /** Bumped by delete(): a load that started before a delete must not put the key back. */
  private readonly generations = new Map<string, number>();

  constructor(
    options: KeyCacheOptions,
    private readonly listener: KeyCacheListener = { hit: () => undefined, miss: () => undefined },
  ) {
    this.entries = new LRUCache<string, Buffer>({
      max: options.maxEntries,
      ttl: options.ttlMs,
      ttlAutopurge: true,
      dispose: (value) => value.fill(0),
    });
  }

  /**
   * The key for `id`, loading it with `load` on a miss. Concurrent misses for one id share one
   * load (one KMS call). The returned buffer is the caller's to zero.
   */
  async get(id: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const cached = this.entries.get(id);
    if (cached !== undefined) {
      this.listener.hit();
      return Buffer.from(cached);
    }
    this.listener.miss();
    let pending = this.loading.get(id);
    if (pending === undefined) {
      const generation = this.generations.get(id) ?? 0;
      pending = load().then((loaded) => {
        if ((this.generations.get(id) ?? 0) === generation)
          this.entries.set(id, Buffer.from(loaded));
        // Every waiter copies the key as soon as it resumes (microtasks); zero it after them.
        setImmediate(() => loaded.fill(0));
        return loaded;
      });
      this.loading.set(id, pending);
      pending.finally(() => this.loading.delete(id)).catch(() => undefined);
    }
    return Buffer.from(await pending);
  }

  /**
   * Puts a key just created, so the first read needs no KMS call. The cache takes ownership of
   * `key`: it is zeroed when evicted, expired or deleted.
   */
  put(id: string, key: Buffer): void {
    this.entries.set(id, key);
  }

  /** Forgets (and zeroes) a key, e.g. on erasure; a load already under way is not cached. */
  delete(id: string): void {
    this.entries.delete(id);
    this.loading.delete(id);
    this.generations.set(id, (this.generations.get(id) ?? 0) + 1);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
