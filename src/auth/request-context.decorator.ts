import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { InvalidRequestError } from '../platform/errors/domain-error.js';
import type { RequestContext } from '../platform/http/request-context.js';
import type { AuthenticatedRequest } from './service-auth.guard.js';

const PURPOSE = /^[a-z][a-z0-9-]{0,63}$/;

function header(request: AuthenticatedRequest, name: string): string | null {
  const value = request.headers[name];
  if (value === undefined) return null;
  if (Array.isArray(value)) throw new InvalidRequestError(`Send ${name} once.`);
  return value.trim() === '' ? null : value.trim();
}

/** Injects the {@link RequestContext} of an authenticated request into a controller method. */
export const Ctx = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.caller === undefined) {
      // Only reachable if a route is both public and asks for a caller: a programming error.
      throw new Error('request context requested on an unauthenticated route');
    }
    const purpose = header(request, 'x-purpose');
    if (purpose !== null && !PURPOSE.test(purpose)) {
      throw new InvalidRequestError('X-Purpose must be a purpose name such as service-delivery.');
    }
    request.decisions ??= { ids: [], breakGlass: false };
    return {
      requestId: request.id,
      caller: request.caller,
      purpose,
      caseId: header(request, 'x-case-id'),
      via: request.via ?? null,
      deadline: request.deadline ?? Number.POSITIVE_INFINITY,
      decisions: request.decisions,
    };
  },
);
