/** A subject as the rest of the gateway sees it (entities stay in the repository). */
export interface Subject {
  readonly id: string;
  readonly homeRegion: string;
  readonly jurisdiction: string;
  readonly country: string;
  readonly createdAt: Date;
  readonly erasedAt: Date | null;
}
