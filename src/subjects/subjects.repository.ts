import type { EntityManager } from 'typeorm';
import { execute } from '../platform/database/sql.js';
import type { Subject } from './subject.js';
import { SubjectEntity } from './subject.entity.js';

/** Persistence of subjects inside one region's store; callers pick the region's manager. */
export class SubjectsRepository {
  async insert(
    manager: EntityManager,
    subject: Omit<Subject, 'createdAt' | 'erasedAt'>,
  ): Promise<Subject> {
    // A plain INSERT (no select-then-insert); the store assigns created_at and returns it.
    const result = await manager.insert(SubjectEntity, { ...subject, erasedAt: null });
    const createdAt = result.generatedMaps[0]?.['createdAt'] as unknown;
    if (!(createdAt instanceof Date)) throw new Error('the store did not return created_at');
    return { ...subject, createdAt, erasedAt: null };
  }

  /** Leaves a tombstone: the id, region and times stay (to answer 410); the country goes. */
  async markErased(manager: EntityManager, id: string): Promise<Date> {
    const { rows } = await execute<{ erased_at: Date }>(
      manager,
      'UPDATE subjects SET erased_at = now(), country = NULL WHERE id = $1 RETURNING erased_at',
      [id],
    );
    const erasedAt = rows[0]?.erased_at;
    if (erasedAt === undefined) throw new Error('subject vanished during erasure');
    return erasedAt;
  }

  async find(manager: EntityManager, id: string): Promise<Subject | undefined> {
    const entity = await manager.findOneBy(SubjectEntity, { id });
    return entity === null ? undefined : toSubject(entity);
  }
}

function toSubject(entity: SubjectEntity): Subject {
  return {
    id: entity.id,
    homeRegion: entity.homeRegion,
    jurisdiction: entity.jurisdiction,
    country: entity.country,
    createdAt: entity.createdAt,
    erasedAt: entity.erasedAt,
  };
}
