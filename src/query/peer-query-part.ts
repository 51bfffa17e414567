import { Injectable } from '@nestjs/common';
import { PeerClient } from '../cells/peer-client.js';
import { FORWARDED_CALLER_HEADER } from '../cells/peer-inbound.js';
import { PeerProtocolError } from '../cells/peer.errors.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { REQUEST_ID_HEADER } from '../platform/http/request-id.js';
import type { RegionOutcome, QuerySpec } from './region-query.executor.js';

/** Most a peer's answer to one query part may hold (100 records of a few KiB, with room). */
const MAX_PART_BYTES = 8 * 1024 * 1024;

/** The caller's own credential, passed to the home cell, which verifies it itself. */
export interface CallerCredential {
  readonly authorization: string;
}

/**
 * Sends one region's part of a cross-border query to the cell serving that region
 * (`POST /v1/query/parts` on its peer port) and reads its outcome: that cell decides, searches,
 * decrypts, masks and logs; only the permitted view comes back. A refusal or failure there is
 * this region's `unavailable`, with the code it answered.
 */
@Injectable()
export class PeerQueryPart {
  constructor(private readonly peers: PeerClient) {}

  async run(
    ctx: RequestContext,
    credential: CallerCredential,
    region: string,
    spec: Omit<QuerySpec, 'policy' | 'collection'> & { collection: string },
    after: readonly [string, string] | null,
    signal: AbortSignal,
  ): Promise<RegionOutcome | { status: 'unavailable'; reason: string }> {
    const headers: Record<string, string> = {
      authorization: credential.authorization,
      'content-type': 'application/json',
      [REQUEST_ID_HEADER]: ctx.requestId,
      [FORWARDED_CALLER_HEADER]: ctx.caller.service,
    };
    if (ctx.purpose !== null) headers['x-purpose'] = ctx.purpose;
    if (ctx.caseId !== null) headers['x-case-id'] = ctx.caseId;
    const body = {
      region,
      collection: spec.collection,
      where: spec.where,
      fields: spec.fields,
      limit: spec.limit,
      ...(after === null ? {} : { after }),
    };
    const answer = await this.peers.send(
      region,
      {
        method: 'POST',
        path: '/v1/query/parts',
        headers,
        body: Buffer.from(JSON.stringify(body)),
        readOnly: true,
      },
      { signal, deadline: ctx.deadline },
    );
    const text = await readCapped(answer.body, MAX_PART_BYTES, region, signal);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new PeerProtocolError(region);
    }
    if (answer.status !== 200) {
      const code = (parsed as { code?: unknown } | null)?.code;
      return { status: 'unavailable', reason: typeof code === 'string' ? code : 'peer_error' };
    }
    return asOutcome(parsed, region);
  }
}

async function readCapped(
  body: AsyncIterable<Buffer>,
  max: number,
  region: string,
  signal: AbortSignal,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (signal.aborted) throw signal.reason as Error;
    size += chunk.length;
    if (size > max) throw new PeerProtocolError(region);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The outcome a peer answered, checked for shape (items from the region asked, and only it). */
function asOutcome(
  value: unknown,
  region: string,
): RegionOutcome | { status: 'unavailable'; reason: string } {
  const outcome = value as Partial<Record<string, unknown>> | null;
  // The peer's own store or KMS did not answer in its time.
  if (outcome?.['status'] === 'unavailable' && typeof outcome['reason'] === 'string')
    return { status: 'unavailable', reason: outcome['reason'] };
  if (outcome?.['status'] === 'denied' && typeof outcome['decisionId'] === 'string') {
    const reasons = outcome['reasons'];
    if (Array.isArray(reasons) && reasons.every((r) => typeof r === 'string'))
      return { status: 'denied', reasons: reasons, decisionId: outcome['decisionId'] };
  }
  if (
    outcome?.['status'] === 'ok' &&
    Array.isArray(outcome['items']) &&
    typeof outcome['hasMore'] === 'boolean' &&
    typeof outcome['candidates'] === 'number' &&
    typeof outcome['decisionId'] === 'string' &&
    (outcome['items'] as unknown[]).every(
      (item) =>
        typeof item === 'object' &&
        item !== null &&
        (item as { region?: unknown }).region === region &&
        typeof (item as { subjectId?: unknown }).subjectId === 'string' &&
        typeof (item as { recordId?: unknown }).recordId === 'string',
    )
  ) {
    return outcome as unknown as RegionOutcome;
  }
  throw new PeerProtocolError(region);
}
