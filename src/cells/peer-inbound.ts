import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { AuthenticatedRequest } from '../auth/service-auth.guard.js';
import type { GatewayMetrics } from '../platform/metrics/gateway-metrics.js';
import { sendProblem } from '../platform/http/problem.filter.js';
import { REQUEST_ID_HEADER } from '../platform/http/request-id.js';
import type { RegionTopology } from '../regions/region-topology.js';
import { BUDGET_HEADER } from './peer-client.js';
import { PeerRefusedError } from './peer.errors.js';
import type { PeerListener } from './peer-listener.js';

/** The header a forwarding cell names the caller in; the home cell checks it against the token. */
export const FORWARDED_CALLER_HEADER = 'x-forwarded-caller';

/**
 * On the peer port, before anything else reads the request (after the caller's token was
 * verified, `identifyCallers`): the calling cell must present a certificate naming a region of
 * this cell's peers, and name the same caller the token does. The request then carries `via`,
 * the forwarding cell, which the policy and the audit entry see. Anything else is refused
 * (403 problem+json), logged and counted; nothing is decided or read.
 */
export function identifyPeerCalls(
  fastify: FastifyInstance,
  listener: PeerListener,
  topology: RegionTopology,
  metrics: GatewayMetrics,
  logger: LoggerService,
): void {
  fastify.addHook('onRequest', (raw, reply, done) => {
    if (!listener.isPeerRequest(raw.raw)) {
      done();
      return;
    }
    const request = raw as AuthenticatedRequest;
    const refuse = (error: PeerRefusedError): void => {
      metrics.peerRefused.inc({ code: error.code });
      void reply.header(REQUEST_ID_HEADER, request.id);
      sendProblem(error, request, reply, logger);
    };
    const region = listener.peerRegion(request.raw);
    const peer = region === undefined ? undefined : topology.peer(region);
    if (peer === undefined) {
      refuse(
        new PeerRefusedError(
          'peer_not_trusted',
          'The client certificate does not name a peer cell of this gateway.',
        ),
      );
      return;
    }
    const named = request.headers[FORWARDED_CALLER_HEADER];
    if (request.caller !== undefined && named !== request.caller.service) {
      refuse(
        new PeerRefusedError(
          'forwarded_caller_mismatch',
          'The forwarding cell named a caller the token does not.',
        ),
      );
      return;
    }
    request.via = { region: peer.id, jurisdiction: peer.jurisdiction };
    // The forwarding cell stops waiting after this long: finish (or give up) by then.
    const budget = Number(request.headers[BUDGET_HEADER]);
    if (Number.isInteger(budget) && budget > 0 && budget <= 600_000)
      request.deadline = Math.min(
        request.deadline ?? Number.POSITIVE_INFINITY,
        performance.now() + budget,
      );
    done();
  });
}
