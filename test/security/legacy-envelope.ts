import { createCipheriv, randomBytes } from 'node:crypto';
import { encodeAssociatedData } from '../../src/envelope/envelope-format.js';
import { SubjectKeysService } from '../../src/keys/subject-keys.service.js';
import type { TestGateway } from '../harness/test-gateway.js';
import type { CreatedSubject } from '../harness/subjects.js';

/**
 * Puts a format 1 envelope of `document` into an existing record's row, leaving its version:
 * what a gateway before format 2 left in the store. Sealed the way format 1 was (docs/envelope.md,
 * "Format 1"), under the subject's real record key, unwrapped by the region's KMS through the
 * gateway's own key service (the gateway never writes format 1 any more).
 */
export async function plantFormat1Record(
  gateway: TestGateway,
  subject: CreatedSubject,
  collection: string,
  recordId: string,
  document: Readonly<Record<string, string | number | boolean | null>>,
): Promise<void> {
  const region = subject.homeRegion;
  const [row] = await gateway.regions.query<{
    key_version: number;
    wrapped_key: Buffer;
    kms_key_id: string;
  }>(
    region,
    'SELECT key_version, wrapped_key, kms_key_id FROM subject_keys WHERE subject_id = $1',
    [subject.subjectId],
  );
  if (row === undefined) throw new Error('the subject has no key yet: write a record first');
  const recordKey = await gateway.app.get(SubjectKeysService).recordKey(region, {
    subjectId: subject.subjectId,
    keyVersion: row.key_version,
    wrappedKey: row.wrapped_key,
    kmsKeyId: row.kms_key_id,
  });
  try {
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', recordKey, nonce, { authTagLength: 16 });
    cipher.setAAD(
      encodeAssociatedData(
        {
          region,
          collection,
          subjectId: subject.subjectId,
          recordId,
          keyVersion: row.key_version,
        },
        1,
      ),
    );
    const ciphertext = Buffer.concat([
      cipher.update(JSON.stringify(document), 'utf8'),
      cipher.final(),
    ]);
    const envelope = Buffer.concat([Buffer.of(1), nonce, ciphertext, cipher.getAuthTag()]);
    const updated = await gateway.regions.query(
      region,
      `UPDATE records SET envelope = $4
       WHERE subject_id = $1 AND collection = $2 AND record_id = $3 RETURNING 1`,
      [subject.subjectId, collection, recordId, envelope],
    );
    if (updated.length !== 1) throw new Error('no such record to plant a format 1 envelope in');
  } finally {
    recordKey.fill(0);
  }
}

/** The format byte of a stored record's envelope, as an insider reads it. */
export async function storedFormat(
  gateway: TestGateway,
  subject: CreatedSubject,
  collection: string,
  recordId: string,
): Promise<number | undefined> {
  const [row] = await gateway.regions.query<{ envelope: Buffer }>(
    subject.homeRegion,
    'SELECT envelope FROM records WHERE subject_id = $1 AND collection = $2 AND record_id = $3',
    [subject.subjectId, collection, recordId],
  );
  return row?.envelope[0];
}
