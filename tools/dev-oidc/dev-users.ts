/**
 * The development OpenID provider's people (local stack and tests only). Their roles and home
 * region travel as claims of their access tokens; the gateway derives the jurisdiction.
 */
export interface DevUser {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
  readonly region: string;
}

export const DEV_USERS: readonly DevUser[] = [
  { id: 'auditor-us', name: 'Avery (auditor, US)', roles: ['auditor'], region: 'us-east-1' },
  { id: 'auditor-eu', name: 'Elena (auditor, EU)', roles: ['auditor'], region: 'eu-central-1' },
  { id: 'legal-a', name: 'Lee (legal reviewer, US)', roles: ['legal'], region: 'us-east-1' },
  { id: 'legal-b', name: 'Morgan (legal reviewer, US)', roles: ['legal'], region: 'us-east-1' },
  {
    id: 'privacy',
    name: 'Priya (privacy officer, EU)',
    roles: ['privacy'],
    region: 'eu-central-1',
  },
];
