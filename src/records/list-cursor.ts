import { MalformedCursorError } from './record.errors.js';

const PREFIX = 'r1:';

/** The position after a record id in a subject's collection, opaque to callers. */
export function encodeListCursor(lastRecordId: string): string {
  return Buffer.from(PREFIX + lastRecordId, 'utf8').toString('base64url');
}

export function decodeListCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === '') return null;
  const text = /^[A-Za-z0-9_-]{1,300}$/.test(cursor)
    ? Buffer.from(cursor, 'base64url').toString('utf8')
    : '';
  if (!text.startsWith(PREFIX) || !/^[A-Za-z0-9._~-]{1,128}$/.test(text.slice(PREFIX.length))) {
    throw new MalformedCursorError();
  }
  return text.slice(PREFIX.length);
}
