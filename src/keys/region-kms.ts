/** KMS encryption context: only region and subject id (or purpose), never personal data. */
export type KmsContext = Readonly<Record<string, string>>;

export interface DataKey {
  /** The 256-bit key in the clear; the caller zeroes it after use. */
  readonly plaintext: Buffer;
  /** The same key wrapped by the region's KMS key; the only form that is stored. */
  readonly wrapped: Buffer;
}

/**
 * One region's KMS, pinned to that region's key. Injected per region, so unit tests use fakes
 * and integration tests a real KMS API endpoint (moto).
 */
export interface RegionKms {
  readonly region: string;
  readonly keyId: string;
  generateDataKey(context: KmsContext): Promise<DataKey>;
  decrypt(wrapped: Buffer, context: KmsContext): Promise<Buffer>;
  /** Re-wraps under the region key's current material, without exposing the plaintext. */
  reEncrypt(wrapped: Buffer, context: KmsContext): Promise<Buffer>;
  /**
   * What the last call said about reachability: `untested` before any call. Passive: readiness
   * reports it without spending KMS requests on probes.
   */
  status(): 'ok' | 'failing' | 'untested';
}

export function subjectKeyContext(region: string, subjectId: string): KmsContext {
  return { region, subject: subjectId };
}

export function regionKeyContext(region: string, purpose: string): KmsContext {
  return { region, purpose };
}
