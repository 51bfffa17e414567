import { z } from 'zod';
import type { JsonStructureLimits, RateLimitConfig } from './gateway-config.js';

/**
 * Default requests per window per service and route, by role. Generous for `service` (the
 * benchmarks push ~1,500 requests/s from one service through one process); the roles people
 * act through get a tenth of it. See the README on how to size them.
 */
export const DEFAULT_ROLE_RATE_LIMITS: Readonly<Record<string, number>> = {
  service: 30_000,
  moderator: 3_000,
  'trust-and-safety': 3_000,
  legal: 3_000,
  privacy: 3_000,
  auditor: 3_000,
};

const count = z.coerce.number().int().min(1).max(100_000_000);

/** The environment variables of request limits (part of the gateway's one env schema). */
export const httpLimitsEnv = {
  GATEWAY_JSON_MAX_DEPTH: z.coerce.number().int().min(2).max(1000).default(32),
  GATEWAY_JSON_MAX_MEMBERS: z.coerce.number().int().min(16).max(10_000_000).default(10_000),
  GATEWAY_JSON_MAX_STRING_BYTES: z.coerce
    .number()
    .int()
    .min(64)
    .max(64 * 1024 * 1024)
    .default(256 * 1024),
  GATEWAY_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  GATEWAY_RATE_LIMIT_ROLES: z.string().optional(),
  GATEWAY_RATE_LIMIT_OTHER_ROLES: count.default(1_000),
  GATEWAY_RATE_LIMIT_ANONYMOUS: count.default(1_000),
};

type HttpLimitsEnv = z.infer<z.ZodObject<typeof httpLimitsEnv>>;

const ROLE_ENTRY = /^([a-z][a-z0-9-]{0,63})=(\d{1,9})$/;

export function jsonLimitsConfig(values: HttpLimitsEnv): JsonStructureLimits {
  return {
    maxDepth: values.GATEWAY_JSON_MAX_DEPTH,
    maxMembers: values.GATEWAY_JSON_MAX_MEMBERS,
    maxStringBytes: values.GATEWAY_JSON_MAX_STRING_BYTES,
  };
}

/**
 * The rate limits: GATEWAY_RATE_LIMIT_ROLES (`role=count,...`) overrides the defaults of the
 * roles it names and keeps the others; problems are added to `problems`.
 */
export function rateLimitConfig(values: HttpLimitsEnv, problems: string[]): RateLimitConfig {
  const perRole: Record<string, number> = { ...DEFAULT_ROLE_RATE_LIMITS };
  for (const entry of (values.GATEWAY_RATE_LIMIT_ROLES ?? '').split(/[\s,]+/)) {
    if (entry === '') continue;
    const match = ROLE_ENTRY.exec(entry);
    const max = Number(match?.[2]);
    if (match?.[1] === undefined || max < 1) {
      problems.push(
        `GATEWAY_RATE_LIMIT_ROLES: ${entry.slice(0, 40)} is not role=count (a count of at least 1)`,
      );
      continue;
    }
    perRole[match[1]] = max;
  }
  return {
    windowMs: values.GATEWAY_RATE_LIMIT_WINDOW_SECONDS * 1000,
    perRole,
    otherRoles: values.GATEWAY_RATE_LIMIT_OTHER_ROLES,
    anonymous: values.GATEWAY_RATE_LIMIT_ANONYMOUS,
  };
}
