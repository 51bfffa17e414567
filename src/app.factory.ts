import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AppModule } from './app.module.js';
import { PeerClient } from './cells/peer-client.js';
import { redirectConsoleSlash } from './console/console-assets.js';
import { identifyPeerCalls } from './cells/peer-inbound.js';
import { PeerListener } from './cells/peer-listener.js';
import { forwardToPeers } from './cells/region-forwarding.js';
import { PolicyService } from './policy/policy.service.js';
import { RegionTopology } from './regions/region-topology.js';
import { identifyCallers } from './auth/caller-identification.js';
import { ServiceTokenVerifier } from './auth/service-token.verifier.js';
import { ShutdownState, refuseWhileClosing } from './health/shutdown-state.js';
import type { GatewayConfig } from './platform/config/gateway-config.js';
import { installJsonBodyParser } from './platform/http/json-body.js';
import { ProblemFilter } from './platform/http/problem.filter.js';
import { installRateLimit } from './platform/http/rate-limit.js';
import { stampDeadlines } from './platform/http/request-deadline.js';
import { requestIdFor } from './platform/http/request-id.js';
import { observeRequests } from './platform/http/request-observer.js';
import { frameworkErrorHandler } from './platform/http/framework-errors.js';
import { createValidationPipe } from './platform/http/validation.pipe.js';
import { GatewayLogger, createRootLogger } from './platform/logging/gateway-logger.js';
import { GatewayMetrics } from './platform/metrics/gateway-metrics.js';

export interface GatewayAppOptions {
  /** Where log lines go instead of stdout (tests capture them). */
  readonly logDestination?: DestinationStream;
}

/**
 * Builds the gateway: Nest on Fastify, one problem+json error path, request ids, metrics and
 * the OpenAPI document. Connects to every regional store (and refuses to boot on a wrong one)
 * before it returns. The caller decides whether to `listen`.
 */
export async function createGatewayApp(
  config: GatewayConfig,
  options: GatewayAppOptions = {},
): Promise<NestFastifyApplication> {
  const root = createRootLogger(config, options.logDestination);
  const logger = new GatewayLogger(root);
  // A cell also serves the application on its peer port, over mutual TLS (DESIGN §4, Cells).
  const peerListener =
    config.cell === undefined
      ? undefined
      : new PeerListener(
          config.cell,
          config.host,
          config.regions.map((region) => region.id),
        );
  const adapter = new FastifyAdapter({
    serverFactory: (handler: (request: IncomingMessage, response: ServerResponse) => void) => {
      peerListener?.attach(handler);
      return createServer(handler);
    },
    bodyLimit: config.bodyLimitBytes,
    frameworkErrors: frameworkErrorHandler(logger),
    genReqId: requestIdFor,
    logger: false,
    // Refused during shutdown by refuseWhileClosing below, as problem+json like every error.
    return503OnClosing: false,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forConfig(config),
    adapter,
    {
      logger,
      abortOnError: false,
    },
  );
  app.useLogger(logger);
  app.useGlobalFilters(new ProblemFilter(logger));
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(GatewayMetrics);
  // The API speaks JSON only; any other body is a 415 rather than a string to validate.
  fastify.removeContentTypeParser('text/plain');
  installJsonBodyParser(app, config);
  stampDeadlines(fastify, config.requestTimeoutMs);
  refuseWhileClosing(fastify, app.get(ShutdownState), logger);
  // In this order, when a request arrives: who is calling, which cell forwarded it (on the
  // peer port), whether it may call again now; and last before the handler, whether another
  // cell serves the region it is about.
  identifyCallers(fastify, app.get(ServiceTokenVerifier));
  const topology = app.get(RegionTopology);
  if (peerListener !== undefined) {
    identifyPeerCalls(fastify, peerListener, topology, metrics, logger);
    fastify.addHook('onClose', async () => peerListener.close());
  }
  await installRateLimit(app, config.rateLimit, metrics);
  observeRequests(fastify, metrics, root);
  if (topology.peers.length > 0) {
    const policy = app.get(PolicyService);
    forwardToPeers(fastify, {
      topology,
      policy: () => policy.snapshot(),
      peers: app.get(PeerClient),
      logger,
    });
  }

  redirectConsoleSlash(fastify);
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
  await app.init();
  if (peerListener !== undefined) {
    await fastify.ready();
    await peerListener.listen();
  }
  return app;
}

/**
 * The OpenAPI document without connecting to anything: Nest's preview mode builds the module
 * graph but instantiates no provider, so no store or key is touched.
 */
export async function renderOpenApiDocument(config: GatewayConfig): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forConfig(config),
    new FastifyAdapter(),
    {
      preview: true,
      logger: false,
      abortOnError: false,
    },
  );
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const document = new DocumentBuilder()
    .setTitle('residency-gateway')
    .setDescription(
      'The only path between internal services and regulated user data. Errors are RFC 9457 ' +
        'application/problem+json documents with a stable `code`. Every JSON body is checked ' +
        'before it is parsed: too large for its route → 413 `payload_too_large`; nested too ' +
        'deep, too many members and items, or a string too long → 400 `json_too_deep`, ' +
        '`json_too_complex`, `json_string_too_long`. Each service has a request budget per ' +
        'route: past it → 429 `rate_limited` with `Retry-After`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  return SwaggerModule.createDocument(app, document);
}
