import type { RecordDocument } from '../catalog/collection-catalog.js';
import {
  IntegrityViolationError,
  openEnvelope,
  sealEnvelope,
  type RecordLocation,
} from '../envelope/envelope-format.js';
import type { StoredSubjectKey } from '../keys/subject-keys.repository.js';
import type { SubjectKeysService } from '../keys/subject-keys.service.js';

/** Seals and opens record documents under their subject's key; key copies are zeroed after use. */
export class RecordSealer {
  constructor(private readonly keys: SubjectKeysService) {}

  async seal(
    key: StoredSubjectKey,
    location: RecordLocation,
    document: RecordDocument,
  ): Promise<Buffer> {
    const recordKey = await this.keys.recordKey(location.region, key);
    const plaintext = Buffer.from(JSON.stringify(document), 'utf8');
    try {
      return sealEnvelope(recordKey, plaintext, location);
    } finally {
      recordKey.fill(0);
      plaintext.fill(0);
    }
  }

  async open(
    key: StoredSubjectKey,
    location: RecordLocation,
    envelope: Buffer,
  ): Promise<RecordDocument> {
    if (key.keyVersion !== location.keyVersion) throw new IntegrityViolationError();
    const recordKey = await this.keys.recordKey(location.region, key);
    try {
      const plaintext = openEnvelope(recordKey, envelope, location);
      try {
        return JSON.parse(plaintext.toString('utf8')) as RecordDocument;
      } finally {
        plaintext.fill(0);
      }
    } finally {
      recordKey.fill(0);
    }
  }
}
