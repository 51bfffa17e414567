export type CaseKind = 'user-report' | 'legal-request';
export type CaseStatus = 'open' | 'approved' | 'closed';

/** A case: a user report or a legal request about subjects of one region. */
export interface Case {
  readonly id: string;
  readonly kind: CaseKind;
  readonly status: CaseStatus;
  readonly subjectIds: readonly string[];
  readonly reference: string | null;
  readonly openedBy: string;
  readonly openedAt: Date;
  readonly approvedBy: string | null;
  readonly approvedAt: Date | null;
  readonly closedBy: string | null;
  readonly closedAt: Date | null;
  /** A legal request's binding: the one service that may use its approval, and from where. */
  readonly requester: string | null;
  readonly requesterJurisdiction: string | null;
  /** When a legal request's approval stops working. */
  readonly expiresAt: Date | null;
}
