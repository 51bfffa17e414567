import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiDocument } from '../../app.factory.js';
import { loadGatewayConfig } from '../../platform/config/config.loader.js';
import { PROJECT_ROOT } from '../../platform/paths.js';
import { EXIT } from '../exit-codes.js';

export const OPENAPI_FILE = join(PROJECT_ROOT, 'docs', 'openapi.json');

/** The OpenAPI document as checked in: rendered from the controllers, nothing connected. */
export async function renderCheckedInOpenApi(): Promise<string> {
  // Preview mode connects to nothing, so placeholder stores suffice.
  const config = loadGatewayConfig({
    GATEWAY_TOPOLOGY: JSON.stringify({
      regions: [
        {
          id: 'us-east-1',
          jurisdiction: 'US',
          databaseUrl: 'postgres://unused/unused',
          kmsKeyId: 'unused',
        },
      ],
    }),
    GATEWAY_JWKS_FILE: 'unused',
    GATEWAY_JWT_ISSUER: 'unused',
    GATEWAY_POLICY_PUBLIC_KEY_FILE: 'unused',
    GATEWAY_AUDIT_SIGNING_KEY_FILE: 'unused',
  });
  return `${JSON.stringify(await renderOpenApiDocument(config), null, 2)}\n`;
}

/**
 * `openapi`: writes docs/openapi.json from the controllers and DTOs (checked in so reviewers
 * see API changes). `--check` writes nothing and exits 1 when the file is stale.
 */
export async function openapi(options: { readonly check: boolean }): Promise<number> {
  const rendered = await renderCheckedInOpenApi();
  if (options.check) {
    let current = '';
    try {
      current = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (current === rendered) {
      process.stdout.write(`${OPENAPI_FILE} is up to date\n`);
      return EXIT.ok;
    }
    process.stderr.write(`${OPENAPI_FILE} is stale: run npm run openapi\n`);
    return EXIT.failed;
  }
  mkdirSync(join(PROJECT_ROOT, 'docs'), { recursive: true });
  writeFileSync(OPENAPI_FILE, rendered);
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
  return EXIT.ok;
}
