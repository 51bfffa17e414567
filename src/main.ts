import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createGatewayApp } from './app.factory.js';
import { loadGatewayConfig } from './platform/config/config.loader.js';
import { ConfigError } from './platform/config/config.error.js';
import { StoreBootError } from './regions/region-router.js';

/** Boots the gateway from the environment. Configuration and store problems exit non-zero, listed. */
async function main(): Promise<void> {
  const config = loadGatewayConfig();
  const app = await createGatewayApp(config);
  await app.listen({ host: config.host, port: config.port });
  new Logger('Gateway').log({
    message: 'listening',
    url: await app.getUrl(),
    regions: config.regions.map((region) => region.id),
  });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof StoreBootError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `gateway failed to start: ${error instanceof Error ? error.name : 'unknown error'}\n`,
    );
  }
  process.exit(1);
});
