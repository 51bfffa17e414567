import {
  Catch,
  type ArgumentsHost,
  type ExceptionFilter,
  type LoggerService,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { describeError } from '../logging/describe-error.js';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.js';

/** Sends a problem response and logs the error at the level its code calls for. */
export function sendProblem(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: LoggerService,
): void {
  const problem = toProblem(error, request.id);
  if (problem.logLevel === 'error' || problem.logLevel === 'warn') {
    const entry = {
      requestId: request.id,
      code: problem.body.code,
      status: problem.status,
      error: describeError(error),
    };
    if (problem.logLevel === 'error') logger.error(entry, undefined, 'Problem');
    else logger.warn(entry, 'Problem');
  }
  void reply
    .status(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem.body);
}

/** The one global exception filter: every error leaves as `application/problem+json`. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: LoggerService) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(
      error,
      http.getRequest<FastifyRequest>(),
      http.getResponse<FastifyReply>(),
      this.logger,
    );
  }
}
