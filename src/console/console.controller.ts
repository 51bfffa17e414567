import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PublicRoute } from '../auth/public-route.decorator.js';
import { GATEWAY_CONFIG } from '../platform/config/config.module.js';
import type { GatewayConfig } from '../platform/config/gateway-config.js';
import { NotFoundError } from '../platform/errors/domain-error.js';
import { RegionTopology } from '../regions/region-topology.js';
import { ConsoleAssets, type ConsoleAsset } from './console-assets.js';

/** What the console needs to know before anyone signs in. Nothing here is secret. */
export interface ConsoleSettings {
  /** The OpenID provider people sign in with (discovered from its issuer); null: none set up. */
  readonly signIn: {
    readonly issuer: string;
    readonly clientId: string;
    readonly scope: string;
    readonly resource: string | null;
  } | null;
  readonly regions: readonly { readonly id: string; readonly jurisdiction: string }[];
}

/**
 * Serves the console (DESIGN §5, `/console`): a single page built into dist/console, and its
 * settings. The page signs people in with the OpenID provider itself (authorization code with
 * PKCE) and calls the API with the access token, like any other client.
 */
@ApiExcludeController()
@PublicRoute()
@Controller('console')
export class ConsoleController {
  private readonly securityHeaders: Readonly<Record<string, string>>;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly topology: RegionTopology,
    @Inject(ConsoleAssets) private readonly assets: ConsoleAssets,
  ) {
    const provider =
      config.auth.people === undefined ? '' : ` ${new URL(config.auth.people.issuer).origin}`;
    this.securityHeaders = {
      // The page talks to this gateway and the OpenID provider only, runs only its own script.
      'Content-Security-Policy':
        `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; ` +
        `connect-src 'self'${provider}; form-action 'self'${provider}; base-uri 'none'; frame-ancestors 'none'`,
      // The authorization code is in the callback URL: never send it on.
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    };
  }

  @Get('config.json')
  settings(): ConsoleSettings {
    const people = this.config.auth.people;
    return {
      signIn:
        people === undefined
          ? null
          : {
              issuer: people.issuer,
              clientId: people.clientId,
              scope: people.scope,
              resource: people.resource ?? null,
            },
      regions: this.topology.regions.map((r) => ({ id: r.id, jurisdiction: r.jurisdiction })),
    };
  }

  // `/console` (see redirectConsoleSlash); the page names its assets by absolute path.
  @Get()
  index(
    @Headers('accept-encoding') encoding: string | undefined,
    @Headers('if-none-match') etag: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    this.send(reply, 'index.html', encoding, etag);
  }

  @Get(':file')
  file(
    @Param('file') file: string,
    @Headers('accept-encoding') encoding: string | undefined,
    @Headers('if-none-match') etag: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    this.send(reply, file, encoding, etag);
  }

  private send(
    reply: FastifyReply,
    name: string,
    encoding: string | undefined,
    ifNoneMatch: string | undefined,
  ): void {
    const asset: ConsoleAsset | undefined = this.assets.find(name);
    if (asset === undefined) {
      throw new NotFoundError(
        this.assets.built ? 'console_file_not_found' : 'console_not_built',
        this.assets.built ? 'No such console file' : 'Console not built',
        this.assets.built ? undefined : 'Run `npm run build` (npm start and npm test build it).',
      );
    }
    void reply
      .headers(this.securityHeaders)
      .header('ETag', asset.etag)
      .header('Cache-Control', 'no-cache')
      .header('Vary', 'Accept-Encoding');
    if (ifNoneMatch === asset.etag) {
      void reply.status(304).send();
      return;
    }
    const gzip = asset.gzip !== undefined && /\bgzip\b/.test(encoding ?? '');
    void reply
      .type(asset.type)
      .header('Content-Encoding', gzip ? 'gzip' : 'identity')
      .send(gzip ? asset.gzip : asset.body);
  }
}
