import type { RecordDocument } from '../catalog/collection-catalog.js';
import { sealEnvelope, type EnvelopeBinding } from '../envelope/envelope-format.js';
import { encodePayload } from '../envelope/record-payload.js';
import type { StoredSubjectKey } from '../keys/subject-keys.repository.js';

/**
 * Seals one subject's records under its record key, held from `RecordVault.sealer` until
 * {@link dispose}. Always format 2: a record's writer and version are bound at every write.
 */
export class RecordSealer {
  private disposed = false;

  constructor(
    private readonly region: string,
    private readonly key: StoredSubjectKey,
    private readonly recordKey: Buffer,
  ) {}

  /** The envelope of version `binding.recordVersion` of a record, written by `writer`. */
  seal(binding: EnvelopeBinding, document: RecordDocument, writer: string): Buffer {
    if (this.disposed) throw new Error('this sealer was disposed of');
    if (
      binding.region !== this.region ||
      binding.subjectId !== this.key.subjectId ||
      binding.keyVersion !== this.key.keyVersion
    ) {
      throw new Error('a sealer seals only its own subject, region and key version');
    }
    const plaintext = encodePayload(document, writer);
    try {
      return sealEnvelope(this.recordKey, plaintext, binding);
    } finally {
      plaintext.fill(0);
    }
  }

  /** Zeroes the record key; the sealer cannot seal afterwards. */
  dispose(): void {
    this.disposed = true;
    this.recordKey.fill(0);
  }
}
