import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { GatewayConfig } from '../config/gateway-config.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { DecisionTrace } from './request-context.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/**
 * Fastify hooks for every request: the `X-Request-Id` response header, request metrics and one
 * access-log line. Routes are labelled by their pattern (`/v1/subjects/:subjectId`), never by
 * the concrete URL, which would put subject ids into metrics and logs.
 */
export function observeRequests(
  fastify: FastifyInstance,
  metrics: GatewayMetrics,
  logger: LoggerService,
  format: GatewayConfig['logFormat'],
): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    const decisions = (request as { decisions?: DecisionTrace }).decisions;
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
    const durationMs = Math.round(reply.elapsedTime * 10) / 10;
    const entry = {
      requestId: request.id,
      method: request.method,
      route,
      status: reply.statusCode,
      durationMs,
    };
    logger.log(
      format === 'json'
        ? entry
        : `${entry.method} ${route} ${String(entry.status)} ${String(durationMs)}ms request=${request.id}`,
      'Access',
    );
  });
}
