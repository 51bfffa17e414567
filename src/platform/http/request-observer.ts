import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { DecisionTrace } from './request-context.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/**
 * Fastify hooks for every request: the `X-Request-Id`, `X-Decision-Id` and `X-Break-Glass` headers,
 * request metrics and one access-log line. Routes are labelled by their pattern
 * (`/v1/subjects/:subjectId`), never by the concrete URL, which would put subject ids into
 * metrics and logs.
 */
export function observeRequests(
  fastify: FastifyInstance,
  metrics: GatewayMetrics,
  logger: Logger,
): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    const decisions = decisionsOf(request);
    if (decisions !== undefined && decisions.ids.length > 0) {
      void reply.header('X-Decision-Id', decisions.ids.join(', '));
    }
    if (decisions?.breakGlass === true) void reply.header('X-Break-Glass', 'true');
    return payload;
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, seconds);
    const decisions = decisionsOf(request);
    logger.info(
      {
        context: 'Access',
        requestId: request.id,
        method: request.method,
        route,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 10) / 10,
        ...(decisions === undefined || decisions.ids.length === 0
          ? {}
          : { decisionIds: decisions.ids }),
      },
      'request',
    );
  });
}

function decisionsOf(request: object): DecisionTrace | undefined {
  return (request as { decisions?: DecisionTrace }).decisions;
}
