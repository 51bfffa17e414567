import { readFile } from 'node:fs/promises';

/**
 * Where bundles come from: a file (re-read on every poll) or an http(s) URL (polled with
 * If-None-Match). Returns `undefined` when the source says nothing changed.
 */
export class PolicyBundleSource {
  private etag: string | undefined;

  constructor(readonly location: string) {}

  get isUrl(): boolean {
    return /^https?:\/\//.test(this.location);
  }

  async fetch(): Promise<Buffer | undefined> {
    if (!this.isUrl) return readFile(this.location);
    const response = await fetch(this.location, {
      headers: this.etag === undefined ? {} : { 'if-none-match': this.etag },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 304) return undefined;
    if (!response.ok) throw new Error(`bundle server answered ${String(response.status)}`);
    this.etag = response.headers.get('etag') ?? undefined;
    return Buffer.from(await response.arrayBuffer());
  }
}
