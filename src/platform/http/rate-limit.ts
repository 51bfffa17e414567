import fastifyRateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { RateLimitConfig } from '../config/gateway-config.js';
import { DomainError } from '../errors/domain-error.js';
import type { GatewayMetrics } from '../metrics/gateway-metrics.js';
import type { Caller } from './request-context.js';

/** Too many requests from one caller to one route in the current window: 429. */
export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('rate_limited', 429, 'Rate limited', {
      detail: `Too many requests to this route; retry after ${String(retryAfterSeconds)} s.`,
      logLevel: 'info',
      headers: { 'Retry-After': String(retryAfterSeconds) },
      extensions: { retryAfterSeconds },
    });
  }
}

/** Keys kept per process (callers × routes); the least recently seen are forgotten first. */
const TRACKED_KEYS = 50_000;

function callerOf(request: FastifyRequest): Caller | undefined {
  return (request as FastifyRequest & { caller?: Caller }).caller;
}

function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? 'unmatched'}`;
}

/** The caller's limit: the largest among its roles (a role grants capacity, like purposes). */
export function limitFor(caller: Caller | undefined, config: RateLimitConfig): number {
  if (caller === undefined) return config.anonymous;
  let limit = 0;
  for (const role of caller.roles)
    limit = Math.max(limit, config.perRole[role] ?? config.otherRoles);
  return limit === 0 ? config.otherRoles : limit;
}

/**
 * Rate limits per caller and route pattern, with @fastify/rate-limit in an `onRequest` hook:
 * after the caller was identified from its token (an earlier `onRequest` hook; see
 * `identifyCallers` in src/auth) and before the body is read, anything is decided or any store
 * is touched. A caller is the token's service, or the client address without a valid token, so
 * a forged token spends the sender's budget, never the service it names. Counters live in this
 * process (see the README on how limits add up across workers and instances). Call before
 * `app.init()`, which registers the routes.
 */
export async function installRateLimit(
  app: NestFastifyApplication,
  config: RateLimitConfig,
  metrics: GatewayMetrics,
): Promise<void> {
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: config.windowMs,
    cache: TRACKED_KEYS,
    keyGenerator: (request) => {
      const caller = callerOf(request);
      const who = caller === undefined ? `ip:${normalizeIP(request.ip)}` : `svc:${caller.service}`;
      return `${routeOf(request)}|${who}`;
    },
    max: (request) => limitFor(callerOf(request), config),
    onExceeded: (request) => {
      metrics.rateLimited.inc({
        route: request.routeOptions.url ?? 'unmatched',
        caller: callerOf(request) === undefined ? 'anonymous' : 'service',
      });
    },
    errorResponseBuilder: (_request, context) =>
      new RateLimitedError(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
}
