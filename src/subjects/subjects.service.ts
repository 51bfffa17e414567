import { Injectable } from '@nestjs/common';
import { AccessGate } from '../access/access-gate.js';
import { SubjectKeysRepository } from '../keys/subject-keys.repository.js';
import { SubjectKeysService } from '../keys/subject-keys.service.js';
import type { RequestContext } from '../platform/http/request-context.js';
import { PolicyService } from '../policy/policy.service.js';
import { RegionRouter } from '../regions/region-router.js';
import { RegionTopology } from '../regions/region-topology.js';
import { selectHomeRegion } from './home-region.selector.js';
import type { Subject } from './subject.js';
import {
  JurisdictionNotServedError,
  SubjectErasedError,
  SubjectNotFoundError,
  UnknownCountryError,
} from './subject.errors.js';
import { SubjectId } from './subject-id.js';
import { SubjectsRepository } from './subjects.repository.js';

@Injectable()
export class SubjectsService {
  constructor(
    private readonly policy: PolicyService,
    private readonly topology: RegionTopology,
    private readonly router: RegionRouter,
    private readonly subjects: SubjectsRepository,
    private readonly keys: SubjectKeysService,
    private readonly keyStore: SubjectKeysRepository,
    private readonly gate: AccessGate,
  ) {}

  /** Creates a subject homed in a region of its country's jurisdiction, and only there. */
  async create(ctx: RequestContext, country: string): Promise<Subject> {
    // Where the subject is homed is decided by the same signed bundle that decides the access.
    const policy = this.policy.snapshot();
    const jurisdiction = policy.jurisdictions.jurisdictionOf(country);
    if (jurisdiction === undefined) throw new UnknownCountryError(country);
    const home = selectHomeRegion(this.topology.placementCandidates(jurisdiction));
    if (home === undefined) throw new JurisdictionNotServedError(jurisdiction);
    const id = SubjectId.generate(home.id);
    return this.gate.run(ctx, {
      action: 'subject.create',
      region: home.id,
      subjects: [id.value],
      purpose: 'write',
      policy,
      // The key comes first: if the region's KMS is down, nothing is written.
      prepare: () => this.keys.generate(home.id, id.value),
      work: async (manager, _scope, key) => {
        const subject = await this.subjects.insert(manager, {
          id: id.value,
          homeRegion: home.id,
          jurisdiction,
          country: country.toUpperCase(),
        });
        await this.keyStore.insertOrGet(manager, key);
        return subject;
      },
    });
  }

  /** Looks a subject up in its home region, routed by the id alone. */
  async get(ctx: RequestContext, rawId: string): Promise<Subject> {
    const id = SubjectId.parse(rawId);
    const route = this.router.route(id.homeRegion);
    return this.gate.run(ctx, {
      action: 'subject.read',
      region: route.region.id,
      subjects: [id.value],
      purpose: 'required',
      mode: 'read',
      work: async (manager) => {
        const subject = await this.subjects.find(manager, id.value);
        if (subject === undefined) throw new SubjectNotFoundError();
        if (subject.erasedAt !== null) throw new SubjectErasedError();
        return subject;
      },
    });
  }
}
