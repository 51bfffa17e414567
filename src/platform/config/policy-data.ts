import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from './config.error.js';

/**
 * Reads one document of the policy data (`<dir>/<name>/data.json`, the layout OPA bundles use)
 * and validates it; any problem stops the boot with every issue listed.
 */
export function readPolicyData<T>(
  policyDataDir: string,
  name: string,
  schema: z.ZodType<T>,
  what: string,
): T {
  const file = join(policyDataDir, name, 'data.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError([`cannot read the ${what} at ${file}`]);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${file}: ${i.path.map(String).join('.')}: ${i.message}`),
    );
  }
  return parsed.data;
}
