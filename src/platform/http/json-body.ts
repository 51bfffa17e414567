import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { GatewayConfig, JsonStructureLimits } from '../config/gateway-config.js';
import { DomainError } from '../errors/domain-error.js';
import { checkJsonStructure, type JsonStructureViolation } from './json-structure.js';

/** What a route may tighten: its body size and the structure of its JSON. */
export interface RouteJsonLimits extends Partial<JsonStructureLimits> {
  readonly maxBytes?: number;
}

type EffectiveLimits = JsonStructureLimits & { readonly maxBytes: number };

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A route's own body limits (from {@link JsonBodyLimits}), then the effective ones. */
    jsonLimits?: RouteJsonLimits;
  }
}

/**
 * Gives a route tighter body limits than the gateway's (never looser): a route whose body is a
 * handful of short fields should not accept a megabyte of nesting. Sizes above the route's
 * `maxBytes` get 413 before they are read to the end.
 */
export const JsonBodyLimits = (limits: RouteJsonLimits): MethodDecorator =>
  RouteConfig({ jsonLimits: limits });

const DETAILS: Record<JsonStructureViolation, (limits: EffectiveLimits) => string> = {
  json_too_deep: (limits) =>
    `The JSON body nests deeper than ${String(limits.maxDepth)} levels of objects and arrays.`,
  json_too_complex: (limits) =>
    `The JSON body holds more than ${String(limits.maxMembers)} members and items.`,
  json_string_too_long: (limits) =>
    `A string in the JSON body is longer than ${String(limits.maxStringBytes)} bytes.`,
};

/** A JSON body beyond the structure limits of its route: 400, refused before it is parsed. */
export class JsonStructureError extends DomainError {
  constructor(violation: JsonStructureViolation, limits: EffectiveLimits) {
    super(violation, 400, 'JSON body too complex', {
      detail: DETAILS[violation](limits),
      logLevel: 'info',
      extensions: {
        limits: {
          maxDepth: limits.maxDepth,
          maxMembers: limits.maxMembers,
          maxStringBytes: limits.maxStringBytes,
        },
      },
    });
  }
}

function tighter(gateway: number, route: number | undefined): number {
  return route === undefined ? gateway : Math.min(gateway, route);
}

/**
 * The JSON body parser of every route: the body is read up to the route's byte limit (413
 * beyond it), its raw bytes are checked against the route's structure limits in one linear
 * pass (400 `json_too_deep` / `json_too_complex` / `json_string_too_long`), and only then
 * parsed, by Fastify's own parser (which refuses `__proto__` and `constructor.prototype`).
 * Call before `app.init()`, which registers the routes.
 */
export function installJsonBodyParser(
  app: NestFastifyApplication,
  config: Pick<GatewayConfig, 'bodyLimitBytes' | 'json'>,
): void {
  const fastify = app.getHttpAdapter().getInstance();
  const gatewayLimits: EffectiveLimits = { ...config.json, maxBytes: config.bodyLimitBytes };
  fastify.addHook('onRoute', (route) => {
    const own = route.config?.jsonLimits;
    if (own === undefined) return;
    const effective: EffectiveLimits = {
      maxBytes: tighter(gatewayLimits.maxBytes, own.maxBytes),
      maxDepth: tighter(gatewayLimits.maxDepth, own.maxDepth),
      maxMembers: tighter(gatewayLimits.maxMembers, own.maxMembers),
      maxStringBytes: tighter(gatewayLimits.maxStringBytes, own.maxStringBytes),
    };
    route.bodyLimit = effective.maxBytes;
    route.config = { ...route.config, jsonLimits: effective };
  });
  const parse = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser(
    'application/json',
    { bodyLimit: config.bodyLimitBytes },
    (request: FastifyRequest, body: Buffer, done) => {
      // Set to the effective limits of routes that have their own (see onRoute above).
      const limits =
        (request.routeOptions.config.jsonLimits as EffectiveLimits | undefined) ?? gatewayLimits;
      const violation = checkJsonStructure(body, limits);
      if (violation !== undefined) {
        done(new JsonStructureError(violation, limits), undefined);
        return;
      }
      // Kept as sent: a request forwarded to another cell carries these exact bytes.
      (request as { rawJsonBody?: Buffer }).rawJsonBody = body;
      void parse(request, body.toString('utf8'), done);
    },
  );
}
