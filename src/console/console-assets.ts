import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

export interface ConsoleAsset {
  readonly body: Buffer;
  /** The same bytes gzipped at build time, when the build made them. */
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
}

/**
 * The console's built files (dist/console, written by scripts/build.mjs), read once at boot:
 * a few small files, served from memory. Only files of known types are served, by exact name.
 */
export class ConsoleAssets {
  private constructor(private readonly files: ReadonlyMap<string, ConsoleAsset>) {}

  static load(dir: string): ConsoleAssets {
    const files = new Map<string, ConsoleAsset>();
    if (!existsSync(dir)) return new ConsoleAssets(files);
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type === undefined) continue;
      const body = readFileSync(join(dir, name));
      const gzipFile = join(dir, `${name}.gz`);
      files.set(name, {
        body,
        gzip: existsSync(gzipFile) ? readFileSync(gzipFile) : undefined,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      });
    }
    return new ConsoleAssets(files);
  }

  get built(): boolean {
    return this.files.has('index.html');
  }

  find(name: string): ConsoleAsset | undefined {
    return this.files.get(name);
  }
}

/**
 * The console's address is `/console` (Nest maps `/console/` to the same route name, which
 * Fastify then treats as another path): `/console/` redirects there, with its query.
 */
export function redirectConsoleSlash(fastify: {
  get(
    path: string,
    handler: (
      request: { url: string },
      reply: { redirect(url: string, code: number): unknown },
    ) => unknown,
  ): unknown;
}): void {
  fastify.get('/console/', (request, reply) => {
    const query = request.url.indexOf('?');
    return reply.redirect(`/console${query < 0 ? '' : request.url.slice(query)}`, 308);
  });
}
