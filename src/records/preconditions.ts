import { MalformedPreconditionError, VersionConflictError } from './record.errors.js';

/** What a write requires of the record's current version (RFC 9110 conditional requests). */
export type WritePrecondition =
  | { readonly kind: 'none' }
  | { readonly kind: 'exists' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'version'; readonly versions: readonly number[] };

const TAG = /^(?:W\/)?"(\d{1,10})"$/;

export function versionTag(version: number): string {
  return `"${String(version)}"`;
}

function parseTags(header: string, raw: string): number[] {
  return raw.split(',').map((part) => {
    const match = TAG.exec(part.trim());
    if (match?.[1] === undefined) throw new MalformedPreconditionError(header);
    return Number(match[1]);
  });
}

export function parsePrecondition(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
): WritePrecondition {
  if (ifMatch !== undefined && ifNoneMatch !== undefined)
    throw new MalformedPreconditionError('If-Match with If-None-Match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch.trim() !== '*') throw new MalformedPreconditionError('If-None-Match');
    return { kind: 'absent' };
  }
  if (ifMatch === undefined) return { kind: 'none' };
  if (ifMatch.trim() === '*') return { kind: 'exists' };
  return { kind: 'version', versions: parseTags('If-Match', ifMatch) };
}

/** Throws 412 unless the precondition holds for the current version (`null`: no record). */
export function checkPrecondition(precondition: WritePrecondition, current: number | null): void {
  switch (precondition.kind) {
    case 'none':
      return;
    case 'exists':
      if (current === null) throw new VersionConflictError(current);
      return;
    case 'absent':
      if (current !== null) throw new VersionConflictError(current);
      return;
    case 'version':
      if (current === null || !precondition.versions.includes(current))
        throw new VersionConflictError(current);
      return;
  }
}
