import { z } from 'zod';
import type { GatewayConfig } from './gateway-config.js';

/** The environment variables of the audit log (part of the gateway's one env schema). */
export const auditEnv = {
  GATEWAY_AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
  GATEWAY_AUDIT_INTEGRATION_MS: z.coerce.number().int().min(10).max(60_000).default(250),
  GATEWAY_AUDIT_INTEGRATION_BATCH: z.coerce.number().int().min(1).max(50_000).default(5000),
  GATEWAY_AUDIT_CHECKPOINT_SINK: z.string().min(1).optional(),
  GATEWAY_AUDIT_SINK_S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  GATEWAY_AUDIT_SINK_S3_REGION: z.string().min(1).optional(),
  GATEWAY_AUDIT_WITNESSES: z.string().optional(),
};

type AuditEnv = z.infer<z.ZodObject<typeof auditEnv>>;

const SINK = /^(dir:.+|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?)$/;
const VKEY = /^[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*$/;

/** The audit part of {@link GatewayConfig}; problems are added to `problems`. */
export function auditConfig(
  values: AuditEnv,
  resolvePath: (path: string) => string,
  problems: string[],
): GatewayConfig['audit'] {
  const sink = values.GATEWAY_AUDIT_CHECKPOINT_SINK;
  if (sink !== undefined && !SINK.test(sink)) {
    problems.push('GATEWAY_AUDIT_CHECKPOINT_SINK: expected dir:<path> or s3://<bucket>/<prefix>');
  }
  const witnesses = (values.GATEWAY_AUDIT_WITNESSES ?? '')
    .split(/[\s,]+/)
    .filter((vkey) => vkey !== '');
  for (const vkey of witnesses) {
    if (!VKEY.test(vkey))
      problems.push(`GATEWAY_AUDIT_WITNESSES: ${vkey.slice(0, 40)} is not a verifier key`);
  }
  return {
    signingKeyFile:
      values.GATEWAY_AUDIT_SIGNING_KEY_FILE === undefined
        ? ''
        : resolvePath(values.GATEWAY_AUDIT_SIGNING_KEY_FILE),
    integrationIntervalMs: values.GATEWAY_AUDIT_INTEGRATION_MS,
    integrationBatch: values.GATEWAY_AUDIT_INTEGRATION_BATCH,
    sink:
      sink === undefined || !SINK.test(sink)
        ? undefined
        : sink.startsWith('dir:')
          ? `dir:${resolvePath(sink.slice(4))}`
          : sink,
    sinkS3Endpoint: values.GATEWAY_AUDIT_SINK_S3_ENDPOINT,
    sinkS3Region: values.GATEWAY_AUDIT_SINK_S3_REGION,
    witnesses,
  };
}
