import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/**
 * One integration round as kept outside the store: the checkpoint signed at its end and the
 * leaf hashes it added (indices [from, size)). With them, verification can name the exact
 * first leaf that differs from what was signed, even if the store was rewritten consistently.
 */
export interface SinkRound {
  readonly from: number;
  readonly size: number;
  readonly note: string;
  readonly leafHashes: readonly Buffer[];
}

/** Where checkpoints go as they are signed, outside the region's store. Append-only. */
export interface CheckpointSink {
  readonly description: string;
  /** The largest tree size the sink holds for the region (0 when empty). */
  latestSize(region: string): Promise<number>;
  /** Adds a round; never overwrites one (a different round of the same size is an error). */
  append(region: string, round: SinkRound): Promise<void>;
  /** Every round of the region, by size. */
  rounds(region: string): AsyncGenerator<SinkRound>;
}

export type SinkLocation =
  | { readonly kind: 'dir'; readonly path: string }
  | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

const NAME = /^(\d{20})\.json$/;

interface RoundFile {
  from: number;
  size: number;
  note: string;
  leafHashes: string[];
}

function serialize(round: SinkRound): string {
  const file: RoundFile = {
    from: round.from,
    size: round.size,
    note: round.note,
    leafHashes: round.leafHashes.map((hash) => hash.toString('base64')),
  };
  return `${JSON.stringify(file)}\n`;
}

function deserialize(text: string): SinkRound {
  const file = JSON.parse(text) as RoundFile;
  return {
    from: file.from,
    size: file.size,
    note: file.note,
    leafHashes: file.leafHashes.map((hash) => Buffer.from(hash, 'base64')),
  };
}

const fileName = (size: number): string => `${String(size).padStart(20, '0')}.json`;

/** A directory per region, one file per round, created exclusively (never replaced). */
export class DirectorySink implements CheckpointSink {
  constructor(private readonly root: string) {}

  get description(): string {
    return `directory ${this.root}`;
  }

  latestSize(region: string): Promise<number> {
    const names = this.names(region);
    const last = names.at(-1);
    return Promise.resolve(last === undefined ? 0 : Number(NAME.exec(last)?.[1] ?? 0));
  }

  append(region: string, round: SinkRound): Promise<void> {
    const dir = join(this.root, region);
    mkdirSync(dir, { recursive: true });
    const target = join(dir, fileName(round.size));
    const body = serialize(round);
    const staging = `${target}.${String(process.pid)}.tmp`;
    const fd = openSync(staging, 'w', 0o644);
    try {
      writeSync(fd, body);
    } finally {
      closeSync(fd);
    }
    try {
      // link() fails if the name exists: a round once written is never replaced.
      linkSync(staging, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (readFileSync(target, 'utf8') !== body)
        throw new Error(`the sink already holds a different round of size ${String(round.size)}`, {
          cause: error,
        });
    } finally {
      rmSync(staging, { force: true });
    }
    return Promise.resolve();
  }

  async *rounds(region: string): AsyncGenerator<SinkRound> {
    for (const name of this.names(region)) {
      yield await Promise.resolve(deserialize(readFileSync(join(this.root, region, name), 'utf8')));
    }
  }

  private names(region: string): string[] {
    const dir = join(this.root, region);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => NAME.test(name))
      .sort();
  }
}

/** An S3-compatible bucket: `<prefix><region>/<size>.json`, written with If-None-Match: *. */
export class S3Sink implements CheckpointSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  get description(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async latestSize(region: string): Promise<number> {
    const last = (await this.keys(region)).at(-1);
    return last === undefined ? 0 : Number(NAME.exec(last.split('/').pop() ?? '')?.[1] ?? 0);
  }

  async append(region: string, round: SinkRound): Promise<void> {
    const key = `${this.prefix}${region}/${fileName(round.size)}`;
    const body = serialize(round);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      if (status !== 412) throw error;
      if ((await this.read(key)) !== body)
        throw new Error(`the sink already holds a different round of size ${String(round.size)}`, {
          cause: error,
        });
    }
  }

  async *rounds(region: string): AsyncGenerator<SinkRound> {
    for (const key of await this.keys(region)) yield deserialize(await this.read(key));
  }

  private async keys(region: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: `${this.prefix}${region}/`,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const item of page.Contents ?? [])
        if (item.Key !== undefined && NAME.test(item.Key.split('/').pop() ?? ''))
          keys.push(item.Key);
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return keys.sort();
  }

  private async read(key: string): Promise<string> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await object.Body?.transformToString('utf8')) ?? '';
  }
}

/** `dir:/path` or `s3://bucket/prefix`, as GATEWAY_AUDIT_CHECKPOINT_SINK takes it. */
export function parseSinkLocation(value: string): SinkLocation | undefined {
  if (value.startsWith('dir:')) return { kind: 'dir', path: value.slice(4) };
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
  if (s3?.[1] !== undefined) {
    const prefix = s3[2] ?? '';
    return {
      kind: 's3',
      bucket: s3[1],
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
    };
  }
  return undefined;
}

export interface S3Options {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export function openSink(location: SinkLocation, s3: S3Options): CheckpointSink {
  if (location.kind === 'dir') return new DirectorySink(location.path);
  const client = new S3Client({
    region: s3.region,
    ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint, forcePathStyle: true }),
    ...(s3.credentials === undefined ? {} : { credentials: s3.credentials }),
  });
  return new S3Sink(client, location.bucket, location.prefix);
}
