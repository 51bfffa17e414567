/** The roles of DESIGN §3. The policy decides what each grants; tokens may carry any of them. */
export const KNOWN_ROLES = [
  'service',
  'moderator',
  'trust-and-safety',
  'legal',
  'privacy',
  'auditor',
] as const;
