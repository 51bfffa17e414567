import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Caller-chosen ids are echoed only if they are short and plain, so they are safe to log. */
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify `genReqId`: reuse a well-formed `X-Request-Id`, otherwise mint a UUID. */
export function requestIdFor(request: IncomingMessage): string {
  const sent = request.headers[REQUEST_ID_HEADER];
  return typeof sent === 'string' && ACCEPTABLE.test(sent) ? sent : randomUUID();
}
