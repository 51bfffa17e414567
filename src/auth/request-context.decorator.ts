import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RequestContext } from '../platform/http/request-context.js';
import type { AuthenticatedRequest } from './service-auth.guard.js';

/** Injects the {@link RequestContext} of an authenticated request into a controller method. */
export const Ctx = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestContext => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.caller === undefined) {
      // Only reachable if a route is both public and asks for a caller: a programming error.
      throw new Error('request context requested on an unauthenticated route');
    }
    return { requestId: request.id, caller: request.caller };
  },
);
