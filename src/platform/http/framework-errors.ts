import type { LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.js';
import { sendProblem } from './problem.filter.js';
import { REQUEST_ID_HEADER } from './request-id.js';

/**
 * Errors Fastify's router raises before any route (and so before Nest's exception filter) runs:
 * a URL it cannot decode, a path segment over the length limit. They leave as problem+json with
 * a stable code like every other error (found by fuzzing the API).
 */
export function frameworkErrorHandler(
  logger: LoggerService,
): (error: Error & { code?: string }, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    // No route ran, so neither did the hook that echoes the request id.
    void reply.header(REQUEST_ID_HEADER, request.id);
    sendProblem(translate(error), request, reply, logger);
  };
}

function translate(error: Error & { code?: string }): unknown {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return new DomainError('malformed_url', 400, 'Malformed URL', {
        detail: 'The request URL could not be decoded.',
      });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new DomainError('uri_too_long', 414, 'URI too long', {
        detail: 'A path segment of the URL is longer than the gateway accepts.',
      });
    case undefined:
    default:
      return error;
  }
}
