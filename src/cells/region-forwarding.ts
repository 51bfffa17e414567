import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuthenticatedRequest } from '../auth/service-auth.guard.js';
import { sendProblem } from '../platform/http/problem.filter.js';
import { REQUEST_ID_HEADER } from '../platform/http/request-id.js';
import { RegionNotServedHereError } from '../regions/region-router.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';
import type { RegionTopology } from '../regions/region-topology.js';
import { FORWARDED_ROUTES } from './forwarded-routes.js';
import type { PeerAnswer, PeerClient } from './peer-client.js';
import { FORWARDED_CALLER_HEADER } from './peer-inbound.js';

/** Request headers a forwarded call carries: the caller's own credentials and intent. */
const FORWARDED_REQUEST_HEADERS = [
  'authorization',
  'x-purpose',
  'x-case-id',
  'if-match',
  'if-none-match',
  'content-type',
  'accept',
] as const;

/** Response headers that describe the connection, not the answer: never passed back. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'date',
  'upgrade',
  'te',
  'trailer',
  'proxy-authenticate',
  'proxy-authorization',
  REQUEST_ID_HEADER,
]);

/** Sent back on a read a caller at home made through a foreign cell: where the full view is. */
export const FULL_VIEW_HEADER = 'x-full-view-region';

export interface ForwardingDependencies {
  readonly topology: RegionTopology;
  readonly policy: () => PolicySnapshot;
  readonly peers: PeerClient;
  readonly logger: LoggerService;
}

/**
 * Forwards every request about a region another cell serves to that cell, whole: the caller's
 * token, purpose and case go along, the home cell re-verifies the token, decides, decrypts,
 * masks and logs, and its answer (status, headers, body) is passed back unchanged. Runs as the
 * last hook before the handler, once the caller is authenticated (an unauthenticated request
 * is refused here, never relayed). A forwarded request is never forwarded again.
 */
export function forwardToPeers(fastify: FastifyInstance, deps: ForwardingDependencies): void {
  fastify.addHook('preHandler', async (raw, reply) => {
    const request = raw as AuthenticatedRequest & { forwardedTo?: string; rawJsonBody?: Buffer };
    // HEAD is answered like GET (Fastify adds it to every GET route).
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const locate = FORWARDED_ROUTES[`${method} ${request.routeOptions.url ?? ''}`];
    if (locate === undefined || request.caller === undefined) return;
    const region = locate(request, deps);
    if (region === undefined) return;
    if (deps.topology.isLocal(region)) {
      markFullView(request, reply, region, deps.topology);
      return;
    }
    if (deps.topology.peer(region) === undefined) return; // unknown: the handler says so
    try {
      if (request.via !== undefined) throw new RegionNotServedHereError(region);
      request.forwardedTo = region;
      const answer = await deps.peers.send(
        region,
        {
          method: request.method,
          path: request.url,
          headers: forwardedHeaders(request),
          ...(request.rawJsonBody === undefined ? {} : { body: request.rawJsonBody }),
        },
        { ...(request.deadline === undefined ? {} : { deadline: request.deadline }) },
      );
      passBack(answer, reply);
    } catch (error) {
      void reply.header(REQUEST_ID_HEADER, request.id);
      sendProblem(error, request, reply, deps.logger);
    }
    return reply;
  });
}

function forwardedHeaders(request: AuthenticatedRequest): Record<string, string> {
  const headers: Record<string, string> = {
    [REQUEST_ID_HEADER]: request.id,
    [FORWARDED_CALLER_HEADER]: request.caller?.service ?? '',
  };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

function passBack(answer: PeerAnswer, reply: FastifyReply): void {
  void reply.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) void reply.header(name, value);
  }
  void reply.send(answer.body);
}

/**
 * A caller of this jurisdiction whose request came through a cell of another: the answer was
 * limited to what may leave (the policy's `read_excepted_via_other_jurisdiction`); tell it
 * which region serves it in full when called there directly.
 */
function markFullView(
  request: AuthenticatedRequest,
  reply: FastifyReply,
  region: string,
  topology: RegionTopology,
): void {
  const home = topology.find(region)?.jurisdiction;
  if (
    request.via !== undefined &&
    home !== undefined &&
    request.via.jurisdiction !== home &&
    request.caller?.jurisdiction === home
  ) {
    void reply.header(FULL_VIEW_HEADER, region);
  }
}
