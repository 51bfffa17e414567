import { Injectable, type LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../platform/errors/domain-error.js';
import { sendProblem } from '../platform/http/problem.filter.js';
import { REQUEST_ID_HEADER } from '../platform/http/request-id.js';

/**
 * Where this process is in its shutdown: `draining` from SIGTERM on (readiness 503, requests
 * still served), `closing` once the drain period is over (new requests refused with 503
 * `shutting_down` as problem+json while the ones in flight finish).
 */
@Injectable()
export class ShutdownState {
  draining = false;
  closing = false;
}

/** A request that arrived after the drain period: another instance should take it. */
export class ShuttingDownError extends DomainError {
  constructor() {
    super('shutting_down', 503, 'Shutting down', {
      detail: 'This gateway instance is shutting down; nothing was done. Retry.',
      headers: { 'Retry-After': '1', Connection: 'close' },
      logLevel: 'info',
    });
  }
}

/**
 * Installs the first request hook: once the drain period is over, a new request (on a
 * connection still open) is answered 503 `shutting_down` before anything else runs.
 */
export function refuseWhileClosing(
  fastify: FastifyInstance,
  state: ShutdownState,
  logger: LoggerService,
): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!state.closing) {
      done();
      return;
    }
    void reply.header(REQUEST_ID_HEADER, request.id);
    sendProblem(new ShuttingDownError(), request, reply, logger);
  });
}
