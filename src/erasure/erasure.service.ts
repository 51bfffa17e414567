import { Injectable } from '@nestjs/common';
import { AccessGate } from '../access/access-gate.js';
import { SubjectKeysRepository } from '../keys/subject-keys.repository.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { RecordsRepository } from '../records/records.repository.js';
import { RegionRouter } from '../regions/region-router.js';
import { requireLiveSubject } from '../subjects/live-subject.js';
import { SubjectId } from '../subjects/subject-id.js';
import { SubjectsRepository } from '../subjects/subjects.repository.js';
import { RecordVault } from '../vault/record-vault.js';

/** What an erasure did, for the requesting service's records (no personal data). */
export interface ErasureReceipt {
  readonly subjectId: string;
  readonly region: string;
  readonly erasedAt: Date;
  readonly recordsDeleted: number;
  readonly indexEntriesDeleted: number;
  readonly keysDestroyed: number;
}

/**
 * Erasure (crypto-shredding): in one transaction of the home region, delete the subject's
 * wrapped key, records and blind-index entries and leave a tombstone, so later reads answer
 * 410. Without the wrapped key no copy of the subject's ciphertext can be opened.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly router: RegionRouter,
    private readonly subjects: SubjectsRepository,
    private readonly keyStore: SubjectKeysRepository,
    private readonly records: RecordsRepository,
    private readonly vault: RecordVault,
    private readonly gate: AccessGate,
  ) {}

  async erase(ctx: RequestContext, rawSubjectId: string): Promise<ErasureReceipt> {
    const id = SubjectId.parse(rawSubjectId);
    const region = this.router.route(id.homeRegion).region.id;
    const { receipt, key } = await this.gate.run(ctx, {
      action: 'subject.erase',
      region,
      subjects: [id.value],
      purpose: 'required',
      case: { from: 'header' },
      work: async (manager) => {
        const key = await requireLiveSubject(this.keyStore, manager, id.value, 'update');
        const deleted = await this.records.deleteAllOf(manager, id.value);
        const keysDestroyed = await this.keyStore.destroy(manager, id.value);
        const erasedAt = await this.subjects.markErased(manager, id.value);
        const done: ErasureReceipt = {
          subjectId: id.value,
          region,
          erasedAt,
          recordsDeleted: deleted.records,
          indexEntriesDeleted: deleted.indexEntries,
          keysDestroyed,
        };
        return { receipt: done, key };
      },
    });
    if (key !== undefined) this.vault.forget(region, key);
    return receipt;
  }
}
