import { StoreIdentityAndSubjects1764150000000 } from './migrations/1764150000000-store-identity-and-subjects.js';
import { EnvelopeRecordsAndBlindIndex1764160000000 } from './migrations/1764160000000-envelope-records-and-blind-index.js';
import { Cases1764170000000 } from './migrations/1764170000000-cases.js';
import { AuditLog1764180000000 } from './migrations/1764180000000-audit-log.js';
import { TransparencyLog1764190000000 } from './migrations/1764190000000-transparency-log.js';
import { PolicyActivations1764200000000 } from './migrations/1764200000000-policy-activations.js';
import { LegalRequestBinding1764220000000 } from './migrations/1764220000000-legal-request-binding.js';
import { AuditReviews1764230000000 } from './migrations/1764230000000-audit-reviews.js';

/**
 * Checked-in migrations, in order; every region has the same schema. The schema changes only
 * through these; never `synchronize`. (Entity classes are registered by the app module: the
 * platform layer knows no feature.)
 */
export const MIGRATIONS = [
  StoreIdentityAndSubjects1764150000000,
  EnvelopeRecordsAndBlindIndex1764160000000,
  Cases1764170000000,
  AuditLog1764180000000,
  TransparencyLog1764190000000,
  PolicyActivations1764200000000,
  LegalRequestBinding1764220000000,
  AuditReviews1764230000000,
];
