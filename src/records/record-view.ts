import type { RecordDocument } from '../catalog/collection-catalog.js';

/** A record as returned to a caller. `masked` lists fields withheld by the decision. */
export interface RecordView {
  readonly subjectId: string;
  readonly collection: string;
  readonly recordId: string;
  readonly region: string;
  readonly version: number;
  readonly data: RecordDocument;
  readonly masked: readonly string[];
}

export interface RecordWriteResult {
  readonly subjectId: string;
  readonly collection: string;
  readonly recordId: string;
  readonly region: string;
  readonly version: number;
  readonly created: boolean;
}

export interface RecordPage {
  readonly items: readonly RecordView[];
  readonly nextCursor: string | null;
}
