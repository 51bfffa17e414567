/** A subject as the rest of the gateway sees it (entities stay in the repository). */
export interface Subject {
  readonly id: string;
  readonly homeRegion: string;
  readonly jurisdiction: string;
  /** Null once the subject is erased. */
  readonly country: string | null;
  readonly createdAt: Date;
  readonly erasedAt: Date | null;
}
