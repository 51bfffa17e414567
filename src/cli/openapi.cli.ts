import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApiDocument } from '../app.factory.js';
import { loadGatewayConfig } from '../platform/config/config.loader.js';
import { PROJECT_ROOT } from '../platform/paths.js';

/**
 * `npm run openapi`: writes docs/openapi.json from the controllers and DTOs. The file is
 * checked in so reviewers see API changes; a test fails when it is stale.
 */
async function main(): Promise<void> {
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
    GATEWAY_POLICY_PUBLIC_KEY_FILE: 'unused',
    GATEWAY_AUDIT_SIGNING_KEY_FILE: 'unused',
  });
  const document = await renderOpenApiDocument(config);
  mkdirSync(join(PROJECT_ROOT, 'docs'), { recursive: true });
  const file = join(PROJECT_ROOT, 'docs', 'openapi.json');
  writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
