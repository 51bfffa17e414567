import { MalformedRecordIdError } from './record.errors.js';

const RECORD_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/** Record ids are chosen by the calling service; strictly URL-safe and bounded. */
export function parseRecordId(raw: string): string {
  if (!RECORD_ID.test(raw)) throw new MalformedRecordIdError();
  return raw;
}
