import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Caller, DecisionTrace, Via } from '../platform/http/request-context.js';
import { PUBLIC_ROUTE } from './public-route.decorator.js';
import { ServiceTokenVerifier } from './service-token.verifier.js';

export type AuthenticatedRequest = FastifyRequest & {
  caller?: Caller;
  /** Why the token sent was refused, when `identifyCallers` tried it (thrown on protected routes). */
  authenticationError?: Error;
  decisions?: DecisionTrace;
  /** When its budget runs out (`performance.now()` clock; set on arrival, platform/http). */
  deadline?: number;
  /** The peer cell that forwarded this request, from its mTLS certificate (cells/peer-inbound). */
  via?: Via;
};

/**
 * Global guard: every route requires a verified service token unless marked
 * {@link PublicRoute}. New routes are protected by default. The token was usually verified
 * already, when the request arrived (`identifyCallers`, for the rate limit); the guard decides.
 */
@Injectable()
export class ServiceAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: ServiceTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic === true) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (request.caller !== undefined) return true;
    if (request.authenticationError !== undefined) throw request.authenticationError;
    request.caller = await this.verifier.verify(request.headers.authorization);
    return true;
  }
}
