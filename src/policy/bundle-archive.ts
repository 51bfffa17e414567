import { gunzipSync } from 'node:zlib';

const BLOCK = 512;
/** Bundles are small; anything bigger is refused rather than unpacked. */
const MAX_UNPACKED_BYTES = 64 * 1024 * 1024;

export class BundleFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BundleFormatError';
  }
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

/**
 * The regular files of a gzipped tar archive (an OPA bundle), by path without a leading
 * slash. Only plain files and directories are accepted; links, devices and path tricks fail.
 */
export function readTarGz(archive: Buffer): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive, { maxOutputLength: MAX_UNPACKED_BYTES });
  } catch {
    throw new BundleFormatError('the bundle is not a gzip archive within the size limit');
  }
  const files = new Map<string, Buffer>();
  let paxPath: string | undefined;
  for (let offset = 0; offset + BLOCK <= tar.length;) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    if (!Number.isSafeInteger(size) || size < 0) throw new BundleFormatError('bad tar header');
    const body = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    if (body.length !== size) throw new BundleFormatError('truncated tar archive');
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(header, 345, 155);
    const name =
      paxPath ?? (prefix === '' ? field(header, 0, 100) : `${prefix}/${field(header, 0, 100)}`);
    paxPath = undefined;
    if (type === '5') continue;
    if (type !== '0' && type !== '\0')
      throw new BundleFormatError(`unsupported tar entry type ${JSON.stringify(type)}`);
    const path = name.replace(/^\/+/, '');
    if (path === '' || path.split('/').some((part) => part === '..' || part === '')) {
      throw new BundleFormatError('bad path in bundle');
    }
    if (files.has(path)) throw new BundleFormatError(`duplicate file ${path}`);
    files.set(path, Buffer.from(body));
  }
  return files;
}
