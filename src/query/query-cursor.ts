import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../platform/errors/domain-error.js';

/** Where each region's results continue: after (subject, record), or `done`. */
export type RegionPositions = Readonly<Record<string, readonly [string, string] | 'done'>>;

export class InvalidQueryCursorError extends DomainError {
  constructor() {
    super('malformed_cursor', 400, 'Malformed cursor', {
      detail: 'Pass back the nextCursor of the same query unchanged.',
    });
  }
}

const MAC_BYTES = 16;

/**
 * Opaque, authenticated cursors for cross-region pages: the per-region positions plus a
 * digest of the query they belong to, under an HMAC. An edited, forged or borrowed cursor
 * (another query's) is refused with 400.
 */
export class QueryCursorCodec {
  constructor(private readonly secret: Buffer) {}

  encode(queryDigest: string, positions: RegionPositions): string {
    const payload = Buffer.from(
      JSON.stringify({ v: 1, q: queryDigest, p: positions }),
      'utf8',
    ).toString('base64url');
    return `${payload}.${this.mac(payload).toString('base64url')}`;
  }

  decode(cursor: string, queryDigest: string): RegionPositions {
    const [payload, mac, extra] = cursor.split('.');
    if (
      payload === undefined ||
      mac === undefined ||
      extra !== undefined ||
      payload.length > 8192
    ) {
      throw new InvalidQueryCursorError();
    }
    const given = Buffer.from(mac, 'base64url');
    const expected = this.mac(payload);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new InvalidQueryCursorError();
    const parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      v?: unknown;
      q?: unknown;
      p?: unknown;
    };
    if (
      parsed.v !== 1 ||
      parsed.q !== queryDigest ||
      typeof parsed.p !== 'object' ||
      parsed.p === null
    ) {
      throw new InvalidQueryCursorError();
    }
    return parsed.p as RegionPositions;
  }

  private mac(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest().subarray(0, MAC_BYTES);
  }
}
